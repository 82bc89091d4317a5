//! The bot: Herald's one answer to Slack. It implements [`SlackHandler`] for both
//! transports and sends each command, interaction and event to the feature that owns
//! it: `/herald`, modals and App Home to `admin`; thread buttons and replies to
//! `conversations`; channel, user and group changes to `directory`.

mod events;
mod interactions;
pub mod replay;

use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::conversations::ConversationsCtx;
use crate::directory::DirectoryCtx;
use crate::slack::{EventAck, FirstUse, SlackHandler};
use crate::store::Store;
use crate::workspace::{WorkspaceSettings, Workspaces};

pub use events::{HANDLED_EVENTS, Handled};

/// Everything the bot dispatches to.
#[derive(Clone)]
pub struct Bot {
    pub store: Store,
    pub registry: Workspaces,
    pub workspace_state: WorkspaceSettings,
    pub admin: AdminCtx,
    pub conversations: ConversationsCtx,
    pub directory: DirectoryCtx,
}

impl SlackHandler for Bot {
    async fn first_use(&self, signature: &str, timestamp: i64) -> FirstUse {
        match replay::first_time(&self.store, signature, timestamp).await {
            Ok(()) => FirstUse::Yes,
            Err(replay::ReplayError::Replayed) => FirstUse::Replayed,
            Err(replay::ReplayError::Store(e)) => {
                tracing::error!(error = %e, "could not record a Slack request");
                FirstUse::Unavailable
            }
        }
    }

    async fn event(&self, callback: SlackPushEventCallback) -> EventAck {
        match events::handle(self, &callback).await {
            Ok(Handled::InProgress) => EventAck::InProgress,
            Ok(Handled::New | Handled::Duplicate | Handled::Ignored) => EventAck::Done,
            Err(e) => {
                tracing::error!(error = %e, "could not record a Slack event");
                EventAck::Failed
            }
        }
    }

    async fn command(&self, event: SlackCommandEvent) -> SlackCommandEventResponse {
        crate::admin::handle_command(&self.admin, &event).await
    }

    async fn interaction(&self, event: SlackInteractionEvent) -> SlackInteractionResponse {
        interactions::dispatch(self, &event).await
    }
}
