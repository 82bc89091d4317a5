//! A rule's `group`: a burst of like events folded into one Slack thread (Alertmanager's
//! grouping), so ten bookings in five minutes are one message people see, not ten.
//!
//! Events of one rule and channel whose `by` fields have the same values, arriving within
//! `window_s` of the group's first event, are one group: the first is posted as usual;
//! each later one becomes a reply in its thread, and the parent is updated with the count
//! and the latest event. Pure: the key an event groups under, and the parent's line.

use serde::{Deserialize, Serialize};

use crate::core::catalog::Lang;
use crate::core::conditions::{Field, fold};
use crate::core::event::PlatformEvent;
use crate::core::rule::FieldError;

/// The shortest and longest windows: under ten seconds is no burst, over a day is a
/// digest (business hours), not a group.
pub const MIN_WINDOW_S: u32 = 10;
pub const MAX_WINDOW_S: u32 = 86_400;
/// At most this many `by` fields.
pub const MAX_BY: usize = 5;

/// How a rule groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping {
    pub window_s: u32,
    /// The fields whose values must match; empty: every event of the rule and channel.
    pub by: Vec<Field>,
}

/// The rules file's form: `{"window_s": 300, "by": ["event_type", "meeting_type"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupingJson {
    pub window_s: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<String>,
}

impl Grouping {
    /// Reads and checks the rules file's form; an error names the entry
    /// (`group.by[1]`).
    pub fn from_json(json: &GroupingJson) -> Result<Self, FieldError> {
        if !(MIN_WINDOW_S..=MAX_WINDOW_S).contains(&json.window_s) {
            return Err(FieldError::new(
                "group.window_s",
                format!("between {MIN_WINDOW_S} and {MAX_WINDOW_S} seconds"),
            ));
        }
        if json.by.len() > MAX_BY {
            return Err(FieldError::new(
                "group.by",
                format!("at most {MAX_BY} fields"),
            ));
        }
        let mut by: Vec<Field> = Vec::new();
        for (i, name) in json.by.iter().enumerate() {
            let field = Field::parse(name.trim())
                .map_err(|e| FieldError::new(format!("group.by[{i}]"), e))?;
            if by.contains(&field) {
                return Err(FieldError::new(
                    format!("group.by[{i}]"),
                    format!("{} is named twice", field.name()),
                ));
            }
            by.push(field);
        }
        Ok(Self {
            window_s: json.window_s,
            by,
        })
    }

    pub fn to_json(&self) -> GroupingJson {
        GroupingJson {
            window_s: self.window_s,
            by: self.by.iter().map(Field::name).collect(),
        }
    }

    /// The values of `by` in `event`, as one key: folded as conditions fold, so `ACME`
    /// and `ＡＣＭＥ` group together; a missing field is its own value.
    pub fn key(&self, event: &PlatformEvent) -> String {
        let parts: Vec<String> = self
            .by
            .iter()
            .map(|f| match f.value(event) {
                // Length-prefixed, so no value can forge another's separator.
                Some(v) => {
                    let v = fold(v);
                    format!("{}:{v}", v.len())
                }
                None => "-".into(),
            })
            .collect();
        parts.join("|")
    }
}

/// The line a group's parent carries once more than one event is in it: how many, over
/// how long, and that all are in the thread.
pub fn parent_line(count: u64, label: &str, span_s: i64, lang: Lang) -> String {
    let minutes = (span_s.max(0) + 59) / 60;
    match lang {
        Lang::Ja => format!(
            "{count} 件の「{label}」({minutes} 分間)。最新のものを表示しています。すべてスレッドにあります。"
        ),
        Lang::En => {
            let unit = if minutes == 1 { "minute" } else { "minutes" };
            format!(
                "{count} × {label} in {minutes} {unit}. The latest is shown; all are in the thread."
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::core::catalog::EventType;
    use crate::core::event::{Customer, MeetingType};

    fn event(company: Option<&str>, meeting_type: &str) -> PlatformEvent {
        PlatformEvent {
            event_type: EventType::BookingCreated,
            occurred_at: 0,
            meeting_type: Some(MeetingType {
                id: meeting_type.into(),
                name: None,
            }),
            host: None,
            customer: Customer {
                company: company.map(Into::into),
                ..Customer::default()
            },
            title: None,
            url: None,
            fields: BTreeMap::new(),
            slack_channel: None,
            conversation: None,
            message: None,
            messages: Vec::new(),
        }
    }

    fn grouping(window_s: u32, by: &[&str]) -> Result<Grouping, FieldError> {
        Grouping::from_json(&GroupingJson {
            window_s,
            by: by.iter().map(|s| (*s).to_string()).collect(),
        })
    }

    #[test]
    fn events_with_the_same_by_values_share_a_key_and_others_do_not() {
        let g = grouping(300, &["meeting_type", "customer.company"]).unwrap();
        let key = |e: &PlatformEvent| g.key(e);
        assert_eq!(
            key(&event(Some("ACME"), "mt_1")),
            key(&event(Some("ａｃｍｅ"), "mt_1"))
        );
        assert_ne!(
            key(&event(Some("ACME"), "mt_1")),
            key(&event(Some("ACME"), "mt_2"))
        );
        assert_ne!(key(&event(Some("ACME"), "mt_1")), key(&event(None, "mt_1")));
        assert_ne!(
            key(&event(Some("a|1:b"), "mt_1")),
            key(&event(Some("a"), "1:b|mt_1")),
            "a value cannot forge the separator"
        );
        let all = grouping(300, &[]).unwrap();
        assert_eq!(
            all.key(&event(Some("A"), "mt_1")),
            all.key(&event(None, "mt_9"))
        );
    }

    #[test]
    fn a_grouping_is_refused_with_the_entry_named() {
        assert_eq!(grouping(5, &[]).unwrap_err().field, "group.window_s");
        assert_eq!(grouping(90_000, &[]).unwrap_err().field, "group.window_s");
        assert_eq!(
            grouping(60, &["event_type", "nope"]).unwrap_err().field,
            "group.by[1]"
        );
        assert_eq!(
            grouping(60, &["event_type", "event_type"])
                .unwrap_err()
                .field,
            "group.by[1]"
        );
        let g = grouping(60, &["fields.plan", "meeting_type"]).unwrap();
        assert_eq!(Grouping::from_json(&g.to_json()).unwrap(), g);
    }

    #[test]
    fn the_parent_line_counts_and_rounds_the_span_up_to_minutes() {
        assert_eq!(
            parent_line(5, "Meeting booked", 240, Lang::En),
            "5 × Meeting booked in 4 minutes. The latest is shown; all are in the thread."
        );
        assert_eq!(
            parent_line(2, "Meeting booked", 3, Lang::En),
            "2 × Meeting booked in 1 minute. The latest is shown; all are in the thread."
        );
        assert!(parent_line(3, "面談予約", 61, Lang::Ja).starts_with("3 件の「面談予約」(2 分間)"));
    }
}
