//! What the error log (`/herald log`, `herald log export`) reads: a workspace's events
//! of a time range with the jobs each made, and its callbacks to the platform.
//!
//! Paged by keyset (the last row's `(time, id)`), never by `OFFSET`: a page costs the
//! same at row 100,000 as at row 1, and a row written while the export runs cannot shift
//! the pages already read. Events page on `events_team_received` (team, received_at);
//! their jobs are read per page on `jobs_team_event` (team, event id); callbacks, whose
//! event ids are Herald's own (`slack:…`, not rows of `events`), page on
//! `jobs_team_kind_created`. Portable SQL only: both backends run every query.

use sqlx::FromRow;

use super::{Store, StoreError};

/// One event of the range.
#[derive(Debug, Clone, FromRow)]
pub struct LoggedEvent {
    pub id: String,
    pub connection_id: String,
    pub webhook_id: String,
    pub event_type: String,
    pub body: String,
    pub route_count: i64,
    pub received_at: i64,
}

/// One job, as the log shows it.
#[derive(Debug, Clone, FromRow)]
pub struct LoggedJob {
    pub id: String,
    pub kind: String,
    pub event_id: String,
    pub channel: Option<String>,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub result_ts: Option<String>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// Where the next page starts: after this `(time, id)`.
pub type Cursor = (i64, String);

/// Event ids per `IN (…)` list: SQLite's binding cost grows with the square of a
/// statement's parameters (see `events::CHUNK`).
const IDS_PER_QUERY: usize = 100;

const JOB_COLUMNS: &str =
    "id, kind, event_id, channel, payload, status, attempts, result_ts, last_error, created_at";

impl Store {
    /// Up to `limit` events of the workspace received in `[since, until)`, oldest first,
    /// after `after` (None: from the start of the range).
    pub async fn logged_events(
        &self,
        team_id: &str,
        (since, until): (i64, i64),
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let (at, id) = after.map_or((since, ""), |(at, id)| (*at, id.as_str()));
        Ok(sqlx::query_as(
            "SELECT id, connection_id, webhook_id, event_type, body, route_count, received_at \
             FROM events WHERE team_id = $1 AND received_at >= $2 AND received_at < $3 \
             AND (received_at > $4 OR (received_at = $4 AND id > $5)) \
             ORDER BY received_at, id LIMIT $6",
        )
        .bind(team_id)
        .bind(since)
        .bind(until)
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The jobs these events made, except callbacks (read by [`Store::logged_callbacks`]),
    /// in id order (the order they were queued).
    pub async fn logged_jobs_of(
        &self,
        team_id: &str,
        event_ids: &[&str],
        callback_kind: &str,
    ) -> Result<Vec<LoggedJob>, StoreError> {
        let mut jobs = Vec::new();
        for chunk in event_ids.chunks(IDS_PER_QUERY) {
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
            let sql = format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE team_id = $1 AND kind <> $2 \
                 AND event_id IN ({}) ORDER BY id",
                list.join(", ")
            );
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(team_id)
                .bind(callback_kind);
            for id in chunk {
                query = query.bind(*id);
            }
            let rows: Vec<LoggedJob> = query.fetch_all(self.pool()).await?;
            jobs.extend(rows);
        }
        Ok(jobs)
    }

    /// Up to `limit` jobs of `kind` queued in `[since, until)`, oldest first, after
    /// `after`: the callbacks to the platform.
    pub async fn logged_callbacks(
        &self,
        team_id: &str,
        kind: &str,
        (since, until): (i64, i64),
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<LoggedJob>, StoreError> {
        let (at, id) = after.map_or((since, ""), |(at, id)| (*at, id.as_str()));
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE team_id = $1 AND kind = $2 \
             AND created_at >= $3 AND created_at < $4 \
             AND (created_at > $5 OR (created_at = $5 AND id > $6)) \
             ORDER BY created_at, id LIMIT $7"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(team_id)
            .bind(kind)
            .bind(since)
            .bind(until)
            .bind(at)
            .bind(id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }
}
