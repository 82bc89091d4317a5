//! Retention: events and delivery outcomes are kept for a year (the seed's error log is
//! kept and exportable for a year), then deleted. This is the one cross-workspace
//! maintenance query; it never reads tenant data, only ages.

use super::{Store, StoreError};

/// What a purge removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    pub jobs: u64,
    pub events: u64,
    pub receipts: u64,
}

impl Store {
    /// Deletes finished jobs and their events older than `before_ms`, and Slack event
    /// receipts older than `receipts_before_ms`. Pending work is never deleted, nor an
    /// event that still has a job.
    pub async fn purge(
        &self,
        before_ms: i64,
        receipts_before_ms: i64,
    ) -> Result<Purged, StoreError> {
        let mut tx = self.begin().await?;
        let jobs = sqlx::query(
            "DELETE FROM jobs WHERE updated_at < $1 AND status IN ('done', 'failed', 'dead')",
        )
        .bind(before_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let events = sqlx::query(
            "DELETE FROM events WHERE received_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.event_id = events.id)",
        )
        .bind(before_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let receipts = sqlx::query("DELETE FROM slack_event_receipts WHERE received_at < $1")
            .bind(receipts_before_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Purged {
            jobs,
            events,
            receipts,
        })
    }
}
