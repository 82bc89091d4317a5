//! A submitted rule modal read back into a rule. Pure: a submission is Slack's
//! `state.values`, and what cannot be right (no event type, more than three mentions)
//! comes back as Slack's inline errors, keyed by block id. Checks that need Slack or the
//! store (the channel, duplicates) are made by the caller.

use std::collections::HashMap;

use slack_morphism::prelude::{SlackActionId, SlackBlockId, SlackViewStateValue};

use super::rule_modal::*;
use crate::core::catalog::{ErrorCategory, EventType, Lang};
use crate::core::conditions::{Condition, MAX_CONDITIONS};
use crate::core::ids::ChannelId;
use crate::core::rule::{Lifecycle, Mention, Mentions, NewRule, RuleOptions, RuleTrigger};
use crate::core::template::Template;

pub type Values = HashMap<SlackBlockId, HashMap<SlackActionId, SlackViewStateValue>>;

pub(crate) fn value<'a>(values: &'a Values, block: &str) -> Option<&'a SlackViewStateValue> {
    values
        .get(&SlackBlockId(block.into()))?
        .get(&SlackActionId(block.into()))
}

/// Reads a submitted add-rule modal.
#[cfg(test)]
pub fn read_rule(values: &Values, lang: Lang) -> Result<NewRule, FieldErrors> {
    read(values, lang, false)
}

/// Reads a submitted rule modal; `error_rule` says which kind it was drawn as.
pub fn read(values: &Values, lang: Lang, error_rule: bool) -> Result<NewRule, FieldErrors> {
    let mut errors: FieldErrors = Vec::new();
    let mut categories: Vec<ErrorCategory> = value(values, CATEGORIES)
        .and_then(|v| v.selected_options.as_ref())
        .map(|o| o.iter().filter_map(|o| o.value.parse().ok()).collect())
        .unwrap_or_default();
    categories.sort();
    categories.dedup();
    if error_rule && categories.is_empty() {
        errors.push((
            CATEGORIES,
            lang.pick(
                "エラーの種類を選んでください。",
                "Choose at least one kind of error.",
            )
            .into(),
        ));
    }
    let event_type = value(values, EVENT_TYPE)
        .and_then(|v| v.selected_option.as_ref())
        .and_then(|o| EventType::parse(&o.value).ok())
        .filter(|t| t.error_category().is_none());
    if event_type.is_none() && !error_rule {
        errors.push((
            EVENT_TYPE,
            lang.pick("イベントを選んでください。", "Choose an event.")
                .into(),
        ));
    }
    // A typed id wins over the picked one: it is the more deliberate choice.
    let typed = value(values, MEETING_TYPE)
        .and_then(|v| v.value.as_deref())
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    let picked = value(values, KNOWN_MEETING_TYPE)
        .and_then(|v| v.selected_option.as_ref())
        .map(|o| o.value.clone())
        .filter(|m| m != ANY_MEETING_TYPE);
    let meeting_type = typed.or(picked);
    // The directory's picker (external_select) or Slack's own (conversations_select).
    let channel = value(values, CHANNEL)
        .and_then(|v| {
            v.selected_option
                .as_ref()
                .map(|o| o.value.clone())
                .or_else(|| v.selected_conversation.as_ref().map(ToString::to_string))
        })
        .and_then(|c| ChannelId::parse_target(&c).ok());
    if channel.is_none() {
        errors.push((
            CHANNEL,
            lang.pick(
                "送り先のチャンネルか人を選んでください。",
                "Choose a channel or a person.",
            )
            .into(),
        ));
    }
    // People and user groups from the directory's picker, or users from Slack's own.
    let users: Vec<Mention> = value(values, MENTIONS)
        .map(|v| {
            let picked = v
                .selected_options
                .iter()
                .flatten()
                .filter_map(|o| Mention::parse(&o.value).ok());
            let users = v
                .selected_users
                .iter()
                .flatten()
                .filter_map(|u| Mention::parse(u.as_ref()).ok());
            picked.chain(users).collect()
        })
        .unwrap_or_default();
    let mentions = match Mentions::new(users) {
        Ok(m) => Some(m),
        Err(_) => {
            errors.push((
                MENTIONS,
                lang.pick(
                    "メンションできるのは最大3名です。",
                    "Mention at most 3 people.",
                )
                .into(),
            ));
            None
        }
    };
    let enabled = value(values, ENABLED)
        .and_then(|v| v.selected_options.as_ref())
        .is_some_and(|o| o.iter().any(|o| o.value == "on"));
    let conditions = conditions(values, lang, &mut errors);
    let template = template(values, lang, &mut errors);
    let hours = super::rule_hours::read_hours(values, lang, &mut errors);
    let trigger = match (error_rule, event_type) {
        (true, _) => Some(RuleTrigger::Error { categories }),
        (false, Some(event_type)) => Some(RuleTrigger::Event {
            event_type,
            meeting_type,
        }),
        (false, None) => None,
    };
    match (trigger, channel, mentions) {
        (Some(trigger), Some(channel), Some(mentions)) if errors.is_empty() => Ok(NewRule {
            lifecycle: value(values, LIFECYCLE)
                .and_then(|v| v.selected_option.as_ref())
                .and_then(|o| Lifecycle::parse(&o.value))
                .unwrap_or_default(),
            backup: value(values, BACKUP)
                .and_then(|v| v.selected_option.as_ref())
                .and_then(|o| Mention::parse(&o.value).ok()),
            trigger,
            channel,
            mentions,
            enabled,
            options: RuleOptions {
                conditions,
                template,
                group: value(values, GROUP)
                    .and_then(|v| v.selected_option.as_ref())
                    .and_then(|o| super::rule_options::read_group_value(&o.value)),
                hours,
                replies: super::rule_options::read_replies(
                    &value(values, REPLIES)
                        .and_then(|v| v.selected_options.as_ref())
                        .map(|o| o.iter().map(|o| o.value.clone()).collect::<Vec<_>>())
                        .unwrap_or_default(),
                ),
            },
        }),
        _ => Err(errors),
    }
}

/// The fields box, one per line; the line that does not read is named in the error.
fn template(values: &Values, lang: Lang, errors: &mut FieldErrors) -> Template {
    let text = value(values, FIELDS)
        .and_then(|v| v.value.as_deref())
        .unwrap_or_default();
    match Template::parse_lines(text) {
        Ok(template) => template,
        Err((line, reason)) => {
            errors.push((
                FIELDS,
                match lang {
                    Lang::Ja => format!("{line}行目: {reason}"),
                    Lang::En => format!("Line {line}: {reason}"),
                },
            ));
            Template::default()
        }
    }
}

/// The conditions box, one per line; a line that does not read is named in the error.
fn conditions(values: &Values, lang: Lang, errors: &mut FieldErrors) -> Vec<Condition> {
    let text = value(values, CONDITIONS)
        .and_then(|v| v.value.as_deref())
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match Condition::parse_line(line) {
            Ok(c) => out.push(c),
            Err(reason) => problems.push(match lang {
                Lang::Ja => format!("{}行目: {reason}", n + 1),
                Lang::En => format!("Line {}: {reason}", n + 1),
            }),
        }
    }
    if out.len() > MAX_CONDITIONS {
        problems.push(match lang {
            Lang::Ja => format!("条件は{MAX_CONDITIONS}個までです。"),
            Lang::En => format!("At most {MAX_CONDITIONS} conditions."),
        });
    }
    if !problems.is_empty() {
        errors.push((CONDITIONS, problems.join("\n")));
    }
    out
}

/// The template typed in an open rule modal (`view.state.values`, which Slack sends
/// with each `block_actions` from a modal), when it reads and is not empty.
pub fn template_in_view(view: &serde_json::Value) -> Option<Template> {
    let text = view["state"]["values"][FIELDS][FIELDS]["value"].as_str()?;
    Template::parse_lines(text).ok().filter(|t| !t.is_empty())
}

/// The business hours as set so far in an open modal (None while no day is ticked or
/// they do not read yet), for the preview's "would post now".
pub fn hours_in_view(view: &serde_json::Value) -> Option<crate::core::hours::Hours> {
    let values: Values = serde_json::from_value(view["state"]["values"].clone()).ok()?;
    let mut errors = Vec::new();
    super::rule_hours::read_hours(&values, Lang::En, &mut errors).filter(|_| errors.is_empty())
}
