//! The admin's small modals: confirm a rule's deletion, paste rules to import, confirm a
//! disconnect, and the notice a submitted modal turns into.

use serde_json::{Value, json};

use super::rule_modal::*;
use super::rule_read::value;
use crate::core::catalog::Lang;
use crate::core::rule::Rule;

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
