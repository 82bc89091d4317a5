//! Receipts of Slack Events API deliveries, so a retried delivery is handled once.

use super::{Store, StoreError, now_ms};

impl Store {
    /// Records an event delivery; false when it was already recorded (a retry).
    pub async fn record_slack_event(
        &self,
        team_id: &str,
        event_id: &str,
        event_type: &str,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO slack_event_receipts (team_id, event_id, event_type, received_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (team_id, event_id) DO NOTHING",
        )
        .bind(team_id)
        .bind(event_id)
        .bind(event_type)
        .bind(now_ms())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    pub async fn count_slack_events(&self, team_id: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM slack_event_receipts WHERE team_id = $1")
                .bind(team_id)
                .fetch_one(self.pool())
                .await?,
        )
    }
}
