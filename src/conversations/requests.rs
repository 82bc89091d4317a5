//! Requests to the platform about a conversation, sent as callbacks: "Close
//! conversation" and "Assign to me" on a thread's parent (slash commands do not work in
//! threads), and the same two asked with ✅ and 👀 (`super::reactions`).

use serde_json::json;

use crate::conversations::ConversationsCtx;
use crate::core::catalog::Lang;
use crate::delivery::callback::Callback;
use crate::store::{StoreError, Thread};
use crate::workspace::Workspace;

pub use crate::core::render::conversation::{ASSIGN_ME, CLOSE};

/// What a person asks the platform to do with a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    Close,
    /// Assign it to the person who asked.
    Assign,
}

impl Ask {
    /// The callback's `type` (DESIGN.md's Herald → platform contract).
    pub fn callback_type(self) -> &'static str {
        match self {
            Ask::Close => "conversation.close_requested",
            Ask::Assign => "conversation.assign_requested",
        }
    }

    /// What the person is told was sent.
    pub fn sent(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Ask::Close, Lang::Ja) => "会話の終了をプラットフォームに依頼しました。",
            (Ask::Close, Lang::En) => "Asked the platform to close the conversation.",
            (Ask::Assign, Lang::Ja) => "あなたを担当者にするようプラットフォームに依頼しました。",
            (Ask::Assign, Lang::En) => "Asked the platform to assign the conversation to you.",
        }
    }
}

/// A press of "Close conversation" or "Assign to me" on a thread's parent. Returns what
/// to tell the person, or None if the message is not a Herald thread. Each press asks
/// again.
pub async fn request(
    state: &ConversationsCtx,
    workspace: &Workspace,
    user: &str,
    action: &str,
    channel: &str,
    parent_ts: &str,
    lang: Lang,
) -> Result<Option<String>, StoreError> {
    let Some(thread) = state
        .store
        .thread_by_ts(&workspace.team_id, channel, parent_ts)
        .await?
    else {
        return Ok(None);
    };
    let ask = if action == CLOSE {
        Ask::Close
    } else {
        Ask::Assign
    };
    let on = Asked {
        user,
        ts: parent_ts,
        event_id: &format!("slack:{channel}:{parent_ts}"),
        once_per: None,
    };
    send(state, workspace, &thread, ask, &on).await?;
    Ok(Some(ask.sent(lang).into()))
}

/// Who asked, on which Slack message of the thread, and what makes two asks one.
pub(super) struct Asked<'a> {
    pub user: &'a str,
    /// The message acted on (the parent, or a message in its thread).
    pub ts: &'a str,
    /// The id the callback job carries.
    pub event_id: &'a str,
    /// None: every ask is sent.
    pub once_per: Option<String>,
}

/// Queues the request's callback, sent as the operator the person is (their Slack id
/// and email besides); returns whether it was queued now (false: asked before).
pub(super) async fn send(
    state: &ConversationsCtx,
    workspace: &Workspace,
    thread: &Thread,
    ask: Ask,
    on: &Asked<'_>,
) -> Result<bool, StoreError> {
    let team_id = &workspace.team_id;
    let email = match state
        .slack
        .user_info(workspace.bot_token.expose(), on.user)
        .await
    {
        Ok(info) => info.profile.email,
        Err(_) => None,
    };
    let mut body = json!({
        "type": ask.callback_type(),
        "conversation_id": thread.conversation_id,
        "operator": {"slack_user_id": on.user, "email": email},
        "slack": {"team": team_id, "user": on.user, "channel": thread.channel, "ts": on.ts,
                  "thread_ts": thread.thread_ts},
    });
    if let Some(op) =
        super::operators::operator_of(state, team_id, on.user, email.as_deref()).await?
    {
        body["operator"] = super::operators::operator_json(&op, on.user);
    }
    let callback = Callback {
        connection_id: thread.connection_id.clone(),
        body,
        channel: thread.channel.clone(),
        ts: on.ts.to_string(),
        thread_ts: thread.thread_ts.clone(),
        user: on.user.to_string(),
        react: false,
        once_per: on.once_per.clone(),
    };
    super::replies::queue_callback(state, team_id, &callback, on.event_id).await
}
