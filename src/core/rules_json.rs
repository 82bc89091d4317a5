//! The rules file format (`herald rules import|export`, fixed in DESIGN.md): validated
//! as a whole, so a file with one bad entry is refused and the error names it.

use serde::{Deserialize, Serialize};

use crate::core::catalog::{ErrorCategory, EventType};
use crate::core::conditions::{self, Condition, ConditionJson};
use crate::core::group::{Grouping, GroupingJson};
use crate::core::hours::{Hours, HoursJson};
use crate::core::ids::ChannelId;
use crate::core::rule::{
    FieldError, Lifecycle, Mention, Mentions, NewRule, Replies, Rule, RuleOptions, RuleTrigger,
};
use crate::core::template::{Template, TemplateJson};

/// The JSON form of rules (`herald rules import|export`), as fixed in DESIGN.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RuleJson {
    Event {
        event_type: String,
        #[serde(default)]
        meeting_type: Option<String>,
        channel: String,
        #[serde(default)]
        mentions: Vec<String>,
        #[serde(default = "enabled_default")]
        enabled: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backup: Option<String>,
        #[serde(default, skip_serializing_if = "Lifecycle::is_default")]
        lifecycle: Lifecycle,
        /// `where`, `template`, `group`, `hours`.
        #[serde(flatten)]
        options: OptionsJson,
    },
    Error {
        categories: Vec<String>,
        channel: String,
        #[serde(default)]
        mentions: Vec<String>,
        #[serde(default = "enabled_default")]
        enabled: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backup: Option<String>,
        #[serde(default, skip_serializing_if = "Lifecycle::is_default")]
        lifecycle: Lifecycle,
        /// `where`, `template`, `group`, `hours`.
        #[serde(flatten)]
        options: OptionsJson,
    },
}

fn enabled_default() -> bool {
    true
}

/// A rule's options under the rules file's keys, all optional: the same in the rules
/// file, the store's `options` column and an export, so a file written by an older
/// Herald (with none of them) keeps importing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OptionsJson {
    /// Conditions on the event's fields, all of which must hold.
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<ConditionJson>,
    /// The fields the notification shows, typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateJson>,
    /// Bursts folded into one thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupingJson>,
    /// Business hours: outside them, notifications wait for the opening's digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<HoursJson>,
    /// `"off"`: an alerts-only rule; nothing said in its threads reaches the platform.
    #[serde(default, skip_serializing_if = "Replies::is_forward")]
    pub replies: Replies,
}

impl OptionsJson {
    pub fn validate(&self) -> Result<RuleOptions, FieldError> {
        Ok(RuleOptions {
            conditions: conditions::parse_all(&self.conditions)?,
            template: match &self.template {
                None => Template::default(),
                Some(t) => Template::from_json(t)?,
            },
            group: self.group.as_ref().map(Grouping::from_json).transpose()?,
            hours: self.hours.as_ref().map(Hours::from_json).transpose()?,
            replies: self.replies,
        })
    }
}

impl From<&RuleOptions> for OptionsJson {
    fn from(options: &RuleOptions) -> Self {
        Self {
            conditions: options.conditions.iter().map(Condition::to_json).collect(),
            template: (!options.template.is_empty()).then(|| options.template.to_json()),
            group: options.group.as_ref().map(Grouping::to_json),
            hours: options.hours.as_ref().map(Hours::to_json),
            replies: options.replies,
        }
    }
}

impl RuleJson {
    pub fn validate(&self) -> Result<NewRule, FieldError> {
        let (channel, mentions, enabled, backup, lifecycle, options) = match self {
            RuleJson::Event {
                channel,
                mentions,
                enabled,
                backup,
                lifecycle,
                options,
                ..
            }
            | RuleJson::Error {
                channel,
                mentions,
                enabled,
                backup,
                lifecycle,
                options,
                ..
            } => (channel, mentions, *enabled, backup, *lifecycle, options),
        };
        let options = options.validate()?;
        let backup = match backup {
            None => None,
            Some(id) => Some(Mention::parse(id).map_err(|e| FieldError::new("backup", e))?),
        };
        let trigger = match self {
            RuleJson::Event {
                event_type,
                meeting_type,
                ..
            } => {
                let event_type = match EventType::parse(event_type) {
                    Ok(t) if t.error_category().is_none() => t,
                    Ok(_) => {
                        return Err(FieldError::new(
                            "event_type",
                            "error events are routed by error rules (kind \"error\")",
                        ));
                    }
                    Err(_) => {
                        return Err(FieldError::new(
                            "event_type",
                            format!("unknown event type {event_type:?}"),
                        ));
                    }
                };
                let meeting_type = meeting_type.as_ref().map(|m| m.trim().to_string());
                if meeting_type.as_ref().is_some_and(String::is_empty) {
                    return Err(FieldError::new(
                        "meeting_type",
                        "use null for every meeting type",
                    ));
                }
                RuleTrigger::Event {
                    event_type,
                    meeting_type,
                }
            }
            RuleJson::Error { categories, .. } => {
                if categories.is_empty() {
                    return Err(FieldError::new("categories", "name at least one category"));
                }
                let mut parsed = categories
                    .iter()
                    .map(|c| {
                        c.parse::<ErrorCategory>().map_err(|()| {
                            FieldError::new("categories", format!("unknown category {c:?}"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                parsed.sort();
                parsed.dedup();
                RuleTrigger::Error { categories: parsed }
            }
        };
        Ok(NewRule {
            trigger,
            channel: ChannelId::parse_target(channel).map_err(|e| FieldError::new("channel", e))?,
            mentions: Mentions::parse_all(mentions).map_err(|e| FieldError::new("mentions", e))?,
            enabled,
            backup,
            lifecycle,
            options,
        })
    }
}

impl From<&Rule> for RuleJson {
    fn from(rule: &Rule) -> Self {
        let channel = rule.channel.to_string();
        let mentions = rule.mentions.ids();
        let backup = rule.backup.as_ref().map(|m| m.id().to_string());
        let options = OptionsJson::from(&rule.options);
        match &rule.trigger {
            RuleTrigger::Event {
                event_type,
                meeting_type,
            } => RuleJson::Event {
                event_type: event_type.as_str().into(),
                meeting_type: meeting_type.clone(),
                channel,
                mentions,
                enabled: rule.enabled,
                backup,
                lifecycle: rule.lifecycle,
                options,
            },
            RuleTrigger::Error { categories } => RuleJson::Error {
                categories: categories.iter().map(|c| c.as_str().to_string()).collect(),
                channel,
                mentions,
                enabled: rule.enabled,
                backup,
                lifecycle: rule.lifecycle,
                options,
            },
        }
    }
}

/// Validates a whole rules file; the first bad entry is named by its index.
pub fn validate_rules(entries: &[RuleJson]) -> Result<Vec<NewRule>, FieldError> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| e.validate().map_err(|err| err.at(&format!("[{i}]"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_file_from_design_validates() {
        let json = r#"[
          {"kind": "event", "event_type": "booking.created", "meeting_type": "mt_1", "channel": "C0123", "mentions": ["U0AAA", "S0BBB"], "enabled": true},
          {"kind": "event", "event_type": "booking.cancelled", "meeting_type": null, "channel": "C0456", "mentions": []},
          {"kind": "error", "categories": ["salesforce", "calendar", "external_api", "internal", "delivery"], "channel": "C0789", "mentions": ["U0CCC"]}
        ]"#;
        let entries: Vec<RuleJson> = serde_json::from_str(json).unwrap();
        let rules = validate_rules(&entries).unwrap();
        assert_eq!(rules.len(), 3);
        assert!(rules[1].enabled, "enabled defaults to true");
    }

    #[test]
    fn invalid_rule_entries_are_named_by_index_and_field() {
        let cases = [
            (
                r#"{"kind":"event","event_type":"nope","channel":"C1AA"}"#,
                "[1].event_type",
            ),
            (
                r#"{"kind":"event","event_type":"error.calendar","channel":"C1AA"}"#,
                "[1].event_type",
            ),
            (
                r##"{"kind":"event","event_type":"booking.created","channel":"#x"}"##,
                "[1].channel",
            ),
            (
                r#"{"kind":"event","event_type":"booking.created","channel":"C1AA","mentions":["U1","U2AA","U3AA","U4AA"]}"#,
                "[1].mentions",
            ),
            (
                r#"{"kind":"error","categories":[],"channel":"C1AA"}"#,
                "[1].categories",
            ),
            (
                r#"{"kind":"error","categories":["x"],"channel":"C1AA"}"#,
                "[1].categories",
            ),
        ];
        let good: RuleJson = serde_json::from_str(
            r#"{"kind":"event","event_type":"booking.created","channel":"C1AA"}"#,
        )
        .unwrap();
        for (bad, field) in cases {
            let entries = vec![good.clone(), serde_json::from_str(bad).unwrap()];
            let err = validate_rules(&entries).unwrap_err();
            assert_eq!(err.field, field, "{bad}");
        }
    }

    #[test]
    fn export_then_import_is_identity() {
        let rule = Rule {
            id: "r1".into(),
            team_id: "T1".into(),
            trigger: RuleTrigger::Error {
                categories: vec![ErrorCategory::Calendar, ErrorCategory::Delivery],
            },
            channel: ChannelId::parse("C0789").unwrap(),
            mentions: Mentions::parse_all(&["U0CCC".into()]).unwrap(),
            enabled: false,
            backup: Some(Mention::parse("S0BACKUP").unwrap()),
            lifecycle: Lifecycle::Broadcast,
            options: RuleOptions {
                conditions: vec![Condition::parse_line("fields.plan in pro, enterprise").unwrap()],
                ..Default::default()
            },
        };
        let json = RuleJson::from(&rule);
        let back = json.validate().unwrap();
        assert_eq!(back.trigger, rule.trigger);
        assert_eq!(back.channel, rule.channel);
        assert_eq!(back.mentions, rule.mentions);
        assert_eq!(back.backup, rule.backup);
        assert_eq!(back.lifecycle, Lifecycle::Broadcast);
        assert_eq!(back.options, rule.options);
        assert!(!back.enabled);
    }

    /// A validated rule as the store gives it back.
    fn stored(rule: NewRule) -> Rule {
        Rule {
            id: "r".into(),
            team_id: "T".into(),
            trigger: rule.trigger,
            channel: rule.channel,
            mentions: rule.mentions,
            enabled: rule.enabled,
            backup: rule.backup,
            lifecycle: rule.lifecycle,
            options: rule.options,
        }
    }

    #[test]
    fn an_alerts_only_rule_exports_replies_off_and_others_leave_it_out() {
        let off: RuleJson = serde_json::from_str(
            r#"{"kind": "event", "event_type": "conversation.message.created", "channel": "C0123", "replies": "off"}"#,
        )
        .unwrap();
        let rule = stored(off.validate().unwrap());
        assert_eq!(rule.options.replies, Replies::Off);
        let exported = serde_json::to_value(RuleJson::from(&rule)).unwrap();
        assert_eq!(exported["replies"], "off");
        let plain: RuleJson = serde_json::from_str(
            r#"{"kind": "event", "event_type": "booking.created", "channel": "C0123"}"#,
        )
        .unwrap();
        let exported =
            serde_json::to_value(RuleJson::from(&stored(plain.validate().unwrap()))).unwrap();
        assert!(exported.get("replies").is_none(), "{exported}");
        assert!(
            serde_json::from_str::<RuleJson>(
                r#"{"kind": "event", "event_type": "booking.created", "channel": "C0123", "replies": "maybe"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn hours_import_and_export_as_written_and_a_bad_zone_names_its_entry() {
        let json = r#"{"kind": "event", "event_type": "booking.created", "meeting_type": null, "channel": "C0123", "mentions": [],
          "hours": {"tz": "Asia/Tokyo", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}}"#;
        let entry: RuleJson = serde_json::from_str(json).unwrap();
        let exported =
            serde_json::to_value(RuleJson::from(&stored(entry.validate().unwrap()))).unwrap();
        let original: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(exported["hours"], original["hours"]);
        let bad: Vec<RuleJson> = serde_json::from_str(
            r#"[{"kind": "event", "event_type": "booking.created", "channel": "C0123"},
                {"kind": "error", "categories": ["delivery"], "channel": "C0123",
                 "hours": {"tz": "Mars/Olympus", "days": ["mon"], "from": "09:00", "to": "18:00"}}]"#,
        )
        .unwrap();
        let err = validate_rules(&bad).unwrap_err().to_string();
        assert!(err.contains("[1].hours.tz"), "{err}");
    }

    #[test]
    fn conditions_import_and_export_under_where_and_old_files_still_import() {
        let json = r#"{"kind": "event", "event_type": "booking.created", "meeting_type": null, "channel": "C0123", "mentions": [],
          "where": [{"field": "customer.company", "op": "not_equals", "value": "テスト株式会社"},
                    {"field": "fields.plan", "op": "in", "value": ["pro", "enterprise"]}]}"#;
        let entry: RuleJson = serde_json::from_str(json).unwrap();
        let rule = entry.validate().unwrap();
        assert_eq!(rule.options.conditions.len(), 2);
        let stored = stored(rule);
        let exported = serde_json::to_value(RuleJson::from(&stored)).unwrap();
        let original: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(exported["where"], original["where"]);
        let old = r#"{"kind": "event", "event_type": "booking.created", "channel": "C0123"}"#;
        let old: RuleJson = serde_json::from_str(old).unwrap();
        assert!(old.validate().unwrap().options.is_empty());
        let exported = serde_json::to_value(&old).unwrap();
        assert!(
            exported.get("where").is_none(),
            "no empty where written: {exported}"
        );
        let bad = r#"[{"kind": "event", "event_type": "booking.created", "channel": "C0123",
          "where": [{"field": "fields.plan", "op": "in", "value": "pro"}]}]"#;
        let bad: Vec<RuleJson> = serde_json::from_str(bad).unwrap();
        assert_eq!(
            validate_rules(&bad).unwrap_err().field,
            "[0].where[0].value"
        );
    }

    #[test]
    fn a_template_imports_exports_and_is_refused_with_its_entry_named() {
        let json = r#"{"kind": "event", "event_type": "booking.created", "channel": "C0123",
          "template": {"fields": [
            {"key": "fields.plan", "label": "プラン", "type": "enum", "values": ["free", "pro", "enterprise"], "required": true},
            {"key": "fields.amount", "label": {"ja": "金額", "en": "Amount"}, "type": "number"},
            {"key": "customer.email", "label": "メール", "type": "email"}]}}"#;
        let entry: RuleJson = serde_json::from_str(json).unwrap();
        let rule = entry.validate().unwrap();
        assert_eq!(rule.options.template.fields.len(), 3);
        let stored = stored(rule);
        let exported = serde_json::to_value(RuleJson::from(&stored)).unwrap();
        let original: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(exported["template"], original["template"]);
        let bad = r#"[{"kind": "event", "event_type": "booking.created", "channel": "C0123"},
          {"kind": "event", "event_type": "booking.created", "channel": "C0123",
           "template": {"fields": [{"key": "fields.a"}, {"key": "fields.b", "type": "enum"}]}}]"#;
        let bad: Vec<RuleJson> = serde_json::from_str(bad).unwrap();
        let err = validate_rules(&bad).unwrap_err();
        assert_eq!(err.field, "[1].template.fields[1].type");
        assert!(err.reason.contains("values"), "{}", err.reason);
    }
}
