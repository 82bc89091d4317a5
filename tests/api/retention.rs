//! Retention: the purge removes what is past retention in every table that grows
//! (jobs, events, Slack event receipts, threads and their message maps, held callbacks,
//! the audit log) and keeps pending work and everything recent, on SQLite and PostgreSQL.

use herald::store::Store;

use crate::helpers::fresh_database;

const DAY: i64 = 24 * 3600 * 1000;

async fn exec(store: &Store, sql: &str, binds: &[&str], times: &[i64]) {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for b in binds {
        q = q.bind((*b).to_string());
    }
    for t in times {
        q = q.bind(*t);
    }
    q.execute(store.pool()).await.unwrap();
}

async fn event(store: &Store, team: &str, id: &str, at: i64) {
    exec(
        store,
        "INSERT INTO events (id, team_id, connection_id, webhook_id, event_type, body, \
         route_count, received_at) VALUES ($1, $2, 'default', $3, 'booking.created', '{}', 1, $4)",
        &[id, team, &format!("w_{id}")],
        &[at],
    )
    .await;
}

#[allow(clippy::too_many_arguments, reason = "one row's columns")]
async fn job(
    store: &Store,
    team: &str,
    id: &str,
    event_id: &str,
    status: &str,
    kind: &str,
    thread_key: Option<&str>,
    run_at: i64,
    updated_at: i64,
) {
    let mut q = sqlx::query(
        "INSERT INTO jobs (id, team_id, kind, event_id, dedupe_key, channel, payload, internal, \
         status, attempts, run_at, maybe_posted, created_at, updated_at, thread_key) \
         VALUES ($1, $2, $3, $4, $5, 'C0CHAN01', '{}', 0, $6, 1, $7, 0, $8, $8, $9)",
    )
    .bind(id.to_string())
    .bind(team.to_string())
    .bind(kind.to_string())
    .bind(event_id.to_string())
    .bind(format!("d_{id}"))
    .bind(status.to_string())
    .bind(run_at)
    .bind(updated_at);
    q = q.bind(thread_key.map(str::to_string));
    q.execute(store.pool()).await.unwrap();
}

async fn thread(store: &Store, team: &str, conversation: &str, parent: &str, at: i64) {
    exec(
        store,
        "INSERT INTO threads (team_id, channel, conversation_id, thread_ts, parent_event_id, \
         connection_id, closed, history_imported, created_at, updated_at) \
         VALUES ($1, 'C0CHAN01', $2, $3, $4, 'default', 0, 0, $5, $5)",
        &[
            team,
            conversation,
            &format!("1700000000.{conversation}"),
            parent,
        ],
        &[at],
    )
    .await;
    exec(
        store,
        "INSERT INTO thread_messages (team_id, channel, message_id, conversation_id, ts, \
         created_at) VALUES ($1, 'C0CHAN01', $2, $3, '1700000001.000100', $4)",
        &[team, &format!("m_{conversation}"), conversation],
        &[at],
    )
    .await;
    // The conversation's first thread, closed, and its current one.
    for ts in [
        &format!("1600000000.{conversation}"),
        &format!("1700000000.{conversation}"),
    ] {
        exec(
            store,
            "INSERT INTO thread_parents (team_id, channel, thread_ts, conversation_id, \
             created_at) VALUES ($1, 'C0CHAN01', $2, $3, $4)",
            &[team, ts, conversation],
            &[at],
        )
        .await;
    }
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn ids(store: &Store, sql: &str) -> Vec<String> {
    let mut ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_all(store.pool())
        .await
        .unwrap();
    ids.sort();
    ids
}

#[tokio::test]
async fn purge_removes_old_rows_of_every_table_and_keeps_pending_work_and_recent_rows() {
    let (url, _dir) = fresh_database().await;
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let now = herald::store::now_ms();
    let old = now - 400 * DAY;
    let recent = now - 10 * DAY;
    let before = now - 365 * DAY;
    let receipts_before = now - DAY;
    for team in ["T0AAA", "T0BBB"] {
        // Old and finished: goes, with its event.
        event(&store, team, &format!("e_old_{team}"), old).await;
        job(
            &store,
            team,
            &format!("j_old_{team}"),
            &format!("e_old_{team}"),
            "done",
            "event",
            None,
            old,
            old,
        )
        .await;
        // Old event whose job is still pending (retrying): both stay.
        event(&store, team, &format!("e_pending_{team}"), old).await;
        job(
            &store,
            team,
            &format!("j_pending_{team}"),
            &format!("e_pending_{team}"),
            "pending",
            "event",
            None,
            old,
            old,
        )
        .await;
        // Old, failed and dead jobs: go.
        event(&store, team, &format!("e_failed_{team}"), old).await;
        job(
            &store,
            team,
            &format!("j_failed_{team}"),
            &format!("e_failed_{team}"),
            "failed",
            "event",
            None,
            old,
            old,
        )
        .await;
        job(
            &store,
            team,
            &format!("j_dead_{team}"),
            &format!("e_failed_{team}"),
            "dead",
            "event",
            None,
            old,
            old,
        )
        .await;
        // Recent: stays.
        event(&store, team, &format!("e_new_{team}"), recent).await;
        job(
            &store,
            team,
            &format!("j_new_{team}"),
            &format!("e_new_{team}"),
            "done",
            "event",
            None,
            recent,
            recent,
        )
        .await;
        // A held callback nobody claimed for a year: goes; a recent one stays.
        job(
            &store,
            team,
            &format!("j_held_old_{team}"),
            &format!("e_new_{team}"),
            "held",
            "callback",
            None,
            old,
            old,
        )
        .await;
        job(
            &store,
            team,
            &format!("j_held_new_{team}"),
            &format!("e_new_{team}"),
            "held",
            "callback",
            None,
            old,
            recent,
        )
        .await;
        // A conversation untouched for a year: its thread and message map go.
        event(&store, team, &format!("e_thread_old_{team}"), old).await;
        thread(
            &store,
            team,
            "conv_old",
            &format!("e_thread_old_{team}"),
            old,
        )
        .await;
        // An old thread with a pending job in it: stays, with its parent event.
        event(&store, team, &format!("e_thread_busy_{team}"), old).await;
        thread(
            &store,
            team,
            "conv_busy",
            &format!("e_thread_busy_{team}"),
            old,
        )
        .await;
        job(
            &store,
            team,
            &format!("j_thread_busy_{team}"),
            &format!("e_thread_busy_{team}"),
            "pending",
            "event",
            Some("conv_busy"),
            now,
            now,
        )
        .await;
        // A thread touched recently whose parent event is old: stays, parent event too.
        event(&store, team, &format!("e_thread_new_{team}"), old).await;
        thread(
            &store,
            team,
            "conv_new",
            &format!("e_thread_new_{team}"),
            recent,
        )
        .await;
        // An old history event a recent thread's chunk is drawn from: stays.
        event(&store, team, &format!("e_history_{team}"), old).await;
        exec(
            &store,
            "INSERT INTO thread_messages (team_id, channel, message_id, conversation_id, ts, \
             created_at, history_event_id, position) \
             VALUES ($1, 'C0CHAN01', 'h_1', 'conv_new', '1700000002.000100', $3, $2, 0)",
            &[team, &format!("e_history_{team}")],
            &[recent],
        )
        .await;
        // Receipts: a day of them is kept.
        for (id, at) in [("Ev_old", now - 2 * DAY), ("Ev_new", now - 1000)] {
            exec(
                &store,
                "INSERT INTO slack_event_receipts (team_id, event_id, event_type, received_at) \
                 VALUES ($1, $2, 'message', $3)",
                &[team, id],
                &[at],
            )
            .await;
        }
        // Audit: a year of it is kept.
        for (id, at) in [("a_old", old), ("a_new", recent)] {
            exec(
                &store,
                "INSERT INTO audit_log (id, team_id, actor, action, at) VALUES ($1, $2, 'U0X', 'rules.import', $3)",
                &[&format!("{id}_{team}"), team],
                &[at],
            )
            .await;
        }
    }

    let purged = store.purge(before, receipts_before).await.unwrap();

    assert_eq!(
        ids(&store, "SELECT id FROM jobs").await,
        [
            "j_held_new_T0AAA",
            "j_held_new_T0BBB",
            "j_new_T0AAA",
            "j_new_T0BBB",
            "j_pending_T0AAA",
            "j_pending_T0BBB",
            "j_thread_busy_T0AAA",
            "j_thread_busy_T0BBB",
        ]
    );
    assert_eq!(
        ids(&store, "SELECT id FROM events").await,
        [
            "e_history_T0AAA",
            "e_history_T0BBB",
            "e_new_T0AAA",
            "e_new_T0BBB",
            "e_pending_T0AAA",
            "e_pending_T0BBB",
            "e_thread_busy_T0AAA",
            "e_thread_busy_T0BBB",
            "e_thread_new_T0AAA",
            "e_thread_new_T0BBB",
        ]
    );
    assert_eq!(
        ids(
            &store,
            "SELECT team_id || '/' || conversation_id FROM threads"
        )
        .await,
        [
            "T0AAA/conv_busy",
            "T0AAA/conv_new",
            "T0BBB/conv_busy",
            "T0BBB/conv_new"
        ]
    );
    assert_eq!(
        ids(
            &store,
            "SELECT team_id || '/' || message_id FROM thread_messages"
        )
        .await,
        [
            "T0AAA/h_1",
            "T0AAA/m_conv_busy",
            "T0AAA/m_conv_new",
            "T0BBB/h_1",
            "T0BBB/m_conv_busy",
            "T0BBB/m_conv_new"
        ]
    );
    assert_eq!(
        ids(
            &store,
            "SELECT team_id || '/' || event_id FROM slack_event_receipts"
        )
        .await,
        ["T0AAA/Ev_new", "T0BBB/Ev_new"]
    );
    assert_eq!(
        ids(&store, "SELECT id FROM audit_log").await,
        ["a_new_T0AAA", "a_new_T0BBB"]
    );
    assert_eq!(purged.jobs, 6, "{purged:?}");
    assert_eq!(purged.held_callbacks, 2, "{purged:?}");
    assert_eq!(purged.events, 6, "{purged:?}");
    assert_eq!(purged.threads, 2, "{purged:?}");
    assert_eq!(purged.thread_messages, 2, "{purged:?}");
    assert_eq!(
        purged.thread_parents, 4,
        "conv_old's two parents, per team: {purged:?}"
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM events WHERE id LIKE 'e_history_%'"
        )
        .await,
        2,
        "an event a history chunk is drawn from is kept"
    );
    assert_eq!(purged.receipts, 2, "{purged:?}");
    assert_eq!(purged.audit, 2, "{purged:?}");

    // A second run finds nothing more.
    let again = store.purge(before, receipts_before).await.unwrap();
    assert_eq!(again, herald::store::Purged::default());
    assert_eq!(count(&store, "SELECT COUNT(*) FROM jobs").await, 8);

    // More than one batch: every old row goes, across several transactions.
    let n = 2 * herald::store::PURGE_BATCH + 500;
    let generate = format!(
        "INSERT INTO events (id, team_id, connection_id, webhook_id, event_type, body, \
         route_count, received_at) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
         SELECT 'e_bulk_' || i, 'T0AAA', 'default', 'w_bulk_' || i, 'booking.created', '{{}}', \
         1, {old} FROM n"
    );
    exec(&store, &generate, &[], &[]).await;
    let bulk = store.purge(before, receipts_before).await.unwrap();
    assert_eq!(bulk.events, n.unsigned_abs(), "{bulk:?}");
    assert_eq!(count(&store, "SELECT COUNT(*) FROM events").await, 10);
    store.close().await;
}

#[tokio::test]
async fn purge_removes_old_groups_and_keeps_one_whose_job_is_still_pending() {
    let (url, _dir) = fresh_database().await;
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let now = herald::store::now_ms();
    let old = now - 400 * DAY;
    let recent = now - 10 * DAY;
    for (group, at) in [("g_old", old), ("g_busy", old), ("g_new", recent)] {
        exec(
            &store,
            "INSERT INTO group_parents (group_id, team_id, channel, ts, created_at) \
             VALUES ($1, 'T0AAA', 'C0CHAN01', '1.0', $2)",
            &[group],
            &[at],
        )
        .await;
        exec(
            &store,
            "INSERT INTO rule_groups (team_id, channel, group_key, group_id, started_at, members) \
             VALUES ('T0AAA', 'C0CHAN01', $1, $2, $3, 1)",
            &[&format!("rule:{group}"), group],
            &[at],
        )
        .await;
    }
    // A member of g_busy still waits to be posted: its group's parent is kept.
    event(&store, "T0AAA", "e_busy", old).await;
    job(
        &store,
        "T0AAA",
        "j_busy",
        "e_busy",
        "pending",
        "slack.post",
        Some("g_busy"),
        now,
        old,
    )
    .await;
    let purged = store.purge(now - 365 * DAY, now - DAY).await.unwrap();
    assert_eq!(
        ids(&store, "SELECT group_id FROM group_parents").await,
        ["g_busy", "g_new"]
    );
    assert_eq!(
        ids(&store, "SELECT group_id FROM rule_groups").await,
        ["g_new"],
        "no window is a year long: old open groups go"
    );
    assert_eq!(purged.groups, 3, "{purged:?}");
}
