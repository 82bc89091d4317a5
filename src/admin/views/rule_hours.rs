//! The rule modal's business hours: day checkboxes, two time pickers and a time-zone
//! select, read back into the rules file's `hours` with Slack's inline errors. No day
//! ticked means no hours (post at any time), as a rule without `hours` does.

use serde_json::{Value, json};

use super::rule_modal::{FieldErrors, plain};
use super::rule_read::{Values, value};
use crate::core::catalog::Lang;
use crate::core::hours::{DAY_NAMES, Hours, HoursJson};
use crate::core::rule::Rule;

pub const HOURS_DAYS: &str = "hours_days";
pub const HOURS_FROM: &str = "hours_from";
pub const HOURS_TO: &str = "hours_to";
pub const HOURS_TZ: &str = "hours_tz";

/// The zones offered (Slack's static select holds at most 100); a saved rule's own zone
/// is added when it is not among them.
const ZONES: [&str; 16] = [
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Pacific/Auckland",
    "UTC",
];

fn day_label(lang: Lang, day: &str) -> &'static str {
    let (ja, en) = match day {
        "mon" => ("月", "Mon"),
        "tue" => ("火", "Tue"),
        "wed" => ("水", "Wed"),
        "thu" => ("木", "Thu"),
        "fri" => ("金", "Fri"),
        "sat" => ("土", "Sat"),
        _ => ("日", "Sun"),
    };
    lang.pick(ja, en)
}

/// The four hours blocks, filled from the saved rule.
pub(super) fn hours_blocks(lang: Lang, editing: Option<&Rule>) -> Vec<Value> {
    let saved = editing
        .and_then(|r| r.options.hours.as_ref())
        .map(Hours::to_json);
    let day = |d: &str| json!({"text": plain(day_label(lang, d)), "value": d});
    let mut days = json!({
        "type": "checkboxes",
        "action_id": HOURS_DAYS,
        "options": DAY_NAMES.iter().map(|d| day(d)).collect::<Vec<_>>(),
    });
    if let Some(h) = &saved {
        days["initial_options"] = json!(h.days.iter().map(|d| day(d)).collect::<Vec<_>>());
    }
    let time = |id: &str, initial: &str| json!({"type": "timepicker", "action_id": id, "initial_time": initial});
    let mut zones: Vec<String> = ZONES.iter().map(|z| (*z).to_string()).collect();
    if let Some(h) = &saved
        && !zones.contains(&h.tz)
    {
        zones.insert(0, h.tz.clone());
    }
    let zone = |z: &str| json!({"text": plain(z), "value": z});
    let mut tz = json!({
        "type": "static_select",
        "action_id": HOURS_TZ,
        "placeholder": plain(lang.pick("タイムゾーン", "Time zone")),
        "options": zones.iter().map(|z| zone(z)).collect::<Vec<_>>(),
    });
    if let Some(h) = &saved {
        tz["initial_option"] = zone(&h.tz);
    }
    let input = |id: &str, label: &str, element: Value| json!({"type": "input", "block_id": id, "optional": true, "label": plain(label), "element": element});
    let mut days_block = input(
        HOURS_DAYS,
        lang.pick("営業日(選ぶと営業時間外の通知はまとめて翌営業開始時に届きます)", "Business days (outside the hours, notifications wait for one digest at the next opening)"),
        days,
    );
    days_block["hint"] = plain(lang.pick(
        "何も選ばなければいつでも通知します。終了が開始より早い時刻なら日付をまたぎます。",
        "None ticked: post at any time. An end before the start crosses midnight.",
    ));
    vec![
        days_block,
        input(
            HOURS_FROM,
            lang.pick("開始", "Opens at"),
            time(HOURS_FROM, saved.as_ref().map_or("09:00", |h| &h.from)),
        ),
        input(
            HOURS_TO,
            lang.pick("終了", "Closes at"),
            time(
                HOURS_TO,
                saved
                    .as_ref()
                    .map_or("18:00", |h| if h.to == "24:00" { "00:00" } else { &h.to }),
            ),
        ),
        input(HOURS_TZ, lang.pick("タイムゾーン", "Time zone"), tz),
    ]
}

/// The submitted hours: None when no day is ticked; errors are keyed by the block
/// whose value is wrong.
pub(super) fn read_hours(values: &Values, lang: Lang, errors: &mut FieldErrors) -> Option<Hours> {
    let days: Vec<String> = value(values, HOURS_DAYS)
        .and_then(|v| v.selected_options.as_ref())
        .map(|o| o.iter().map(|o| o.value.clone()).collect())
        .unwrap_or_default();
    if days.is_empty() {
        return None;
    }
    let time = |id: &str| {
        value(values, id)
            .and_then(|v| v.selected_time.clone())
            .unwrap_or_default()
    };
    let (from, mut to) = (time(HOURS_FROM), time(HOURS_TO));
    if to == "00:00" {
        // Slack's picker has no 24:00: closing at midnight is 00:00.
        to = "24:00".into();
    }
    let Some(tz) = value(values, HOURS_TZ)
        .and_then(|v| v.selected_option.as_ref())
        .map(|o| o.value.clone())
    else {
        errors.push((
            HOURS_TZ,
            lang.pick("タイムゾーンを選んでください。", "Choose a time zone.")
                .into(),
        ));
        return None;
    };
    match Hours::from_json(&HoursJson { tz, days, from, to }) {
        Ok(hours) => Some(hours),
        Err(err) => {
            let block = match err.field.as_str() {
                "hours.tz" => HOURS_TZ,
                "hours.from" => HOURS_FROM,
                "hours.to" => HOURS_TO,
                _ => HOURS_DAYS,
            };
            let text = match (lang, block) {
                (Lang::Ja, HOURS_TO) => "開始と終了を別の時刻にしてください。".to_string(),
                (Lang::Ja, HOURS_FROM) => "開始の時刻を選んでください。".to_string(),
                (Lang::Ja, HOURS_TZ) => "タイムゾーンが正しくありません。".to_string(),
                (Lang::Ja, _) => "営業日が正しくありません。".to_string(),
                (Lang::En, _) => err.reason.clone(),
            };
            errors.push((block, text));
            None
        }
    }
}
