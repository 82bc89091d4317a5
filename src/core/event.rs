//! The inbound platform contract: a webhook body after parsing, as the router and
//! renderer see it. Parsing is in [`crate::core::event_parse`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::core::catalog::EventType;
use crate::core::ids::ChannelId;
use crate::core::rule::FieldError;

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
    /// `open`, `pending` or `closed` (only a closed conversation ends its thread).
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
    /// Files it carries, uploaded into the thread.
    pub attachments: Vec<Attachment>,
}

/// A file a platform message carries: where to download it, and what it says it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attachment {
    pub name: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mimetype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// The most messages `conversation.history` may carry.
pub const HISTORY_MAX: usize = 100;

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
