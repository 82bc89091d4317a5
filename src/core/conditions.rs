//! A rule's `where`: conditions on the event's fields, all of which must hold, so a team
//! routes on more than event type and meeting type (GitHub's `+label:` filters, Linear's
//! per-channel types). Pure: parsed once when a rule is saved (values folded then), then
//! tested against each event with no allocation per rule beyond the folded field.
//!
//! Strings compare after Unicode NFKC and lower-casing, so full-width and half-width
//! forms (`ＡＣＭＥ`, `ｱｸﾒ`) and case do not matter, as in the directory's pickers.
//! A missing field never equals anything: `equals` / `in` / `contains` fail on it and
//! `not_equals` / `not_in` / `not_contains` hold; `exists` / `missing` test it directly.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use crate::core::event::PlatformEvent;
use crate::core::rule::FieldError;

/// At most this many conditions per rule, and values per `in` list: enough for any
/// real filter, and a bound on routing time.
pub const MAX_CONDITIONS: usize = 10;
pub const MAX_VALUES: usize = 50;

/// The form both sides are compared in.
pub fn fold(s: &str) -> String {
    s.nfkc().flat_map(char::to_lowercase).collect()
}

/// [`fold`] without a copy when there is nothing to change (ASCII already in lower
/// case, NFKC's identity): routing folds the event's value once per condition.
fn fold_cow(s: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    use unicode_normalization::{IsNormalized, is_nfkc_quick};
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        return Cow::Borrowed(s);
    }
    // Most text is NFKC already (`ACME株式会社`): then folding is lower-casing alone,
    // which the quick check tells without normalizing.
    if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        if !s.chars().any(char::is_uppercase) {
            return Cow::Borrowed(s);
        }
        return Cow::Owned(s.chars().flat_map(char::to_lowercase).collect());
    }
    Cow::Owned(fold(s))
}

/// An event field a condition can name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    EventType,
    /// The meeting type's id.
    MeetingType,
    MeetingTypeName,
    CustomerName,
    CustomerCompany,
    CustomerEmail,
    Title,
    Url,
    ConversationState,
    ConversationPage,
    /// One of the platform's free-form `fields`.
    Custom(String),
}

impl Field {
    /// The names a rule may use, for errors and docs.
    pub const NAMED: [&'static str; 10] = [
        "event_type",
        "meeting_type",
        "meeting_type.name",
        "customer.name",
        "customer.company",
        "customer.email",
        "title",
        "url",
        "conversation.state",
        "conversation.page",
    ];

    pub fn parse(name: &str) -> Result<Self, String> {
        Ok(match name {
            "event_type" => Self::EventType,
            "meeting_type" | "meeting_type.id" => Self::MeetingType,
            "meeting_type.name" => Self::MeetingTypeName,
            "customer.name" => Self::CustomerName,
            "customer.company" => Self::CustomerCompany,
            "customer.email" => Self::CustomerEmail,
            "title" => Self::Title,
            "url" => Self::Url,
            "conversation.state" => Self::ConversationState,
            "conversation.page" => Self::ConversationPage,
            other => match other.strip_prefix("fields.") {
                Some(key) if !key.is_empty() && key.len() <= 64 => Self::Custom(key.to_string()),
                _ => {
                    return Err(format!(
                        "unknown field {other:?}: use fields.<key> or one of {}",
                        Self::NAMED.join(", ")
                    ));
                }
            },
        })
    }

    pub fn name(&self) -> String {
        match self {
            Self::EventType => "event_type".into(),
            Self::MeetingType => "meeting_type".into(),
            Self::MeetingTypeName => "meeting_type.name".into(),
            Self::CustomerName => "customer.name".into(),
            Self::CustomerCompany => "customer.company".into(),
            Self::CustomerEmail => "customer.email".into(),
            Self::Title => "title".into(),
            Self::Url => "url".into(),
            Self::ConversationState => "conversation.state".into(),
            Self::ConversationPage => "conversation.page".into(),
            Self::Custom(key) => format!("fields.{key}"),
        }
    }

    /// The field's value in an event; None when absent (an empty string counts as absent).
    pub fn value<'e>(&self, event: &'e PlatformEvent) -> Option<&'e str> {
        let value = match self {
            Self::EventType => Some(event.event_type.as_str()),
            Self::MeetingType => event.meeting_type.as_ref().map(|m| m.id.as_str()),
            Self::MeetingTypeName => event.meeting_type.as_ref().and_then(|m| m.name.as_deref()),
            Self::CustomerName => event.customer.name.as_deref(),
            Self::CustomerCompany => event.customer.company.as_deref(),
            Self::CustomerEmail => event.customer.email.as_deref(),
            Self::Title => event.title.as_deref(),
            Self::Url => event.url.as_deref(),
            Self::ConversationState => event.conversation.as_ref().and_then(|c| c.state.as_deref()),
            Self::ConversationPage => event.conversation.as_ref().and_then(|c| c.page.as_deref()),
            Self::Custom(key) => event.fields.get(key).map(String::as_str),
        };
        value.filter(|v| !v.is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Equals,
    NotEquals,
    Contains,
    NotContains,
    In,
    NotIn,
    Exists,
    Missing,
}

impl Op {
    pub const ALL: [Op; 8] = [
        Op::Equals,
        Op::NotEquals,
        Op::Contains,
        Op::NotContains,
        Op::In,
        Op::NotIn,
        Op::Exists,
        Op::Missing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Equals => "equals",
            Op::NotEquals => "not_equals",
            Op::Contains => "contains",
            Op::NotContains => "not_contains",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Exists => "exists",
            Op::Missing => "missing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == s)
    }
}

/// One condition as the rules file writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionJson {
    pub field: String,
    pub op: Op,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub value: Value,
}

/// A checked condition, its values kept as written (for export and `why`) and folded
/// (for matching).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: Field,
    pub op: Op,
    /// As written: one value for equals / contains and their negations, the list for
    /// in / not_in, none for exists / missing.
    pub values: Vec<String>,
    folded: Vec<String>,
}

impl Condition {
    pub fn new(field: Field, op: Op, values: Vec<String>) -> Result<Self, String> {
        match op {
            Op::Exists | Op::Missing if !values.is_empty() => {
                return Err(format!("{} takes no value", op.as_str()));
            }
            Op::Equals | Op::NotEquals | Op::Contains | Op::NotContains if values.len() != 1 => {
                return Err(format!("{} takes one value", op.as_str()));
            }
            Op::In | Op::NotIn if values.is_empty() || values.len() > MAX_VALUES => {
                return Err(format!(
                    "{} takes a list of 1 to {MAX_VALUES} values",
                    op.as_str()
                ));
            }
            _ => {}
        }
        // An empty field counts as missing, so an empty value could never match.
        if values.iter().any(|v| v.trim().is_empty()) {
            return Err("a value is empty: use exists or missing to test for a field".into());
        }
        let folded = values.iter().map(|v| fold(v)).collect();
        Ok(Self {
            field,
            op,
            values,
            folded,
        })
    }

    /// Reads one condition of the rules file.
    pub fn from_json(json: &ConditionJson) -> Result<Self, FieldError> {
        let field = Field::parse(json.field.trim()).map_err(|e| FieldError::new("field", e))?;
        let scalar = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let values = match (&json.value, json.op) {
            (Value::Null, _) => Vec::new(),
            (Value::Array(items), Op::In | Op::NotIn) => items
                .iter()
                .map(|v| scalar(v).ok_or(()))
                .collect::<Result<_, _>>()
                .map_err(|()| FieldError::new("value", "list items are strings or numbers"))?,
            (Value::Array(_), op) => {
                return Err(FieldError::new(
                    "value",
                    format!("{} takes one value, not a list", op.as_str()),
                ));
            }
            (v, Op::In | Op::NotIn) => {
                return Err(FieldError::new(
                    "value",
                    format!("{} takes a list, got {v}", json.op.as_str()),
                ));
            }
            (v, _) => vec![
                scalar(v)
                    .ok_or_else(|| FieldError::new("value", "a string, a number or true/false"))?,
            ],
        };
        Self::new(field, json.op, values).map_err(|e| FieldError::new("value", e))
    }

    pub fn to_json(&self) -> ConditionJson {
        let value = match self.op {
            Op::Exists | Op::Missing => Value::Null,
            Op::In | Op::NotIn => Value::from(self.values.clone()),
            _ => Value::from(self.values[0].clone()),
        };
        ConditionJson {
            field: self.field.name(),
            op: self.op,
            value,
        }
    }

    /// Whether the condition holds for a field's (folded) value.
    pub fn holds_for(&self, folded: Option<&str>) -> bool {
        let eq = |v: &str| self.folded.iter().any(|x| x == v);
        match (self.op, folded) {
            (Op::Exists, got) => got.is_some(),
            (Op::Missing, got) => got.is_none(),
            (Op::Equals | Op::In, Some(v)) => eq(v),
            (Op::NotEquals | Op::NotIn, Some(v)) => !eq(v),
            (Op::Contains, Some(v)) => v.contains(self.folded[0].as_str()),
            (Op::NotContains, Some(v)) => !v.contains(self.folded[0].as_str()),
            (Op::Equals | Op::In | Op::Contains, None) => false,
            (Op::NotEquals | Op::NotIn | Op::NotContains, None) => true,
        }
    }

    /// Whether the condition holds for an event.
    pub fn holds(&self, event: &PlatformEvent) -> bool {
        self.holds_for(self.field.value(event).map(fold_cow).as_deref())
    }

    /// The one-line form of the rule modal: `field op value` (`in`: values split by
    /// commas).
    pub fn to_line(&self) -> String {
        match self.op {
            Op::Exists | Op::Missing => format!("{} {}", self.field.name(), self.op.as_str()),
            _ => format!(
                "{} {} {}",
                self.field.name(),
                self.op.as_str(),
                self.values.join(", ")
            ),
        }
    }

    /// Reads the modal's one-line form.
    pub fn parse_line(line: &str) -> Result<Self, String> {
        let line = line.trim();
        let (field, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim_start();
        let (op, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let field = Field::parse(field)?;
        let op = Op::parse(op).ok_or_else(|| {
            let ops: Vec<&str> = Op::ALL.iter().map(|o| o.as_str()).collect();
            format!("after the field comes one of {}", ops.join(", "))
        })?;
        let value = value.trim();
        let values = match op {
            Op::Exists | Op::Missing if value.is_empty() => Vec::new(),
            Op::In | Op::NotIn => value
                .split([',', '、'])
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect(),
            _ => vec![value.to_string()],
        };
        Self::new(field, op, values)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_line())
    }
}

/// The first condition an event fails (by index), if any.
pub fn first_failing(conditions: &[Condition], event: &PlatformEvent) -> Option<usize> {
    conditions.iter().position(|c| !c.holds(event))
}

/// Reads a rule's `where` list; an error names the entry (`where[1].op`).
pub fn parse_all(json: &[ConditionJson]) -> Result<Vec<Condition>, FieldError> {
    if json.len() > MAX_CONDITIONS {
        return Err(FieldError::new(
            "where",
            format!("at most {MAX_CONDITIONS} conditions"),
        ));
    }
    json.iter()
        .enumerate()
        .map(|(i, c)| Condition::from_json(c).map_err(|e| e.at(&format!("where[{i}]"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::core::catalog::EventType;
    use crate::core::event::{Customer, MeetingType};

    fn event() -> PlatformEvent {
        PlatformEvent {
            event_type: EventType::parse("booking.created").unwrap(),
            occurred_at: 0,
            meeting_type: Some(MeetingType {
                id: "mt_1".into(),
                name: Some("初回面談".into()),
            }),
            host: None,
            customer: Customer {
                name: Some("山田 太郎".into()),
                company: Some("ＡＣＭＥ株式会社".into()),
                email: Some("Taro@Example.com".into()),
            },
            title: None,
            url: None,
            fields: BTreeMap::from([
                ("plan".to_string(), "Pro".to_string()),
                ("seats".to_string(), "12".to_string()),
                ("note".to_string(), String::new()),
            ]),
            slack_channel: None,
            conversation: None,
            message: None,
            messages: Vec::new(),
        }
    }

    fn cond(json: serde_json::Value) -> Condition {
        Condition::from_json(&serde_json::from_value(json).unwrap()).unwrap()
    }

    #[test]
    fn every_operator_on_present_missing_and_folded_values() {
        use serde_json::json;
        let e = event();
        let cases = [
            (
                json!({"field": "customer.company", "op": "equals", "value": "acme株式会社"}),
                true,
            ),
            (
                json!({"field": "customer.company", "op": "equals", "value": "ACME"}),
                false,
            ),
            (
                json!({"field": "customer.company", "op": "not_equals", "value": "テスト株式会社"}),
                true,
            ),
            (
                json!({"field": "customer.company", "op": "contains", "value": "ａｃｍｅ"}),
                true,
            ),
            (
                json!({"field": "customer.company", "op": "not_contains", "value": "acme"}),
                false,
            ),
            (
                json!({"field": "customer.email", "op": "equals", "value": "taro@example.com"}),
                true,
            ),
            (
                json!({"field": "fields.plan", "op": "in", "value": ["pro", "enterprise"]}),
                true,
            ),
            (
                json!({"field": "fields.plan", "op": "not_in", "value": ["pro"]}),
                false,
            ),
            (
                json!({"field": "fields.seats", "op": "equals", "value": 12}),
                true,
            ),
            (
                json!({"field": "fields.seats", "op": "in", "value": [10, 12]}),
                true,
            ),
            (json!({"field": "fields.plan", "op": "exists"}), true),
            (json!({"field": "fields.note", "op": "exists"}), false),
            (json!({"field": "fields.note", "op": "missing"}), true),
            (json!({"field": "fields.absent", "op": "missing"}), true),
            (
                json!({"field": "fields.absent", "op": "equals", "value": "x"}),
                false,
            ),
            (
                json!({"field": "fields.absent", "op": "not_equals", "value": "x"}),
                true,
            ),
            (
                json!({"field": "fields.absent", "op": "in", "value": ["x"]}),
                false,
            ),
            (
                json!({"field": "fields.absent", "op": "not_in", "value": ["x"]}),
                true,
            ),
            (
                json!({"field": "fields.absent", "op": "contains", "value": "x"}),
                false,
            ),
            (
                json!({"field": "fields.absent", "op": "not_contains", "value": "x"}),
                true,
            ),
            (
                json!({"field": "meeting_type", "op": "equals", "value": "mt_1"}),
                true,
            ),
            (
                json!({"field": "meeting_type.name", "op": "contains", "value": "面談"}),
                true,
            ),
            (
                json!({"field": "event_type", "op": "equals", "value": "booking.created"}),
                true,
            ),
            (
                json!({"field": "conversation.state", "op": "missing"}),
                true,
            ),
            // Half-width katakana against full-width.
            (
                json!({"field": "customer.name", "op": "not_contains", "value": "ﾔﾏﾀﾞ"}),
                true,
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(cond(json.clone()).holds(&e), expected, "{json}");
        }
    }

    #[test]
    fn half_width_katakana_equals_full_width() {
        assert_eq!(fold("ｾｰﾙｽ"), fold("セールス"));
        assert_eq!(fold("ＡＣＭＥ"), "acme");
        for s in [
            "acme",
            "ACME",
            "ａｃｍｅ",
            "pro-plan_1",
            "ｾｰﾙｽ",
            "",
            "ACME株式会社",
            "テスト株式会社",
            "Ⅻ",
            "ﬁle",
            "ÉCOLE",
        ] {
            assert_eq!(fold_cow(s), fold(s), "{s}");
        }
        assert!(matches!(
            fold_cow("already-lower"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn bad_conditions_are_named_with_a_reason() {
        use serde_json::json;
        let cases = [
            (
                json!([{"field": "customer.phone", "op": "equals", "value": "x"}]),
                "where[0].field",
            ),
            (
                json!([{"field": "fields.", "op": "equals", "value": "x"}]),
                "where[0].field",
            ),
            (
                json!([{"field": "title", "op": "in", "value": "x"}]),
                "where[0].value",
            ),
            (
                json!([{"field": "title", "op": "in", "value": []}]),
                "where[0].value",
            ),
            (
                json!([{"field": "title", "op": "equals", "value": ["a"]}]),
                "where[0].value",
            ),
            (
                json!([{"field": "title", "op": "equals"}]),
                "where[0].value",
            ),
            (
                json!([{"field": "title", "op": "exists", "value": "x"}]),
                "where[0].value",
            ),
            (
                json!([{"field": "title", "op": "contains", "value": ""}]),
                "where[0].value",
            ),
            (
                json!([{"field": "title", "op": "in", "value": ["a", " "]}]),
                "where[0].value",
            ),
            (
                json!([{"field": "title", "op": "equals", "value": {"a": 1}}]),
                "where[0].value",
            ),
            (
                json!([{"field": "title", "op": "exists"}, {"field": "title", "op": "in", "value": [[1]]}]),
                "where[1].value",
            ),
        ];
        for (json, field) in cases {
            let list: Vec<ConditionJson> = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(parse_all(&list).unwrap_err().field, field, "{json}");
        }
        let too_many: Vec<ConditionJson> = (0..=MAX_CONDITIONS)
            .map(|_| serde_json::from_value(json!({"field": "title", "op": "exists"})).unwrap())
            .collect();
        assert_eq!(parse_all(&too_many).unwrap_err().field, "where");
        assert!(
            serde_json::from_value::<ConditionJson>(json!({"field": "title", "op": "like"}))
                .is_err()
        );
    }

    #[test]
    fn json_and_modal_lines_round_trip() {
        use serde_json::json;
        for json in [
            json!({"field": "customer.company", "op": "not_equals", "value": "テスト株式会社"}),
            json!({"field": "fields.plan", "op": "in", "value": ["pro", "enterprise"]}),
            json!({"field": "customer.email", "op": "exists"}),
        ] {
            let c = cond(json.clone());
            assert_eq!(serde_json::to_value(c.to_json()).unwrap(), json);
            assert_eq!(
                Condition::parse_line(&c.to_line()).unwrap(),
                c,
                "{}",
                c.to_line()
            );
        }
        let c = Condition::parse_line("fields.plan  in  pro、 enterprise ,").unwrap();
        assert_eq!(c.values, ["pro", "enterprise"]);
        for bad in [
            "",
            "title",
            "title like x",
            "nope equals x",
            "title equals",
            "title exists x",
        ] {
            assert!(Condition::parse_line(bad).is_err(), "{bad:?}");
        }
    }
}
