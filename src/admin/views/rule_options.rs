//! The rule modal's option boxes, one line per entry in the rules file's own terms:
//! conditions (`where`), the template's fields and grouping. Reading them back is in
//! `rule_read`.

use serde_json::{Value, json};

use super::rule_modal::plain;
use crate::core::catalog::Lang;
use crate::core::group::{Grouping, GroupingJson};
use crate::core::rule::{Replies, Rule};

/// The rule's conditions, one per line (`field op value`).
pub const CONDITIONS: &str = "conditions";

/// A multi-line box of one entry per line; `initial` is the saved rule's lines.
fn lines_box(id: &str, label: &str, hint: &str, placeholder: &str, initial: &str) -> Value {
    let mut element = json!({
        "type": "plain_text_input",
        "action_id": id,
        "multiline": true,
        "max_length": 3000,
        "placeholder": plain(placeholder),
    });
    if !initial.is_empty() {
        element["initial_value"] = json!(initial);
    }
    json!({
        "type": "input",
        "block_id": id,
        "optional": true,
        "label": plain(label),
        "hint": plain(hint),
        "element": element
    })
}

/// The conditions box: one condition per line, as the rules file's `where` reads them.
pub(super) fn conditions_block(lang: Lang, editing: Option<&Rule>) -> Value {
    let lines: Vec<String> = editing
        .map(|r| {
            r.options
                .conditions
                .iter()
                .map(crate::core::conditions::Condition::to_line)
                .collect()
        })
        .unwrap_or_default();
    lines_box(
        CONDITIONS,
        lang.pick("条件(すべて満たすイベントだけ通知)", "Conditions (only events meeting all of them)"),
        lang.pick(
            "1行に1つ「項目 演算子 値」。項目: customer.company、customer.email、fields.<キー> など。演算子: equals、not_equals、contains、not_contains、in、not_in(値はカンマ区切り)、exists、missing。全角・半角、大文字・小文字は区別しません。",
            "One per line: field op value. Fields: customer.company, customer.email, fields.<key>, … Ops: equals, not_equals, contains, not_contains, in, not_in (values split by commas), exists, missing. Full-width and half-width forms and case are alike.",
        ),
        "customer.company not_equals テスト株式会社\nfields.plan in pro, enterprise",
        &lines.join("\n"),
    )
}

/// The rule's template: the fields its notification shows, one per line.
pub const FIELDS: &str = "fields";

/// The fields box: one field per line (`key | label | type`), as the rules file's
/// `template.fields` reads them.
pub(super) fn fields_block(lang: Lang, editing: Option<&Rule>) -> Value {
    lines_box(
        FIELDS,
        lang.pick("表示する項目(空欄なら標準の項目)", "Fields to show (empty: Herald's usual facts)"),
        lang.pick(
            "1行に1つ「キー | ラベル | 型」、必須なら末尾に「| required」。型: text、number、date、datetime、bool、url、email、enum: 値1, 値2。型に合わない値は ⚠ 付きで表示され、エラーログに残ります。",
            "One per line: key | label | type, and | required at the end if it must be there. Types: text, number, date, datetime, bool, url, email, enum: a, b. A value that does not fit is shown with ⚠ and kept in the error log.",
        ),
        "fields.plan | プラン | enum: free, pro, enterprise | required\nfields.amount | 金額 | number\ncustomer.email | メール | email",
        &editing
            .map(|r| r.options.template.to_lines())
            .unwrap_or_default(),
    )
}

/// The rule's grouping: a window to fold bursts in, or off.
pub const GROUP: &str = "group";
/// The select's value meaning no grouping.
const GROUP_OFF: &str = "off";
/// The windows the modal offers, in seconds (the rules file takes any from 10 s to a day).
const WINDOWS: [u32; 4] = [60, 300, 900, 3600];

/// `by` when the modal makes a new grouping: like events are the same type and meeting
/// type.
fn default_by() -> Vec<String> {
    vec!["event_type".into(), "meeting_type".into()]
}

/// An option's value carries the window and the `by` fields, so saving an edited rule
/// keeps a `by` set in its rules file.
fn group_value(window_s: u32, by: &[String]) -> String {
    format!("{window_s}|{}", by.join(","))
}

/// Reads an option's value back; None for off (or a value Herald did not write).
pub fn read_group_value(value: &str) -> Option<Grouping> {
    let (window, by) = value.split_once('|')?;
    let json = GroupingJson {
        window_s: window.parse().ok()?,
        by: by
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    };
    Grouping::from_json(&json).ok()
}

fn window_label(lang: Lang, window_s: u32) -> String {
    match (lang, window_s.is_multiple_of(60)) {
        (Lang::Ja, true) => format!("{} 分以内の同種の通知をまとめる", window_s / 60),
        (Lang::Ja, false) => format!("{window_s} 秒以内の同種の通知をまとめる"),
        (Lang::En, true) => format!("Fold like notifications within {} min", window_s / 60),
        (Lang::En, false) => format!("Fold like notifications within {window_s} s"),
    }
}

/// The grouping select: off, or a window (the saved rule's own window is offered too).
pub(super) fn group_block(lang: Lang, editing: Option<&Rule>) -> Value {
    let saved = editing.and_then(|r| r.options.group.as_ref());
    let by: Vec<String> = saved.map_or_else(default_by, |g| g.to_json().by);
    let mut windows = WINDOWS.to_vec();
    if let Some(g) = saved
        && !windows.contains(&g.window_s)
    {
        windows.push(g.window_s);
        windows.sort_unstable();
    }
    let option = |text: String, value: String| json!({"text": plain(&text), "value": value});
    let off = option(
        lang.pick("まとめない(1件ずつ投稿)", "Off (post each one)")
            .into(),
        GROUP_OFF.into(),
    );
    let options: Vec<Value> = std::iter::once(off.clone())
        .chain(
            windows
                .iter()
                .map(|w| option(window_label(lang, *w), group_value(*w, &by))),
        )
        .collect();
    let initial = match saved {
        None => off,
        Some(g) => option(window_label(lang, g.window_s), group_value(g.window_s, &by)),
    };
    json!({
        "type": "input",
        "block_id": GROUP,
        "optional": true,
        "label": plain(lang.pick("まとめる", "Grouping")),
        "hint": plain(lang.pick(
            "同じルール・チャンネルで、種類と面談タイプが同じ通知を最初の1件のスレッドにまとめ、親メッセージに件数と最新の1件を表示します。メンションはまとまりごとに1回です。",
            "Like notifications (same rule, channel, type and meeting type) go into the first one's thread; the parent shows the count and the latest. Mentions notify once per group.",
        )),
        "element": {
            "type": "static_select",
            "action_id": GROUP,
            "options": options,
            "initial_option": initial,
        }
    })
}

/// The rule's alerts-only switch (`"replies": "off"`).
pub const REPLIES: &str = "replies";
const REPLIES_OFF: &str = "off";

/// One checkbox: alerts only, so nothing said in the rule's threads reaches the platform.
pub(super) fn replies_block(lang: Lang, editing: Option<&Rule>) -> Value {
    let option = json!({
        "text": plain(lang.pick("通知専用(スレッドへの返信をプラットフォームに送らない)", "Alerts only (replies in its threads are not sent to the platform)")),
        "value": REPLIES_OFF,
    });
    let mut element = json!({
        "type": "checkboxes",
        "action_id": REPLIES,
        "options": [option.clone()],
    });
    if editing.is_some_and(|r| r.options.replies == Replies::Off) {
        element["initial_options"] = json!([option]);
    }
    json!({
        "type": "input",
        "block_id": REPLIES,
        "optional": true,
        "label": plain(lang.pick("返信", "Replies")),
        "hint": plain(lang.pick(
            "オンにすると、このルールのスレッドで書かれたことはお客様に届きません。最初に返信した人にだけ、その旨が表示されます。",
            "On: nothing written in this rule's threads can reach a customer; the first person to reply there is told so.",
        )),
        "element": element
    })
}

/// Reads the switch back from a submitted modal's checked values.
pub fn read_replies(checked: &[String]) -> Replies {
    if checked.iter().any(|v| v == REPLIES_OFF) {
        Replies::Off
    } else {
        Replies::Forward
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_option_reads_back_as_the_grouping_it_offers_and_off_as_none() {
        let by = vec!["fields.plan".to_string(), "meeting_type".to_string()];
        let g = read_group_value(&group_value(900, &by)).unwrap();
        assert_eq!((g.window_s, g.to_json().by), (900, by));
        assert_eq!(read_group_value(GROUP_OFF), None);
        assert_eq!(read_group_value("5|event_type"), None, "out of range");
        let block = group_block(Lang::En, None);
        let options = block["element"]["options"].as_array().unwrap();
        assert_eq!(options.len(), 1 + WINDOWS.len());
        assert_eq!(
            block["element"]["initial_option"], options[0],
            "off by default"
        );
        assert_eq!(
            read_group_value(options[2]["value"].as_str().unwrap())
                .unwrap()
                .to_json()
                .by,
            default_by()
        );
    }
}
