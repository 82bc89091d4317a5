//! A rule's `template.fields`: which values its notification shows, in which order,
//! under which labels, and of which type (the seed `004_…`'s field mapping).
//!
//! A template is validated when it is saved (modal, import), so a typo is refused with
//! the entry named. Values are checked when a notification is rendered: one that does
//! not fit its type, or a required one that is missing, is still shown, flagged, and
//! reported as a `mapping` problem, because a notification held back for a bad field
//! would lose the booking it is about.

use serde::{Deserialize, Serialize};

use crate::core::catalog::Lang;
use crate::core::conditions::{Field, fold};
use crate::core::rule::FieldError;

/// At most this many fields: three Block Kit sections of ten fields hold Herald's
/// context line besides, and a longer list is not a notification any more.
pub const MAX_FIELDS: usize = 25;
/// At most this many values of one `enum`.
pub const MAX_ENUM_VALUES: usize = 50;
/// Labels are shown in a section field's bold name; Slack cuts long ones badly.
pub const MAX_LABEL: usize = 80;

/// A field's label: one text, or one per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Label {
    Plain(String),
    ByLang { ja: String, en: String },
}

impl Label {
    pub fn pick(&self, lang: Lang) -> &str {
        match self {
            Label::Plain(text) => text,
            Label::ByLang { ja, en } => match lang {
                Lang::Ja => ja,
                Lang::En => en,
            },
        }
    }
}

/// What a field's value must look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339 with an offset, as the webhook contract's times.
    Datetime,
    Bool,
    /// `http` or `https` with a host.
    Url,
    Email,
    /// One of these values (compared after NFKC and case folding, as conditions are).
    Enum(Vec<String>),
}

impl FieldType {
    pub const NAMES: [&'static str; 8] = [
        "text", "number", "date", "datetime", "bool", "url", "email", "enum",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Bool => "bool",
            FieldType::Url => "url",
            FieldType::Email => "email",
            FieldType::Enum(_) => "enum",
        }
    }

    fn parse(name: &str, values: &[String]) -> Result<Self, String> {
        let kind = match name {
            "text" => FieldType::Text,
            "number" => FieldType::Number,
            "date" => FieldType::Date,
            "datetime" => FieldType::Datetime,
            "bool" => FieldType::Bool,
            "url" => FieldType::Url,
            "email" => FieldType::Email,
            "enum" => {
                let values: Vec<String> = values
                    .iter()
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect();
                if values.is_empty() {
                    return Err("an enum needs its values".into());
                }
                if values.len() > MAX_ENUM_VALUES {
                    return Err(format!("at most {MAX_ENUM_VALUES} values"));
                }
                return Ok(FieldType::Enum(values));
            }
            other => {
                return Err(format!(
                    "unknown type {other:?}: use one of {}",
                    Self::NAMES.join(", ")
                ));
            }
        };
        if !values.is_empty() {
            return Err(format!("values are for an enum, not a {name}"));
        }
        Ok(kind)
    }

    /// Whether `value` (present, not empty) fits the type.
    pub fn fits(&self, value: &str) -> bool {
        let value = value.trim();
        match self {
            FieldType::Text => true,
            FieldType::Number => is_number(value),
            FieldType::Date => is_date(value),
            FieldType::Datetime => {
                time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
                    .is_ok()
            }
            FieldType::Bool => matches!(
                value.to_ascii_lowercase().as_str(),
                "true" | "false" | "1" | "0"
            ),
            FieldType::Url => url::Url::parse(value).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some_and(|h| !h.is_empty())
            }),
            FieldType::Email => is_email(value),
            FieldType::Enum(values) => {
                let value = fold(value);
                values.iter().any(|v| fold(v) == value)
            }
        }
    }
}

/// A decimal number as people and systems write it: an optional sign, digits with
/// optional `,` thousands separators, an optional fraction and exponent. Not `NaN` or
/// `inf`, which `f64::from_str` would take.
fn is_number(value: &str) -> bool {
    let plain: String = value.chars().filter(|c| *c != ',').collect();
    let digits = plain.trim_start_matches(['+', '-']);
    digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && plain
            .chars()
            .all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
        && plain.parse::<f64>().is_ok_and(f64::is_finite)
}

/// `YYYY-MM-DD`, a day that exists.
fn is_date(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4
        || m.len() != 2
        || d.len() != 2
        || !value.bytes().all(|b| b.is_ascii_digit() || b == b'-')
    {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
        return false;
    };
    time::Month::try_from(m).is_ok_and(|m| time::Date::from_calendar_date(y, m, d).is_ok())
}

/// `local@domain.tld` with no spaces: the check that catches a field mapped to the
/// wrong column, not RFC 5322.
fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(char::is_whitespace)
}

/// One field of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateField {
    pub field: Field,
    pub label: Label,
    pub kind: FieldType,
    pub required: bool,
}

/// Why a value is flagged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misfit {
    /// Required, and the event has no value.
    Missing,
    /// Present and not of the field's type.
    Invalid(String),
}

impl TemplateField {
    /// The value's check: None when it fits (or is absent and optional).
    pub fn misfit(&self, value: Option<&str>) -> Option<Misfit> {
        match value {
            None if self.required => Some(Misfit::Missing),
            None => None,
            Some(v) if self.kind.fits(v) => None,
            Some(v) => Some(Misfit::Invalid(v.to_string())),
        }
    }

    /// The flag shown in place of a value that does not fit: `⚠ not a number: abc`.
    pub fn flag(&self, misfit: &Misfit, lang: Lang) -> String {
        match misfit {
            Misfit::Missing => format!(
                "⚠ {}",
                lang.pick("値がありません（必須）", "missing (required)")
            ),
            Misfit::Invalid(value) => format!("⚠ {}: {value}", self.not_a(lang)),
        }
    }

    /// What a value that does not fit is not: `not a number`. Text fits anything.
    pub fn not_a(&self, lang: Lang) -> String {
        match (&self.kind, lang) {
            (FieldType::Text, Lang::Ja) => "テキストではありません".into(),
            (FieldType::Text, Lang::En) => "not text".into(),
            (FieldType::Number, Lang::Ja) => "数値ではありません".into(),
            (FieldType::Number, Lang::En) => "not a number".into(),
            (FieldType::Date, Lang::Ja) => "日付（YYYY-MM-DD）ではありません".into(),
            (FieldType::Date, Lang::En) => "not a date (YYYY-MM-DD)".into(),
            (FieldType::Datetime, Lang::Ja) => "日時（RFC 3339）ではありません".into(),
            (FieldType::Datetime, Lang::En) => "not a date and time (RFC 3339)".into(),
            (FieldType::Bool, Lang::Ja) => "true / false ではありません".into(),
            (FieldType::Bool, Lang::En) => "not true or false".into(),
            (FieldType::Url, Lang::Ja) => "URL ではありません".into(),
            (FieldType::Url, Lang::En) => "not a URL".into(),
            (FieldType::Email, Lang::Ja) => "メールアドレスではありません".into(),
            (FieldType::Email, Lang::En) => "not an email address".into(),
            (FieldType::Enum(values), Lang::Ja) => {
                format!("{} のいずれでもありません", values.join(", "))
            }
            (FieldType::Enum(values), Lang::En) => format!("not one of {}", values.join(", ")),
        }
    }

    /// The problem in words for the error log (always English, as the log is).
    pub fn problem(&self, misfit: &Misfit) -> String {
        match misfit {
            Misfit::Missing => format!("{}: missing (required)", self.field.name()),
            Misfit::Invalid(value) => {
                format!("{}: {}: {value:?}", self.field.name(), self.not_a(Lang::En))
            }
        }
    }

    /// The modal's one-line form: `key | label | type [| required]`.
    pub fn to_line(&self) -> String {
        let label = match &self.label {
            Label::Plain(text) => text.clone(),
            Label::ByLang { ja, en } => format!("{ja} / {en}"),
        };
        let kind = match &self.kind {
            FieldType::Enum(values) => format!("enum: {}", values.join(", ")),
            other => other.name().to_string(),
        };
        let mut line = format!("{} | {label} | {kind}", self.field.name());
        if self.required {
            line.push_str(" | required");
        }
        line
    }
}

/// What a rule's notification shows, in order. Serialized as the rules file writes it
/// (a queued notification carries its rule's template).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "TemplateJson", into = "TemplateJson")]
pub struct Template {
    pub fields: Vec<TemplateField>,
}

/// The rules file's form: `{"fields": [{"key", "label", "type", "values", "required"}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateJson {
    pub fields: Vec<TemplateFieldJson>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateFieldJson {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
    #[serde(rename = "type", default = "text_type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
}

fn text_type() -> String {
    "text".into()
}

impl TryFrom<TemplateJson> for Template {
    type Error = FieldError;
    fn try_from(json: TemplateJson) -> Result<Self, FieldError> {
        Self::from_json(&json)
    }
}

impl From<Template> for TemplateJson {
    fn from(template: Template) -> Self {
        template.to_json()
    }
}

impl Template {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Reads and validates the rules file's form; an error names the entry
    /// (`template.fields[2].type`).
    pub fn from_json(json: &TemplateJson) -> Result<Self, FieldError> {
        if json.fields.len() > MAX_FIELDS {
            return Err(FieldError::new(
                "template.fields",
                format!("at most {MAX_FIELDS} fields"),
            ));
        }
        let mut fields: Vec<TemplateField> = Vec::with_capacity(json.fields.len());
        for (i, entry) in json.fields.iter().enumerate() {
            let at = |name: &str| format!("template.fields[{i}].{name}");
            let field =
                Field::parse(entry.key.trim()).map_err(|e| FieldError::new(at("key"), e))?;
            if let Some(earlier) = fields.iter().position(|f| f.field == field) {
                return Err(FieldError::new(
                    at("key"),
                    format!("{} is already fields[{earlier}]", field.name()),
                ));
            }
            let label = match &entry.label {
                None => Label::Plain(field.name()),
                Some(label) => clean_label(label).map_err(|e| FieldError::new(at("label"), e))?,
            };
            let kind = FieldType::parse(entry.kind.trim(), &entry.values)
                .map_err(|e| FieldError::new(at("type"), e))?;
            fields.push(TemplateField {
                field,
                label,
                kind,
                required: entry.required,
            });
        }
        Ok(Self { fields })
    }

    pub fn to_json(&self) -> TemplateJson {
        TemplateJson {
            fields: self
                .fields
                .iter()
                .map(|f| TemplateFieldJson {
                    key: f.field.name(),
                    label: Some(f.label.clone()),
                    kind: f.kind.name().into(),
                    values: match &f.kind {
                        FieldType::Enum(values) => values.clone(),
                        _ => Vec::new(),
                    },
                    required: f.required,
                })
                .collect(),
        }
    }

    /// Reads the modal's text box, one field per line (`key | label | type`, then
    /// optionally `| required`; `enum: a, b` lists an enum's values; a label
    /// `ラベル / Label` is one per language). An error names the line, from 1.
    pub fn parse_lines(text: &str) -> Result<Self, (usize, String)> {
        let mut entries = Vec::new();
        let mut lines = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            let (key, label, kind, flag) = match parts.as_slice() {
                [key] => (*key, None, "text", None),
                [key, label] => (*key, Some(*label), "text", None),
                [key, label, kind] => (*key, Some(*label), *kind, None),
                [key, label, kind, flag] => (*key, Some(*label), *kind, Some(*flag)),
                _ => {
                    return Err((
                        n + 1,
                        "at most four parts: key | label | type | required".into(),
                    ));
                }
            };
            let required = match flag {
                None => false,
                Some("required" | "必須") => true,
                Some(other) => {
                    return Err((
                        n + 1,
                        format!("{other:?}: the fourth part can only be \"required\""),
                    ));
                }
            };
            let (kind, values) = match kind.split_once(':') {
                Some((kind, values)) => (
                    kind.trim(),
                    values
                        .split([',', '、'])
                        .map(|v| v.trim().to_string())
                        .collect(),
                ),
                None => (kind, Vec::new()),
            };
            let label = label
                .filter(|l| !l.is_empty())
                .map(|l| match l.split_once(" / ") {
                    Some((ja, en)) => Label::ByLang {
                        ja: ja.trim().into(),
                        en: en.trim().into(),
                    },
                    None => Label::Plain(l.into()),
                });
            entries.push(TemplateFieldJson {
                key: key.into(),
                label,
                kind: kind.into(),
                values,
                required,
            });
            lines.push(n + 1);
        }
        Self::from_json(&TemplateJson { fields: entries }).map_err(|e| {
            let line = e
                .field
                .strip_prefix("template.fields[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|i| i.parse::<usize>().ok())
                .map_or(1, |i| lines[i]);
            (line, e.reason)
        })
    }

    /// The fields of `event` that do not fit, in template order.
    pub fn misfits<'t>(
        &'t self,
        event: &crate::core::event::PlatformEvent,
    ) -> Vec<(&'t TemplateField, Misfit)> {
        self.fields
            .iter()
            .filter_map(|f| f.misfit(f.field.value(event)).map(|m| (f, m)))
            .collect()
    }

    pub fn to_lines(&self) -> String {
        self.fields
            .iter()
            .map(TemplateField::to_line)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn clean_label(label: &Label) -> Result<Label, String> {
    let clean = |text: &str| -> Result<String, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("a label cannot be empty".into());
        }
        if text.chars().count() > MAX_LABEL {
            return Err(format!("at most {MAX_LABEL} characters"));
        }
        Ok(text.to_string())
    };
    Ok(match label {
        Label::Plain(text) => Label::Plain(clean(text)?),
        Label::ByLang { ja, en } => Label::ByLang {
            ja: clean(ja)?,
            en: clean(en)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str, values: &[&str]) -> FieldType {
        let values: Vec<String> = values.iter().map(|v| (*v).to_string()).collect();
        FieldType::parse(name, &values).unwrap()
    }

    #[test]
    fn each_type_takes_its_values_and_refuses_others() {
        let table: [(FieldType, &[&str], &[&str]); 8] = [
            (kind("text", &[]), &["anything", "=1+1"], &[]),
            (
                kind("number", &[]),
                &["42", "-3.5", "1,000", "+7", "1e3", ".5"],
                &["abc", "NaN", "inf", "12円", "1.2.3", "-"],
            ),
            (
                kind("date", &[]),
                &["2026-12-02"],
                &["2026-13-01", "12/02/2026", "2026-12-02T10:00:00Z"],
            ),
            (
                kind("datetime", &[]),
                &["2026-12-02T10:00:00+09:00", "2026-12-02T01:00:00Z"],
                &["2026-12-02", "2026-12-02 10:00", "tomorrow"],
            ),
            (
                kind("bool", &[]),
                &["true", "FALSE", "1", "0"],
                &["yes", "2"],
            ),
            (
                kind("url", &[]),
                &["https://example.com/a?b=c", "http://localhost:3000"],
                &[
                    "example.com",
                    "ftp://example.com",
                    "javascript:alert(1)",
                    "https://",
                ],
            ),
            (
                kind("email", &[]),
                &["taro@example.co.jp"],
                &[
                    "taro",
                    "taro@",
                    "@example.com",
                    "taro@example",
                    "ta ro@example.com",
                ],
            ),
            (
                kind("enum", &["free", "pro", "Enterprise"]),
                &["pro", "PRO", "ｐｒｏ", "enterprise"],
                &["business", "pr"],
            ),
        ];
        for (kind, good, bad) in table {
            for v in good {
                assert!(kind.fits(v), "{} should take {v:?}", kind.name());
            }
            for v in bad {
                assert!(!kind.fits(v), "{} should refuse {v:?}", kind.name());
            }
        }
    }

    fn field(json: &str) -> TemplateFieldJson {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_template_is_refused_with_the_entry_named() {
        let cases = [
            (
                r#"[{"key": "fields.plan", "type": "money"}]"#,
                "template.fields[0].type",
                "unknown type",
            ),
            (
                r#"[{"key": "fields.plan", "type": "enum"}]"#,
                "template.fields[0].type",
                "needs its values",
            ),
            (
                r#"[{"key": "fields.a"}, {"key": "customer.email", "type": "email"}, {"key": "fields.a", "type": "number"}]"#,
                "template.fields[2].key",
                "already fields[0]",
            ),
            (
                r#"[{"key": "fields.", "type": "text"}]"#,
                "template.fields[0].key",
                "unknown field",
            ),
            (
                r#"[{"key": "fields.a", "label": " "}]"#,
                "template.fields[0].label",
                "empty",
            ),
            (
                r#"[{"key": "fields.a", "type": "number", "values": ["1"]}]"#,
                "template.fields[0].type",
                "values are for an enum",
            ),
        ];
        for (fields, path, reason) in cases {
            let json = TemplateJson {
                fields: serde_json::from_str(fields).unwrap(),
            };
            let err = Template::from_json(&json).unwrap_err();
            assert_eq!(err.field, path, "{fields}");
            assert!(err.reason.contains(reason), "{fields}: {}", err.reason);
        }
        let many = TemplateJson {
            fields: (0..=MAX_FIELDS)
                .map(|i| field(&format!(r#"{{"key": "fields.f{i}"}}"#)))
                .collect(),
        };
        assert_eq!(
            Template::from_json(&many).unwrap_err().field,
            "template.fields"
        );
    }

    #[test]
    fn the_modal_lines_read_and_write_the_same_template_as_the_json() {
        let json = TemplateJson {
            fields: serde_json::from_str(
                r#"[{"key": "fields.plan", "label": "プラン", "type": "enum", "values": ["free", "pro", "enterprise"], "required": true},
                    {"key": "fields.amount", "label": {"ja": "金額", "en": "Amount"}, "type": "number"},
                    {"key": "fields.starts_at", "label": "開始", "type": "datetime"},
                    {"key": "customer.email", "label": "メール", "type": "email"}]"#,
            )
            .unwrap(),
        };
        let template = Template::from_json(&json).unwrap();
        let lines = template.to_lines();
        assert_eq!(
            lines,
            "fields.plan | プラン | enum: free, pro, enterprise | required\n\
             fields.amount | 金額 / Amount | number\n\
             fields.starts_at | 開始 | datetime\n\
             customer.email | メール | email"
        );
        assert_eq!(Template::parse_lines(&lines).unwrap(), template);
        assert_eq!(Template::from_json(&template.to_json()).unwrap(), template);
        // A key alone is a text field labelled by its key.
        let bare = Template::parse_lines("\n fields.memo \n").unwrap();
        assert_eq!(bare.fields[0].label, Label::Plain("fields.memo".into()));
        assert_eq!(bare.fields[0].kind, FieldType::Text);
    }

    #[test]
    fn a_bad_line_is_named_by_its_number() {
        let text = "fields.plan | プラン | enum: free, pro\n\nfields.amount | 金額 | money";
        let (line, reason) = Template::parse_lines(text).unwrap_err();
        assert_eq!(line, 3, "blank lines count: people see the box's lines");
        assert!(reason.contains("unknown type"), "{reason}");
        let (line, reason) = Template::parse_lines("fields.a | A | text | maybe").unwrap_err();
        assert_eq!(line, 1);
        assert!(reason.contains("required"), "{reason}");
        let (line, _) = Template::parse_lines("fields.a\nfields.a | again").unwrap_err();
        assert_eq!(line, 2, "the duplicate is the second");
    }

    #[test]
    fn a_value_that_does_not_fit_is_flagged_in_the_reader_s_language() {
        let t = Template::parse_lines("fields.amount | 金額 | number | required").unwrap();
        let f = &t.fields[0];
        assert_eq!(f.misfit(Some("1,200")), None);
        let bad = f.misfit(Some("abc")).unwrap();
        assert_eq!(f.flag(&bad, Lang::En), "⚠ not a number: abc");
        assert_eq!(f.flag(&bad, Lang::Ja), "⚠ 数値ではありません: abc");
        assert_eq!(f.problem(&bad), "fields.amount: not a number: \"abc\"");
        assert_eq!(f.misfit(None), Some(Misfit::Missing));
        let optional = Template::parse_lines("fields.amount | 金額 | number").unwrap();
        assert_eq!(
            optional.fields[0].misfit(None),
            None,
            "absent and optional is fine"
        );
    }
}
