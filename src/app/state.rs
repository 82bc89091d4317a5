//! `AppState`: every shared handle, and the one place each feature's context is cut from
//! it (`FromRef`), so a feature names only what it uses and nothing below `app` names
//! `AppState`.

use std::sync::Arc;

use axum::extract::FromRef;
use tokio::sync::Notify;

use crate::admin::AdminCtx;
use crate::bot::Bot;
use crate::config::Settings;
use crate::conversations::ConversationsCtx;
use crate::directory::DirectoryCtx;
use crate::ingest::Ingest;
use crate::install::InstallCtx;
use crate::jobs::Pacing;
use crate::slack::SlackApi;
use crate::slack::http::SlackHttp;
use crate::store::Store;
use crate::webhook::WebhookCtx;
use crate::workspace::{RuleCache, WorkspaceSettings, Workspaces};

/// Cheap handles shared by every request handler and task.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub slack: SlackApi,
    pub registry: Workspaces,
    pub rules: RuleCache,
    pub workspace_state: WorkspaceSettings,
    pub profiles: crate::workspace::people::Profiles,
    pub directory: crate::directory::Directory,
    pub platform: crate::platform::PlatformClient,
    pub pacing: Pacing,
    pub ingest: Ingest,
    pub wake: Arc<Notify>,
    /// Per-connection webhook rate limits (`HERALD_INGEST_RATE`).
    pub ingest_rate: Arc<crate::rate_limit::RateLimiter>,
    /// Meeting types this process recorded lately: (team, id, name) → (), so an event
    /// writes its meeting type only when it is new or renamed.
    pub meeting_types_seen: moka::future::Cache<(String, String, Option<String>), ()>,
    /// Socket Mode's connections, for readiness (idle over HTTP).
    pub socket: crate::slack::socket::SocketStatus,
    /// What `/metrics` shows; every part that counts records into this one registry.
    pub metrics: crate::metrics::Metrics,
}

impl FromRef<AppState> for WebhookCtx {
    fn from_ref(s: &AppState) -> Self {
        WebhookCtx {
            store: s.store.clone(),
            registry: s.registry.clone(),
            workspace_state: s.workspace_state.clone(),
            rules: s.rules.clone(),
            ingest: s.ingest.clone(),
            ingest_rate: s.ingest_rate.clone(),
            meeting_types_seen: s.meeting_types_seen.clone(),
            metrics: s.metrics.clone(),
        }
    }
}

impl FromRef<AppState> for InstallCtx {
    fn from_ref(s: &AppState) -> Self {
        InstallCtx {
            settings: s.settings.clone(),
            store: s.store.clone(),
            slack: s.slack.clone(),
            registry: s.registry.clone(),
            workspace_state: s.workspace_state.clone(),
        }
    }
}

impl FromRef<AppState> for ConversationsCtx {
    fn from_ref(s: &AppState) -> Self {
        ConversationsCtx {
            settings: s.settings.clone(),
            store: s.store.clone(),
            slack: s.slack.clone(),
            registry: s.registry.clone(),
            jobs: crate::jobs::Queue::new(s.store.clone(), s.wake.clone()),
            workspace_state: s.workspace_state.clone(),
            profiles: s.profiles.clone(),
            metrics: s.metrics.clone(),
        }
    }
}

impl FromRef<AppState> for DirectoryCtx {
    fn from_ref(s: &AppState) -> Self {
        DirectoryCtx {
            directory: s.directory.clone(),
            registry: s.registry.clone(),
            settings: s.settings.clone(),
            slack: s.slack.clone(),
            store: s.store.clone(),
            workspace_state: s.workspace_state.clone(),
            metrics: s.metrics.clone(),
        }
    }
}

impl FromRef<AppState> for AdminCtx {
    fn from_ref(s: &AppState) -> Self {
        AdminCtx {
            settings: s.settings.clone(),
            store: s.store.clone(),
            slack: s.slack.clone(),
            registry: s.registry.clone(),
            rules: s.rules.clone(),
            workspace_state: s.workspace_state.clone(),
            profiles: s.profiles.clone(),
            directory: s.directory.clone(),
            ingest: s.ingest.clone(),
            conversations: ConversationsCtx::from_ref(s),
            directory_cx: DirectoryCtx::from_ref(s),
        }
    }
}

impl FromRef<AppState> for Bot {
    fn from_ref(s: &AppState) -> Self {
        Bot {
            store: s.store.clone(),
            registry: s.registry.clone(),
            workspace_state: s.workspace_state.clone(),
            admin: AdminCtx::from_ref(s),
            conversations: ConversationsCtx::from_ref(s),
            directory: DirectoryCtx::from_ref(s),
        }
    }
}

impl FromRef<AppState> for SlackHttp<Bot> {
    fn from_ref(s: &AppState) -> Self {
        SlackHttp {
            signing_secret: s.settings.slack.signing_secret.clone(),
            handler: Bot::from_ref(s),
        }
    }
}
