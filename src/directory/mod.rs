//! The directory: each workspace's channels, users and user groups, for the pickers.
//!
//! The store keeps what Slack last said (a restart needs no full sync); a bounded moka
//! cache holds each active workspace's snapshot in memory, with every name folded once
//! for searching. Batch syncs and Slack's events write through both, so a rename or an
//! archive is visible to the next search. Rules keep ids, so a rename changes a label,
//! never a rule.
//!
//! This file is the cache in front of the store; `snapshot` is one workspace in memory
//! and its scans, `choices` what a picker shows, `rows` Slack's descriptions as stored.

mod choices;
pub mod events;
pub mod lookup;
mod rows;
pub mod search;
mod snapshot;
pub mod sync;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use moka::future::Cache;

use crate::store::{ChannelRow, GroupRow, Store, StoreError, UserRow};

pub use choices::{Choice, MAX_OPTIONS, channel_choice, channel_label};
pub use rows::{channel_row, group_row, user_row};
pub use snapshot::Snapshot;

/// What the directory's sync, lookups and event handling need.
#[derive(Clone)]
pub struct DirectoryCtx {
    pub directory: Directory,
    pub registry: crate::workspace::Workspaces,
    pub settings: std::sync::Arc<crate::config::Settings>,
    pub slack: crate::slack::SlackApi,
    pub store: Store,
    pub workspace_state: crate::workspace::WorkspaceSettings,
    /// Counts the sync's waits on Slack's rate limits.
    pub metrics: crate::metrics::Metrics,
}

/// The directories of the workspaces in use, in front of the store.
#[derive(Clone)]
pub struct Directory {
    store: Store,
    teams: Cache<String, Arc<RwLock<Snapshot>>>,
}

impl Directory {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            teams: Cache::builder()
                // Bounded by entries, so a few huge workspaces cannot take all memory.
                .weigher(|_, snapshot: &Arc<RwLock<Snapshot>>| {
                    let (c, u, g) = snapshot.read().map(|s| s.counts()).unwrap_or_default();
                    u32::try_from(c + u + g + 1).unwrap_or(u32::MAX)
                })
                .max_capacity(2_000_000)
                // A workspace nobody picks for a while is reloaded from the store.
                .time_to_idle(Duration::from_secs(3600))
                .build(),
        }
    }

    /// The workspace's snapshot, loaded from the store on first use.
    pub async fn snapshot(&self, team_id: &str) -> Result<Arc<RwLock<Snapshot>>, Arc<StoreError>> {
        let store = self.store.clone();
        let team = team_id.to_string();
        self.teams
            .try_get_with(team_id.to_string(), async move {
                let mut snapshot = Snapshot::default();
                for row in store.directory_channels(&team).await? {
                    snapshot.put_channel(row);
                }
                for row in store.directory_users(&team).await? {
                    snapshot.put_user(row);
                }
                for row in store.directory_groups(&team).await? {
                    snapshot.put_group(row);
                }
                Ok::<_, StoreError>(Arc::new(RwLock::new(snapshot)))
            })
            .await
    }

    /// Runs `read` on the workspace's snapshot (an empty one if the store fails).
    pub async fn read<T>(&self, team_id: &str, read: impl FnOnce(&Snapshot) -> T) -> T {
        match self.snapshot(team_id).await {
            Ok(snapshot) => match snapshot.read() {
                Ok(s) => read(&s),
                Err(poisoned) => read(&poisoned.into_inner()),
            },
            Err(err) => {
                tracing::error!(team_id, error = %err, "could not load the directory");
                read(&Snapshot::default())
            }
        }
    }

    /// Stores rows and, if the workspace is in memory, updates it there too.
    pub async fn put_channels(
        &self,
        team_id: &str,
        rows: Vec<ChannelRow>,
    ) -> Result<(), StoreError> {
        self.store.upsert_channels(team_id, &rows).await?;
        self.update(team_id, |s| rows.into_iter().for_each(|r| s.put_channel(r)))
            .await;
        Ok(())
    }

    pub async fn put_users(&self, team_id: &str, rows: Vec<UserRow>) -> Result<(), StoreError> {
        self.store.upsert_users(team_id, &rows).await?;
        self.update(team_id, |s| rows.into_iter().for_each(|r| s.put_user(r)))
            .await;
        Ok(())
    }

    pub async fn put_groups(&self, team_id: &str, rows: Vec<GroupRow>) -> Result<(), StoreError> {
        self.store.upsert_groups(team_id, &rows).await?;
        self.update(team_id, |s| rows.into_iter().for_each(|r| s.put_group(r)))
            .await;
        Ok(())
    }

    /// Changes one channel (an event), if Herald knows it.
    pub async fn change_channel(
        &self,
        team_id: &str,
        id: &str,
        change: impl FnOnce(&mut ChannelRow),
    ) -> Result<Option<ChannelRow>, StoreError> {
        let known = self.read(team_id, |s| s.channel(id).cloned()).await;
        let Some(mut row) = known else {
            return Ok(None);
        };
        change(&mut row);
        self.put_channels(team_id, vec![row.clone()]).await?;
        Ok(Some(row))
    }

    /// After a full sync, forgets what the sync did not see (the store marks it; the
    /// snapshot is reloaded).
    pub async fn finish_sync(&self, team_id: &str, since: i64) -> Result<u64, StoreError> {
        let marked = self.store.mark_unseen_channels(team_id, since).await?;
        self.teams.invalidate(team_id).await;
        Ok(marked)
    }

    async fn update(&self, team_id: &str, change: impl FnOnce(&mut Snapshot)) {
        if let Some(snapshot) = self.teams.get(team_id).await {
            match snapshot.write() {
                Ok(mut s) => change(&mut s),
                Err(poisoned) => change(&mut poisoned.into_inner()),
            }
        }
    }
}
