//! Notification rules, per workspace.

use sqlx::FromRow;

use super::flag::Flag;
use super::{AuditAction, Change, Store, StoreError, new_id, now_ms};
use crate::core::catalog::{ErrorCategory, EventType};
use crate::core::ids::ChannelId;
use crate::core::rule::{Lifecycle, Mention, Mentions, NewRule, Rule, RuleOptions, RuleTrigger};
use crate::core::rules_json::{OptionsJson, RuleJson};

#[derive(FromRow)]
struct RuleRow {
    id: String,
    team_id: String,
    kind: String,
    event_type: Option<String>,
    meeting_type: Option<String>,
    categories: Option<String>,
    channel: String,
    mentions: String,
    #[sqlx(try_from = "Flag")]
    enabled: bool,
    backup: Option<String>,
    lifecycle: Option<String>,
    options: Option<String>,
}

impl RuleRow {
    fn into_rule(self) -> Result<Rule, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("rule {}: {what}", self.id));
        let trigger = match self.kind.as_str() {
            "event" => RuleTrigger::Event {
                event_type: self
                    .event_type
                    .as_deref()
                    .and_then(|t| EventType::parse(t).ok())
                    .ok_or_else(|| corrupt("event_type"))?,
                meeting_type: self.meeting_type.clone(),
            },
            "error" => {
                let names: Vec<String> = self
                    .categories
                    .as_deref()
                    .and_then(|c| serde_json::from_str(c).ok())
                    .ok_or_else(|| corrupt("categories"))?;
                RuleTrigger::Error {
                    categories: names
                        .iter()
                        .map(|n| n.parse::<ErrorCategory>())
                        .collect::<Result<_, _>>()
                        .map_err(|()| corrupt("categories"))?,
                }
            }
            _ => return Err(corrupt("kind")),
        };
        let mention_ids: Vec<String> =
            serde_json::from_str(&self.mentions).map_err(|_| corrupt("mentions"))?;
        Ok(Rule {
            trigger,
            channel: ChannelId::parse_target(&self.channel).map_err(|_| corrupt("channel"))?,
            mentions: Mentions::parse_all(&mention_ids).map_err(|_| corrupt("mentions"))?,
            enabled: self.enabled,
            backup: match self.backup.as_deref() {
                None | Some("") => None,
                Some(id) => Some(Mention::parse(id).map_err(|_| corrupt("backup"))?),
            },
            lifecycle: self
                .lifecycle
                .as_deref()
                .and_then(Lifecycle::parse)
                .unwrap_or_default(),
            options: match self.options.as_deref() {
                None | Some("") => RuleOptions::default(),
                Some(json) => options_from_json(json).ok_or_else(|| corrupt("options"))?,
            },
            id: self.id,
            team_id: self.team_id,
        })
    }
}

impl Store {
    /// The workspace's rules in their saved order.
    pub async fn rules(&self, team_id: &str) -> Result<Vec<Rule>, StoreError> {
        let rows: Vec<RuleRow> = sqlx::query_as(
            "SELECT id, team_id, kind, event_type, meeting_type, categories, channel, mentions, \
             enabled, backup, lifecycle, options FROM rules WHERE team_id = $1 ORDER BY position, id",
        )
        .bind(team_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(RuleRow::into_rule).collect()
    }

    /// Adds one rule after the workspace's others; returns it as stored.
    pub async fn add_rule(
        &self,
        team_id: &str,
        rule: &NewRule,
        actor: &str,
    ) -> Result<Rule, StoreError> {
        let mut tx = self.begin().await?;
        let position: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(position), -1) + 1 FROM rules WHERE team_id = $1",
        )
        .bind(team_id)
        .fetch_one(&mut *tx)
        .await?;
        let id = new_id("rul");
        insert_rule(&mut tx, team_id, &id, rule, position).await?;
        sqlx::query("UPDATE rules SET owner = $1 WHERE id = $2")
            .bind(owner(actor))
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        let change = Change {
            actor,
            action: AuditAction::RuleAdded,
            before: None,
            after: Some(rule_json(rule)),
        };
        super::audit::record(&mut tx, team_id, &change).await?;
        tx.commit().await?;
        self.rules(team_id)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| StoreError::Corrupt(format!("rule {id} vanished after insert")))
    }

    /// One of the workspace's rules.
    pub async fn rule(&self, team_id: &str, rule_id: &str) -> Result<Option<Rule>, StoreError> {
        Ok(self
            .rules(team_id)
            .await?
            .into_iter()
            .find(|r| r.id == rule_id))
    }

    /// A rule's version: it grows with every edit, so an edit made from an older view of
    /// the rule is recognised as a conflict.
    pub async fn rule_version(
        &self,
        team_id: &str,
        rule_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT version FROM rules WHERE team_id = $1 AND id = $2")
                .bind(team_id)
                .bind(rule_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Saves an edit made to `version` of a rule; anything newer in the store wins and is
    /// reported as a conflict, never overwritten.
    pub async fn update_rule(
        &self,
        team_id: &str,
        rule_id: &str,
        version: i64,
        rule: &NewRule,
        actor: &str,
    ) -> Result<RuleUpdate, StoreError> {
        let Some(before) = self.rule(team_id, rule_id).await? else {
            return Ok(RuleUpdate::Missing);
        };
        let (kind, event_type, meeting_type, categories) = columns(rule);
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE rules SET kind = $1, event_type = $2, meeting_type = $3, categories = $4, \
             channel = $5, mentions = $6, enabled = $7, version = version + 1, updated_at = $8, \
             owner = $12, backup = $13, lifecycle = $14, options = $15 \
             WHERE team_id = $9 AND id = $10 AND version = $11",
        )
        .bind(kind)
        .bind(event_type)
        .bind(meeting_type)
        .bind(categories)
        .bind(rule.channel.as_str())
        .bind(serde_json::json!(rule.mentions.ids()).to_string())
        .bind(i64::from(rule.enabled))
        .bind(now_ms())
        .bind(team_id)
        .bind(rule_id)
        .bind(version)
        .bind(owner(actor))
        .bind(rule.backup.as_ref().map(Mention::id))
        .bind(rule.lifecycle.as_str())
        .bind(options_json(&rule.options))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(RuleUpdate::Conflict);
        }
        let change = Change {
            actor,
            action: AuditAction::RuleEdited,
            before: Some(serde_json::to_string(&RuleJson::from(&before)).unwrap_or_default()),
            after: Some(rule_json(rule)),
        };
        super::audit::record(&mut tx, team_id, &change).await?;
        tx.commit().await?;
        Ok(RuleUpdate::Updated)
    }

    /// Deletes one of the workspace's rules; false when it has no such rule.
    pub async fn delete_rule(
        &self,
        team_id: &str,
        rule_id: &str,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let Some(before) = self.rule(team_id, rule_id).await? else {
            return Ok(false);
        };
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM rules WHERE team_id = $1 AND id = $2")
            .bind(team_id)
            .bind(rule_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 1 {
            let change = Change {
                actor,
                action: AuditAction::RuleDeleted,
                before: Some(serde_json::to_string(&RuleJson::from(&before)).unwrap_or_default()),
                after: None,
            };
            super::audit::record(&mut tx, team_id, &change).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Replaces all rules of a workspace in one transaction (import is all or nothing).
    pub async fn replace_rules(
        &self,
        team_id: &str,
        rules: &[NewRule],
        actor: &str,
    ) -> Result<Vec<Rule>, StoreError> {
        let before: Vec<RuleJson> = self
            .rules(team_id)
            .await?
            .iter()
            .map(RuleJson::from)
            .collect();
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM rules WHERE team_id = $1")
            .bind(team_id)
            .execute(&mut *tx)
            .await?;
        for (position, rule) in rules.iter().enumerate() {
            let position = i64::try_from(position).unwrap_or(i64::MAX);
            insert_rule(&mut tx, team_id, &new_id("rul"), rule, position).await?;
        }
        let after: Vec<String> = rules.iter().map(rule_json).collect();
        let change = Change {
            actor,
            action: AuditAction::RulesImported,
            before: Some(serde_json::to_string(&before).unwrap_or_default()),
            after: Some(format!("[{}]", after.join(","))),
        };
        super::audit::record(&mut tx, team_id, &change).await?;
        tx.commit().await?;
        self.rules(team_id).await
    }
}

/// What became of an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleUpdate {
    Updated,
    /// Someone changed the rule since the editor read it.
    Conflict,
    /// Someone deleted it.
    Missing,
}

/// The stored columns of a rule's trigger: kind, event type, meeting type, categories.
fn columns(
    rule: &NewRule,
) -> (
    &'static str,
    Option<&'static str>,
    Option<&str>,
    Option<String>,
) {
    match &rule.trigger {
        RuleTrigger::Event {
            event_type,
            meeting_type,
        } => (
            "event",
            Some(event_type.as_str()),
            meeting_type.as_deref(),
            None,
        ),
        RuleTrigger::Error { categories } => {
            let names: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
            (
                "error",
                None,
                None,
                Some(serde_json::json!(names).to_string()),
            )
        }
    }
}

async fn insert_rule(
    conn: &mut sqlx::AnyConnection,
    team_id: &str,
    id: &str,
    rule: &NewRule,
    position: i64,
) -> Result<(), StoreError> {
    let (kind, event_type, meeting_type, categories) = columns(rule);
    let now = now_ms();
    sqlx::query(
        "INSERT INTO rules (id, team_id, kind, event_type, meeting_type, categories, \
         channel, mentions, enabled, position, version, created_at, updated_at, backup, \
         lifecycle, options) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11, $12, $13, \
         $14)",
    )
    .bind(id)
    .bind(team_id)
    .bind(kind)
    .bind(event_type)
    .bind(meeting_type)
    .bind(categories)
    .bind(rule.channel.as_str())
    .bind(serde_json::json!(rule.mentions.ids()).to_string())
    .bind(i64::from(rule.enabled))
    .bind(position)
    .bind(now)
    .bind(rule.backup.as_ref().map(Mention::id))
    .bind(rule.lifecycle.as_str())
    .bind(options_json(&rule.options))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A rule as the JSON of `herald rules export`, for the audit trail.
fn rule_json(rule: &NewRule) -> String {
    let stored = Rule {
        id: String::new(),
        team_id: String::new(),
        trigger: rule.trigger.clone(),
        channel: rule.channel.clone(),
        mentions: rule.mentions.clone(),
        enabled: rule.enabled,
        backup: rule.backup.clone(),
        lifecycle: rule.lifecycle,
        options: rule.options.clone(),
    };
    serde_json::to_string(&RuleJson::from(&stored)).unwrap_or_default()
}

/// The options column: the rules file's keys for them (`{"where": […]}`), or NULL.
fn options_json(options: &RuleOptions) -> Option<String> {
    if options.is_empty() {
        return None;
    }
    serde_json::to_string(&OptionsJson::from(options)).ok()
}

fn options_from_json(json: &str) -> Option<RuleOptions> {
    serde_json::from_str::<OptionsJson>(json)
        .ok()?
        .validate()
        .ok()
}

/// The rule's owner: a Slack user who saved it (not `cli`, the command-line import).
fn owner(actor: &str) -> Option<&str> {
    actor.starts_with(['U', 'W']).then_some(actor)
}
