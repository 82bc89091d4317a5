//! The rule modal's option boxes, one line per entry in the rules file's own terms:
//! conditions (`where`) and the template's fields. Reading them back is in `rule_read`.

use serde_json::{Value, json};

use super::rule_modal::plain;
use crate::core::catalog::Lang;
use crate::core::rule::Rule;

/// The rule's conditions, one per line (`field op value`).
pub const CONDITIONS: &str = "conditions";

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
    let mut element = json!({
        "type": "plain_text_input",
        "action_id": CONDITIONS,
        "multiline": true,
        "max_length": 3000,
        "placeholder": plain("customer.company not_equals テスト株式会社\nfields.plan in pro, enterprise"),
    });
    if !lines.is_empty() {
        element["initial_value"] = json!(lines.join("\n"));
    }
    json!({
        "type": "input",
        "block_id": CONDITIONS,
        "optional": true,
        "label": plain(lang.pick("条件(すべて満たすイベントだけ通知)", "Conditions (only events meeting all of them)")),
        "hint": plain(lang.pick(
            "1行に1つ「項目 演算子 値」。項目: customer.company、customer.email、fields.<キー> など。演算子: equals、not_equals、contains、not_contains、in、not_in(値はカンマ区切り)、exists、missing。全角・半角、大文字・小文字は区別しません。",
            "One per line: field op value. Fields: customer.company, customer.email, fields.<key>, … Ops: equals, not_equals, contains, not_contains, in, not_in (values split by commas), exists, missing. Full-width and half-width forms and case are alike.",
        )),
        "element": element
    })
}

/// The rule's template: the fields its notification shows, one per line.
pub const FIELDS: &str = "fields";

/// The fields box: one field per line (`key | label | type`), as the rules file's
/// `template.fields` reads them.
pub(super) fn fields_block(lang: Lang, editing: Option<&Rule>) -> Value {
    let lines = editing
        .map(|r| r.options.template.to_lines())
        .unwrap_or_default();
    let mut element = json!({
        "type": "plain_text_input",
        "action_id": FIELDS,
        "multiline": true,
        "max_length": 3000,
        "placeholder": plain("fields.plan | プラン | enum: free, pro, enterprise | required\nfields.amount | 金額 | number\ncustomer.email | メール | email"),
    });
    if !lines.is_empty() {
        element["initial_value"] = json!(lines);
    }
    json!({
        "type": "input",
        "block_id": FIELDS,
        "optional": true,
        "label": plain(lang.pick("表示する項目(空欄なら標準の項目)", "Fields to show (empty: Herald's usual facts)")),
        "hint": plain(lang.pick(
            "1行に1つ「キー | ラベル | 型」、必須なら末尾に「| required」。型: text、number、date、datetime、bool、url、email、enum: 値1, 値2。型に合わない値は ⚠ 付きで表示され、エラーログに残ります。",
            "One per line: key | label | type, and | required at the end if it must be there. Types: text, number, date, datetime, bool, url, email, enum: a, b. A value that does not fit is shown with ⚠ and kept in the error log.",
        )),
        "element": element
    })
}
