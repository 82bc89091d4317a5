//! A workspace's disconnect: the one way it stops being served, whoever decides it (an
//! admin's `/herald disconnect`, Slack revoking the token, Slack refusing it on a post).

use crate::store::{Store, StoreError};
use crate::workspace::{WorkspaceSettings, Workspaces};

/// Disconnects a workspace: the store deletes its token, fails its queued jobs with
/// `reason` and audits it as `actor`'s, all in one transaction; then this process's
/// caches forget it, so its webhooks get 410 at once (other processes see it within the
/// settings cache's time to live). Returns how many queued jobs stopped.
///
/// The caller logs: it knows why, and how loud that should be.
pub async fn disconnect(
    store: &Store,
    registry: &Workspaces,
    settings: &WorkspaceSettings,
    team_id: &str,
    reason: &str,
    actor: &str,
) -> Result<u64, StoreError> {
    let stopped = store.disconnect_workspace(team_id, reason, actor).await?;
    settings.invalidate(team_id).await;
    registry.invalidate(team_id).await;
    Ok(stopped)
}
