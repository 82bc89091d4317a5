//! The audit trail: one row per change, written in the change's own transaction.

use sqlx::{AnyConnection, FromRow};

use super::{Store, StoreError, new_id, now_ms};

/// What was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    RuleAdded,
    RuleEdited,
    RuleDeleted,
    RulesImported,
    LanguageChanged,
    AdminAdded,
    AdminRemoved,
    /// Installed or reinstalled with "Add to Slack".
    Installed,
    WebhookSecretRotated,
    Disconnected,
    /// A Herald admin linked someone to a platform operator (possibly taking it from
    /// whoever held it).
    OperatorLinked,
    /// A Herald admin put failed deliveries back in the queue (App Home's Resend).
    DeliveriesResent,
    /// A Herald admin turned reactions as actions on or off (`/herald reactions`).
    ReactionsChanged,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::RuleAdded => "rule.added",
            AuditAction::RuleEdited => "rule.edited",
            AuditAction::RuleDeleted => "rule.deleted",
            AuditAction::RulesImported => "rules.imported",
            AuditAction::LanguageChanged => "language.changed",
            AuditAction::AdminAdded => "admin.added",
            AuditAction::AdminRemoved => "admin.removed",
            AuditAction::Installed => "workspace.installed",
            AuditAction::WebhookSecretRotated => "connection.rotated",
            AuditAction::Disconnected => "workspace.disconnected",
            AuditAction::OperatorLinked => "operator.linked",
            AuditAction::DeliveriesResent => "deliveries.resent",
            AuditAction::ReactionsChanged => "reactions.changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::RuleAdded,
            Self::RuleEdited,
            Self::RuleDeleted,
            Self::RulesImported,
            Self::LanguageChanged,
            Self::AdminAdded,
            Self::AdminRemoved,
            Self::Installed,
            Self::WebhookSecretRotated,
            Self::Disconnected,
            Self::OperatorLinked,
            Self::DeliveriesResent,
            Self::ReactionsChanged,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// Who did it: a Slack user id, or `cli` for `herald rules import`.
pub struct Change<'a> {
    pub actor: &'a str,
    pub action: AuditAction,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AuditEntry {
    pub actor: String,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub at: i64,
}

pub async fn record(
    conn: &mut AnyConnection,
    team_id: &str,
    change: &Change<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (id, team_id, actor, action, before_json, after_json, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id("aud"))
    .bind(team_id)
    .bind(change.actor)
    .bind(change.action.as_str())
    .bind(change.before.as_deref())
    .bind(change.after.as_deref())
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// The workspace's latest changes, newest first.
    pub async fn audit(&self, team_id: &str, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT actor, action, before_json, after_json, at FROM audit_log \
             WHERE team_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(team_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
