//! The outbox: one durable queue for everything that leaves Herald.
//!
//! A job is claimed with a lease; completing, rescheduling or failing it checks the
//! lease owner, so a worker whose lease expired cannot overwrite the work of the worker
//! that took over.

use std::time::Duration;

use sqlx::{AnyConnection, FromRow};

use super::flag::Flag;
use super::{Store, StoreError, dialect, duration_ms, now_ms};

// The queue's hot reads, run by every idle worker and every `/metrics` scrape. Each must
// be an index search over the rows it asks for (`jobs_due`, `jobs_lease`,
// `jobs_team_due`), never a walk of the backlog: the store's plan test holds them to it.

/// Is a lease expired, is a job due (0 or 1 each): a worker's check before it claims.
pub(super) const WORK_WAITING: &str = "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM jobs \
     WHERE status = 'running' AND lease_until < $1 LIMIT 1) e), (SELECT COUNT(*) FROM \
     (SELECT 1 FROM jobs WHERE status = 'pending' AND run_at <= $1 LIMIT 1) d)";

/// The first workspace after `$1` with a job due by `$2`.
pub(super) const NEXT_TURN: &str = "SELECT w.team_id FROM workspaces w WHERE w.team_id > $1 \
     AND EXISTS (SELECT 1 FROM jobs j WHERE j.team_id = w.team_id AND j.status = 'pending' \
     AND j.run_at <= $2) ORDER BY w.team_id LIMIT 1";

/// How many jobs are due by `$1`, and since when.
pub(super) const DUE_BACKLOG: &str =
    "SELECT COUNT(*), MIN(run_at) FROM jobs WHERE status = 'pending' AND run_at <= $1";

/// When the earliest pending job falls due.
pub(super) const NEXT_DUE: &str = "SELECT MIN(run_at) FROM jobs WHERE status = 'pending'";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    /// Waits for a person (a reply whose author has not claimed an operator); never
    /// claimed until released.
    Held,
    Running,
    Done,
    /// A permanent failure: retrying cannot help.
    Failed,
    /// Transient failures until the retry schedule ran out.
    Dead,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Held => "held",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Dead => "dead",
        }
    }
}

pub struct NewJob<'a> {
    pub id: &'a str,
    pub team_id: &'a str,
    pub kind: &'a str,
    pub event_id: &'a str,
    pub dedupe_key: &'a str,
    pub channel: Option<&'a str>,
    pub payload: &'a str,
    pub internal: bool,
    pub status: JobStatus,
    pub run_at: i64,
    /// A conversation's id: its jobs in one channel run in order.
    pub thread_key: Option<&'a str>,
    /// Handed to an idle worker as it is queued: (lease owner, lease until); its status
    /// is then `Running`, and this counts as its first attempt.
    pub lease: Option<(&'a str, i64)>,
}

/// Columns of one `jobs` row, for the multi-row insert.
const JOB_COLUMNS: usize = 18;
/// Rows per statement. SQLite looks bound parameters up by name in a list, so a
/// statement's binding cost grows with the square of its parameters: keep them to a
/// few hundred (measured with `examples`-style profiling of the ingest path).
const CHUNK: usize = 32;

/// Inserts many jobs in one statement per chunk; a job whose dedupe key exists is
/// skipped. Returns how many were inserted.
pub async fn insert_jobs(conn: &mut AnyConnection, jobs: &[NewJob<'_>]) -> Result<u64, StoreError> {
    let now = now_ms();
    let mut inserted = 0;
    // Built once per row count (see `insert_events`).
    static SQL: [std::sync::OnceLock<String>; CHUNK] =
        [const { std::sync::OnceLock::new() }; CHUNK];
    for chunk in jobs.chunks(CHUNK) {
        let sql: &'static str = SQL[chunk.len() - 1].get_or_init(|| {
            format!(
                "INSERT INTO jobs (id, team_id, kind, event_id, dedupe_key, channel, payload, \
                 internal, status, attempts, run_at, maybe_posted, created_at, updated_at, \
                 thread_key, lease_owner, lease_until, first_claimed_at) \
                 VALUES {} ON CONFLICT (dedupe_key) DO NOTHING",
                super::placeholders(chunk.len(), JOB_COLUMNS)
            )
        });
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for j in chunk {
            query = query
                .bind(j.id)
                .bind(j.team_id)
                .bind(j.kind)
                .bind(j.event_id)
                .bind(j.dedupe_key)
                .bind(j.channel)
                .bind(j.payload)
                .bind(i64::from(j.internal))
                .bind(j.status.as_str())
                .bind(i64::from(j.lease.is_some()))
                .bind(j.run_at)
                .bind(0_i64)
                // A handed job is queued due now, and its worker measures its latency
                // from its `run_at`: the row says the same.
                .bind(j.lease.map_or(now, |_| j.run_at))
                .bind(now)
                .bind(j.thread_key)
                .bind(j.lease.map(|l| l.0))
                .bind(j.lease.map(|l| l.1))
                // A handed job is claimed as it is queued, for its slot.
                .bind(j.lease.map(|_| j.run_at));
        }
        inserted += query.execute(&mut *conn).await?.rows_affected();
    }
    if inserted > 0 && conn.backend_name() == "PostgreSQL" {
        // Wakes idle workers of every process when the transaction commits (and only
        // then); polling stays as the fallback.
        sqlx::query(sqlx::AssertSqlSafe(format!("NOTIFY {JOBS_CHANNEL}")))
            .execute(&mut *conn)
            .await?;
    }
    Ok(inserted)
}

/// The PostgreSQL notification channel that says "new jobs are due".
pub const JOBS_CHANNEL: &str = "herald_jobs";

#[derive(Debug, Clone, FromRow)]
pub struct ClaimedJob {
    pub id: String,
    pub team_id: String,
    pub kind: String,
    pub event_id: String,
    pub channel: Option<String>,
    pub payload: String,
    /// Including this claim.
    pub attempts: i64,
    /// 1 when an earlier attempt may have posted without Herald learning of it.
    pub maybe_posted: i64,
    pub internal: i64,
    /// When the job was first claimed (ms): an interrupted attempt's post is no older.
    pub first_claimed_at: Option<i64>,
    /// When the job was queued (ms): its delivery latency is measured from then.
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct JobRecord {
    pub id: String,
    pub team_id: String,
    pub kind: String,
    pub event_id: String,
    pub channel: Option<String>,
    pub payload: String,
    #[sqlx(try_from = "Flag")]
    pub internal: bool,
    pub status: String,
    pub attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub result_ts: Option<String>,
}

/// `SELECT` of every [`JobRecord`] column, then the given clause.
macro_rules! select_jobs {
    ($clause:literal) => {
        concat!(
            "SELECT id, team_id, kind, event_id, channel, payload, internal, status, attempts, ",
            "run_at, last_error, result_ts FROM jobs ",
            $clause
        )
    };
}

impl Store {
    /// Claims a job for `lease`; None when nothing is due. A job whose worker's lease
    /// ran out comes first; then workspaces take turns (round-robin over the
    /// workspaces with a due job, in `team_id` order from the one served last) and each
    /// turn takes that workspace's most overdue job, so one workspace's flood cannot
    /// delay another's notifications behind it. When no registered workspace has a due
    /// job (or another process just took it) the most overdue job of all is claimed.
    pub async fn claim_job(
        &self,
        owner: &str,
        lease: Duration,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        // One read first, so a worker that finds nothing to do takes no write lock (on
        // SQLite a claim's `UPDATE` takes the database's one write lock even when it
        // changes no row) and makes one round trip instead of four.
        let (expired, due): (i64, i64) = sqlx::query_as(WORK_WAITING)
            .bind(now_ms())
            .fetch_one(self.pool())
            .await?;
        if expired == 0 && due == 0 {
            return Ok(None);
        }
        let _gate = self.write_gate().await;
        if expired > 0
            && let Some(job) = self.claim(owner, lease, true).await?
        {
            return Ok(Some(job));
        }
        if due == 0 {
            return Ok(None);
        }
        let now = now_ms();
        let last = self.turn.lock().map(|t| t.clone()).unwrap_or_default();
        for from in [last.as_str(), ""] {
            let Some(team) = self.next_turn(now, from).await? else {
                continue;
            };
            if let Ok(mut turn) = self.turn.lock() {
                turn.clone_from(&team);
            }
            let job = sqlx::query_as(dialect::claim_team_job(self.backend()))
                .bind(owner)
                .bind(now + duration_ms(lease))
                .bind(now)
                .bind(&team)
                .fetch_optional(self.pool())
                .await?;
            if job.is_some() {
                return Ok(job);
            }
            break;
        }
        self.claim(owner, lease, false).await
    }

    /// The first workspace after `after` (in `team_id` order) with a due job: one index
    /// probe per workspace (`jobs_team_due`), whatever the size of the backlog.
    async fn next_turn(&self, now: i64, after: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(NEXT_TURN)
            .bind(after)
            .bind(now)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The global claim: an expired lease's job, or the most overdue pending job.
    async fn claim(
        &self,
        owner: &str,
        lease: Duration,
        expired: bool,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let now = now_ms();
        Ok(sqlx::query_as(dialect::claim_job(self.backend(), expired))
            .bind(owner)
            .bind(now + duration_ms(lease))
            .bind(now)
            .fetch_optional(self.pool())
            .await?)
    }

    /// [`Store::complete_job`] inside the caller's transaction, with what the post
    /// recorded.
    pub async fn complete_job_in(
        conn: &mut AnyConnection,
        id: &str,
        owner: &str,
        result_ts: Option<&str>,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE jobs SET status = 'done', result_ts = $1, lease_owner = NULL, \
             lease_until = NULL, last_error = NULL, updated_at = $2 \
             WHERE id = $3 AND lease_owner = $4 AND status = 'running'",
        )
        .bind(result_ts)
        .bind(now_ms())
        .bind(id)
        .bind(owner)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Marks a job done, recording Slack's `ts` so it is never posted again.
    pub async fn complete_job(
        &self,
        id: &str,
        owner: &str,
        result_ts: Option<&str>,
    ) -> Result<bool, StoreError> {
        let _gate = self.write_gate().await;
        let mut conn = self.pool().acquire().await?;
        Store::complete_job_in(&mut conn, id, owner, result_ts).await
    }

    /// Puts a job back in the queue until `run_at`. `refund` gives the attempt back: a
    /// rate limit or pacing wait is not a failure. `maybe_posted` marks an attempt whose
    /// outcome is unknown (a timeout, a lost answer): the next one checks Slack first.
    #[allow(
        clippy::too_many_arguments,
        reason = "one UPDATE's parameters, named at the call"
    )]
    pub async fn reschedule_job(
        &self,
        id: &str,
        owner: &str,
        run_at: i64,
        error: Option<&str>,
        refund: bool,
        maybe_posted: bool,
    ) -> Result<bool, StoreError> {
        let _gate = self.write_gate().await;
        let n = sqlx::query(
            "UPDATE jobs SET status = 'pending', run_at = $1, \
             last_error = COALESCE($2, last_error), attempts = attempts - $3, \
             maybe_posted = CASE WHEN $4 = 1 THEN 1 ELSE maybe_posted END, \
             lease_owner = NULL, lease_until = NULL, updated_at = $5 \
             WHERE id = $6 AND lease_owner = $7 AND status = 'running'",
        )
        .bind(run_at)
        .bind(error)
        .bind(i64::from(refund))
        .bind(i64::from(maybe_posted))
        .bind(now_ms())
        .bind(id)
        .bind(owner)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Ends a job for good, inside the caller's transaction (which also queues the
    /// error report, so a crash cannot lose one without the other).
    pub async fn finish_job_failed(
        conn: &mut AnyConnection,
        id: &str,
        owner: &str,
        status: JobStatus,
        error: &str,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE jobs SET status = $1, last_error = $2, lease_owner = NULL, lease_until = NULL, \
             updated_at = $3 WHERE id = $4 AND lease_owner = $5 AND status = 'running'",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(now_ms())
        .bind(id)
        .bind(owner)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    pub async fn jobs_for_event(
        &self,
        team_id: &str,
        event_id: &str,
    ) -> Result<Vec<JobRecord>, StoreError> {
        Ok(sqlx::query_as(select_jobs!(
            "WHERE team_id = $1 AND event_id = $2 ORDER BY id"
        ))
        .bind(team_id)
        .bind(event_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn jobs_for_team(&self, team_id: &str) -> Result<Vec<JobRecord>, StoreError> {
        Ok(
            sqlx::query_as(select_jobs!("WHERE team_id = $1 ORDER BY id"))
                .bind(team_id)
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// The jobs due by `now` and still waiting for a worker: how many, and when the
    /// longest-waiting of them fell due. One range read of the `jobs_due` index, cheap
    /// enough for every scrape of `/metrics`.
    pub async fn due_backlog(&self, now: i64) -> Result<Backlog, StoreError> {
        let (due, oldest_due_at): (i64, Option<i64>) = sqlx::query_as(DUE_BACKLOG)
            .bind(now)
            .fetch_one(self.pool())
            .await?;
        Ok(Backlog { due, oldest_due_at })
    }

    /// When the earliest pending job falls due, so idle workers sleep exactly that long.
    pub async fn next_job_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(NEXT_DUE).fetch_one(self.pool()).await?)
    }
}

/// Due jobs waiting for a worker ([`Store::due_backlog`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub due: i64,
    /// Unix ms; None when no job is due.
    pub oldest_due_at: Option<i64>,
}

/// The latest finished delivery to a channel.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ChannelHealth {
    pub status: String,
    pub last_error: Option<String>,
    pub updated_at: i64,
}

/// A finished post and the route (rule ids) it was made for.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct FinishedPost {
    pub status: String,
    pub last_error: Option<String>,
    pub updated_at: i64,
    /// The `slack.post` job's route, as JSON.
    pub payload: String,
}

/// Deliveries finished since a time, by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeliveryCounts {
    pub delivered: i64,
    pub failed: i64,
}

impl Store {
    /// The latest finished posts to a channel, newest first, with their routes: what
    /// each rule's own health is read from (the `jobs_team_channel` index serves it).
    pub async fn finished_posts(
        &self,
        team_id: &str,
        channel: &str,
        limit: i64,
    ) -> Result<Vec<FinishedPost>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT status, last_error, updated_at, payload FROM jobs \
             WHERE team_id = $1 AND channel = $2 AND kind = 'slack.post' \
             AND status IN ('done', 'failed', 'dead') ORDER BY updated_at DESC LIMIT $3",
        )
        .bind(team_id)
        .bind(channel)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn delivery_counts(
        &self,
        team_id: &str,
        since_ms: i64,
    ) -> Result<DeliveryCounts, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, COUNT(*) FROM jobs WHERE team_id = $1 AND updated_at >= $2 \
             AND status IN ('done', 'failed', 'dead') GROUP BY status",
        )
        .bind(team_id)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        let mut counts = DeliveryCounts::default();
        for (status, n) in rows {
            if status == "done" {
                counts.delivered += n;
            } else {
                counts.failed += n;
            }
        }
        Ok(counts)
    }
}
