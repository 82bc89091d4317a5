//! The rule modal: its Block Kit, and reading a submission back into a rule.
//!
//! Pure: the view is JSON, a submission is Slack's `state.values`, and what cannot be
//! right (no event type, more than three mentions) comes back as Slack's inline errors,
//! keyed by block id. Checks that need Slack or the store (the channel, duplicates) are
//! made by the caller.

use std::collections::HashMap;

use serde_json::{Value, json};
use slack_morphism::prelude::{SlackActionId, SlackBlockId, SlackViewStateValue};

use crate::core::catalog::{ErrorCategory, EventType, Lang};
use crate::core::ids::ChannelId;
use crate::core::rule::{Lifecycle, Mention, Mentions, NewRule, Rule, RuleTrigger};

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
const ANY_MEETING_TYPE: &str = "*";
pub const CHANNEL: &str = "channel";
pub const MENTIONS: &str = "mentions";
/// Who is mentioned instead while the rule's people are away.
pub const BACKUP: &str = "backup";
/// How a conversation's state changes show (threads).
pub const LIFECYCLE: &str = "lifecycle";
pub const ENABLED: &str = "enabled";

/// Inline errors for `response_action: errors`, by block id.
pub type FieldErrors = Vec<(&'static str, String)>;

fn plain(text: &str) -> Value {
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

/// A meeting type the platform has sent: its id and, when given, its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownMeetingType {
    pub id: String,
    pub name: Option<String>,
}

/// The distinct meeting types in event bodies (newest first), at most Slack's 100
/// options minus the "any" one.
pub fn known_meeting_types(bodies: &[String]) -> Vec<KnownMeetingType> {
    let mut known: Vec<KnownMeetingType> = Vec::new();
    for body in bodies {
        let Ok(value) = serde_json::from_str::<Value>(body) else {
            continue;
        };
        let Some(id) = value["meeting_type"]["id"].as_str().map(str::trim) else {
            continue;
        };
        if id.is_empty() || known.iter().any(|k| k.id == id) {
            continue;
        }
        known.push(KnownMeetingType {
            id: id.to_string(),
            name: value["meeting_type"]["name"].as_str().map(str::to_string),
        });
        if known.len() == 99 {
            break;
        }
    }
    known
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
    let preview = super::preview::blocks(lang, None, &[], super::preview::Test::Unsaved);
    modal(lang, false, None, preview, known, &Labels::new())
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

/// The dialog confirming a rule's deletion; the submission deletes it (at `version`,
/// so a rule changed meanwhile is not deleted unseen).
pub fn delete_rule(lang: Lang, rule: &Rule, version: i64, line: &str) -> Value {
    let metadata = Metadata {
        lang: lang.as_str().into(),
        rule: Some(rule.id.clone()),
        version: Some(version),
        errors: false,
    };
    json!({
        "type": "modal",
        "callback_id": DELETE_RULE,
        "title": plain(lang.pick("ルールの削除", "Delete a rule")),
        "submit": plain(lang.pick("削除", "Delete")),
        "close": plain(lang.pick("キャンセル", "Cancel")),
        "private_metadata": serde_json::to_string(&metadata).unwrap_or_default(),
        "blocks": [
            {"type": "section", "block_id": "rule", "text": {"type": "mrkdwn", "text": crate::core::render::cut(line, 3000)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": lang.pick(
                "このルールを削除します。元に戻せません(変更履歴には残ります)。",
                "The rule is deleted for good (the audit log keeps a record)."
            )}]}
        ]
    })
}

/// The modal that replaces every rule with a pasted JSON array (`/herald export`'s
/// format); a bad entry comes back inline and nothing changes.
pub fn import_rules(lang: Lang) -> Value {
    json!({
        "type": "modal",
        "callback_id": IMPORT_RULES,
        "title": plain(lang.pick("ルールのインポート", "Import rules")),
        "submit": plain(lang.pick("置き換える", "Replace rules")),
        "close": plain(lang.pick("キャンセル", "Cancel")),
        "private_metadata": serde_json::to_string(&Metadata {
            lang: lang.as_str().into(), rule: None, version: None, errors: false,
        }).unwrap_or_default(),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": lang.pick(
                "`/herald export` の形式のJSONを貼り付けてください。*現在のルールはすべて置き換わります。* 1件でも誤りがあれば何も変更しません。",
                "Paste JSON in the format of `/herald export`. *It replaces every current rule.* If any entry is wrong, nothing changes."
            )}},
            {
                "type": "input",
                "block_id": RULES_JSON,
                "label": plain("JSON"),
                "element": {"type": "plain_text_input", "action_id": RULES_JSON, "multiline": true,
                            "placeholder": plain("[{\"kind\": \"event\", \"event_type\": \"booking.created\", \"channel\": \"C…\", \"mentions\": []}]")}
            }
        ]
    })
}

/// The dialog confirming `/herald disconnect`, saying what goes and what stays.
pub fn disconnect(lang: Lang, title: &str, text: &str) -> Value {
    json!({
        "type": "modal",
        "callback_id": DISCONNECT,
        "title": plain(&crate::core::render::cut(title, 24)),
        "submit": plain(lang.pick("接続を解除", "Disconnect")),
        "close": plain(lang.pick("キャンセル", "Cancel")),
        "private_metadata": serde_json::to_string(&Metadata {
            lang: lang.as_str().into(), rule: None, version: None, errors: false,
        }).unwrap_or_default(),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": crate::core::render::cut(text, 3000)}}]
    })
}

/// A modal that only tells something (a refusal, a test's progress).
pub fn notice(title: &str, text: &str) -> Value {
    json!({
        "type": "modal",
        "title": plain(&crate::core::render::cut(title, 24)),
        "close": plain("OK"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": crate::core::render::cut(text, 3000)}}]
    })
}

/// The pasted text of a submitted import modal.
pub fn read_import(values: &Values) -> Option<&str> {
    value(values, RULES_JSON).and_then(|v| v.value.as_deref())
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
                "label": plain(lang.pick("チャンネル", "Channel")),
                "hint": plain(lang.pick(
                    "プライベートチャンネルには先に /invite @Herald でHeraldを招待してください。",
                    "For a private channel, first invite Herald with /invite @Herald."
                )),
                // Options come from Herald's directory (`/slack/options`): channels it
                // can post to, found by any part of the name; a pasted id is looked up.
                "element": {
                    "type": "external_select",
                    "action_id": CHANNEL,
                    "min_query_length": 0,
                    "placeholder": plain(lang.pick("チャンネル名の一部、またはID", "Part of the name, or its id"))
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

/// Puts a rule's current values into the modal's elements.
/// Names to show for ids (channels and mentions) in a prefilled modal.
pub type Labels = HashMap<String, String>;

fn prefill(view: &mut Value, lang: Lang, rule: &Rule, known: &[KnownMeetingType], labels: &Labels) {
    let meeting_type = match &rule.trigger {
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
                if let RuleTrigger::Event { event_type, .. } = &rule.trigger {
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
                if let RuleTrigger::Error { categories } = &rule.trigger {
                    let chosen: Vec<Value> = categories
                        .iter()
                        .map(|c| json!({"text": plain(c.label(lang)), "value": c.as_str()}))
                        .collect();
                    element["initial_options"] = json!(chosen);
                }
            }
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

type Values = HashMap<SlackBlockId, HashMap<SlackActionId, SlackViewStateValue>>;

fn value<'a>(values: &'a Values, block: &str) -> Option<&'a SlackViewStateValue> {
    values
        .get(&SlackBlockId(block.into()))?
        .get(&SlackActionId(block.into()))
}

/// Reads a submitted add-rule modal.
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
        .and_then(|c| ChannelId::parse(&c).ok());
    if channel.is_none() {
        errors.push((
            CHANNEL,
            lang.pick("チャンネルを選んでください。", "Choose a channel.")
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
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(json: Value) -> Values {
        serde_json::from_value(json).unwrap()
    }

    fn submission(users: &[&str]) -> Value {
        json!({
            "event_type": {"event_type": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "面談予約"}, "value": "booking.created"}}},
            "meeting_type": {"meeting_type": {"type": "plain_text_input", "value": " mt_1 "}},
            "channel": {"channel": {"type": "conversations_select", "selected_conversation": "C0GENERAL"}},
            "mentions": {"mentions": {"type": "multi_users_select", "selected_users": users}},
            "enabled": {"enabled": {"type": "checkboxes", "selected_options": [{"text": {"type": "plain_text", "text": "有効"}, "value": "on"}]}}
        })
    }

    #[test]
    fn a_complete_submission_reads_as_a_rule() {
        let rule = read_rule(&values(submission(&["U0AAA111", "U0BBB222"])), Lang::Ja).unwrap();
        assert_eq!(
            rule.trigger,
            RuleTrigger::Event {
                event_type: EventType::BookingCreated,
                meeting_type: Some("mt_1".into())
            }
        );
        assert_eq!(rule.channel.as_str(), "C0GENERAL");
        assert_eq!(rule.mentions.ids(), ["U0AAA111", "U0BBB222"]);
        assert!(rule.enabled);
    }

    #[test]
    fn known_meeting_types_are_offered_and_a_typed_id_wins() {
        let bodies: Vec<String> = [
            json!({"meeting_type": {"id": "mt_2", "name": "Demo"}}),
            json!({"meeting_type": {"id": "mt_1"}}),
            json!({"meeting_type": {"id": "mt_2", "name": "Demo"}}),
            json!({"type": "error.calendar"}),
        ]
        .iter()
        .map(Value::to_string)
        .chain(["not json".to_string()])
        .collect();
        let known = known_meeting_types(&bodies);
        let ids: Vec<&str> = known.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids, ["mt_2", "mt_1"]);
        let view = add_rule(Lang::En, &known);
        let options = &view["blocks"][1]["element"]["options"];
        assert_eq!(options[0]["value"], "*");
        assert_eq!(options[1]["text"]["text"], "Demo (mt_2)");

        let mut picked = submission(&[]);
        picked["meeting_type"]["meeting_type"]["value"] = Value::Null;
        picked["known_meeting_type"] = json!({"known_meeting_type": {"type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": "Demo (mt_2)"}, "value": "mt_2"}}});
        let rule = read_rule(&values(picked.clone()), Lang::En).unwrap();
        assert!(
            matches!(rule.trigger, RuleTrigger::Event { meeting_type: Some(ref m), .. } if m == "mt_2")
        );
        picked["known_meeting_type"]["known_meeting_type"]["selected_option"]["value"] = json!("*");
        let rule = read_rule(&values(picked), Lang::En).unwrap();
        assert!(matches!(
            rule.trigger,
            RuleTrigger::Event {
                meeting_type: None,
                ..
            }
        ));
        let rule = read_rule(&values(submission(&[])), Lang::En).unwrap();
        assert!(
            matches!(rule.trigger, RuleTrigger::Event { meeting_type: Some(ref m), .. } if m == "mt_1")
        );
    }

    #[test]
    fn problems_come_back_as_inline_errors_on_their_blocks() {
        let errors =
            read_rule(&values(submission(&["U01", "U02", "U03", "U04"])), Lang::En).unwrap_err();
        assert_eq!(
            errors,
            vec![(MENTIONS, "Mention at most 3 people.".to_string())]
        );
        let errors = read_rule(&values(json!({})), Lang::En).unwrap_err();
        let blocks: Vec<&str> = errors.iter().map(|(b, _)| *b).collect();
        assert_eq!(blocks, [EVENT_TYPE, CHANNEL]);
    }

    #[test]
    fn the_modal_respects_slacks_limits_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            let view = add_rule(lang, &[]);
            for key in ["title", "submit", "close"] {
                assert!(
                    view[key]["text"].as_str().unwrap().chars().count() <= 24,
                    "{key}"
                );
            }
            for option in view["blocks"][0]["element"]["options"].as_array().unwrap() {
                assert!(option["text"]["text"].as_str().unwrap().chars().count() <= 75);
            }
            let parsed: slack_morphism::prelude::SlackView =
                serde_json::from_value(view).expect("a modal slack-morphism understands");
            assert!(matches!(
                parsed,
                slack_morphism::prelude::SlackView::Modal(_)
            ));
        }
    }
}
