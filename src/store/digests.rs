//! Digests (`core::hours`): the notifications a channel's digest lists, kept as held
//! `slack.post` jobs. Written in the ingest transaction with their jobs; read by the
//! digest job; ended (done with the digest's ts, or failed with its reason) in the
//! transaction that ends the digest, so a crash between posting and recording lists
//! them again in the same digest (found by its job id), never twice and never lost.

use sqlx::AnyConnection;

use super::{JobStatus, Store, StoreError, now_ms};

/// One kept notification: its held job's route and its event's body.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DigestEntry {
    pub job_id: String,
    pub event_id: String,
    pub payload: String,
    pub body: String,
}

/// Records a held job as an item of its channel's digest at `opens_at`.
pub async fn keep_for_digest(
    conn: &mut AnyConnection,
    team_id: &str,
    channel: &str,
    opens_at: i64,
    job_id: &str,
    event_id: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO digest_items (job_id, team_id, channel, opens_at, event_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(job_id)
    .bind(team_id)
    .bind(channel)
    .bind(opens_at)
    .bind(event_id)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// The items of one digest still held, in the order they arrived.
    pub async fn digest_entries(
        &self,
        team_id: &str,
        channel: &str,
        opens_at: i64,
    ) -> Result<Vec<DigestEntry>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT d.job_id, d.event_id, j.payload, e.body FROM digest_items d \
             JOIN jobs j ON j.id = d.job_id \
             JOIN events e ON e.id = d.event_id AND e.team_id = d.team_id \
             WHERE d.team_id = $1 AND d.channel = $2 AND d.opens_at = $3 AND j.status = 'held' \
             ORDER BY d.created_at, d.job_id",
        )
        .bind(team_id)
        .bind(channel)
        .bind(opens_at)
        .fetch_all(self.pool())
        .await?)
    }
}

/// Ends the listed items of a digest, in the transaction that ends the digest: done with
/// the digest's ts, or failed with its reason. Returns how many items of that digest are
/// left (kept while it ran): the caller queues a further digest for them.
pub async fn end_digest_items_in(
    conn: &mut AnyConnection,
    team_id: &str,
    (channel, opens_at): (&str, i64),
    job_ids: &[String],
    end: &DigestEnd<'_>,
) -> Result<i64, StoreError> {
    let now = now_ms();
    for id in job_ids {
        let (status, ts, error) = match end {
            DigestEnd::Posted { ts } => (JobStatus::Done, Some(*ts), None),
            DigestEnd::Failed { status, reason } => (*status, None, Some(*reason)),
        };
        sqlx::query(
            "UPDATE jobs SET status = $1, result_ts = $2, last_error = $3, updated_at = $4 \
             WHERE id = $5 AND team_id = $6 AND status = 'held'",
        )
        .bind(status.as_str())
        .bind(ts)
        .bind(error)
        .bind(now)
        .bind(id)
        .bind(team_id)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM digest_items WHERE job_id = $1 AND team_id = $2")
            .bind(id)
            .bind(team_id)
            .execute(&mut *conn)
            .await?;
    }
    let (left,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM digest_items d JOIN jobs j ON j.id = d.job_id \
         WHERE d.team_id = $1 AND d.channel = $2 AND d.opens_at = $3 AND j.status = 'held'",
    )
    .bind(team_id)
    .bind(channel)
    .bind(opens_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(left)
}

/// How a digest ended, for its items.
#[derive(Debug, Clone, Copy)]
pub enum DigestEnd<'a> {
    Posted { ts: &'a str },
    Failed { status: JobStatus, reason: &'a str },
}
