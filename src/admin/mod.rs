//! The `/herald` slash command, answered ephemerally in the user's language.
//!
//! Both transports (HTTP `/slack/commands`, Socket Mode) call [`handle_command`]. Reading
//! (help, list, export) is open to everyone in the workspace; changing anything needs a
//! workspace admin or owner, checked on the server with `users.info` for every command.
//! The user's Slack locale picks the language of their reply; the workspace's language
//! (`/herald lang`) is used for notifications and when the locale is neither ja nor en.

pub mod actor;
pub mod command;
pub mod commands;
pub mod home;
pub mod modals;
pub mod pickers;
pub mod reply;
mod resend;
pub mod rules_file;
mod test_send;
pub mod views;

use std::sync::Arc;

pub use command::Command;
pub use commands::handle_command;
pub use home::publish_home;

use crate::workspace::people::Profiles;

/// What `/herald`, the rule modals and App Home need; the conversations and the
/// directory are reached through their own contexts.
#[derive(Clone)]
pub struct AdminCtx {
    pub settings: Arc<crate::config::Settings>,
    pub store: crate::store::Store,
    pub slack: crate::slack::SlackApi,
    pub registry: crate::workspace::Workspaces,
    pub rules: crate::workspace::RuleCache,
    pub workspace_state: crate::workspace::WorkspaceSettings,
    pub profiles: Profiles,
    pub directory: crate::directory::Directory,
    pub ingest: crate::ingest::Ingest,
    pub conversations: crate::conversations::ConversationsCtx,
    pub directory_cx: crate::directory::DirectoryCtx,
}
