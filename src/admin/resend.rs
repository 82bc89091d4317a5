//! App Home's Resend (one failed delivery) and Resend all (a channel's): requeued once
//! by the store's guarded update (a second press while the first is queued finds
//! nothing to do), audited with who and which jobs, and the Home tab redrawn at once and
//! again when the resent jobs have finished, so the outcome shows where it was asked.

use std::time::Duration;

use crate::admin::AdminCtx;
use crate::admin::home::publish_home;
use crate::history::failed::channel_ids;
use crate::store::now_ms;
use crate::workspace::Workspace;

/// How often, and how long, the Home tab waits for resent jobs before its last redraw.
/// A job still retrying after that shows as it stands; the next visit shows the rest.
const POLL: Duration = Duration::from_millis(500);
const WAIT: Duration = Duration::from_secs(120);

/// Requeues one job (`job`) or a channel's failed jobs (`channel`), as `user`, who is
/// an admin (the caller checked).
pub(crate) async fn press(
    state: &AdminCtx,
    workspace: &Workspace,
    user: &str,
    job: Option<&str>,
    channel: Option<&str>,
) {
    let team_id = &workspace.team_id;
    let ids = match (job, channel) {
        (Some(id), _) => vec![id.to_string()],
        (None, Some(channel)) => {
            match channel_ids(&state.store, team_id, channel, now_ms()).await {
                Ok(ids) => ids,
                Err(err) => {
                    tracing::error!(error = %err, "could not read the channel's failed deliveries");
                    return;
                }
            }
        }
        (None, None) => return,
    };
    let requeued = match state.store.resend_jobs(team_id, &ids, user).await {
        Ok(requeued) => requeued,
        Err(err) => {
            tracing::error!(error = %err, "could not resend the failed deliveries");
            return;
        }
    };
    tracing::info!(asked = ids.len(), requeued = requeued.len(), %user, "resend");
    if !requeued.is_empty() {
        state.conversations.jobs.wake();
    }
    let (state, workspace, user) = (state.clone(), workspace.clone(), user.to_string());
    // Slack wants the action's answer within 3 seconds; the redraws come after it.
    tokio::spawn(async move {
        publish_home(&state, &workspace, &user).await;
        if requeued.is_empty() {
            return;
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
            match state
                .store
                .jobs_settled(&workspace.team_id, &requeued)
                .await
            {
                Ok(true) => break,
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "could not follow the resent deliveries");
                    break;
                }
            }
        }
        publish_home(&state, &workspace, &user).await;
    });
}
