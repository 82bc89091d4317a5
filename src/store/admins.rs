//! Herald admins an owner named, besides the workspace's own admins and owners.

use super::{AuditAction, Change, Store, StoreError, now_ms};

impl Store {
    pub async fn is_listed_admin(&self, team_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM herald_admins WHERE team_id = $1 AND user_id = $2",
        )
        .bind(team_id)
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.is_some())
    }

    pub async fn listed_admins(&self, team_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM herald_admins WHERE team_id = $1 ORDER BY added_at, user_id",
        )
        .bind(team_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Adds or removes a listed admin; false when nothing changed.
    pub async fn set_listed_admin(
        &self,
        team_id: &str,
        user_id: &str,
        listed: bool,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let changed = if listed {
            sqlx::query(
                "INSERT INTO herald_admins (team_id, user_id, added_by, added_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (team_id, user_id) DO NOTHING",
            )
            .bind(team_id)
            .bind(user_id)
            .bind(actor)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            sqlx::query("DELETE FROM herald_admins WHERE team_id = $1 AND user_id = $2")
                .bind(team_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        };
        if changed == 1 {
            let change = Change {
                actor,
                action: if listed {
                    AuditAction::AdminAdded
                } else {
                    AuditAction::AdminRemoved
                },
                before: None,
                after: Some(user_id.to_string()),
            };
            super::audit::record(&mut tx, team_id, &change).await?;
        }
        tx.commit().await?;
        Ok(changed == 1)
    }
}
