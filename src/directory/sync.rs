//! Batch sync: every channel, user and user group of a workspace, page by page.
//!
//! Calls are spaced at Slack's rate tier (Tier 2 for the list methods) so a sync is as
//! fast as Slack allows and no faster; a 429 waits for its `Retry-After` and asks for
//! the same page again. Each page is stored as it arrives, so a sync cut short still
//! leaves the directory fresher than it was, and the next one starts over cleanly.

use std::time::Duration;

use crate::directory::DirectoryCtx;
use crate::slack::SlackError;
use crate::slack::pace::{Pace, Waited, patiently};
use crate::store::{StoreError, now_ms};
use crate::workspace::Workspace;

use super::{channel_row, group_row, user_row};

/// How far a sync has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub channels: usize,
    pub users: usize,
    pub groups: usize,
    /// List calls made (429s included).
    pub calls: usize,
    /// Time spent waiting for Slack's `Retry-After`.
    pub rate_limited: Duration,
    pub done: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("Slack: {0}")]
    Slack(#[from] SlackError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a sync of this workspace is already running")]
    Running,
}

/// A sync that started this long ago and never finished is taken to have died.
const STALE: Duration = Duration::from_secs(3600);

/// Whether a sync may start now: none running (or the running one is stale), and for a
/// scheduled sync, the last one is older than `min_age`.
pub async fn may_start(
    state: &DirectoryCtx,
    team_id: &str,
    min_age: Duration,
) -> Result<bool, StoreError> {
    let now = now_ms();
    Ok(match state.store.last_sync(team_id).await? {
        None => true,
        Some(last) => {
            let running = last.finished_at.is_none()
                && now - last.started_at < crate::store::duration_ms(STALE);
            !running && now - last.started_at >= crate::store::duration_ms(min_age)
        }
    })
}

/// Syncs one workspace; `report` sees the progress after every page.
pub async fn run(
    state: &DirectoryCtx,
    workspace: &Workspace,
    report: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<Progress, SyncError> {
    let team_id = &workspace.team_id;
    let token = workspace.bot_token.expose();
    let settings = &state.settings.directory;
    let started = now_ms();
    state.store.start_sync(team_id, started).await?;
    let directory = &state.directory;
    tracing::info!(team_id, "directory sync started");

    // Each list method has its own rate limit: channels and people are fetched side by
    // side, each at its tier's pace.
    let shared = std::sync::Mutex::new(Progress::default());
    let bump = |change: &dyn Fn(&mut Progress)| {
        let snapshot = {
            let mut p = shared
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            change(&mut p);
            *p
        };
        report(&snapshot);
    };
    let channels = async {
        let mut pace = Pace::new(settings.page_interval);
        let mut local = Waited::default();
        let mut cursor: Option<String> = None;
        loop {
            let before = (local.calls, local.rate_limited);
            let (page, next) = patiently(&state.metrics, &mut pace, &mut local, || {
                state
                    .slack
                    .list_channels(token, cursor.as_deref(), settings.page_size)
            })
            .await?;
            let rows = page.iter().map(|c| channel_row(c, team_id)).collect();
            directory.put_channels(team_id, rows).await?;
            let (calls, waited) = (local.calls - before.0, local.rate_limited - before.1);
            bump(&|p| {
                p.channels += page.len();
                p.calls += calls;
                p.rate_limited += waited;
            });
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok::<_, SyncError>(()),
            }
        }
    };
    let users = async {
        let mut pace = Pace::new(settings.page_interval);
        let mut local = Waited::default();
        let mut cursor: Option<String> = None;
        loop {
            let before = (local.calls, local.rate_limited);
            let (page, next) = patiently(&state.metrics, &mut pace, &mut local, || {
                state
                    .slack
                    .list_users(token, cursor.as_deref(), settings.page_size)
            })
            .await?;
            directory
                .put_users(team_id, page.iter().map(user_row).collect())
                .await?;
            let (calls, waited) = (local.calls - before.0, local.rate_limited - before.1);
            bump(&|p| {
                p.users += page.len();
                p.calls += calls;
                p.rate_limited += waited;
            });
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok::<_, SyncError>(()),
            }
        }
    };
    let groups = async {
        let mut pace = Pace::new(settings.page_interval);
        let mut local = Waited::default();
        let groups = patiently(&state.metrics, &mut pace, &mut local, || {
            state.slack.list_groups(token)
        })
        .await?;
        directory
            .put_groups(team_id, groups.iter().map(group_row).collect())
            .await?;
        bump(&|p| {
            p.groups = groups.len();
            p.calls += local.calls;
            p.rate_limited += local.rate_limited;
        });
        Ok::<_, SyncError>(())
    };
    let outcome: Result<(), SyncError> = async {
        tokio::try_join!(channels, users, groups)?;
        let gone = directory.finish_sync(team_id, started).await?;
        tracing::info!(
            team_id,
            gone,
            "channels no longer listed by Slack marked deleted"
        );
        Ok(())
    }
    .await;
    let mut progress = shared
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);

    let counts = (
        i64::try_from(progress.channels).unwrap_or(i64::MAX),
        i64::try_from(progress.users).unwrap_or(i64::MAX),
        i64::try_from(progress.groups).unwrap_or(i64::MAX),
    );
    match outcome {
        Ok(()) => {
            progress.done = true;
            state.store.record_sync(team_id, counts, true, None).await?;
            report(&progress);
            tracing::info!(
                team_id,
                channels = progress.channels,
                users = progress.users,
                groups = progress.groups,
                calls = progress.calls,
                waited = ?progress.rate_limited,
                seconds = (now_ms() - started) / 1000,
                "directory sync finished"
            );
            Ok(progress)
        }
        Err(err) => {
            let message = err.to_string();
            state
                .store
                .record_sync(team_id, counts, true, Some(&message))
                .await?;
            tracing::warn!(team_id, error = %message, "directory sync failed");
            Err(err)
        }
    }
}

/// Syncs every workspace Herald serves when its last sync is older than the setting,
/// checking every few minutes; runs until shutdown.
pub async fn periodically(state: DirectoryCtx, shutdown: tokio_util::sync::CancellationToken) {
    let mut wait = Duration::from_secs(1);
    loop {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shutdown.cancelled() => return,
        }
        wait = Duration::from_secs(300);
        let teams = match state.store.workspace_ids().await {
            Ok(teams) => teams,
            Err(err) => {
                tracing::warn!(error = %err, "could not list workspaces for directory sync");
                continue;
            }
        };
        for team_id in teams {
            let workspace = match state.registry.workspace(&team_id).await {
                Ok(Some(workspace)) => workspace,
                Ok(None) => continue,
                Err(err) => {
                    tracing::warn!(error = %err, "could not load a workspace for directory sync");
                    continue;
                }
            };
            match may_start(&state, &team_id, state.settings.directory.every).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(err) => {
                    tracing::warn!(error = %err, "could not read the last directory sync");
                    continue;
                }
            }
            tokio::select! {
                result = run(&state, &workspace, &|_| {}) => {
                    if let Err(err) = result {
                        tracing::warn!(team_id, error = %err, "scheduled directory sync failed");
                    }
                }
                () = shutdown.cancelled() => return,
            }
        }
    }
}
