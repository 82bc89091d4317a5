//! Events API handling shared by HTTP and Socket Mode.
//!
//! Slack redelivers an event it thinks was not acknowledged (HTTP retries with
//! `X-Slack-Retry-Num`, Socket Mode redeliveries); the receipt table makes each
//! `event_id` count once, across restarts and processes.

use slack_morphism::prelude::*;

use crate::app::AppState;
use crate::store::StoreError;

/// Whether an event was new or a redelivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    New,
    Duplicate,
}

/// Records and dispatches one event callback.
#[tracing::instrument(skip_all, fields(team_id = %callback.team_id, event_id = %callback.event_id))]
pub async fn handle(
    state: &AppState,
    callback: &SlackPushEventCallback,
) -> Result<Handled, StoreError> {
    let event_type = event_type_name(&callback.event);
    let team_id = callback.team_id.to_string();
    if state.registry.workspace(&team_id).is_none() {
        // Not a workspace Herald serves: never act on another tenant's event.
        tracing::warn!(%event_type, "event for an unknown workspace ignored");
        return Ok(Handled::Duplicate);
    }
    if !state
        .store
        .record_slack_event(&team_id, callback.event_id.as_ref(), &event_type)
        .await?
    {
        tracing::debug!(%event_type, "redelivered event ignored");
        return Ok(Handled::Duplicate);
    }
    // Admin, directory and conversation capabilities subscribe here as they land.
    tracing::debug!(%event_type, "event received");
    Ok(Handled::New)
}

fn event_type_name(body: &SlackEventCallbackBody) -> String {
    serde_json::to_value(body)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}
