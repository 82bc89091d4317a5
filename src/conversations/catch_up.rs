//! Catch-up: replies posted in Herald's threads while Herald was stopped, or whose
//! events Slack gave up delivering, are read back with `conversations.replies` and
//! forwarded like live ones: at start, then every few minutes, for threads active in
//! the last 24 hours.
//!
//! Nothing is forwarded twice. A reply that already has a callback job (live, or from
//! an earlier sweep) is skipped before anything else happens, and the callback's own
//! dedupe key (the reply's channel and `ts`) stops a live event and a sweep that race.
//! Each thread keeps a checkpoint, the newest reply read, written only after every
//! reply on the page was queued, so a sweep cut short reads that page again and never
//! skips one.
//!
//! Slack's pace for the method depends on how the app is distributed
//! (`config::CatchUpSettings`): calls are spaced per workspace, a 429 waits for its
//! `Retry-After`, and one process at a time sweeps a workspace (a lease in the store).
//! The logs say how far behind it is: threads to read, and how long ago the least
//! recently read one was read.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::conversations::ConversationsCtx;
use crate::delivery::callback::KIND;
use crate::slack::SlackError;
use crate::slack::pace::{Pace, Waited, patiently};
use crate::store::{ActiveThread, StoreError, duration_ms, new_id, now_ms};
use crate::workspace::Workspace;

use super::replies::{Change, read};

#[derive(Debug, thiserror::Error)]
pub enum CatchUpError {
    #[error("Slack: {0}")]
    Slack(#[from] SlackError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one sweep of a workspace did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub threads: usize,
    /// Replies queued for the platform that no event had brought.
    pub forwarded: usize,
    pub waited: Waited,
    /// Another process holds the workspace's sweep, or this one was stopped.
    pub cut_short: bool,
}

/// The replies on one page of a thread (`conversations.replies` messages, earliest
/// first) to forward, as the `message` events Slack would have sent: people's new
/// replies, not the parent, not bots or Herald, none older than `not_before` (Slack
/// seconds). Edits and deletions made while Herald was away are not recovered: the page
/// shows only what the messages say now.
pub fn replies_to_forward(
    page: &[Value],
    channel: &str,
    thread_ts: &str,
    bot_user: &str,
    not_before: f64,
) -> Vec<Value> {
    page.iter()
        .filter_map(|message| {
            let ts = message["ts"].as_str()?;
            if ts.parse::<f64>().ok()? < not_before {
                return None;
            }
            let mut event = message.clone();
            let fields = event.as_object_mut()?;
            fields.insert("type".into(), json!("message"));
            fields.insert("channel".into(), json!(channel));
            // A new message's event_ts is its ts (Slack's message event reference).
            fields.insert("event_ts".into(), json!(ts));
            fields
                .entry("thread_ts")
                .or_insert_with(|| json!(thread_ts));
            let reply = read(&event, bot_user)?;
            (reply.change == Change::Created).then_some(event)
        })
        .collect()
}

/// The newest message on a page (the checkpoint it moves to).
fn newest_ts(page: &[Value]) -> Option<&str> {
    page.iter()
        .filter_map(|m| m["ts"].as_str())
        .max_by(|a, b| ts_order(a, b))
}

/// Slack ts compare as numbers (seconds.micros).
fn ts_order(a: &str, b: &str) -> std::cmp::Ordering {
    let n = |t: &str| t.parse::<f64>().unwrap_or(0.0);
    n(a).total_cmp(&n(b))
}

/// Slack's answers that end reading one thread, not the sweep: it is gone, or Herald
/// can no longer read its channel.
fn thread_unreadable(err: &SlackError) -> bool {
    use crate::slack::SlackErrorCode as C;
    [
        C::ThreadNotFound,
        C::ChannelNotFound,
        C::NotInChannel,
        C::NotInvited,
        C::IsArchived,
        C::MissingScope,
    ]
    .iter()
    .any(|code| err.is(code))
}

/// Reads back one workspace's active threads and forwards what the events missed.
pub async fn sweep(
    cx: &ConversationsCtx,
    workspace: &Workspace,
    owner: &str,
    shutdown: &CancellationToken,
) -> Result<Swept, CatchUpError> {
    let team_id = workspace.team_id.as_str();
    let settings = &cx.settings.catch_up;
    let mut swept = Swept::default();
    let renew = || {
        cx.store
            .lease_catch_up(team_id, owner, now_ms() + duration_ms(settings.lease))
    };
    if !renew().await? {
        swept.cut_short = true;
        return Ok(swept);
    }
    let since = now_ms() - duration_ms(settings.window);
    let threads = cx.store.catch_up_threads(team_id, since).await?;
    log_behind(team_id, &threads);
    let not_before = since as f64 / 1000.0;
    let mut pace = Pace::new(settings.call_interval);
    let outcome: Result<(), CatchUpError> = async {
        for thread in &threads {
            let mut cursor: Option<String> = None;
            loop {
                if !renew().await? {
                    swept.cut_short = true;
                    return Ok(());
                }
                let call = patiently(&cx.metrics, &mut pace, &mut swept.waited, || {
                    cx.slack.thread_replies(
                        workspace.bot_token.expose(),
                        &thread.channel,
                        &thread.thread_ts,
                        thread.caught_up_ts.as_deref(),
                        settings.page_size,
                        cursor.as_deref(),
                    )
                });
                let answer = tokio::select! {
                    answer = call => answer,
                    () = shutdown.cancelled() => {
                        swept.cut_short = true;
                        return Ok(());
                    }
                };
                let (page, next) = match answer {
                    Ok(page) => page,
                    Err(err) if thread_unreadable(&err) => {
                        tracing::info!(
                            team_id,
                            channel = thread.channel,
                            error = %err,
                            "catch-up cannot read a thread; skipped"
                        );
                        // Read: to the back of the queue, not first again next time.
                        cx.store
                            .catch_up_checkpoint(team_id, &thread.channel, &thread.thread_ts, None)
                            .await?;
                        break;
                    }
                    Err(err) => return Err(err.into()),
                };
                for event in replies_to_forward(
                    &page,
                    &thread.channel,
                    &thread.thread_ts,
                    &workspace.bot_user_id,
                    not_before,
                ) {
                    if !renew().await? {
                        swept.cut_short = true;
                        return Ok(());
                    }
                    if forward_missed(cx, workspace, &event).await? {
                        swept.forwarded += 1;
                    }
                }
                cx.store
                    .catch_up_checkpoint(
                        team_id,
                        &thread.channel,
                        &thread.thread_ts,
                        newest_ts(&page),
                    )
                    .await?;
                match next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            swept.threads += 1;
        }
        Ok(())
    }
    .await;
    cx.store.finish_catch_up(team_id, owner).await?;
    outcome?;
    Ok(swept)
}

/// Forwards one reply read back from Slack, unless it was forwarded before; returns
/// whether it was queued now.
async fn forward_missed(
    cx: &ConversationsCtx,
    workspace: &Workspace,
    event: &Value,
) -> Result<bool, StoreError> {
    let (Some(channel), Some(ts)) = (event["channel"].as_str(), event["ts"].as_str()) else {
        return Ok(false);
    };
    let event_id = super::replies::reply_event_id_of(channel, ts);
    if cx
        .store
        .forwarded_reply_thread(&workspace.team_id, &event_id, KIND)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let queued = super::replies::forward(cx, workspace, event).await?;
    if queued {
        cx.metrics.caught_up();
        tracing::info!(
            team_id = workspace.team_id,
            channel,
            ts,
            "catch-up: a reply no event brought is forwarded"
        );
    }
    Ok(queued)
}

/// Says how far behind catch-up is as a sweep starts.
fn log_behind(team_id: &str, threads: &[ActiveThread]) {
    let never = threads.iter().filter(|t| t.checked_at.is_none()).count();
    let oldest = threads.iter().filter_map(|t| t.checked_at).min();
    let behind_secs = oldest.map(|at| (now_ms() - at).max(0) / 1000);
    tracing::info!(
        team_id,
        threads = threads.len(),
        never_read = never,
        least_recently_read_secs_ago = behind_secs,
        "catch-up sweep starts"
    );
}

/// Sweeps every workspace at start and then every `catch_up.every`, each workspace in a
/// task of its own (Slack's limit is per workspace); runs until shutdown.
pub async fn periodically(cx: ConversationsCtx, shutdown: CancellationToken) {
    let owner = new_id("catchup");
    let mut running: HashSet<String> = HashSet::new();
    let mut sweeps = tokio::task::JoinSet::new();
    let mut wait = Duration::from_secs(1);
    loop {
        let tick = tokio::time::sleep(wait);
        tokio::pin!(tick);
        loop {
            tokio::select! {
                () = &mut tick => break,
                Some(done) = sweeps.join_next(), if !sweeps.is_empty() => {
                    if let Ok(team_id) = done {
                        running.remove(&team_id);
                    }
                }
                () = shutdown.cancelled() => {
                    // Each sweep sees the same token, frees its lease and returns.
                    while sweeps.join_next().await.is_some() {}
                    return;
                }
            }
        }
        wait = cx.settings.catch_up.every;
        let teams = match cx.store.workspace_ids().await {
            Ok(teams) => teams,
            Err(err) => {
                tracing::warn!(error = %err, "could not list workspaces for catch-up");
                continue;
            }
        };
        for team_id in teams {
            if running.contains(&team_id) {
                continue;
            }
            let workspace = match cx.registry.workspace(&team_id).await {
                Ok(Some(workspace)) => workspace,
                Ok(None) => continue,
                Err(err) => {
                    tracing::warn!(error = %err, "could not load a workspace for catch-up");
                    continue;
                }
            };
            running.insert(team_id.clone());
            let (cx, owner, stop) = (cx.clone(), owner.clone(), shutdown.clone());
            sweeps.spawn(async move {
                match sweep(&cx, &workspace, &owner, &stop).await {
                    Ok(s) if s.forwarded > 0 || s.waited.rate_limited > Duration::ZERO => {
                        tracing::info!(
                            team_id,
                            threads = s.threads,
                            forwarded = s.forwarded,
                            calls = s.waited.calls,
                            rate_limited = ?s.waited.rate_limited,
                            "catch-up sweep finished"
                        );
                    }
                    Ok(s) => {
                        tracing::debug!(team_id, threads = s.threads, "catch-up sweep finished");
                    }
                    Err(err) => tracing::warn!(team_id, error = %err, "catch-up sweep failed"),
                }
                team_id
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Vec<Value> {
        vec![
            json!({"type": "message", "user": "UBOT", "bot_id": "B1", "text": "parent",
                   "ts": "100.000001", "thread_ts": "100.000001"}),
            json!({"type": "message", "user": "U1", "text": "first", "ts": "101.000001",
                   "thread_ts": "100.000001"}),
            json!({"type": "message", "user": "UBOT", "bot_id": "B1", "text": "Herald's notice",
                   "ts": "102.000001", "thread_ts": "100.000001"}),
            json!({"type": "message", "subtype": "channel_join", "user": "U2", "text": "joined",
                   "ts": "103.000001", "thread_ts": "100.000001"}),
            json!({"type": "message", "user": "U2", "text": "second", "ts": "104.000001",
                   "thread_ts": "100.000001", "edited": {"user": "U2", "ts": "105.000001"}}),
        ]
    }

    #[test]
    fn only_peoples_replies_are_forwarded_oldest_first_as_events() {
        let events = replies_to_forward(&page(), "C1", "100.000001", "UBOT", 0.0);
        let texts: Vec<&str> = events.iter().filter_map(|e| e["text"].as_str()).collect();
        assert_eq!(texts, ["first", "second"]);
        for e in &events {
            assert_eq!(e["channel"], "C1");
            assert_eq!(e["event_ts"], e["ts"], "a new message's event_ts is its ts");
        }
    }

    #[test]
    fn a_reply_older_than_the_window_is_never_sent_late() {
        let events = replies_to_forward(&page(), "C1", "100.000001", "UBOT", 102.0);
        let texts: Vec<&str> = events.iter().filter_map(|e| e["text"].as_str()).collect();
        assert_eq!(texts, ["second"]);
    }

    #[test]
    fn the_checkpoint_is_the_newest_message_by_time() {
        assert_eq!(newest_ts(&page()), Some("104.000001"));
        let uneven = [json!({"ts": "99.9"}), json!({"ts": "100.000001"})];
        assert_eq!(newest_ts(&uneven), Some("100.000001"));
        assert_eq!(newest_ts(&[]), None);
    }
}
