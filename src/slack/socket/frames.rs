//! What Slack sends on a Socket Mode connection, and Herald's acknowledgements. Pure, so
//! each shape is a test with Slack's own example.
//!
//! Shapes from Slack's "Using Socket Mode" guide (https://api.slack.com/apis/socket-mode)
//! and its implementation guide (https://api.slack.com/apis/connections/socket-implement):
//! `hello` (with `debug_info.approximate_connection_time`, seconds), `disconnect` (with a
//! `reason`: `warning`, `refresh_requested`, `link_disabled`, `too_many_websockets`), and
//! envelopes (`envelope_id`, `type`, `payload`, `accepts_response_payload`, and for
//! `events_api` `retry_attempt` / `retry_reason`). slack-morphism's models parse the
//! payloads; the envelope's retry fields, which those models drop, are read here.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use slack_morphism::prelude::*;

/// One frame from Slack.
#[derive(Debug)]
pub enum Frame {
    /// The connection is ready; Slack expects to keep it about this long.
    Hello {
        lifetime: Option<Duration>,
    },
    /// Slack will close this connection (or already refuses to serve it).
    Disconnect {
        reason: DisconnectReason,
    },
    Envelope(Envelope),
    /// JSON Herald cannot read, with the envelope id to acknowledge when it has one (so
    /// Slack does not redeliver what can never be handled).
    Unreadable {
        envelope_id: Option<String>,
        error: String,
    },
}

/// Why Slack sent `disconnect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The connection will be closed in about 10 seconds.
    Warning,
    /// Slack is rotating the connection: open a new one.
    RefreshRequested,
    /// Socket Mode was turned off for the app.
    LinkDisabled,
    /// More than Slack's 10 connections per app.
    TooManyWebsockets,
    Other,
}

impl DisconnectReason {
    fn parse(reason: &str) -> Self {
        match reason {
            "warning" => Self::Warning,
            "refresh_requested" => Self::RefreshRequested,
            "link_disabled" => Self::LinkDisabled,
            "too_many_websockets" => Self::TooManyWebsockets,
            _ => Self::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::RefreshRequested => "refresh_requested",
            Self::LinkDisabled => "link_disabled",
            Self::TooManyWebsockets => "too_many_websockets",
            Self::Other => "other",
        }
    }
}

/// A payload to handle and acknowledge.
#[derive(Debug)]
pub struct Envelope {
    pub id: String,
    /// 0 for a first delivery; Slack counts its redeliveries of an event.
    pub retry_attempt: u32,
    pub body: Body,
}

#[derive(Debug)]
pub enum Body {
    Event(Box<SlackPushEventCallback>),
    Command(Box<SlackCommandEvent>),
    Interaction(Box<SlackInteractionEvent>),
}

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    envelope_id: Option<String>,
    #[serde(default)]
    retry_attempt: Option<u32>,
    #[serde(default)]
    payload: Value,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    debug_info: Option<DebugInfo>,
}

#[derive(Deserialize)]
struct DebugInfo {
    approximate_connection_time: Option<u64>,
}

/// Reads one text frame.
pub fn parse(text: &str) -> Frame {
    let head: Head = match serde_json::from_str(text) {
        Ok(head) => head,
        Err(err) => {
            let envelope_id = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v["envelope_id"].as_str().map(str::to_string));
            return Frame::Unreadable {
                envelope_id,
                error: err.to_string(),
            };
        }
    };
    let unreadable = |error: String| Frame::Unreadable {
        envelope_id: head.envelope_id.clone(),
        error,
    };
    match head.kind.as_str() {
        "hello" => Frame::Hello {
            lifetime: head
                .debug_info
                .and_then(|d| d.approximate_connection_time)
                .map(Duration::from_secs),
        },
        "disconnect" => Frame::Disconnect {
            reason: DisconnectReason::parse(head.reason.as_deref().unwrap_or_default()),
        },
        kind @ ("events_api" | "slash_commands" | "interactive") => {
            let Some(id) = head.envelope_id.clone() else {
                return unreadable(format!("a {kind} envelope without an envelope_id"));
            };
            let body = match kind {
                "events_api" => {
                    serde_json::from_value(head.payload).map(|e| Body::Event(Box::new(e)))
                }
                "slash_commands" => {
                    serde_json::from_value(head.payload).map(|c| Body::Command(Box::new(c)))
                }
                _ => serde_json::from_value(head.payload).map(|i| Body::Interaction(Box::new(i))),
            };
            match body {
                Ok(body) => Frame::Envelope(Envelope {
                    id,
                    retry_attempt: head.retry_attempt.unwrap_or(0),
                    body,
                }),
                Err(err) => unreadable(format!("{kind} payload: {err}")),
            }
        }
        other => unreadable(format!("unknown frame type {other:?}")),
    }
}

/// The acknowledgement of an envelope, with the response payload Slack shows (a
/// command's answer, a modal's errors, a picker's options) when there is one.
pub fn ack(envelope_id: &str, payload: Option<Value>) -> String {
    let mut ack = serde_json::json!({ "envelope_id": envelope_id });
    if let Some(payload) = payload.filter(|p| !p.is_null()) {
        ack["payload"] = payload;
    }
    ack.to_string()
}

/// A command's answer as an ack payload.
pub fn command_payload(response: &SlackCommandEventResponse) -> Option<Value> {
    serde_json::to_value(response).ok()
}

/// An interaction's answer as an ack payload (none for a plain button press).
pub fn interaction_payload(response: &SlackInteractionResponse) -> Option<Value> {
    match response {
        SlackInteractionResponse::Empty => None,
        other => serde_json::to_value(other).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's `hello` example (api.slack.com/apis/socket-mode).
    const HELLO: &str = r#"{"type": "hello", "num_connections": 1,
        "debug_info": {"host": "applink-7fc4fdbb64-4x5xq", "build_number": 10,
                       "approximate_connection_time": 18060},
        "connection_info": {"app_id": "A01K58AR4RF"}}"#;

    #[test]
    fn hello_gives_the_connections_expected_lifetime() {
        match parse(HELLO) {
            Frame::Hello { lifetime } => assert_eq!(lifetime, Some(Duration::from_secs(18060))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn disconnect_reasons_are_told_apart() {
        for (reason, expected) in [
            ("warning", DisconnectReason::Warning),
            ("refresh_requested", DisconnectReason::RefreshRequested),
            ("link_disabled", DisconnectReason::LinkDisabled),
            ("too_many_websockets", DisconnectReason::TooManyWebsockets),
            ("something_new", DisconnectReason::Other),
        ] {
            let text = format!(
                r#"{{"type": "disconnect", "reason": "{reason}", "debug_info": {{"host": "wss-111.slack.com"}}}}"#
            );
            match parse(&text) {
                Frame::Disconnect { reason } => assert_eq!(reason, expected, "{reason:?}"),
                other => panic!("{reason}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_events_api_envelope_carries_its_retry_attempt() {
        // The envelope of Slack's Socket Mode guide around the Events API callback of
        // Slack's SDK fixture (tests/fixtures/slack/app_home_opened.json).
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/slack/app_home_opened.json"
        );
        let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let text = serde_json::json!({
            "envelope_id": "dbdd0ef3-1543-4f94-bfb4-133d0e6c1545",
            "payload": fixture["data"],
            "type": "events_api",
            "accepts_response_payload": false,
            "retry_attempt": 1,
            "retry_reason": "timeout"
        })
        .to_string();
        match parse(&text) {
            Frame::Envelope(Envelope {
                id,
                retry_attempt,
                body: Body::Event(_),
            }) => {
                assert_eq!(id, "dbdd0ef3-1543-4f94-bfb4-133d0e6c1545");
                assert_eq!(retry_attempt, 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unreadable_frames_keep_their_envelope_id_to_be_acknowledged() {
        let cases = [
            (
                r#"{"type": "events_api", "envelope_id": "e1", "payload": {"nope": 1}}"#,
                Some("e1"),
            ),
            (r#"{"type": "brand_new", "envelope_id": "e2"}"#, Some("e2")),
            (r#"{"type": "slash_commands", "payload": {}}"#, None),
            ("not json", None),
        ];
        for (text, id) in cases {
            match parse(text) {
                Frame::Unreadable { envelope_id, .. } => {
                    assert_eq!(envelope_id.as_deref(), id, "{text}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn acks_carry_a_payload_only_when_there_is_one() {
        assert_eq!(ack("e1", None), r#"{"envelope_id":"e1"}"#);
        assert_eq!(ack("e1", Some(Value::Null)), r#"{"envelope_id":"e1"}"#);
        let with = ack("e1", Some(serde_json::json!({"text": "hi"})));
        assert_eq!(
            serde_json::from_str::<Value>(&with).unwrap(),
            serde_json::json!({"envelope_id": "e1", "payload": {"text": "hi"}})
        );
        assert_eq!(interaction_payload(&SlackInteractionResponse::Empty), None);
    }
}
