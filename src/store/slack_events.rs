//! Receipts of Slack Events API deliveries, so a retried delivery is handled once, and a
//! delivery whose handling failed (or whose process died) is handled again.
//!
//! A receipt is *claimed* before the event is handled and *finished* after its effect is
//! stored. Handling that fails releases the claim, so Slack's retry (HTTP
//! `X-Slack-Retry-Num`, a Socket Mode redelivery) is handled as new. A claim left behind by
//! a process that died is taken over by a retry once it is older than the stale age; a
//! retry that finds a fresh claim (another process is handling it now) is told to come
//! back later, so Slack retries it instead of it being dropped.

use super::{Store, StoreError, now_ms};

/// What a delivery's receipt says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// First delivery (or the takeover of a dead claim): handle it, then finish it.
    Claimed,
    /// Handled already: acknowledge and do nothing.
    Done,
    /// Being handled elsewhere right now: answer so that Slack retries later.
    InProgress,
}

impl Store {
    /// Claims an event delivery for handling.
    pub async fn claim_slack_event(
        &self,
        team_id: &str,
        event_id: &str,
        event_type: &str,
        stale_after_ms: i64,
    ) -> Result<Receipt, StoreError> {
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO slack_event_receipts (team_id, event_id, event_type, received_at, \
             state, claimed_at) VALUES ($1, $2, $3, $4, 'handling', $4) \
             ON CONFLICT (team_id, event_id) DO NOTHING",
        )
        .bind(team_id)
        .bind(event_id)
        .bind(event_type)
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Receipt::Claimed);
        }
        let taken_over = sqlx::query(
            "UPDATE slack_event_receipts SET claimed_at = $1 WHERE team_id = $2 \
             AND event_id = $3 AND state = 'handling' AND claimed_at < $4",
        )
        .bind(now)
        .bind(team_id)
        .bind(event_id)
        .bind(now - stale_after_ms)
        .execute(self.pool())
        .await?
        .rows_affected();
        if taken_over == 1 {
            return Ok(Receipt::Claimed);
        }
        let state: Option<String> = sqlx::query_scalar(
            "SELECT state FROM slack_event_receipts WHERE team_id = $1 AND event_id = $2",
        )
        .bind(team_id)
        .bind(event_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(match state.as_deref() {
            Some("handling") => Receipt::InProgress,
            Some(_) => Receipt::Done,
            // Released between the two statements: the caller answers "retry".
            None => Receipt::InProgress,
        })
    }

    /// The event's effect is stored: later deliveries are duplicates.
    pub async fn finish_slack_event(
        &self,
        team_id: &str,
        event_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE slack_event_receipts SET state = 'done' WHERE team_id = $1 AND event_id = $2",
        )
        .bind(team_id)
        .bind(event_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Handling failed: forget the claim so Slack's retry is handled.
    pub async fn release_slack_event(
        &self,
        team_id: &str,
        event_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM slack_event_receipts WHERE team_id = $1 AND event_id = $2 \
             AND state = 'handling'",
        )
        .bind(team_id)
        .bind(event_id)
        .execute(self.pool())
        .await?;
        Ok(())
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
