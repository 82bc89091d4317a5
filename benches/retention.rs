//! `cargo bench --bench retention`: the retention purge of 5,000 year-old events against a
//! queue of ~200,000 recent jobs, on SQLite (and PostgreSQL when `BENCH_DATABASE_URL` or
//! `TEST_DATABASE_URL` is set). The purge as it was before batching (one transaction, a
//! per-event `NOT EXISTS` on `jobs.event_id` that no index serves) runs first on the same
//! rows as the baseline, then the old events are put back and `Store::purge` runs.
//! `BENCH_PURGE_JOBS` / `BENCH_PURGE_EVENTS` change the sizes.

use std::time::{Duration, Instant};

use herald::store::Store;

const TEAM: &str = "T0BENCH01";
const DAY: i64 = 24 * 3600 * 1000;

fn size(var: &str, default: i64) -> i64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn exec(store: &Store, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(store.pool())
        .await
        .unwrap();
}

/// `WITH RECURSIVE` numbers 1..=n, in both dialects.
fn numbers(n: i64) -> String {
    format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})")
}

async fn old_events(store: &Store, n: i64, at: i64) {
    exec(
        store,
        format!(
            "INSERT INTO events (id, team_id, connection_id, webhook_id, event_type, body, \
             route_count, received_at) {} SELECT 'e_old_' || i, '{TEAM}', 'default', \
             'w_old_' || i, 'booking.created', '{{}}', 1, {at} FROM n",
            numbers(n)
        ),
    )
    .await;
}

async fn fill(store: &Store, jobs: i64, events: i64, now: i64) {
    // Recent events, each with a finished job (the queue a year of traffic leaves).
    exec(
        store,
        format!(
            "INSERT INTO events (id, team_id, connection_id, webhook_id, event_type, body, \
             route_count, received_at) {} SELECT 'e_new_' || i, '{TEAM}', 'default', \
             'w_new_' || i, 'booking.created', '{{}}', 1, {now} - i FROM n",
            numbers(jobs)
        ),
    )
    .await;
    exec(
        store,
        format!(
            "INSERT INTO jobs (id, team_id, kind, event_id, dedupe_key, channel, payload, \
             internal, status, attempts, run_at, maybe_posted, created_at, updated_at) {} \
             SELECT 'j_' || i, '{TEAM}', 'event', 'e_new_' || i, 'd_' || i, 'C0BENCH01', '{{}}', \
             0, 'done', 1, {now} - i, 0, {now} - i, {now} - i FROM n",
            numbers(jobs)
        ),
    )
    .await;
    old_events(store, events, now - 400 * DAY).await;
}

/// The purge as it was: one transaction, `NOT EXISTS` on `jobs.event_id` alone.
async fn old_purge(store: &Store, before: i64, receipts_before: i64) -> u64 {
    let mut tx = store.begin().await.unwrap();
    sqlx::query("DELETE FROM jobs WHERE updated_at < $1 AND status IN ('done', 'failed', 'dead')")
        .bind(before)
        .execute(&mut *tx)
        .await
        .unwrap();
    let events = sqlx::query(
        "DELETE FROM events WHERE received_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.event_id = events.id)",
    )
    .bind(before)
    .execute(&mut *tx)
    .await
    .unwrap()
    .rows_affected();
    sqlx::query("DELETE FROM slack_event_receipts WHERE received_at < $1")
        .bind(receipts_before)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    events
}

async fn store_for(database: &str) -> (Store, Option<tempfile::TempDir>) {
    let (url, dir) = if database == "sqlite" {
        let dir = tempfile::tempdir().unwrap();
        (
            format!("sqlite://{}", dir.path().join("bench.db").display()),
            Some(dir),
        )
    } else {
        let name = format!("herald_bench_{:x}", fastrand::u64(..));
        let admin = Store::connect(database).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(admin.pool())
            .await
            .unwrap();
        admin.close().await;
        (
            format!("{}/{name}", database.rsplit_once('/').unwrap().0),
            None,
        )
    };
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

#[tokio::main]
async fn main() {
    let jobs = size("BENCH_PURGE_JOBS", 195_000);
    let events = size("BENCH_PURGE_EVENTS", 5_000);
    let mut backends = vec!["sqlite".to_string()];
    if let Ok(pg) =
        std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL"))
    {
        backends.push(pg);
    } else {
        println!("(set BENCH_DATABASE_URL=postgres://… to include PostgreSQL)");
    }
    for backend in backends {
        let name = if backend == "sqlite" {
            "SQLite"
        } else {
            "PostgreSQL"
        };
        let (store, _dir) = store_for(&backend).await;
        let now = herald::store::now_ms();
        fill(&store, jobs, events, now).await;
        let before = now - 365 * DAY;
        let receipts_before = now - DAY;

        let started = Instant::now();
        let removed = old_purge(&store, before, receipts_before).await;
        let baseline = started.elapsed();
        assert_eq!(removed, events.unsigned_abs());

        old_events(&store, events, now - 400 * DAY).await;
        let started = Instant::now();
        let purged = store.purge(before, receipts_before).await.unwrap();
        let batched = started.elapsed();
        assert_eq!(purged.events, events.unsigned_abs());
        assert_eq!(purged.jobs, 0);

        println!(
            "purge on {name:<10}  {events} old events, {jobs} jobs: before (one transaction, \
             unindexed) {}   after (batches of {}) {}   = {:.1}x faster",
            secs(baseline),
            herald::store::PURGE_BATCH,
            secs(batched),
            baseline.as_secs_f64() / batched.as_secs_f64().max(1e-9)
        );
        store.close().await;
    }
}
