//! Socket Mode: Slack pushes the same events over WebSockets opened with the app-level
//! token, so Herald needs no public URL. slack-morphism acks each envelope after the
//! callback returns, so callbacks only record and dispatch.

use std::sync::Arc;

use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use super::Connector;
use crate::app::AppState;

pub type Listener = SlackClientSocketModeListener<Connector>;

/// Opens `connections` Socket Mode connections and starts listening.
pub async fn start(
    state: &AppState,
    app_token: &str,
    connections: u32,
) -> Result<Listener, SlackClientError> {
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_push_events(on_push)
        .with_command_events(on_command)
        .with_interaction_events(on_interaction);
    let environment = Arc::new(
        SlackClientEventsListenerEnvironment::new(state.slack.client())
            .with_error_handler(on_error)
            .with_user_state(state.clone()),
    );
    let config = SlackClientSocketModeConfig::new().with_max_connections_count(connections);
    let listener = SlackClientSocketModeListener::new(&config, environment, callbacks);
    listener.listen_for(&super::api_token(app_token)).await?;
    listener.start().await;
    Ok(listener)
}

async fn on_push(
    event: SlackPushEventCallback,
    _client: Arc<SlackClient<Connector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let state = states.read().await.get_user_state::<AppState>().cloned();
    let Some(state) = state else { return Ok(()) };
    // An error leaves the envelope unacknowledged, so Slack delivers it again.
    match super::events::handle(&state, &event).await {
        Ok(super::events::Handled::InProgress) => {
            Err("the event is being handled by another connection; Slack will redeliver".into())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(Box::new(e) as _),
    }
}

async fn on_interaction(
    event: SlackInteractionEvent,
    _client: Arc<SlackClient<Connector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackInteractionResponse> {
    let state = states.read().await.get_user_state::<AppState>().cloned();
    match state {
        Some(state) => Ok(crate::admin::handle_interaction(&state, &event).await),
        None => Err("Herald's state is missing from the Socket Mode listener".into()),
    }
}

async fn on_command(
    event: SlackCommandEvent,
    _client: Arc<SlackClient<Connector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let state = states.read().await.get_user_state::<AppState>().cloned();
    match state {
        Some(state) => Ok(crate::admin::handle_command(&state, &event).await),
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
