//! Workspaces: who Herald serves, whether they are still connected, their language.

use super::{Store, StoreError, now_ms};

/// What can change about a workspace while Herald runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkspaceState {
    /// Why it is disconnected; None while connected.
    pub disconnect_reason: Option<String>,
    /// Set with `/herald lang`; None means the deployment's default.
    pub lang: Option<String>,
    /// `/herald reactions off`: ✅ and 👀 in Herald's threads ask the platform nothing.
    pub reactions_off: bool,
}

/// A workspace as an install stored it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InstalledWorkspace {
    pub team_id: String,
    pub team_name: String,
    pub bot_user_id: String,
    /// None once disconnected (the token is deleted) or for single-workspace mode.
    pub bot_token_sealed: Option<String>,
    pub installed_by: Option<String>,
}

impl Store {
    /// Stores an install (or reinstall): the sealed token replaces any earlier one, the
    /// workspace is connected again, and rules, threads and history stay as they were.
    pub async fn save_installation(
        &self,
        workspace: &InstalledWorkspace,
        scopes: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO workspaces (team_id, team_name, bot_user_id, bot_token_sealed, scopes, \
             installed_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (team_id) DO UPDATE SET team_name = excluded.team_name, \
             bot_user_id = excluded.bot_user_id, bot_token_sealed = excluded.bot_token_sealed, \
             scopes = excluded.scopes, installed_by = excluded.installed_by, \
             disconnected_at = NULL, disconnect_reason = NULL, updated_at = excluded.updated_at",
        )
        .bind(&workspace.team_id)
        .bind(&workspace.team_name)
        .bind(&workspace.bot_user_id)
        .bind(workspace.bot_token_sealed.as_deref())
        .bind(scopes)
        .bind(workspace.installed_by.as_deref())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let change = super::Change {
            actor: workspace.installed_by.as_deref().unwrap_or("slack"),
            action: super::AuditAction::Installed,
            before: None,
            after: Some(scopes.to_string()),
        };
        super::audit::record(&mut tx, &workspace.team_id, &change).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn installed_workspace(
        &self,
        team_id: &str,
    ) -> Result<Option<InstalledWorkspace>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT team_id, team_name, bot_user_id, bot_token_sealed, installed_by \
             FROM workspaces WHERE team_id = $1",
        )
        .bind(team_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Every workspace with a stored token, for `herald rekey`.
    pub async fn installed_workspaces(&self) -> Result<Vec<InstalledWorkspace>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT team_id, team_name, bot_user_id, bot_token_sealed, installed_by \
             FROM workspaces WHERE bot_token_sealed IS NOT NULL ORDER BY team_id",
        )
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn reseal_bot_token(&self, team_id: &str, sealed: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE workspaces SET bot_token_sealed = $1, updated_at = $2 WHERE team_id = $3",
        )
        .bind(sealed)
        .bind(now_ms())
        .bind(team_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Registers (or refreshes) the workspace a bot token belongs to.
    pub async fn upsert_workspace(
        &self,
        team_id: &str,
        team_name: &str,
        bot_user_id: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO workspaces (team_id, team_name, bot_user_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (team_id) DO UPDATE SET \
             team_name = excluded.team_name, bot_user_id = excluded.bot_user_id, \
             disconnected_at = NULL, disconnect_reason = NULL, updated_at = excluded.updated_at",
        )
        .bind(team_id)
        .bind(team_name)
        .bind(bot_user_id)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Team ids of the registered workspaces.
    pub async fn workspace_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT team_id FROM workspaces ORDER BY team_id")
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Marks the workspace disconnected and ends its pending jobs with `reason`, in one
    /// transaction; returns how many jobs were stopped. Jobs already running finish (or
    /// fail on the revoked token) on their own.
    pub async fn disconnect_workspace(
        &self,
        team_id: &str,
        reason: &str,
        actor: &str,
    ) -> Result<u64, StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        // The token goes: a disconnected workspace's token must not be usable from here.
        sqlx::query(
            "UPDATE workspaces SET disconnected_at = $1, disconnect_reason = $2, updated_at = $1, \
             bot_token_sealed = NULL WHERE team_id = $3",
        )
        .bind(now)
        .bind(reason)
        .bind(team_id)
        .execute(&mut *tx)
        .await?;
        let stopped = sqlx::query(
            "UPDATE jobs SET status = 'failed', last_error = $1, updated_at = $2 \
             WHERE team_id = $3 AND status IN ('pending', 'held')",
        )
        .bind(reason)
        .bind(now)
        .bind(team_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let change = super::Change {
            actor,
            action: super::AuditAction::Disconnected,
            before: None,
            after: Some(reason.to_string()),
        };
        super::audit::record(&mut tx, team_id, &change).await?;
        tx.commit().await?;
        Ok(stopped)
    }

    /// Why the workspace is disconnected, or None while it is connected.
    pub async fn disconnect_reason(&self, team_id: &str) -> Result<Option<String>, StoreError> {
        let reason: Option<Option<String>> = sqlx::query_scalar(
            "SELECT disconnect_reason FROM workspaces WHERE team_id = $1 \
             AND disconnected_at IS NOT NULL",
        )
        .bind(team_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(reason.map(Option::unwrap_or_default))
    }

    pub async fn workspace_state(&self, team_id: &str) -> Result<WorkspaceState, StoreError> {
        /// disconnected_at, disconnect_reason, lang, reactions_off.
        type Row = (Option<i64>, Option<String>, Option<String>, i64);
        let row: Option<Row> = sqlx::query_as(
            "SELECT disconnected_at, disconnect_reason, lang, reactions_off FROM workspaces \
             WHERE team_id = $1",
        )
        .bind(team_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map_or_else(
            WorkspaceState::default,
            |(at, reason, lang, reactions_off)| WorkspaceState {
                disconnect_reason: at.map(|_| reason.unwrap_or_default()),
                lang,
                reactions_off: reactions_off != 0,
            },
        ))
    }

    pub async fn set_workspace_lang(
        &self,
        team_id: &str,
        lang: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        let before = self.workspace_state(team_id).await?.lang;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE workspaces SET lang = $1, updated_at = $2 WHERE team_id = $3")
            .bind(lang)
            .bind(now_ms())
            .bind(team_id)
            .execute(&mut *tx)
            .await?;
        let change = super::Change {
            actor,
            action: super::AuditAction::LanguageChanged,
            before,
            after: Some(lang.to_string()),
        };
        super::audit::record(&mut tx, team_id, &change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Turns reactions as actions on or off, with its audit entry; false when it was
    /// already so (nothing written).
    pub async fn set_workspace_reactions(
        &self,
        team_id: &str,
        on: bool,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let word = |on: bool| if on { "on" } else { "off" };
        let _gate = self.write_gate().await;
        let mut tx = self.begin().await?;
        let changed = sqlx::query(
            "UPDATE workspaces SET reactions_off = $1, updated_at = $2 \
             WHERE team_id = $3 AND reactions_off <> $1",
        )
        .bind(i64::from(!on))
        .bind(now_ms())
        .bind(team_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if changed {
            let change = super::Change {
                actor,
                action: super::AuditAction::ReactionsChanged,
                before: Some(word(!on).to_string()),
                after: Some(word(on).to_string()),
            };
            super::audit::record(&mut tx, team_id, &change).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }
}
