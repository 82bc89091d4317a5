//! Failed deliveries, and putting them back in the queue: App Home's "Resend".
//!
//! A resend reuses the failed job's own row: its dedupe key still says "one post per
//! event and channel", its `maybe_posted` flag and first claim time still make the
//! worker look for a post an interrupted attempt may have made. So a resend can post at
//! most once, and only a job that is still failed or dead is requeued: a second press
//! while the first is queued finds nothing to do.

use sqlx::FromRow;

use super::audit::{AuditAction, Change, record};
use super::{Store, StoreError, now_ms};

/// A notification that failed for good.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct FailedPost {
    pub id: String,
    pub event_id: String,
    pub channel: Option<String>,
    pub status: String,
    pub last_error: Option<String>,
    /// When it failed (Unix ms).
    pub updated_at: i64,
}

impl Store {
    /// The workspace's notifications that failed for good since `since_ms`, newest
    /// first, at most `limit`.
    pub async fn failed_posts(
        &self,
        team_id: &str,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<FailedPost>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, event_id, channel, status, last_error, updated_at \
             FROM jobs WHERE team_id = $1 AND updated_at >= $2 \
             AND kind = 'slack.post' AND status IN ('failed', 'dead') \
             ORDER BY updated_at DESC, id DESC LIMIT $3",
        )
        .bind(team_id)
        .bind(since_ms)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Requeues those of `ids` that are still failed or dead, with a fresh retry budget,
    /// and audits who did it in the same transaction. Returns the ids requeued.
    pub async fn resend_jobs(
        &self,
        team_id: &str,
        ids: &[String],
        actor: &str,
    ) -> Result<Vec<String>, StoreError> {
        let now = now_ms();
        let _gate = self.write_gate().await;
        let mut tx = self.begin().await?;
        let mut requeued = Vec::new();
        for id in ids {
            let n = sqlx::query(
                "UPDATE jobs SET status = 'pending', attempts = 0, run_at = $1, \
                 lease_owner = NULL, lease_until = NULL, last_error = NULL, updated_at = $1 \
                 WHERE team_id = $2 AND id = $3 AND kind = 'slack.post' \
                 AND status IN ('failed', 'dead')",
            )
            .bind(now)
            .bind(team_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                requeued.push(id.clone());
            }
        }
        if !requeued.is_empty() {
            let change = Change {
                actor,
                action: AuditAction::DeliveriesResent,
                before: None,
                after: Some(serde_json::json!(requeued).to_string()),
            };
            record(&mut tx, team_id, &change).await?;
        }
        tx.commit().await?;
        Ok(requeued)
    }

    /// Whether none of `ids` is queued or running any more.
    pub async fn jobs_settled(&self, team_id: &str, ids: &[String]) -> Result<bool, StoreError> {
        for id in ids {
            let status: Option<String> =
                sqlx::query_scalar("SELECT status FROM jobs WHERE team_id = $1 AND id = $2")
                    .bind(team_id)
                    .bind(id)
                    .fetch_optional(self.pool())
                    .await?;
            if matches!(status.as_deref(), Some("pending" | "running")) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
