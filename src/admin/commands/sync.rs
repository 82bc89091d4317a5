//! `/herald sync`: a directory sync started now, its progress shown in place.

use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::Admin;
use crate::admin::reply::failure;
use crate::admin::reply::say;
use crate::admin::views::texts;

/// `/herald sync`: starts a directory sync now; its progress replaces the answer in
/// place through the command's `response_url` (which takes 5 posts: one per phase).
pub(crate) async fn start(
    state: &AdminCtx,
    admin: &Admin,
    event: &SlackCommandEvent,
) -> SlackCommandEventResponse {
    let (workspace, lang) = (&admin.workspace, admin.lang());
    use crate::directory::sync::{Progress, may_start, run};
    match may_start(
        &state.directory_cx,
        &workspace.team_id,
        std::time::Duration::ZERO,
    )
    .await
    {
        Ok(true) => {}
        Ok(false) => {
            let text = texts::sync_running(lang).to_string();
            return say(text);
        }
        Err(err) => return failure(lang, &err),
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
    let response_url = event.response_url.clone();
    let poster_state = state.clone();
    // Posts when the phase changes (channels → people → done): 3 posts at most.
    let poster = tokio::spawn(async move {
        let mut phase = (false, false);
        while let Some(progress) = rx.recv().await {
            let now = (progress.users > 0, progress.done);
            if now == phase {
                continue;
            }
            phase = now;
            let text = texts::sync_progress(lang, &progress);
            if let Err(err) = poster_state
                .slack
                .respond_with(&response_url, text, true)
                .await
            {
                tracing::warn!(error = %err, "could not show the sync's progress");
            }
        }
    });
    let (task_state, task_workspace) = (state.clone(), workspace.clone());
    let response_url = event.response_url.clone();
    tokio::spawn(async move {
        let report = move |p: &Progress| {
            let _ = tx.send(*p);
        };
        let result = run(&task_state.directory_cx, &task_workspace, &report).await;
        drop(report);
        let _ = poster.await;
        if let Err(err) = result {
            let text = texts::sync_failed(lang, &err.to_string());
            if let Err(err) = task_state
                .slack
                .respond_with(&response_url, text, true)
                .await
            {
                tracing::warn!(error = %err, "could not report the failed sync");
            }
        }
    });
    let text = texts::sync_progress(lang, &Progress::default());
    say(text)
}
