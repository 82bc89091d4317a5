//! Workspaces Herald posts to and the webhook connections that feed them.
//!
//! Single-workspace mode: the bot token's workspace (found with `auth.test` at start)
//! and one connection, `default`, signed with `HERALD_WEBHOOK_SECRET`. The install
//! capability replaces this registry with per-workspace rows; every caller already asks
//! by `team_id` or connection id.

use std::collections::HashMap;
use std::sync::Arc;

use crate::catalog::Lang;
use crate::config::Secret;
use crate::store::WorkspaceState;

#[derive(Debug, Clone)]
pub struct Workspace {
    pub team_id: String,
    pub team_name: String,
    pub bot_user_id: String,
    pub bot_token: Secret,
    pub lang: Lang,
}

#[derive(Debug, Clone)]
pub struct Connection {
    pub id: String,
    pub team_id: String,
    /// Current key first; a previous key stays valid during a rotation's grace period.
    pub keys: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, Default)]
pub struct Registry {
    workspaces: Arc<HashMap<String, Workspace>>,
    connections: Arc<HashMap<String, Connection>>,
}

impl Registry {
    pub fn single(workspace: Workspace, connection: Connection) -> Self {
        Self {
            workspaces: Arc::new(HashMap::from([(workspace.team_id.clone(), workspace)])),
            connections: Arc::new(HashMap::from([(connection.id.clone(), connection)])),
        }
    }

    pub fn workspace(&self, team_id: &str) -> Option<&Workspace> {
        self.workspaces.get(team_id)
    }

    pub fn get(&self, connection_id: &str) -> Option<&Connection> {
        self.connections.get(connection_id)
    }
}

/// Each workspace's changeable state (disconnected? language?), cached briefly in front
/// of the store: the webhook asks on every request. A change made in this process
/// invalidates at once; other processes see it within the time to live.
#[derive(Clone)]
pub struct StateCache {
    store: crate::store::Store,
    cache: moka::future::Cache<String, WorkspaceState>,
}

impl StateCache {
    pub fn new(store: crate::store::Store) -> Self {
        let cache = moka::future::Cache::builder()
            .max_capacity(10_000)
            .time_to_live(std::time::Duration::from_secs(5))
            .build();
        Self { store, cache }
    }

    pub async fn get(
        &self,
        team_id: &str,
    ) -> Result<WorkspaceState, Arc<crate::store::StoreError>> {
        let store = self.store.clone();
        let team = team_id.to_string();
        self.cache
            .try_get_with(team_id.to_string(), async move {
                store.workspace_state(&team).await
            })
            .await
    }

    /// Why the workspace is disconnected, or None while it is connected.
    pub async fn disconnected(
        &self,
        team_id: &str,
    ) -> Result<Option<String>, Arc<crate::store::StoreError>> {
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

    pub async fn invalidate(&self, team_id: &str) {
        self.cache.invalidate(team_id).await;
    }
}
