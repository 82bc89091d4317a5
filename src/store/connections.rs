//! Webhook connections: each workspace's `POST /hooks/{id}` and its sealed secret.

use sqlx::FromRow;

use super::{AuditAction, Change, Store, StoreError, audit, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ConnectionRow {
    pub id: String,
    pub team_id: String,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    /// Unix ms; the previous secret is refused after it.
    pub previous_valid_until: Option<i64>,
    pub secret_shown_at: Option<i64>,
}

const COLUMNS: &str = "id, team_id, secret_sealed, previous_secret_sealed, \
                       previous_valid_until, secret_shown_at";

impl Store {
    pub async fn create_connection(
        &self,
        id: &str,
        team_id: &str,
        secret_sealed: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO connections (id, team_id, secret_sealed, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(id)
        .bind(team_id)
        .bind(secret_sealed)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn connection(&self, id: &str) -> Result<Option<ConnectionRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM connections WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The workspace's connections, oldest first.
    pub async fn connections_of(&self, team_id: &str) -> Result<Vec<ConnectionRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM connections WHERE team_id = $1 ORDER BY created_at, id"
        )))
        .bind(team_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Every connection, for `herald rekey`.
    pub async fn all_connections(&self) -> Result<Vec<ConnectionRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM connections ORDER BY id"
        )))
        .fetch_all(self.pool())
        .await?)
    }

    /// Records that an admin has seen the secret; true only for the first time, so the
    /// secret is shown once.
    pub async fn mark_secret_shown(&self, team_id: &str, id: &str) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE connections SET secret_shown_at = $1, updated_at = $1 \
             WHERE team_id = $2 AND id = $3 AND secret_shown_at IS NULL",
        )
        .bind(now_ms())
        .bind(team_id)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// A new secret; the current one becomes the previous one, valid until `grace_until`.
    /// The new secret counts as shown: the admin who rotated it sees it in the answer.
    pub async fn rotate_connection(
        &self,
        team_id: &str,
        id: &str,
        new_sealed: &str,
        grace_until: i64,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE connections SET previous_secret_sealed = secret_sealed, \
             previous_valid_until = $1, secret_sealed = $2, secret_shown_at = $3, \
             updated_at = $3 WHERE team_id = $4 AND id = $5",
        )
        .bind(grace_until)
        .bind(new_sealed)
        .bind(now)
        .bind(team_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            let change = Change {
                actor,
                action: AuditAction::WebhookSecretRotated,
                before: None,
                after: Some(id.to_string()),
            };
            audit::record(&mut tx, team_id, &change).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Re-sealed values under a new key (`herald rekey`).
    pub async fn reseal_connection(
        &self,
        id: &str,
        secret_sealed: &str,
        previous_sealed: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE connections SET secret_sealed = $1, previous_secret_sealed = $2, \
             updated_at = $3 WHERE id = $4",
        )
        .bind(secret_sealed)
        .bind(previous_sealed)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// Where a connection's platform receives replies from Slack.
impl Store {
    pub async fn set_callback_url(
        &self,
        team_id: &str,
        connection_id: &str,
        url: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO connection_callbacks (connection_id, team_id, url, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (connection_id) DO UPDATE SET \
             url = excluded.url, updated_at = excluded.updated_at \
             WHERE connection_callbacks.team_id = excluded.team_id",
        )
        .bind(connection_id)
        .bind(team_id)
        .bind(url)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn callback_url(
        &self,
        team_id: &str,
        connection_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT url FROM connection_callbacks WHERE team_id = $1 AND connection_id = $2",
        )
        .bind(team_id)
        .bind(connection_id)
        .fetch_optional(self.pool())
        .await?)
    }
}
