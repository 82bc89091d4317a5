//! Fairness: one workspace's flood does not hold up another's notifications. Workers
//! take workspaces in turn, each workspace's most overdue job first.

use std::time::Duration;

use herald::store::Store;

use crate::helpers::fresh_database;

async fn pending_job(store: &Store, team: &str, id: &str, run_at: i64) {
    sqlx::query(
        "INSERT INTO jobs (id, team_id, kind, event_id, dedupe_key, channel, payload, internal, \
         status, attempts, run_at, maybe_posted, created_at, updated_at) \
         VALUES ($1, $2, 'slack_post', $3, $4, 'C0CHAN01', '{}', 0, 'pending', 0, $5, 0, $5, $5)",
    )
    .bind(id.to_string())
    .bind(team.to_string())
    .bind(format!("e_{id}"))
    .bind(format!("d_{id}"))
    .bind(run_at)
    .execute(store.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn a_flooding_workspace_does_not_delay_another_workspaces_job() {
    let (url, _dir) = fresh_database().await;
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    for team in ["T0FLOOD1", "T0QUIET1"] {
        store.upsert_workspace(team, team, "U0BOT").await.unwrap();
    }
    let now = herald::store::now_ms();
    // Workspace A floods 500 jobs; then workspace B sends one, the newest of all.
    for i in 0..500 {
        pending_job(&store, "T0FLOOD1", &format!("a_{i:04}"), now - 10_000 + i).await;
    }
    pending_job(&store, "T0QUIET1", "b_only", now).await;
    pending_job(&store, "T0FLOOD1", "a_late", now).await;

    let mut order = Vec::new();
    while let Some(job) = store
        .claim_job("wrk_test", Duration::from_secs(60))
        .await
        .unwrap()
    {
        assert!(store.complete_job(&job.id, "wrk_test", None).await.unwrap());
        order.push((job.team_id, job.id));
    }
    assert_eq!(order.len(), 502, "every job ran once");
    let b_at = order.iter().position(|(_, id)| id == "b_only").unwrap();
    assert!(
        b_at <= 1,
        "B's job ran as claim {b_at}, behind {b_at} of A's 501 jobs"
    );
    // Within a workspace, the most overdue job still comes first.
    let a: Vec<&str> = order
        .iter()
        .filter(|(team, _)| team == "T0FLOOD1")
        .map(|(_, id)| id.as_str())
        .collect();
    let mut sorted = a.clone();
    sorted.sort_unstable();
    assert_eq!(a, sorted);
    store.close().await;
}

#[tokio::test]
async fn workspaces_with_due_jobs_take_turns() {
    let (url, _dir) = fresh_database().await;
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    for team in ["T0TURN01", "T0TURN02", "T0TURN03", "T0TURN04"] {
        store.upsert_workspace(team, team, "U0BOT").await.unwrap();
    }
    let now = herald::store::now_ms();
    // Each workspace's jobs are all older than the next one's.
    for (t, team) in ["T0TURN01", "T0TURN02", "T0TURN03"].into_iter().enumerate() {
        for i in 0..4 {
            let run_at = now - 1000 + 10 * i64::try_from(t).unwrap() + i;
            pending_job(&store, team, &format!("{team}_{i}"), run_at).await;
        }
    }
    // Not due yet: never claimed ahead of its time, whoever's turn it is.
    pending_job(&store, "T0TURN04", "future", now + 3_600_000).await;
    let mut teams = Vec::new();
    while let Some(job) = store
        .claim_job("wrk_test", Duration::from_secs(60))
        .await
        .unwrap()
    {
        assert!(store.complete_job(&job.id, "wrk_test", None).await.unwrap());
        teams.push(job.team_id);
    }
    assert_eq!(teams.len(), 12);
    // Each round serves every workspace once.
    for round in teams.chunks(3) {
        let mut round = round.to_vec();
        round.sort();
        assert_eq!(round, ["T0TURN01", "T0TURN02", "T0TURN03"], "{teams:?}");
    }
    store.close().await;
}
