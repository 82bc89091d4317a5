//! Queries on jobs that wait for a person: callbacks held until their author claims an
//! operator, and replies in their undo window (cancelled, sent now, or rewritten).

use super::{Store, StoreError, now_ms};

impl Store {
    /// Callbacks held for their author to claim an operator: (job id, payload).
    pub async fn held_callbacks(
        &self,
        team_id: &str,
        kind: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, payload FROM jobs WHERE team_id = $1 AND kind = $2 \
             AND status = 'held' ORDER BY id",
        )
        .bind(team_id)
        .bind(kind)
        .fetch_all(self.pool())
        .await?)
    }

    /// Releases a held job with its new payload, to run now.
    pub async fn release_job(&self, id: &str, payload: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let n = sqlx::query(
            "UPDATE jobs SET status = 'pending', payload = $1, run_at = $2, updated_at = $2 \
             WHERE id = $3 AND status = 'held'",
        )
        .bind(payload)
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// A reply's callback that has not been sent yet (inside its undo window, or held).
    pub async fn pending_callback(
        &self,
        team_id: &str,
        event_id: &str,
        kind: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        // Only one waiting on purpose (undo window, or held): a note queued a moment ago
        // is not rewritten by its edit; the edit follows it.
        Ok(sqlx::query_as(
            "SELECT id, payload FROM jobs WHERE team_id = $1 AND event_id = $2 AND kind = $3 \
             AND (status = 'held' OR (status = 'pending' AND run_at > $4)) ORDER BY id LIMIT 1",
        )
        .bind(team_id)
        .bind(event_id)
        .bind(kind)
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?)
    }

    /// Replaces a job's payload while it waits; false if a worker took it meanwhile.
    pub async fn update_pending_payload(
        &self,
        id: &str,
        payload: &str,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE jobs SET payload = $1, updated_at = $2 WHERE id = $3 \
             AND status IN ('pending', 'held')",
        )
        .bind(payload)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Cancels a waiting job (an undone or deleted reply); false if already taken.
    pub async fn cancel_pending_job(
        &self,
        team_id: &str,
        id: &str,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE jobs SET status = 'failed', last_error = $1, updated_at = $2 \
             WHERE team_id = $3 AND id = $4 AND status IN ('pending', 'held')",
        )
        .bind(reason)
        .bind(now_ms())
        .bind(team_id)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Sends a waiting job now ("Send now"). A held job stays held: it waits for its
    /// author to claim an operator, not for time.
    pub async fn run_pending_job_now(&self, team_id: &str, id: &str) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE jobs SET run_at = $1, updated_at = $1 \
             WHERE team_id = $2 AND id = $3 AND status = 'pending'",
        )
        .bind(now_ms())
        .bind(team_id)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// A job's payload, scoped to its workspace.
    pub async fn job_payload(&self, team_id: &str, id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT payload FROM jobs WHERE team_id = $1 AND id = $2")
                .bind(team_id)
                .bind(id)
                .fetch_optional(self.pool())
                .await?,
        )
    }
}
