//! Domain types that parse instead of validate: a value of these types is always valid.
//!
//! `PlatformEvent` is the webhook body as the router and renderer see it; `Rule` is a
//! notification rule; `Mentions` cannot hold more than three ids (the seed's limit).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::{ErrorCategory, EventType, UnsupportedType};

/// Why a value was refused; `field` is the JSON path the caller can fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    fn at(self, prefix: &str) -> Self {
        Self {
            field: format!("{prefix}.{}", self.field),
            ..self
        }
    }
}

fn is_slack_id(s: &str, prefixes: &[char]) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| prefixes.contains(&c))
        && s.len() >= 3
        && s.len() <= 32
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A Slack channel id (`C…` or `G…`). Privacy is never inferred from the prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ChannelId(String);

impl ChannelId {
    pub fn parse(s: &str) -> Result<Self, String> {
        if is_slack_id(s, &['C', 'G']) {
            Ok(Self(s.to_string()))
        } else {
            Err(format!("{s:?} is not a Slack channel id (C… or G…)"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ChannelId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Someone a notification mentions: a user (`U…`/`W…`) or a user group (`S…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mention {
    User(String),
    Group(String),
}

impl Mention {
    pub fn parse(s: &str) -> Result<Self, String> {
        if is_slack_id(s, &['U', 'W']) {
            Ok(Mention::User(s.to_string()))
        } else if is_slack_id(s, &['S']) {
            Ok(Mention::Group(s.to_string()))
        } else {
            Err(format!(
                "{s:?} is not a Slack user (U…/W…) or user group (S…) id"
            ))
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Mention::User(id) | Mention::Group(id) => id,
        }
    }

    /// The mrkdwn that makes Slack notify this person or group.
    pub fn to_mrkdwn(&self) -> String {
        match self {
            Mention::User(id) => format!("<@{id}>"),
            Mention::Group(id) => format!("<!subteam^{id}>"),
        }
    }
}

impl Serialize for Mention {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Mention {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// At most three mentions per rule, without repeats, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mentions(Vec<Mention>);

impl Mentions {
    pub const MAX: usize = 3;

    pub fn new(mentions: Vec<Mention>) -> Result<Self, String> {
        let mut unique: Vec<Mention> = Vec::with_capacity(mentions.len());
        for m in mentions {
            if !unique.contains(&m) {
                unique.push(m);
            }
        }
        if unique.len() > Self::MAX {
            return Err(format!(
                "at most {} mentions, got {}",
                Self::MAX,
                unique.len()
            ));
        }
        Ok(Self(unique))
    }

    pub fn parse_all(ids: &[String]) -> Result<Self, String> {
        Self::new(
            ids.iter()
                .map(|s| Mention::parse(s))
                .collect::<Result<_, _>>()?,
        )
    }

    pub fn iter(&self) -> impl Iterator<Item = &Mention> {
        self.0.iter()
    }

    pub fn ids(&self) -> Vec<String> {
        self.0.iter().map(|m| m.id().to_string()).collect()
    }
}

/// What a rule reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleTrigger {
    /// A meeting event, for one meeting type or (None) every meeting type.
    Event {
        event_type: EventType,
        meeting_type: Option<String>,
    },
    /// Error events of these categories.
    Error { categories: Vec<ErrorCategory> },
}

/// A notification rule as stored; `id` and `team_id` are assigned by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub team_id: String,
    pub trigger: RuleTrigger,
    pub channel: ChannelId,
    pub mentions: Mentions,
    pub enabled: bool,
    /// Who is mentioned instead of the rule's people while they are away.
    pub backup: Option<Mention>,
    pub lifecycle: Lifecycle,
}

/// How a rule shows a threaded conversation's state changes (assigned, closed,
/// reopened, a booking cancelled or rescheduled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// Edit the parent (a status line) and reply in the thread.
    #[default]
    EditParent,
    /// Reply in the thread only, mentioning the conversation's owner so someone sees it.
    ThreadOnly,
    /// Reply in the thread and also to the channel (`reply_broadcast`).
    Broadcast,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 3] = [
        Lifecycle::EditParent,
        Lifecycle::ThreadOnly,
        Lifecycle::Broadcast,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::EditParent => "edit_parent",
            Lifecycle::ThreadOnly => "thread_only",
            Lifecycle::Broadcast => "broadcast",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn label(self, lang: crate::catalog::Lang) -> &'static str {
        match self {
            Lifecycle::EditParent => lang.pick(
                "親メッセージを更新してスレッドに返信",
                "Edit the parent and reply in the thread",
            ),
            Lifecycle::ThreadOnly => lang.pick(
                "スレッドにだけ返信(担当者をメンション)",
                "Reply in the thread only (mention the owner)",
            ),
            Lifecycle::Broadcast => lang.pick(
                "スレッドに返信してチャンネルにも送信",
                "Reply in the thread and also to the channel",
            ),
        }
    }

    fn is_default(&self) -> bool {
        *self == Lifecycle::EditParent
    }
}

impl Rule {
    /// Characters of [`Rule::short_ref`].
    pub const SHORT_REF: usize = 6;

    /// The end of the rule's id (its random part): short enough to type after
    /// `/herald edit`, long enough to be unique among one workspace's rules.
    pub fn short_ref(&self) -> &str {
        let start = self.id.len().saturating_sub(Self::SHORT_REF);
        self.id.get(start..).unwrap_or(&self.id)
    }

    /// Whether a reference typed by an admin (a short ref or a whole id) names this rule.
    pub fn is_named_by(&self, reference: &str) -> bool {
        self.id.eq_ignore_ascii_case(reference)
            || (reference.len() >= 4
                && self.id.len() >= reference.len()
                && self
                    .id
                    .get(self.id.len() - reference.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(reference)))
    }
}

/// The JSON form of rules (`herald rules import|export`), as fixed in DESIGN.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RuleJson {
    Event {
        event_type: String,
        #[serde(default)]
        meeting_type: Option<String>,
        channel: String,
        #[serde(default)]
        mentions: Vec<String>,
        #[serde(default = "enabled_default")]
        enabled: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backup: Option<String>,
        #[serde(default, skip_serializing_if = "Lifecycle::is_default")]
        lifecycle: Lifecycle,
    },
    Error {
        categories: Vec<String>,
        channel: String,
        #[serde(default)]
        mentions: Vec<String>,
        #[serde(default = "enabled_default")]
        enabled: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backup: Option<String>,
        #[serde(default, skip_serializing_if = "Lifecycle::is_default")]
        lifecycle: Lifecycle,
    },
}

fn enabled_default() -> bool {
    true
}

/// A validated rule not yet stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub trigger: RuleTrigger,
    pub channel: ChannelId,
    pub mentions: Mentions,
    pub enabled: bool,
    pub backup: Option<Mention>,
    pub lifecycle: Lifecycle,
}

impl RuleJson {
    pub fn validate(&self) -> Result<NewRule, FieldError> {
        let (channel, mentions, enabled, backup, lifecycle) = match self {
            RuleJson::Event {
                channel,
                mentions,
                enabled,
                backup,
                lifecycle,
                ..
            }
            | RuleJson::Error {
                channel,
                mentions,
                enabled,
                backup,
                lifecycle,
                ..
            } => (channel, mentions, *enabled, backup, *lifecycle),
        };
        let backup = match backup {
            None => None,
            Some(id) => Some(Mention::parse(id).map_err(|e| FieldError::new("backup", e))?),
        };
        let trigger = match self {
            RuleJson::Event {
                event_type,
                meeting_type,
                ..
            } => {
                let event_type = match EventType::parse(event_type) {
                    Ok(t) if t.error_category().is_none() => t,
                    Ok(_) => {
                        return Err(FieldError::new(
                            "event_type",
                            "error events are routed by error rules (kind \"error\")",
                        ));
                    }
                    Err(_) => {
                        return Err(FieldError::new(
                            "event_type",
                            format!("unknown event type {event_type:?}"),
                        ));
                    }
                };
                let meeting_type = meeting_type.as_ref().map(|m| m.trim().to_string());
                if meeting_type.as_ref().is_some_and(String::is_empty) {
                    return Err(FieldError::new(
                        "meeting_type",
                        "use null for every meeting type",
                    ));
                }
                RuleTrigger::Event {
                    event_type,
                    meeting_type,
                }
            }
            RuleJson::Error { categories, .. } => {
                if categories.is_empty() {
                    return Err(FieldError::new("categories", "name at least one category"));
                }
                let mut parsed = categories
                    .iter()
                    .map(|c| {
                        c.parse::<ErrorCategory>().map_err(|()| {
                            FieldError::new("categories", format!("unknown category {c:?}"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                parsed.sort();
                parsed.dedup();
                RuleTrigger::Error { categories: parsed }
            }
        };
        Ok(NewRule {
            trigger,
            channel: ChannelId::parse(channel).map_err(|e| FieldError::new("channel", e))?,
            mentions: Mentions::parse_all(mentions).map_err(|e| FieldError::new("mentions", e))?,
            enabled,
            backup,
            lifecycle,
        })
    }
}

impl From<&Rule> for RuleJson {
    fn from(rule: &Rule) -> Self {
        let channel = rule.channel.to_string();
        let mentions = rule.mentions.ids();
        let backup = rule.backup.as_ref().map(|m| m.id().to_string());
        match &rule.trigger {
            RuleTrigger::Event {
                event_type,
                meeting_type,
            } => RuleJson::Event {
                event_type: event_type.as_str().into(),
                meeting_type: meeting_type.clone(),
                channel,
                mentions,
                enabled: rule.enabled,
                backup,
                lifecycle: rule.lifecycle,
            },
            RuleTrigger::Error { categories } => RuleJson::Error {
                categories: categories.iter().map(|c| c.as_str().to_string()).collect(),
                channel,
                mentions,
                enabled: rule.enabled,
                backup,
                lifecycle: rule.lifecycle,
            },
        }
    }
}

/// Validates a whole rules file; the first bad entry is named by its index.
pub fn validate_rules(entries: &[RuleJson]) -> Result<Vec<NewRule>, FieldError> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| e.validate().map_err(|err| err.at(&format!("[{i}]"))))
        .collect()
}

/// The meeting host: a Slack user id, or an email to resolve with `users.lookupByEmail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostRef {
    User(String),
    Email(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingType {
    pub id: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Customer {
    pub name: Option<String>,
    pub company: Option<String>,
    pub email: Option<String>,
}

/// A platform event after parsing: the router's and renderer's input.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformEvent {
    pub event_type: EventType,
    /// Unix seconds.
    pub occurred_at: i64,
    pub meeting_type: Option<MeetingType>,
    pub host: Option<HostRef>,
    pub customer: Customer,
    pub title: Option<String>,
    pub url: Option<String>,
    /// Extra key facts, shown in order of their keys.
    pub fields: BTreeMap<String, String>,
    /// A Slack channel the event is about (Herald's delivery failure reports).
    pub slack_channel: Option<ChannelId>,
    /// The chat conversation (conversation.* events; may come with others too).
    pub conversation: Option<Conversation>,
    /// The message a conversation.message.* event is about.
    pub message: Option<ChatMessage>,
    /// conversation.history: up to 100 messages, oldest first.
    pub messages: Vec<ChatMessage>,
}

/// A chat conversation on the platform: its id is the thread's key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conversation {
    pub id: String,
    /// `open` or `closed` (a closed conversation ends its thread).
    pub state: Option<String>,
    /// The page the customer wrote from.
    pub page: Option<String>,
    pub assignee: Option<Person>,
    /// The contact's owner (HubSpot's "contact owner").
    pub owner: Option<Person>,
}

impl Conversation {
    pub fn is_closed(&self) -> bool {
        self.state.as_deref() == Some("closed")
    }
}

/// Someone on the platform side (an operator, an owner).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    pub id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub id: String,
    pub text: String,
    /// `customer`, `operator` or `bot`.
    pub author_kind: Option<String>,
    pub author_name: Option<String>,
}

/// The most messages `conversation.history` may carry.
pub const HISTORY_MAX: usize = 100;

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
    Ok(ChatMessage {
        id,
        text,
        author_kind,
        author_name,
    })
}

/// Who wrote an event body: only Herald may raise its own event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Platform,
    Herald,
}

/// Why an event body was refused: `Malformed` is a 400, the rest 422.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the body is not valid JSON: {0}")]
    Malformed(String),
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("{0}")]
    Invalid(FieldError),
}

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
                    Some(s) if s == "open" || s == "closed" => Some(s),
                    Some(_) => {
                        return Err(invalid(
                            "conversation.state",
                            "must be \"open\" or \"closed\"",
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
                k != crate::catalog::ConversationKind::MessageDeleted,
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
            (Some(crate::catalog::ConversationKind::History), Some(Value::Array(items))) => {
                if items.len() > HISTORY_MAX {
                    return Err(invalid("messages", "at most 100 messages, oldest first"));
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, m)| chat_message(m, &format!("messages[{i}]"), true))
                    .collect::<Result<Vec<_>, _>>()?
            }
            (Some(crate::catalog::ConversationKind::History), _) => {
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
                Some(c) => Some(ChannelId::parse(&c).map_err(|e| invalid("slack_channel", &e))?),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_hold_at_most_three_distinct_ids() {
        let ids = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            Mentions::parse_all(&ids(&["U1AA", "S2BB", "W3CC"]))
                .unwrap()
                .ids()
                .len(),
            3
        );
        assert_eq!(
            Mentions::parse_all(&ids(&["U1AA", "U1AA", "U1AA", "S2BB"]))
                .unwrap()
                .ids(),
            ["U1AA", "S2BB"]
        );
        assert!(Mentions::parse_all(&ids(&["U1AA", "U2BB", "U3CC", "U4DD"])).is_err());
        assert!(Mentions::parse_all(&ids(&["C1AA"])).is_err());
    }

    #[test]
    fn mention_markup_notifies_users_and_groups() {
        assert_eq!(Mention::parse("U0AAA").unwrap().to_mrkdwn(), "<@U0AAA>");
        assert_eq!(
            Mention::parse("S0BBB").unwrap().to_mrkdwn(),
            "<!subteam^S0BBB>"
        );
    }

    #[test]
    fn channel_ids_are_checked() {
        assert!(ChannelId::parse("C0123ABC").is_ok());
        assert!(ChannelId::parse("G0123ABC").is_ok());
        for bad in ["", "C", "#general", "c0123", "U0123", "C01 23"] {
            assert!(ChannelId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_file_from_design_validates() {
        let json = r#"[
          {"kind": "event", "event_type": "booking.created", "meeting_type": "mt_1", "channel": "C0123", "mentions": ["U0AAA", "S0BBB"], "enabled": true},
          {"kind": "event", "event_type": "booking.cancelled", "meeting_type": null, "channel": "C0456", "mentions": []},
          {"kind": "error", "categories": ["salesforce", "calendar", "external_api", "internal", "delivery"], "channel": "C0789", "mentions": ["U0CCC"]}
        ]"#;
        let entries: Vec<RuleJson> = serde_json::from_str(json).unwrap();
        let rules = validate_rules(&entries).unwrap();
        assert_eq!(rules.len(), 3);
        assert!(rules[1].enabled, "enabled defaults to true");
    }

    #[test]
    fn invalid_rule_entries_are_named_by_index_and_field() {
        let cases = [
            (
                r#"{"kind":"event","event_type":"nope","channel":"C1AA"}"#,
                "[1].event_type",
            ),
            (
                r#"{"kind":"event","event_type":"error.calendar","channel":"C1AA"}"#,
                "[1].event_type",
            ),
            (
                r##"{"kind":"event","event_type":"booking.created","channel":"#x"}"##,
                "[1].channel",
            ),
            (
                r#"{"kind":"event","event_type":"booking.created","channel":"C1AA","mentions":["U1","U2AA","U3AA","U4AA"]}"#,
                "[1].mentions",
            ),
            (
                r#"{"kind":"error","categories":[],"channel":"C1AA"}"#,
                "[1].categories",
            ),
            (
                r#"{"kind":"error","categories":["x"],"channel":"C1AA"}"#,
                "[1].categories",
            ),
        ];
        let good: RuleJson = serde_json::from_str(
            r#"{"kind":"event","event_type":"booking.created","channel":"C1AA"}"#,
        )
        .unwrap();
        for (bad, field) in cases {
            let entries = vec![good.clone(), serde_json::from_str(bad).unwrap()];
            let err = validate_rules(&entries).unwrap_err();
            assert_eq!(err.field, field, "{bad}");
        }
    }

    #[test]
    fn export_then_import_is_identity() {
        let rule = Rule {
            id: "r1".into(),
            team_id: "T1".into(),
            trigger: RuleTrigger::Error {
                categories: vec![ErrorCategory::Calendar, ErrorCategory::Delivery],
            },
            channel: ChannelId::parse("C0789").unwrap(),
            mentions: Mentions::parse_all(&["U0CCC".into()]).unwrap(),
            enabled: false,
            backup: Some(Mention::parse("S0BACKUP").unwrap()),
            lifecycle: Lifecycle::Broadcast,
        };
        let json = RuleJson::from(&rule);
        let back = json.validate().unwrap();
        assert_eq!(back.trigger, rule.trigger);
        assert_eq!(back.channel, rule.channel);
        assert_eq!(back.mentions, rule.mentions);
        assert_eq!(back.backup, rule.backup);
        assert_eq!(back.lifecycle, Lifecycle::Broadcast);
        assert!(!back.enabled);
    }

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
