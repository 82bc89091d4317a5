//! Socket Mode: Slack pushes the same events over WebSockets opened with the app-level
//! token, so Herald needs no public URL. slack-morphism acks each envelope after the
//! callback returns, so callbacks only record and dispatch.

use std::sync::Arc;

use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use super::Connector;
use super::SlackApi;
use super::handler::{EventAck, SlackHandler};

pub type Listener = SlackClientSocketModeListener<Connector>;

/// Opens `connections` Socket Mode connections and starts listening.
pub async fn start<H: SlackHandler>(
    slack: &SlackApi,
    handler: H,
    app_token: &str,
    connections: u32,
) -> Result<Listener, SlackClientError> {
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_push_events(on_push::<H>)
        .with_command_events(on_command::<H>)
        .with_interaction_events(on_interaction::<H>);
    let environment = Arc::new(
        SlackClientEventsListenerEnvironment::new(slack.client())
            .with_error_handler(on_error)
            .with_user_state(handler),
    );
    let config = SlackClientSocketModeConfig::new().with_max_connections_count(connections);
    let listener = SlackClientSocketModeListener::new(&config, environment, callbacks);
    listener.listen_for(&super::api_token(app_token)).await?;
    listener.start().await;
    Ok(listener)
}

async fn on_push<H: SlackHandler>(
    event: SlackPushEventCallback,
    _client: Arc<SlackClient<Connector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let state = states.read().await.get_user_state::<H>().cloned();
    let Some(state) = state else { return Ok(()) };
    // An error leaves the envelope unacknowledged, so Slack delivers it again.
    match state.event(event).await {
        EventAck::Done => Ok(()),
        EventAck::InProgress => {
            Err("the event is being handled by another connection; Slack will redeliver".into())
        }
        EventAck::Failed => Err("the event could not be handled; Slack will redeliver".into()),
    }
}

async fn on_interaction<H: SlackHandler>(
    event: SlackInteractionEvent,
    _client: Arc<SlackClient<Connector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackInteractionResponse> {
    let state = states.read().await.get_user_state::<H>().cloned();
    match state {
        Some(handler) => Ok(handler.interaction(event).await),
        None => Err("Herald's state is missing from the Socket Mode listener".into()),
    }
}

async fn on_command<H: SlackHandler>(
    event: SlackCommandEvent,
    _client: Arc<SlackClient<Connector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let state = states.read().await.get_user_state::<H>().cloned();
    match state {
        Some(handler) => Ok(handler.command(event).await),
        None => Err("Herald's state is missing from the Socket Mode listener".into()),
    }
}

#[allow(
    clippy::needless_pass_by_value,
    reason = "slack-morphism's ErrorHandler signature"
)]
fn on_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<SlackClient<Connector>>,
    _states: SlackClientEventsUserState,
) -> HttpStatusCode {
    tracing::warn!(error = %err, "Socket Mode event not handled");
    HttpStatusCode::INTERNAL_SERVER_ERROR
}
