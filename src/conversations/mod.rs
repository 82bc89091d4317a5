//! Conversations as Slack threads, and replies from those threads back to the platform.
//!
//! How a conversation looks is in `core::render::conversation`; delivery
//! (`delivery::thread`) posts it. Here: `replies` turns Slack's message events into
//! platform callbacks, `reply_kind` says whether a reply goes to the customer, and
//! `operators` maps Slack users to the platform's operators; `catch_up` reads back the
//! replies whose events never reached Herald; `reactions` and `requests` ask the
//! platform to close or assign a conversation.

pub mod buttons;
pub mod catch_up;
pub mod files;
pub mod operators;
pub mod reactions;
pub mod replies;
pub mod reply_kind;
pub mod requests;
pub mod undo;

/// What replies, claims and the operator mapping need.
#[derive(Clone)]
pub struct ConversationsCtx {
    pub settings: std::sync::Arc<crate::config::Settings>,
    pub store: crate::store::Store,
    pub slack: crate::slack::SlackApi,
    pub registry: crate::workspace::Workspaces,
    /// Callbacks are queued here (each on a connection of its own) and the workers woken.
    pub jobs: crate::jobs::Queue,
    pub workspace_state: crate::workspace::WorkspaceSettings,
    pub profiles: crate::workspace::people::Profiles,
    /// Catch-up's rate-limit waits are counted here.
    pub metrics: crate::metrics::Metrics,
}

impl ConversationsCtx {
    /// The language to tell `user` something in: their Slack locale, else the
    /// workspace's.
    pub async fn lang_for(
        &self,
        workspace: &crate::workspace::Workspace,
        user: &str,
    ) -> crate::core::catalog::Lang {
        crate::workspace::people::lang_for(
            &self.slack,
            &self.profiles,
            &self.workspace_state,
            workspace,
            user,
        )
        .await
    }
}
