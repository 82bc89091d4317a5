//! The seam between Slack's two transports (HTTP and Socket Mode) and Herald's features:
//! the transports verify and parse what Slack sends and hand it to a [`SlackHandler`],
//! so nothing in `slack` names a feature. The bot (`crate::bot`) implements it.

use std::future::Future;

use slack_morphism::prelude::*;

/// What became of a pushed event; the transport answers Slack so that it redelivers
/// whatever was not done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventAck {
    /// Handled now, or a redelivery of one handled already.
    Done,
    /// Being handled elsewhere at this moment: Slack should retry later.
    InProgress,
    /// Could not be handled (storage down, a feature failing): Slack should retry.
    Failed,
}

/// Whether a signed command or interaction is seen for the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstUse {
    Yes,
    /// Handled before under the same signature: a replay.
    Replayed,
    /// Could not be told (storage down).
    Unavailable,
}

/// Herald's answer to everything Slack sends.
pub trait SlackHandler: Clone + Send + Sync + 'static {
    /// Records a verified command's or interaction's signature (Slack never sends one
    /// twice, so a second use is a replay).
    fn first_use(&self, signature: &str, timestamp: i64) -> impl Future<Output = FirstUse> + Send;

    /// Handles one Events API callback, once per `event_id`.
    fn event(&self, callback: SlackPushEventCallback) -> impl Future<Output = EventAck> + Send;

    /// Answers a slash command.
    fn command(
        &self,
        event: SlackCommandEvent,
    ) -> impl Future<Output = SlackCommandEventResponse> + Send;

    /// Answers a button press, a modal submission or a picker search.
    fn interaction(
        &self,
        event: SlackInteractionEvent,
    ) -> impl Future<Output = SlackInteractionResponse> + Send;
}
