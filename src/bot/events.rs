//! Events API handling shared by HTTP and Socket Mode.
//!
//! Slack redelivers an event it thinks was not acknowledged (HTTP retries with
//! `X-Slack-Retry-Num`, Socket Mode redeliveries); the receipt table makes each
//! `event_id` count once, across restarts and processes.

use slack_morphism::prelude::*;

use super::Bot;
use crate::store::{Receipt, StoreError};

/// Events the bot handles itself (the directory's follow).
const OWN_EVENTS: [&str; 6] = [
    "app_home_opened",
    "app_uninstalled",
    "tokens_revoked",
    // Replies in Herald's threads (src/conversations/replies.rs); the payload's type is
    // `message` for both.
    "message.channels",
    "message.groups",
    // ✅ and 👀 in Herald's threads (src/conversations/reactions.rs).
    "reaction_added",
];

/// The bot events Herald acts on; `manifest.yml` subscribes to exactly these (a contract
/// test holds the two together).
pub const HANDLED_EVENTS: [&str; OWN_EVENTS.len() + crate::directory::events::EVENTS.len()] =
    concat(OWN_EVENTS, crate::directory::events::EVENTS);

/// Two lists as one, at compile time.
const fn concat<const A: usize, const B: usize, const C: usize>(
    a: [&'static str; A],
    b: [&'static str; B],
) -> [&'static str; C] {
    assert!(A + B == C, "the lengths must add up");
    let mut out = [""; C];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < B {
        out[A + j] = b[j];
        j += 1;
    }
    out
}

/// Whether an event was handled now, a redelivery of one handled already, one for a
/// workspace Herald does not serve, or one being handled elsewhere at this moment (the
/// answer makes Slack retry it later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    New,
    Duplicate,
    Ignored,
    InProgress,
}

/// How long a claim on an event may stand before a redelivery takes it over: longer than
/// any handling takes, shorter than Slack's first spaced retry (about a minute).
const STALE_CLAIM_MS: i64 = 30_000;

/// Claims, dispatches and finishes one event callback. An error (storage down, a handler
/// failing) releases the claim and is returned, so the transport answers Slack with a
/// failure and Slack's retry is handled as new.
#[tracing::instrument(skip_all, fields(team_id = %callback.team_id, event_id = %callback.event_id))]
pub async fn handle(state: &Bot, callback: &SlackPushEventCallback) -> Result<Handled, StoreError> {
    let event_type = event_type_name(&callback.event);
    let team_id = callback.team_id.to_string();
    let event_id = callback.event_id.to_string();
    let Some(workspace) = state.registry.workspace(&team_id).await? else {
        // Not a workspace Herald serves: never act on another tenant's event.
        tracing::warn!(%event_type, "event for an unknown workspace ignored");
        return Ok(Handled::Ignored);
    };
    match state
        .store
        .claim_slack_event(&team_id, &event_id, &event_type, STALE_CLAIM_MS)
        .await?
    {
        Receipt::Claimed => {}
        Receipt::Done => {
            tracing::debug!(%event_type, "redelivered event ignored");
            return Ok(Handled::Duplicate);
        }
        Receipt::InProgress => {
            tracing::info!(%event_type, "event is being handled already; Slack will retry");
            return Ok(Handled::InProgress);
        }
    }
    match apply(state, callback, &workspace, &team_id, &event_type).await {
        Ok(()) => {
            state.store.finish_slack_event(&team_id, &event_id).await?;
            Ok(Handled::New)
        }
        Err(err) => {
            if let Err(release) = state.store.release_slack_event(&team_id, &event_id).await {
                // The claim goes stale and a later retry takes it over.
                tracing::error!(error = %release, "could not release a failed event's claim");
            }
            Err(err)
        }
    }
}

/// The event's effect.
async fn apply(
    state: &Bot,
    callback: &SlackPushEventCallback,
    workspace: &crate::workspace::Workspace,
    team_id: &str,
    event_type: &str,
) -> Result<(), StoreError> {
    let team_id = team_id.to_string();
    let workspace = workspace.clone();
    let body = serde_json::to_value(&callback.event).unwrap_or_default();
    match event_type {
        "app_uninstalled" => {
            disconnect(
                state,
                &team_id,
                "app_uninstalled: Herald was uninstalled from the workspace",
            )
            .await?;
        }
        "tokens_revoked" if revokes_bot(&body, state, &team_id).await => {
            disconnect(
                state,
                &team_id,
                "tokens_revoked: the workspace revoked Herald's bot token",
            )
            .await?;
        }
        "app_home_opened" if body["tab"].as_str() != Some("messages") => {
            if let Some(user) = body["user"].as_str() {
                // Ack Slack at once; the Home tab is drawn right after.
                let (state, user) = (state.clone(), user.to_string());
                tokio::spawn(async move {
                    crate::admin::publish_home(&state.admin, &workspace, &user).await;
                });
            }
        }
        "message" => {
            crate::conversations::replies::forward(&state.conversations, &workspace, &body).await?;
        }
        "reaction_added" => {
            crate::conversations::reactions::react(&state.conversations, &workspace, &body).await?;
        }
        other if crate::directory::events::EVENTS.contains(&other) => {
            crate::directory::events::apply(&state.directory, &workspace, other, &body).await?;
        }
        // Conversation capabilities subscribe here as they land.
        _ => tracing::debug!(%event_type, "event received"),
    }
    Ok(())
}

/// Whether a `tokens_revoked` event names this workspace's bot user.
async fn revokes_bot(body: &serde_json::Value, state: &Bot, team_id: &str) -> bool {
    let Ok(Some(workspace)) = state.registry.workspace(team_id).await else {
        return false;
    };
    body["tokens"]["bot"].as_array().is_some_and(|bots| {
        bots.iter()
            .any(|b| b.as_str() == Some(&workspace.bot_user_id))
    })
}

/// Slack will refuse the token from now on: stop the workspace's queued notifications
/// with the reason, and refuse its webhooks (410) until Herald is installed again.
async fn disconnect(state: &Bot, team_id: &str, reason: &str) -> Result<(), StoreError> {
    let stopped = crate::workspace::lifecycle::disconnect(
        &state.store,
        &state.registry,
        &state.workspace_state,
        team_id,
        reason,
        "slack",
    )
    .await?;
    tracing::warn!(team_id, stopped, reason, "workspace disconnected");
    Ok(())
}

fn event_type_name(body: &SlackEventCallbackBody) -> String {
    serde_json::to_value(body)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}
