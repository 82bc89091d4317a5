//! Single-use values (replayed Slack requests, used install states), kept until they
//! expire. In the database so the answer is the same for every Herald process on one
//! PostgreSQL and survives a restart.

use super::{Store, StoreError, now_ms};

impl Store {
    /// Records `nonce` of `kind` as used until `expires_at` (Unix ms). True the first
    /// time; false when it was already used and has not expired. One statement, so two
    /// processes racing on the same value cannot both see "first".
    pub async fn use_nonce(
        &self,
        kind: &str,
        nonce: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        // Expired rows go now and then: one request in 64 pays for a small indexed delete.
        if fastrand::u8(..64) == 0 {
            sqlx::query("DELETE FROM used_nonces WHERE expires_at < $1")
                .bind(now)
                .execute(self.pool())
                .await?;
        }
        // An expired row that was not purged yet counts as unused.
        let done = sqlx::query(
            "INSERT INTO used_nonces (kind, nonce, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (kind, nonce) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE used_nonces.expires_at < $4",
        )
        .bind(kind)
        .bind(nonce)
        .bind(expires_at)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
