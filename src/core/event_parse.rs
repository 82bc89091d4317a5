//! `PlatformEvent::parse`: a webhook body checked field by field, so every refusal
//! names the JSON path the platform can fix.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::core::catalog::{EventType, UnsupportedType};
use crate::core::event::*;
use crate::core::ids::ChannelId;
use crate::core::rule::{FieldError, Mention};

impl PlatformEvent {
    /// Parses and validates a webhook body.
    pub fn parse(body: &[u8]) -> Result<Self, EventError> {
        Self::parse_from(body, Origin::Platform)
    }

    pub fn parse_from(body: &[u8], origin: Origin) -> Result<Self, EventError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| EventError::Malformed(e.to_string()))?;
        let obj = value.as_object().ok_or_else(|| {
            EventError::Invalid(FieldError::new("$", "the event must be a JSON object"))
        })?;
        let invalid =
            |field: &str, reason: &str| EventError::Invalid(FieldError::new(field, reason));

        let type_name = obj
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("type", "required, a string such as \"booking.created\""))?;
        let event_type = match EventType::parse(type_name) {
            Ok(t) if t.platform_may_send() || origin == Origin::Herald => t,
            Ok(_) | Err(UnsupportedType::Unknown) => {
                return Err(EventError::UnknownType(type_name.into()));
            }
        };
        let occurred_at = obj
            .get("occurred_at")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("occurred_at", "required, an RFC 3339 timestamp"))?;
        let occurred_at = time::OffsetDateTime::parse(
            occurred_at,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|_| invalid("occurred_at", "must be an RFC 3339 timestamp with a zone"))?
        .unix_timestamp();

        let meeting_type = match obj.get("meeting_type") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(MeetingType {
                id: nonblank(m.get("id"), "meeting_type.id")?
                    .ok_or_else(|| invalid("meeting_type.id", "required, a string"))?,
                name: nonblank(m.get("name"), "meeting_type.name")?,
            }),
            Some(_) => return Err(invalid("meeting_type", "must be an object {id, name}")),
        };
        let host = match obj.get("host") {
            None | Some(Value::Null) => None,
            Some(Value::Object(h)) => {
                let user = nonblank(h.get("slack_user_id"), "host.slack_user_id")?;
                let email = nonblank(h.get("email"), "host.email")?;
                match (user, email) {
                    (Some(u), _) => Some(HostRef::User(
                        Mention::parse(&u)
                            .ok()
                            .filter(|m| matches!(m, Mention::User(_)))
                            .map(|m| m.id().to_string())
                            .ok_or_else(|| {
                                invalid("host.slack_user_id", "must be a Slack user id (U…/W…)")
                            })?,
                    )),
                    (None, Some(e)) if e.contains('@') => Some(HostRef::Email(e)),
                    (None, Some(_)) => return Err(invalid("host.email", "must be an email")),
                    (None, None) => None,
                }
            }
            Some(_) => return Err(invalid("host", "must be an object {slack_user_id, email}")),
        };
        let customer = match obj.get("customer") {
            None | Some(Value::Null) => Customer::default(),
            Some(Value::Object(c)) => Customer {
                name: nonblank(c.get("name"), "customer.name")?,
                company: nonblank(c.get("company"), "customer.company")?,
                email: nonblank(c.get("email"), "customer.email")?,
            },
            Some(_) => return Err(invalid("customer", "must be an object")),
        };
        let url = nonblank(obj.get("url"), "url")?;
        if let Some(u) = &url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err(invalid("url", "must be an http:// or https:// URL"));
        }
        let fields = match obj.get("fields") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(f)) => f
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Null => String::new(),
                        _ => {
                            return Err(invalid(
                                &format!("fields.{k}"),
                                "must be a string, number or boolean",
                            ));
                        }
                    };
                    Ok((k.clone(), text))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(invalid("fields", "must be an object of key facts")),
        };
        let conversation = match obj.get("conversation") {
            None | Some(Value::Null) => None,
            Some(Value::Object(c)) => Some(Conversation {
                id: nonblank(c.get("id"), "conversation.id")?
                    .ok_or_else(|| invalid("conversation.id", "required, a string"))?,
                state: match nonblank(c.get("state"), "conversation.state")? {
                    Some(s) if s == "open" || s == "pending" || s == "closed" => Some(s),
                    Some(_) => {
                        return Err(invalid(
                            "conversation.state",
                            "must be \"open\", \"pending\" or \"closed\"",
                        ));
                    }
                    None => None,
                },
                page: nonblank(c.get("page"), "conversation.page")?,
                assignee: person(c.get("assignee"), "conversation.assignee")?,
                owner: person(c.get("owner"), "conversation.owner")?,
            }),
            Some(_) => return Err(invalid("conversation", "must be an object {id, state, …}")),
        };
        let kind = event_type.conversation();
        if kind.is_some() && conversation.is_none() {
            return Err(invalid(
                "conversation",
                "required for conversation events: an object with the conversation's id",
            ));
        }
        let message = match (kind, obj.get("message")) {
            (Some(k), Some(m)) if k.has_message() => Some(chat_message(
                m,
                "message",
                k != crate::core::catalog::ConversationKind::MessageDeleted,
            )?),
            (Some(k), _) if k.has_message() => {
                return Err(invalid(
                    "message",
                    "required: the message {id, text, author}",
                ));
            }
            _ => None,
        };
        let messages = match (kind, obj.get("messages")) {
            (Some(crate::core::catalog::ConversationKind::History), Some(Value::Array(items))) => {
                if items.len() > HISTORY_MAX {
                    return Err(invalid("messages", "at most 100 messages, oldest first"));
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, m)| chat_message(m, &format!("messages[{i}]"), true))
                    .collect::<Result<Vec<_>, _>>()?
            }
            (Some(crate::core::catalog::ConversationKind::History), _) => {
                return Err(invalid(
                    "messages",
                    "required: an array of up to 100 messages, oldest first",
                ));
            }
            _ => Vec::new(),
        };
        Ok(Self {
            event_type,
            occurred_at,
            meeting_type,
            host,
            customer,
            title: nonblank(obj.get("title"), "title")?,
            url,
            fields,
            slack_channel: match nonblank(obj.get("slack_channel"), "slack_channel")? {
                None => None,
                Some(c) => {
                    Some(ChannelId::parse_target(&c).map_err(|e| invalid("slack_channel", &e))?)
                }
            },
            conversation,
            message,
            messages,
        })
    }
}

/// The longest value a field may have, in bytes, where one is needed: ids and emails
/// become index and cache keys (an email is at most 254 bytes, RFC 5321), so a hostile
/// platform cannot make either large. Free text is bounded by the body limit alone.
fn max_len(field: &str) -> Option<usize> {
    if field.ends_with("email") {
        Some(254)
    } else if field.ends_with(".id") || field.ends_with("_id") || field == "meeting_type.name" {
        Some(256)
    } else {
        None
    }
}

fn nonblank(value: Option<&Value>, field: &str) -> Result<Option<String>, EventError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if max_len(field).is_some_and(|max| s.trim().len() > max) => {
            Err(EventError::Invalid(FieldError::new(
                field,
                format!(
                    "must be at most {} bytes",
                    max_len(field).unwrap_or_default()
                ),
            )))
        }
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(EventError::Invalid(FieldError::new(
            field,
            "must be a string",
        ))),
    }
}

fn person(value: Option<&Value>, field: &str) -> Result<Option<Person>, EventError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(p)) => Ok(Some(Person {
            id: nonblank(p.get("id"), &format!("{field}.id"))?,
            email: nonblank(p.get("email"), &format!("{field}.email"))?,
            name: nonblank(p.get("name"), &format!("{field}.name"))?,
        })),
        Some(_) => Err(EventError::Invalid(FieldError::new(
            field,
            "must be an object {id, email, name}",
        ))),
    }
}

fn chat_message(value: &Value, field: &str, needs_text: bool) -> Result<ChatMessage, EventError> {
    let invalid = |f: &str, reason: &str| EventError::Invalid(FieldError::new(f, reason));
    let Value::Object(m) = value else {
        return Err(invalid(field, "must be an object {id, text, author}"));
    };
    let id = nonblank(m.get("id"), &format!("{field}.id"))?
        .ok_or_else(|| invalid(&format!("{field}.id"), "required, a string"))?;
    let text = match m.get("text") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) if !needs_text => String::new(),
        None | Some(Value::Null) => {
            return Err(invalid(&format!("{field}.text"), "required, a string"));
        }
        Some(_) => return Err(invalid(&format!("{field}.text"), "must be a string")),
    };
    let (author_kind, author_name) = match m.get("author") {
        None | Some(Value::Null) => (None, None),
        Some(Value::Object(a)) => (
            nonblank(a.get("kind"), &format!("{field}.author.kind"))?,
            nonblank(a.get("name"), &format!("{field}.author.name"))?,
        ),
        Some(_) => {
            return Err(invalid(
                &format!("{field}.author"),
                "must be an object {kind, name}",
            ));
        }
    };
    let attachments = match m.get("attachments") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_ATTACHMENTS => items
            .iter()
            .enumerate()
            .map(|(i, a)| attachment(a, &format!("{field}.attachments[{i}]")))
            .collect::<Result<_, _>>()?,
        Some(Value::Array(_)) => {
            return Err(invalid(
                &format!("{field}.attachments"),
                "at most 10 files a message",
            ));
        }
        Some(_) => {
            return Err(invalid(
                &format!("{field}.attachments"),
                "must be an array of {name, url, mimetype, size}",
            ));
        }
    };
    Ok(ChatMessage {
        id,
        text,
        author_kind,
        author_name,
        attachments,
    })
}

/// Files one message may carry.
const MAX_ATTACHMENTS: usize = 10;

fn attachment(value: &Value, field: &str) -> Result<Attachment, EventError> {
    let invalid = |f: &str, reason: &str| EventError::Invalid(FieldError::new(f, reason));
    let Value::Object(a) = value else {
        return Err(invalid(
            field,
            "must be an object {name, url, mimetype, size}",
        ));
    };
    let name = nonblank(a.get("name"), &format!("{field}.name"))?
        .filter(|n| n.chars().count() <= 255)
        .ok_or_else(|| invalid(&format!("{field}.name"), "required, 1 to 255 characters"))?;
    let url = nonblank(a.get("url"), &format!("{field}.url"))?
        .filter(|u| u.len() <= 2000 && (u.starts_with("https://") || u.starts_with("http://")))
        .ok_or_else(|| invalid(&format!("{field}.url"), "required, an https URL"))?;
    let mimetype = nonblank(a.get("mimetype"), &format!("{field}.mimetype"))?;
    let size =
        match a.get("size") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().ok_or_else(|| {
                invalid(&format!("{field}.size"), "must be a whole number of bytes")
            })?),
        };
    Ok(Attachment {
        name,
        url,
        mimetype,
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_parse_accepts_design_example() {
        let body = r#"{ "type": "booking.created", "occurred_at": "2026-11-21T10:00:00+09:00",
          "meeting_type": {"id": "mt_1", "name": "初回面談"},
          "host": {"slack_user_id": "U0123", "email": "host@example.com"},
          "conversation": {"id": "chat_42", "state": "open"},
          "customer": {"name": "山田", "company": "ACME", "email": "y@example.com"},
          "title": "初回面談", "url": "https://example.com/b/1", "fields": {"予算": "100万円", "人数": 3} }"#;
        let e = PlatformEvent::parse(body.as_bytes()).unwrap();
        assert_eq!(e.event_type, EventType::BookingCreated);
        assert_eq!(e.occurred_at, 1_795_222_800); // 2026-11-21T01:00:00Z
        assert_eq!(e.host, Some(HostRef::User("U0123".into())));
        assert_eq!(e.fields["人数"], "3");
    }

    #[test]
    fn event_parse_errors_name_the_problem() {
        let cases: [(&[u8], EventError); 7] = [
            (b"{not json", EventError::Malformed(String::new())),
            (br#"{"type":"x.y","occurred_at":"2026-11-21T10:00:00Z"}"#, EventError::UnknownType("x.y".into())),
            (
                br#"{"type":"error.delivery","occurred_at":"2026-11-21T10:00:00Z"}"#,
                EventError::UnknownType("error.delivery".into()),
            ),
            (
                br#"{"type":"conversation.closed","occurred_at":"2026-11-21T10:00:00Z"}"#,
                EventError::Invalid(FieldError::new("conversation", "")),
            ),
            (br#"{"type":"booking.created"}"#, EventError::Invalid(FieldError::new("occurred_at", ""))),
            (
                br#"{"type":"booking.created","occurred_at":"2026-11-21T10:00:00Z","url":"javascript:x"}"#,
                EventError::Invalid(FieldError::new("url", "")),
            ),
            (
                br#"{"type":"booking.created","occurred_at":"2026-11-21T10:00:00Z","host":{"slack_user_id":"C1"}}"#,
                EventError::Invalid(FieldError::new("host.slack_user_id", "")),
            ),
        ];
        for (body, expected) in cases {
            let err = PlatformEvent::parse(body).unwrap_err();
            match (&err, &expected) {
                (EventError::Malformed(_), EventError::Malformed(_)) => {}
                (EventError::Invalid(a), EventError::Invalid(b)) => assert_eq!(a.field, b.field),
                _ => assert_eq!(err, expected),
            }
        }
    }
}
