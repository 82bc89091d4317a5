//! The rule modal and the small admin modals: their Block Kit (reading a submission
//! back into a rule is in `rule_read`).
//!
//! Pure: the view is JSON, a submission is Slack's `state.values`, and what cannot be
//! right (no event type, more than three mentions) comes back as Slack's inline errors,
//! keyed by block id. Checks that need Slack or the store (the channel, duplicates) are
//! made by the caller.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::core::catalog::{ErrorCategory, EventType, Lang};
use crate::core::rule::{Lifecycle, Mentions, Rule, RuleTrigger};

pub use super::known_types::{KnownMeetingType, known_meeting_types};
pub use super::rule_hours::{HOURS_DAYS, HOURS_FROM, HOURS_TO, HOURS_TZ};
pub use super::rule_options::{CONDITIONS, FIELDS, GROUP, REPLIES};
use super::rule_options::{conditions_block, fields_block, group_block, replies_block};

#[cfg(test)]
pub use super::rule_read::read_rule;
pub use super::rule_read::{Values, read};
pub use super::small_modals::{delete_rule, disconnect, import_rules, notice, read_import};

/// `callback_id` of the add-rule modal.
pub const ADD_RULE: &str = "herald_rule_add";
/// `callback_id` of the edit-rule modal.
pub const EDIT_RULE: &str = "herald_rule_edit";
/// `callback_id` of the dialog confirming a rule's deletion.
pub const DELETE_RULE: &str = "herald_rule_delete";
/// `callback_id` of the modal that imports rules as JSON.
pub const IMPORT_RULES: &str = "herald_rules_import";
/// `callback_id` of the dialog confirming a disconnect.
pub const DISCONNECT: &str = "herald_disconnect";
/// `action_id` of the "Send test" button in the rule modal.
pub const TEST_RULE: &str = "herald_test_rule";
/// Block (and action) id of the import modal's text box.
pub const RULES_JSON: &str = "rules_json";

pub const EVENT_TYPE: &str = "event_type";
pub const CATEGORIES: &str = "categories";
pub const MEETING_TYPE: &str = "meeting_type";
/// The select of meeting types seen in the workspace's events.
pub const KNOWN_MEETING_TYPE: &str = "known_meeting_type";
/// The option of [`KNOWN_MEETING_TYPE`] meaning every meeting type.
pub(crate) const ANY_MEETING_TYPE: &str = "*";
pub const CHANNEL: &str = "channel";
pub const MENTIONS: &str = "mentions";
/// Who is mentioned instead while the rule's people are away.
pub const BACKUP: &str = "backup";
/// How a conversation's state changes show (threads).
pub const LIFECYCLE: &str = "lifecycle";
pub const ENABLED: &str = "enabled";
/// Inline errors for `response_action: errors`, by block id.
pub type FieldErrors = Vec<(&'static str, String)>;

pub(crate) fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text})
}

/// What a rule modal carries through Slack in `private_metadata`: the language it was
/// drawn in and, when editing, which rule at which version (a save against a newer
/// version is a conflict, never a silent overwrite).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Metadata {
    pub lang: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// An error rule (categories) rather than a meeting-event rule.
    #[serde(default)]
    pub errors: bool,
}

impl Metadata {
    pub fn parse(raw: Option<&str>) -> Self {
        raw.and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or(Metadata {
                lang: raw.unwrap_or("en").to_string(),
                rule: None,
                version: None,
                errors: false,
            })
    }

    pub fn lang(&self) -> Lang {
        self.lang.parse().unwrap_or(Lang::En)
    }
}

fn meeting_option(lang: Lang, known: Option<&KnownMeetingType>) -> Value {
    match known {
        None => {
            json!({"text": plain(lang.pick("すべての面談タイプ", "Every meeting type")), "value": ANY_MEETING_TYPE})
        }
        Some(k) => {
            let label = match &k.name {
                Some(name) => format!("{name} ({})", k.id),
                None => k.id.clone(),
            };
            json!({"text": plain(&crate::core::render::cut(&label, 75)), "value": crate::core::render::cut(&k.id, 150)})
        }
    }
}

/// The modal that adds a meeting-type rule; `known` are the meeting types seen so far.
pub fn add_rule(lang: Lang, known: &[KnownMeetingType]) -> Value {
    let preview = super::preview::blocks(lang, None, &[], None, super::preview::Test::Unsaved);
    modal(lang, false, None, preview, known, &Labels::new())
}

/// The add modal already set to `trigger`: App Home's "Route…" for an event type no
/// rule takes.
pub fn add_rule_for(
    lang: Lang,
    trigger: &RuleTrigger,
    preview: Vec<Value>,
    known: &[KnownMeetingType],
) -> Value {
    let errors = matches!(trigger, RuleTrigger::Error { .. });
    let mut view = modal(lang, errors, None, preview, known, &Labels::new());
    prefill_trigger(&mut view, lang, trigger, known);
    view
}

/// The modal that adds an error rule (the seed's エラー通知設定), with the preview of
/// an error notification.
pub fn add_error_rule(lang: Lang, preview: Vec<Value>) -> Value {
    modal(lang, true, None, preview, &[], &Labels::new())
}

/// The modal filled with a rule (at `version`) to edit it, with its preview area.
pub fn rule_modal(
    lang: Lang,
    editing: (&Rule, i64),
    preview: Vec<Value>,
    known: &[KnownMeetingType],
    labels: &Labels,
) -> Value {
    let errors = matches!(editing.0.trigger, RuleTrigger::Error { .. });
    modal(lang, errors, Some(editing), preview, known, labels)
}

/// The same modal with a new preview area (and private metadata), for `views.update`.
/// Input blocks keep their ids, so Slack keeps what the user has entered.
pub fn refresh(view: &Value, preview: Vec<Value>) -> Value {
    let mut fresh = json!({});
    for key in [
        "type",
        "callback_id",
        "title",
        "submit",
        "close",
        "private_metadata",
        "clear_on_close",
        "notify_on_close",
    ] {
        if let Some(v) = view.get(key).filter(|v| !v.is_null()) {
            fresh[key] = v.clone();
        }
    }
    let mut blocks: Vec<Value> = view["blocks"]
        .as_array()
        .map(|b| {
            b.iter()
                .filter(|b| {
                    !b["block_id"]
                        .as_str()
                        .is_some_and(|id| id.starts_with(super::preview::BLOCK_PREFIX))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    blocks.extend(preview);
    fresh["blocks"] = json!(blocks);
    fresh
}

fn modal(
    lang: Lang,
    errors: bool,
    editing: Option<(&Rule, i64)>,
    preview: Vec<Value>,
    known: &[KnownMeetingType],
    labels: &Labels,
) -> Value {
    let options: Vec<Value> = EventType::RULE_TYPES
        .iter()
        .map(|t| json!({"text": plain(t.label(lang)), "value": t.as_str()}))
        .collect();
    let enabled = json!({"text": plain(lang.pick("有効", "Enabled")), "value": "on"});
    let metadata = Metadata {
        lang: lang.as_str().into(),
        rule: editing.map(|(r, _)| r.id.clone()),
        version: editing.map(|(_, v)| v),
        errors,
    };
    let title = match (editing.is_some(), errors) {
        (false, false) => lang.pick("通知ルールの追加", "Add a rule"),
        (false, true) => lang.pick("エラー通知の追加", "Add an error rule"),
        (true, false) => lang.pick("通知ルールの編集", "Edit a rule"),
        (true, true) => lang.pick("エラー通知の編集", "Edit an error rule"),
    };
    let (callback_id, submit) = match editing {
        None => (ADD_RULE, lang.pick("追加", "Add")),
        Some(_) => (EDIT_RULE, lang.pick("保存", "Save")),
    };
    let mut view = json!({
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title),
        "submit": plain(submit),
        "close": plain(lang.pick("キャンセル", "Cancel")),
        "private_metadata": serde_json::to_string(&metadata).unwrap_or_default(),
        "blocks": [
            {
                "type": "input",
                "block_id": EVENT_TYPE,
                // Choosing an event redraws the preview.
                "dispatch_action": true,
                "label": plain(lang.pick("イベント", "Event")),
                "element": {
                    "type": "static_select",
                    "action_id": EVENT_TYPE,
                    "placeholder": plain(lang.pick("通知するイベント", "What to notify about")),
                    "options": options
                }
            },
            {
                "type": "input",
                "block_id": MEETING_TYPE,
                "optional": true,
                "label": plain(lang.pick("面談タイプ", "Meeting type")),
                "hint": plain(lang.pick(
                    "面談タイプのIDです。空欄ならすべての面談タイプに通知します。",
                    "The meeting type's id. Leave it empty for every meeting type."
                )),
                "element": {"type": "plain_text_input", "action_id": MEETING_TYPE, "max_length": 200}
            },
            {
                "type": "input",
                "block_id": CHANNEL,
                "label": plain(lang.pick("送り先(チャンネルまたは人)", "Send to (a channel or a person)")),
                "hint": plain(lang.pick(
                    "プライベートチャンネルには先に /invite @Herald でHeraldを招待してください。人を選ぶと、その人とHeraldのDMに届きます。",
                    "For a private channel, first invite Herald with /invite @Herald. A person gets it in their DM with Herald."
                )),
                // Options come from Herald's directory (`/slack/options`): channels it
                // can post to, found by any part of the name, and people whose name
                // matches a typed query; a pasted id is looked up.
                "element": {
                    "type": "external_select",
                    "action_id": CHANNEL,
                    "min_query_length": 0,
                    "placeholder": plain(lang.pick("チャンネル名や人の名前の一部、またはID", "Part of a channel's or a person's name, or an id"))
                }
            },
            {
                "type": "input",
                "block_id": MENTIONS,
                "optional": true,
                "label": plain(lang.pick("メンション先(人またはユーザーグループ、最大3つ)", "Mention (people or user groups, up to 3)")),
                "element": {
                    "type": "multi_external_select",
                    "action_id": MENTIONS,
                    "min_query_length": 0,
                    "max_selected_items": Mentions::MAX,
                    "placeholder": plain(lang.pick("名前の一部、またはID", "Part of a name, or an id"))
                }
            },
            {
                "type": "input",
                "block_id": BACKUP,
                "optional": true,
                "label": plain(lang.pick("不在時の代理", "Backup while away")),
                "hint": plain(lang.pick(
                    "メンション先が /herald away の間は、代わりにこの人(またはグループ)をメンションします。",
                    "While someone mentioned is away (/herald away), this person or group is mentioned instead."
                )),
                "element": {
                    "type": "external_select",
                    "action_id": BACKUP,
                    "min_query_length": 0,
                    "placeholder": plain(lang.pick("名前の一部、またはID", "Part of a name, or an id"))
                }
            },
            {
                "type": "input",
                "block_id": ENABLED,
                "optional": true,
                "label": plain(lang.pick("状態", "Status")),
                "element": {
                    "type": "checkboxes",
                    "action_id": ENABLED,
                    "options": [enabled.clone()],
                    "initial_options": [enabled]
                }
            }
        ]
    });
    if errors && let Some(blocks) = view["blocks"].as_array_mut() {
        // Categories take the place of the event and the meeting type.
        let categories: Vec<Value> = ErrorCategory::ALL
            .iter()
            .map(|c| json!({"text": plain(c.label(lang)), "value": c.as_str()}))
            .collect();
        blocks.splice(
            0..2,
            [json!({
                "type": "input",
                "block_id": CATEGORIES,
                "label": plain(lang.pick("エラーの種類", "Errors")),
                "element": {"type": "checkboxes", "action_id": CATEGORIES, "options": categories}
            })],
        );
    }
    if !errors && let Some(blocks) = view["blocks"].as_array_mut() {
        let option = |l: Lifecycle| json!({"text": plain(l.label(lang)), "value": l.as_str()});
        let current = editing.map(|(r, _)| r.lifecycle).unwrap_or_default();
        blocks.push(json!({
            "type": "input",
            "block_id": LIFECYCLE,
            "optional": true,
            "label": plain(lang.pick("会話・予約の状態が変わったとき", "When a conversation or booking changes state")),
            "element": {
                "type": "radio_buttons",
                "action_id": LIFECYCLE,
                "options": Lifecycle::ALL.into_iter().map(option).collect::<Vec<_>>(),
                "initial_option": option(current)
            }
        }));
    }
    if let Some(blocks) = view["blocks"].as_array_mut() {
        blocks.push(conditions_block(lang, editing.map(|(r, _)| r)));
        blocks.push(fields_block(lang, editing.map(|(r, _)| r)));
        blocks.push(group_block(lang, editing.map(|(r, _)| r)));
        blocks.push(replies_block(lang, editing.map(|(r, _)| r)));
        blocks.extend(super::rule_hours::hours_blocks(
            lang,
            editing.map(|(r, _)| r),
        ));
    }
    if !errors
        && !known.is_empty()
        && let Some(blocks) = view["blocks"].as_array_mut()
    {
        // Known types to pick; the text box below stays for a type not seen yet.
        let options: Vec<Value> = std::iter::once(meeting_option(lang, None))
            .chain(known.iter().map(|k| meeting_option(lang, Some(k))))
            .collect();
        blocks.insert(
            1,
            json!({
                "type": "input",
                "block_id": KNOWN_MEETING_TYPE,
                "optional": true,
                "label": plain(lang.pick("面談タイプ", "Meeting type")),
                "element": {
                    "type": "static_select",
                    "action_id": KNOWN_MEETING_TYPE,
                    "placeholder": plain(lang.pick("受信した面談タイプから選ぶ", "Pick from the types received")),
                    "options": options
                }
            }),
        );
        blocks[2]["label"] = plain(lang.pick(
            "まだ受信していない面談タイプのID",
            "Or the id of a type not received yet",
        ));
    }
    if let Some((rule, _)) = editing {
        prefill(&mut view, lang, rule, known, labels);
    }
    if let Some(blocks) = view["blocks"].as_array_mut() {
        blocks.extend(preview);
    }
    view
}

/// Puts what a rule reacts to (event and meeting type, or error categories) into the
/// modal's elements: for editing, and for a new rule started from an unrouted event.
fn prefill_trigger(
    view: &mut Value,
    lang: Lang,
    trigger: &RuleTrigger,
    known: &[KnownMeetingType],
) {
    let meeting_type = match trigger {
        RuleTrigger::Event { meeting_type, .. } => meeting_type.as_deref(),
        RuleTrigger::Error { .. } => None,
    };
    let is_known = |id: &str| known.iter().find(|k| k.id == id);
    let Some(blocks) = view["blocks"].as_array_mut() else {
        return;
    };
    for block in blocks {
        let block_id = block["block_id"].as_str().unwrap_or_default().to_string();
        let element = &mut block["element"];
        match Some(block_id.as_str()) {
            Some(EVENT_TYPE) => {
                if let RuleTrigger::Event { event_type, .. } = trigger {
                    element["initial_option"] = json!({"text": plain(event_type.label(lang)), "value": event_type.as_str()});
                }
            }
            Some(KNOWN_MEETING_TYPE) => {
                element["initial_option"] = match meeting_type {
                    None => meeting_option(lang, None),
                    Some(m) => match is_known(m) {
                        Some(k) => meeting_option(lang, Some(k)),
                        None => continue,
                    },
                };
            }
            Some(MEETING_TYPE) => {
                if let Some(m) = meeting_type
                    && (known.is_empty() || is_known(m).is_none())
                {
                    element["initial_value"] = json!(m);
                }
            }
            Some(CATEGORIES) => {
                if let RuleTrigger::Error { categories } = trigger {
                    let chosen: Vec<Value> = categories
                        .iter()
                        .map(|c| json!({"text": plain(c.label(lang)), "value": c.as_str()}))
                        .collect();
                    element["initial_options"] = json!(chosen);
                }
            }
            _ => {}
        }
    }
}

/// Puts a rule's current values into the modal's elements.
/// Names to show for ids (channels and mentions) in a prefilled modal.
pub type Labels = HashMap<String, String>;

fn prefill(view: &mut Value, lang: Lang, rule: &Rule, known: &[KnownMeetingType], labels: &Labels) {
    prefill_trigger(view, lang, &rule.trigger, known);
    let Some(blocks) = view["blocks"].as_array_mut() else {
        return;
    };
    for block in blocks {
        let block_id = block["block_id"].as_str().unwrap_or_default().to_string();
        let element = &mut block["element"];
        match Some(block_id.as_str()) {
            Some(CHANNEL) => {
                let id = rule.channel.as_str();
                let label = labels.get(id).cloned().unwrap_or_else(|| id.to_string());
                element["initial_option"] = json!({"text": plain(&label), "value": id});
            }
            Some(BACKUP) => {
                if let Some(m) = &rule.backup {
                    let label = labels
                        .get(m.id())
                        .cloned()
                        .unwrap_or_else(|| m.id().to_string());
                    element["initial_option"] = json!({"text": plain(&label), "value": m.id()});
                }
            }
            Some(MENTIONS) if rule.mentions.iter().next().is_some() => {
                let chosen: Vec<Value> = rule
                    .mentions
                    .iter()
                    .map(|m| {
                        let label = labels
                            .get(m.id())
                            .cloned()
                            .unwrap_or_else(|| m.id().to_string());
                        json!({"text": plain(&label), "value": m.id()})
                    })
                    .collect();
                element["initial_options"] = json!(chosen);
            }
            Some(ENABLED) if !rule.enabled => {
                if let Some(e) = element.as_object_mut() {
                    e.remove("initial_options");
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[path = "rule_modal_tests.rs"]
mod tests;
