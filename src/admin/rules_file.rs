//! Rules as JSON files (`herald rules import|export`): validated as a whole first, so a
//! file with one bad entry changes nothing and the error names that entry and field.

use crate::core::rule::{FieldError, Rule};
use crate::core::rules_json::{RuleJson, validate_rules};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RulesFileError {
    #[error("the rules file is not a JSON array of rules: {0}")]
    Malformed(String),
    #[error("invalid rule {0}; nothing was imported")]
    Invalid(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Replaces the workspace's rules with the file's; returns the stored rules. `actor` is
/// recorded in the audit trail (a Slack user id, or `cli`).
pub async fn import(
    store: &Store,
    team_id: &str,
    json: &str,
    actor: &str,
) -> Result<Vec<Rule>, RulesFileError> {
    let entries: Vec<RuleJson> =
        serde_json::from_str(json).map_err(|e| RulesFileError::Malformed(e.to_string()))?;
    let rules = validate_rules(&entries).map_err(RulesFileError::Invalid)?;
    Ok(store.replace_rules(team_id, &rules, actor).await?)
}

/// The workspace's rules as a JSON array, in the import format.
pub async fn export(store: &Store, team_id: &str) -> Result<String, RulesFileError> {
    let rules: Vec<RuleJson> = store
        .rules(team_id)
        .await?
        .iter()
        .map(RuleJson::from)
        .collect();
    serde_json::to_string_pretty(&rules).map_err(|e| RulesFileError::Malformed(e.to_string()))
}
