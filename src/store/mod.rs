//! Storage: one sqlx pool over SQLite (default) or PostgreSQL, chosen from the URL.
//!
//! Shape chosen: one portable schema run through sqlx's `Any` driver (TEXT, BIGINT,
//! booleans as 0/1 read back as `bool` through [`flag`], app-generated ids, times as
//! unix milliseconds), so both backends share every query and every test. The one piece of dialect lives in [`dialect`]: the job claim,
//! which PostgreSQL runs with `FOR UPDATE SKIP LOCKED` so several Herald processes can
//! share a queue. SQLite runs in WAL mode with `synchronous=FULL`: an accepted event is
//! on disk before Herald answers 2xx.
//!
//! Every query that touches workspace data takes the `team_id`.

mod admins;
mod audit;
mod catch_up;
mod connections;
mod digests;
mod directory;
mod events;
mod flag;
mod gate;
mod groups;
mod jobs;
mod log_rows;
mod meeting_types;
mod nonces;
mod operators;
mod pending_jobs;
mod resend;
mod retention;
mod rules;
mod slack_events;
mod thread_posts;
mod threads;
mod workspaces;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use audit::{AuditAction, AuditEntry, Change};
pub use catch_up::ActiveThread;
pub use connections::ConnectionRow;
pub use digests::{DigestEnd, DigestEntry, end_digest_items_in, keep_for_digest};
pub use directory::{ChannelRow, GroupRow, SyncRow, UserRow};
pub use events::{EventRecord, NewEvent, find_by_webhook_id, insert_events};
pub use gate::{Precedence, Turn};
pub use groups::{join_group, record_group_parent_in};
pub use jobs::{
    Backlog, ChannelHealth, ClaimedJob, DeliveryCounts, FinishedPost, JOBS_CHANNEL, JobRecord,
    JobStatus, NewJob, insert_jobs,
};
pub use log_rows::{Cursor as LogCursor, LoggedEvent, LoggedJob};
pub use operators::Operator;
pub use resend::FailedPost;
pub use retention::{BATCH as PURGE_BATCH, Purged};
pub use rules::RuleUpdate;
pub use slack_events::Receipt;
pub use thread_posts::{Opened, Placed, PostRecord};
pub use threads::{Thread, ThreadMessage};
pub use workspaces::{InstalledWorkspace, WorkspaceState};

pub type Tx<'c> = sqlx::Transaction<'c, sqlx::Any>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A failure met by a cache loader on behalf of several callers (moka shares it).
    #[error("{0}")]
    Shared(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The PostgreSQL URL, for the job-notification listener (None on SQLite).
    postgres_url: Option<std::sync::Arc<str>>,
    /// The workspace the last fair claim served (see [`jobs`]'s `claim_job`).
    turn: std::sync::Arc<std::sync::Mutex<String>>,
    /// SQLite's one writer at a time, the ingest writer first ([`gate`]).
    write_gate: gate::WriteGate,
}

impl Store {
    /// Opens the pool; SQLite files are created when missing.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite if !url.contains('?') && !url.contains(":memory:") => {
                format!("{url}?mode=rwc")
            }
            _ => url.to_string(),
        };
        let options: AnyConnectOptions = url.parse()?;
        let pool_options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let pool = match backend {
            Backend::Sqlite => {
                pool_options
                    .max_connections(8)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                                 PRAGMA wal_autocheckpoint = 0;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                pool_options
                    .max_connections(16)
                    .connect_with(options)
                    .await?
            }
        };
        let postgres_url = (backend == Backend::Postgres).then(|| url.as_str().into());
        Ok(Self {
            pool,
            backend,
            postgres_url,
            turn: std::sync::Arc::default(),
            write_gate: gate::WriteGate::default(),
        })
    }

    /// The PostgreSQL URL, for a `LISTEN` connection of its own; None on SQLite.
    pub fn postgres_url(&self) -> Option<&str> {
        self.postgres_url.as_deref()
    }

    /// Applies the embedded migrations; safe to run on every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations").run(&self.pool).await?;
        Ok(())
    }

    /// Copies the SQLite write-ahead log back into the database file. Herald turns
    /// SQLite's automatic checkpoint off, because it runs inside whichever commit crosses
    /// the threshold and so lands on a webhook's answer time; a background task calls
    /// this instead. A no-op on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Waits for SQLite's write turn, behind the ingest writer (None on PostgreSQL,
    /// whose writers do not exclude each other). Taken before a connection is acquired,
    /// never while holding one, so a writer waiting here holds no pool slot the gate's
    /// holder may need.
    pub async fn write_gate(&self) -> Option<Turn> {
        self.write_turn(Precedence::InLine).await
    }

    /// [`Store::write_gate`] with a precedence: the ingest writer goes first.
    pub async fn write_turn(&self, precedence: Precedence) -> Option<Turn> {
        match self.backend {
            Backend::Sqlite => Some(self.write_gate.turn(precedence).await),
            Backend::Postgres => None,
        }
    }

    /// A write transaction. On SQLite it begins `IMMEDIATE`, taking the write lock
    /// before its first read: a deferred one that reads, then writes after another
    /// connection committed, fails at once with `SQLITE_BUSY_SNAPSHOT` (517, "database
    /// is locked"; the busy timeout does not apply), which once made `/herald operator
    /// link` fail while a job finished beside it. Waiting for the lock at `BEGIN` is
    /// covered by the busy timeout.
    pub async fn begin(&self) -> Result<Tx<'static>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Dialect differences, kept in one place.
mod dialect {
    use super::Backend;

    /// Claims one job: `expired` picks a running job whose worker's lease ran out (that
    /// worker crashed or hung), otherwise a pending job whose time has come, oldest first.
    /// Two statements rather than one `OR`, so each runs on its own index instead of a
    /// scan of the queue. A running job whose lease expired may have posted before its
    /// worker died: `maybe_posted` is set from the row's old status, so the new worker
    /// checks Slack for that post first.
    pub fn claim_job(backend: Backend, expired: bool) -> &'static str {
        claim_sql(backend, expired, false)
    }

    /// Claims the most overdue due job of one workspace (`$4`): the fair claim.
    pub fn claim_team_job(backend: Backend) -> &'static str {
        claim_sql(backend, false, true)
    }

    fn claim_sql(backend: Backend, expired: bool, team: bool) -> &'static str {
        macro_rules! claim {
            ($filter:literal, $lock:literal) => {
                concat!(
                    "UPDATE jobs SET maybe_posted = CASE WHEN status = 'running' THEN 1 ELSE maybe_posted END, ",
                    "status = 'running', lease_owner = $1, lease_until = $2, ",
                    "first_claimed_at = COALESCE(first_claimed_at, $3), ",
                    "attempts = attempts + 1, updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE ",
                    $filter,
                    " LIMIT 1",
                    $lock,
                    ") RETURNING id, team_id, kind, event_id, channel, payload, attempts, maybe_posted, ",
                    "internal, first_claimed_at, created_at"
                )
            };
        }
        match (backend, expired) {
            (Backend::Sqlite, false) if team => claim!(
                "status = 'pending' AND team_id = $4 AND run_at <= $3 ORDER BY run_at, id",
                ""
            ),
            (Backend::Postgres, false) if team => claim!(
                "status = 'pending' AND team_id = $4 AND run_at <= $3 ORDER BY run_at, id",
                " FOR UPDATE SKIP LOCKED"
            ),
            (Backend::Sqlite, true) => {
                claim!(
                    "status = 'running' AND lease_until < $3 ORDER BY lease_until",
                    ""
                )
            }
            (Backend::Sqlite, false) => {
                claim!(
                    "status = 'pending' AND run_at <= $3 ORDER BY run_at, id",
                    ""
                )
            }
            (Backend::Postgres, true) => claim!(
                "status = 'running' AND lease_until < $3 ORDER BY lease_until",
                " FOR UPDATE SKIP LOCKED"
            ),
            (Backend::Postgres, false) => claim!(
                "status = 'pending' AND run_at <= $3 ORDER BY run_at, id",
                " FOR UPDATE SKIP LOCKED"
            ),
        }
    }
}

/// Milliseconds since the Unix epoch: every stored time.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A new id: a prefix, the time in hex (so ids sort by creation) and 64 random bits.
/// A new id that sorts by creation: the time, then a per-process sequence (ids made in
/// the same millisecond keep their order: a conversation's jobs run in id order), then
/// randomness (ids made by other processes never collide).
pub fn new_id(prefix: &str) -> String {
    static SEQUENCE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seq = SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed) & 0xff_ffff;
    format!(
        "{prefix}_{:011x}{seq:06x}{:010x}",
        now_ms(),
        fastrand::u64(..) & 0xff_ffff_ffff
    )
}

/// `($1, $2, …), ($n+1, …)`: placeholders for a multi-row `VALUES`.
fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let cols: Vec<String> = (1..=columns)
                .map(|c| format!("${}", r * columns + c))
                .collect();
            format!("({})", cols.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's plan of `sql`, one line per step. Parameters are bound as 0: a plan is
    /// chosen when the statement is prepared, before any value is known.
    async fn plan(store: &Store, sql: &str) -> String {
        let params = (1..=9).filter(|n| sql.contains(&format!("${n}"))).count();
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(explain));
        for _ in 0..params {
            query = query.bind(0_i64);
        }
        let rows = query.fetch_all(store.pool()).await.unwrap();
        rows.into_iter()
            .map(|(.., detail)| detail)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether a step of `plan` searches `index` (as a covering index or not).
    fn searches(plan: &str, index: &str) -> bool {
        let named = format!("INDEX {index}");
        plan.lines().any(|step| {
            step.starts_with("SEARCH")
                && (step.ends_with(&named) || step.contains(&format!("{named} ")))
        })
    }

    /// A transaction that reads and then writes is not undone by a write that commits
    /// between the two: on SQLite the second writer waits for the first (it failed with
    /// SQLITE_BUSY_SNAPSHOT when transactions began deferred).
    #[tokio::test]
    async fn a_write_transaction_that_reads_first_is_not_broken_by_a_concurrent_commit() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("locks.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM operators")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        let other = store.clone();
        let mut beside = tokio::spawn(async move {
            other
                .move_operator("T1", "op_beside", "U2", "U9")
                .await
                .map(|_| ())
        });
        // Give the other writer time to commit, as it could before the fix; with the fix
        // it is waiting for this transaction's lock, and the wait changes nothing.
        let early = tokio::time::timeout(std::time::Duration::from_millis(500), &mut beside).await;
        sqlx::query(
            "INSERT INTO operators (team_id, operator_id, email, name, slack_user_id, updated_at) \
             VALUES ('T1', 'op_here', NULL, NULL, 'U1', 0)",
        )
        .execute(&mut *tx)
        .await
        .expect("the write after the read");
        tx.commit().await.expect("the commit");
        match early {
            Ok(done) => done.unwrap().expect("the other write"),
            Err(_) => beside
                .await
                .unwrap()
                .expect("the other write, after the lock"),
        }
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM operators")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(rows, 2, "both writes are kept");
    }

    /// The queue's hot reads and claims search the partial index of the rows they ask
    /// for. SQLite has no statistics to choose by, and once chose a full status index for
    /// them, walking every pending job on each idle worker's check.
    #[tokio::test]
    async fn the_queue_searches_its_partial_indexes_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plans.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let cases: [(&str, &str, &[&str]); 8] = [
            (
                "work waiting",
                jobs::WORK_WAITING,
                &["jobs_lease", "jobs_due"],
            ),
            ("next turn", jobs::NEXT_TURN, &["jobs_team_due"]),
            ("due backlog", jobs::DUE_BACKLOG, &["jobs_due"]),
            ("next due", jobs::NEXT_DUE, &["jobs_due"]),
            (
                "claim due",
                dialect::claim_job(Backend::Sqlite, false),
                &["jobs_due"],
            ),
            (
                "claim expired",
                dialect::claim_job(Backend::Sqlite, true),
                &["jobs_lease"],
            ),
            (
                "claim in turn",
                dialect::claim_team_job(Backend::Sqlite),
                &["jobs_team_due"],
            ),
            (
                "purge finished",
                retention::JOBS,
                &["jobs_finished_updated"],
            ),
        ];
        for (what, sql, indexes) in cases {
            let plan = plan(&store, sql).await;
            for index in indexes {
                assert!(
                    searches(&plan, index),
                    "{what} does not search {index}:\n{plan}"
                );
            }
            assert!(
                !plan.contains("SCAN jobs"),
                "{what} scans the jobs:\n{plan}"
            );
        }
        let held = plan(&store, retention::HELD_CALLBACKS).await;
        assert!(searches(&held, "jobs_held_updated"), "{held}");
        store.close().await;
    }
}
