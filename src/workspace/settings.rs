//! Each workspace's changeable settings (disconnected? language?), cached in front of the
//! store.

use std::sync::Arc;

use moka::future::Cache;

use crate::core::catalog::Lang;
use crate::store::{Store, StoreError, WorkspaceState};
use crate::workspace::registry::Workspace;

/// Each workspace's changeable state (disconnected? language?), cached briefly in front
/// of the store: the webhook asks on every request. A change made in this process
/// invalidates at once; other processes see it within the time to live.
#[derive(Clone)]
pub struct WorkspaceSettings {
    store: Store,
    cache: Cache<String, WorkspaceState>,
}

impl WorkspaceSettings {
    pub fn new(store: Store) -> Self {
        let cache = Cache::builder()
            .max_capacity(10_000)
            .time_to_live(std::time::Duration::from_secs(5))
            .build();
        Self { store, cache }
    }

    pub async fn get(&self, team_id: &str) -> Result<WorkspaceState, Arc<StoreError>> {
        let store = self.store.clone();
        let team = team_id.to_string();
        self.cache
            .try_get_with(team_id.to_string(), async move {
                store.workspace_state(&team).await
            })
            .await
    }

    /// Why the workspace is disconnected, or None while it is connected.
    pub async fn disconnected(&self, team_id: &str) -> Result<Option<String>, Arc<StoreError>> {
        Ok(self.get(team_id).await?.disconnect_reason)
    }

    /// The workspace's language: its own setting, else the deployment's default.
    pub async fn lang(&self, workspace: &Workspace) -> Lang {
        match self.get(&workspace.team_id).await {
            Ok(state) => state
                .lang
                .and_then(|l| l.parse().ok())
                .unwrap_or(workspace.lang),
            Err(_) => workspace.lang,
        }
    }

    /// Whether ✅ and 👀 in Herald's threads ask the platform (on unless turned off). A
    /// store that cannot say keeps them on: a reaction is a request a person meant.
    pub async fn reactions_on(&self, team_id: &str) -> bool {
        self.get(team_id).await.map_or(true, |s| !s.reactions_off)
    }

    pub async fn invalidate(&self, team_id: &str) {
        self.cache.invalidate(team_id).await;
    }
}
