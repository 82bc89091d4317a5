//! Replies written in a Herald thread, as Slack's `message` events report them, become
//! callbacks to the platform: created, edited and deleted alike.
//!
//! Only people's messages in a thread Herald opened count: not bots (Herald included),
//! not joins or other subtypes, not the thread's parent. Slack's retries are already
//! de-duplicated by event id; each callback job also has its own key.

use serde_json::{Value, json};

use crate::conversations::ConversationsCtx;
use crate::delivery::callback::{Callback, KIND};
use crate::jobs::{Enqueue, RunAt};
use crate::store::{StoreError, now_ms};
use crate::workspace::Workspace;

use super::reply_kind::{ReplyKind, reply_kind};
use super::undo::offer_undo;

/// One thread reply event, reduced to what a callback needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadReply {
    pub change: Change,
    pub channel: String,
    pub ts: String,
    /// Slack's edit and delete events may not say which thread (slack-morphism's model
    /// of them drops it): then it is found from the reply's earlier callback.
    pub thread_ts: Option<String>,
    pub user: String,
    pub text: String,
    /// Files shared with the reply, as the event names them (the callback links to each).
    pub files: Vec<super::files::SharedFile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Updated,
    Deleted,
}

impl Change {
    fn callback_type(self) -> &'static str {
        match self {
            Change::Created => "reply.created",
            Change::Updated => "reply.updated",
            Change::Deleted => "reply.deleted",
        }
    }
}

/// Reads a `message` event; None for anything that is not a person's thread reply.
pub fn read(event: &Value, bot_user: &str) -> Option<ThreadReply> {
    let channel = event["channel"].as_str()?.to_string();
    let (change, message) = match event["subtype"].as_str() {
        None | Some("thread_broadcast" | "file_share") => (Change::Created, event),
        Some("message_changed") => (Change::Updated, &event["message"]),
        Some("message_deleted") => (Change::Deleted, &event["previous_message"]),
        Some(_) => return None,
    };
    if message.get("bot_id").is_some_and(|b| !b.is_null()) {
        return None;
    }
    let user = message["user"].as_str()?.to_string();
    if user == bot_user {
        return None;
    }
    let ts = match change {
        Change::Deleted => event["deleted_ts"].as_str().or(message["ts"].as_str())?,
        _ => message["ts"].as_str()?,
    }
    .to_string();
    let thread_ts = message["thread_ts"].as_str().map(str::to_string);
    match &thread_ts {
        // The parent itself, not a reply.
        Some(t) if *t == ts => return None,
        // A new message outside a thread is not a reply.
        None if change == Change::Created => return None,
        _ => {}
    }
    if change == Change::Updated
        && event["previous_message"]["text"].as_str() == message["text"].as_str()
    {
        // Slack also sends message_changed for unfurls and reactions: nothing was edited.
        return None;
    }
    let files = message["files"]
        .as_array()
        .map(|files| {
            files
                .iter()
                .filter_map(|f| {
                    Some(super::files::SharedFile {
                        id: f["id"].as_str()?.to_string(),
                        name: f["name"].as_str().map(str::to_string),
                        mimetype: f["mimetype"].as_str().map(str::to_string),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(ThreadReply {
        change,
        channel,
        ts,
        thread_ts,
        user,
        text: message["text"].as_str().unwrap_or_default().to_string(),
        files,
    })
}

/// The callback body for a reply (DESIGN.md's Herald → platform contract).
pub fn body(
    reply: &ThreadReply,
    thread_ts: &str,
    team_id: &str,
    conversation_id: &str,
    email: Option<&str>,
) -> Value {
    let (kind, text) = reply_kind(&reply.text);
    let mut body = json!({
        "type": reply.change.callback_type(),
        "kind": kind.as_str(),
        "conversation_id": conversation_id,
        "operator": {"slack_user_id": reply.user, "email": email},
        "slack": {"team": team_id, "user": reply.user, "channel": reply.channel, "ts": reply.ts, "thread_ts": thread_ts},
    });
    if reply.change != Change::Deleted {
        body["text"] = json!(text);
    }
    body
}

/// Queues a callback that is about no reply (availability): sent at once.
pub(super) async fn queue_callback(
    state: &ConversationsCtx,
    team_id: &str,
    callback: &Callback,
    event_id: &str,
) -> Result<bool, StoreError> {
    let on = on(team_id, event_id, RunAt::Now);
    Ok(state.jobs.push(callback, &on).await?.is_some())
}

/// Where a callback about `event_id` is queued: Herald's own, outside any conversation.
pub(super) fn on<'a>(team_id: &'a str, event_id: &'a str, run_at: RunAt) -> Enqueue<'a> {
    Enqueue {
        team_id,
        event_id,
        internal: true,
        thread_key: None,
        run_at,
    }
}

/// The id a reply's callback jobs carry: the Slack message they are about.
fn reply_event_id(reply: &ThreadReply) -> String {
    reply_event_id_of(&reply.channel, &reply.ts)
}

/// The id of the reply `ts` in `channel` (catch-up asks whether it was forwarded).
pub(super) fn reply_event_id_of(channel: &str, ts: &str) -> String {
    format!("slack:{channel}:{ts}")
}

/// Queues the callback for a reply in one of Herald's threads; returns whether it was one.
pub async fn forward(
    state: &ConversationsCtx,
    workspace: &Workspace,
    event: &Value,
) -> Result<bool, StoreError> {
    let Some(reply) = read(event, &workspace.bot_user_id) else {
        return Ok(false);
    };
    let team_id = &workspace.team_id;
    let thread_ts = match &reply.thread_ts {
        Some(ts) => ts.clone(),
        None => match state
            .store
            .forwarded_reply_thread(team_id, &reply_event_id(&reply), KIND)
            .await?
        {
            Some(ts) => ts,
            None => return Ok(false),
        },
    };
    let Some(thread) = state
        .store
        .thread_by_ts(team_id, &reply.channel, &thread_ts)
        .await?
    else {
        return Ok(false);
    };
    if reply.change == Change::Created {
        // Catch-up reads back threads people are writing in.
        state
            .store
            .thread_active(team_id, &reply.channel, &thread_ts)
            .await?;
    }
    if thread.replies_off {
        // An alerts-only thread: nothing said here reaches the platform. The first to
        // write in it is told so, once, in their own language.
        if reply.change == Change::Created
            && state
                .store
                .tell_replies_off_once(team_id, &reply.channel, &thread_ts)
                .await?
        {
            alerts_only_notice(state, workspace, &reply, &thread_ts).await;
        }
        tracing::info!(
            change = reply.change.callback_type(),
            "reply in an alerts-only thread; not sent to the platform"
        );
        return Ok(true);
    }
    let email = match state
        .slack
        .user_info(workspace.bot_token.expose(), &reply.user)
        .await
    {
        Ok(info) => info.profile.email,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the replier's email");
            None
        }
    };
    let mut body = body(
        &reply,
        &thread_ts,
        team_id,
        &thread.conversation_id,
        email.as_deref(),
    );
    if !reply.files.is_empty() && reply.change != Change::Deleted {
        body["files"] =
            super::files::callback_files(state, workspace, &thread.connection_id, &reply.files)
                .await;
    }
    // Sent as the operator the replier is; a new reply from someone unknown is held.
    let operator =
        super::operators::operator_of(state, team_id, &reply.user, email.as_deref()).await?;
    if let Some(op) = &operator {
        body["operator"] = super::operators::operator_json(op, &reply.user);
    }
    let held = operator.is_none() && reply.change == Change::Created;
    let (kind, _) = reply_kind(&reply.text);
    let event_id = reply_event_id(&reply);

    // Inside the undo window the unsent callback itself changes: an edit rewrites it, a
    // deletion cancels it, and nothing half-meant reaches the customer.
    if reply.change != Change::Created
        && let Some((job_id, payload)) = state
            .store
            .pending_callback(team_id, &event_id, KIND)
            .await?
        && let Ok(mut pending) = serde_json::from_str::<Callback>(&payload)
    {
        let settled = if reply.change == Change::Deleted {
            state
                .store
                .cancel_pending_job(team_id, &job_id, "deleted in Slack before it was sent")
                .await?
        } else {
            pending.body["kind"] = body["kind"].clone();
            pending.body["text"] = body["text"].clone();
            let payload = serde_json::to_string(&pending)
                .map_err(|e| StoreError::Corrupt(format!("callback does not serialize: {e}")))?;
            state
                .store
                .update_pending_payload(&job_id, &payload)
                .await?
        };
        if settled {
            tracing::info!(
                change = reply.change.callback_type(),
                "reply changed before it was sent"
            );
            return Ok(true);
        }
    }

    let callback = Callback {
        connection_id: thread.connection_id.clone(),
        body,
        channel: reply.channel.clone(),
        ts: reply.ts.clone(),
        thread_ts: thread_ts.clone(),
        user: reply.user.clone(),
        react: reply.change != Change::Deleted,
        once_per: Some(format!(
            "{team_id}:{}:{}:{}:{}",
            reply.channel,
            reply.ts,
            reply.change.callback_type(),
            event["event_ts"].as_str().unwrap_or(&reply.ts)
        )),
    };
    // A message to the customer waits out the undo window; a note goes at once.
    let to_customer = reply.change == Change::Created && kind == ReplyKind::Message;
    let run_at = if held {
        RunAt::Held
    } else if to_customer {
        RunAt::At(now_ms() + crate::store::duration_ms(state.settings.delivery.undo_window))
    } else {
        RunAt::Now
    };
    let queued = state
        .jobs
        .push(&callback, &on(team_id, &event_id, run_at))
        .await?;
    let Some(id) = queued else {
        // Slack sent this change before; it was queued then.
        return Ok(true);
    };
    if held {
        let offer = super::operators::claimable(state, &thread).await?;
        let who = super::operators::Requester {
            user: &reply.user,
            email: email.as_deref(),
            is_admin: crate::workspace::people::is_herald_admin(
                &state.slack,
                &state.store,
                &state.profiles,
                workspace,
                &reply.user,
            )
            .await,
        };
        super::operators::offer_claim(state, workspace, &callback, &id, offer.as_ref(), &who).await;
    } else if to_customer {
        offer_undo(state, workspace, &reply, &thread_ts, &id).await;
    }
    tracing::info!(
        kind = match kind {
            ReplyKind::Message => "message",
            ReplyKind::Note => "note",
        },
        change = reply.change.callback_type(),
        "reply from Slack queued for the platform"
    );
    Ok(true)
}

/// Tells a replier, only them, that an alerts-only thread does not reach the platform.
async fn alerts_only_notice(
    state: &ConversationsCtx,
    workspace: &Workspace,
    reply: &ThreadReply,
    thread_ts: &str,
) {
    let lang = state.lang_for(workspace, &reply.user).await;
    let text = lang.pick(
        ":no_entry_sign: このチャンネルは通知専用です。このスレッドへの返信はお客様にもプラットフォームにも送られません。お客様への返信はプラットフォームで行ってください。",
        ":no_entry_sign: This channel only alerts: replies in this thread are not sent to the customer or the platform. Reply to the customer on the platform.",
    );
    if let Err(err) = state
        .slack
        .post_ephemeral(
            workspace.bot_token.expose(),
            &reply.channel,
            &reply.user,
            text,
            Some(thread_ts),
        )
        .await
    {
        tracing::warn!(error = %err, "could not tell the replier the thread only alerts");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply_event() -> Value {
        json!({"type": "message", "channel": "C1", "user": "U1", "text": "```hello```",
               "ts": "2.000", "thread_ts": "1.000", "event_ts": "2.000", "channel_type": "channel"})
    }

    #[test]
    fn only_peoples_thread_replies_count() {
        let r = read(&reply_event(), "UBOT").unwrap();
        assert_eq!(
            (
                r.change,
                r.ts.as_str(),
                r.thread_ts.as_deref().unwrap_or_default()
            ),
            (Change::Created, "2.000", "1.000")
        );
        let mut bot = reply_event();
        bot["bot_id"] = json!("B1");
        assert!(read(&bot, "UBOT").is_none());
        let mut herald = reply_event();
        herald["user"] = json!("UBOT");
        assert!(read(&herald, "UBOT").is_none());
        let mut top = reply_event();
        top["thread_ts"] = json!("2.000");
        assert!(read(&top, "UBOT").is_none(), "the parent is not a reply");
        let mut joined = reply_event();
        joined["subtype"] = json!("channel_join");
        assert!(read(&joined, "UBOT").is_none());
        let mut outside = reply_event();
        outside.as_object_mut().unwrap().remove("thread_ts");
        assert!(read(&outside, "UBOT").is_none());
    }

    #[test]
    fn edits_and_deletions_name_the_reply() {
        let edited = json!({"type": "message", "subtype": "message_changed", "channel": "C1",
            "message": {"user": "U1", "text": "new", "ts": "2.000", "thread_ts": "1.000"},
            "previous_message": {"user": "U1", "text": "old", "ts": "2.000", "thread_ts": "1.000"},
            "event_ts": "3.000"});
        let r = read(&edited, "UBOT").unwrap();
        assert_eq!((r.change, r.text.as_str()), (Change::Updated, "new"));
        let mut same = edited.clone();
        same["message"]["text"] = json!("old");
        assert!(read(&same, "UBOT").is_none(), "an unfurl is not an edit");
        let deleted = json!({"type": "message", "subtype": "message_deleted", "channel": "C1",
            "deleted_ts": "2.000", "previous_message": {"user": "U1", "text": "old", "ts": "2.000", "thread_ts": "1.000"}});
        let r = read(&deleted, "UBOT").unwrap();
        assert_eq!((r.change, r.ts.as_str()), (Change::Deleted, "2.000"));
        let b = body(&r, "1.000", "T1", "chat_42", None);
        assert!(b.get("text").is_none());
        assert_eq!(b["type"], "reply.deleted");
    }

    #[test]
    fn the_body_says_message_or_note() {
        let r = read(&reply_event(), "UBOT").unwrap();
        let b = body(&r, "1.000", "T1", "chat_42", Some("op@example.com"));
        assert_eq!(b["kind"], "message");
        assert_eq!(b["text"], "hello");
        assert_eq!(b["conversation_id"], "chat_42");
        assert_eq!(b["operator"]["email"], "op@example.com");
        let mut note = reply_event();
        note["text"] = json!("looking into it");
        let b = body(
            &read(&note, "UBOT").unwrap(),
            "1.000",
            "T1",
            "chat_42",
            None,
        );
        assert_eq!(b["kind"], "note");
    }
}
