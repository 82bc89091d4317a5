//! "Close conversation" and "Assign to me" on a thread's parent: requests to the
//! platform, sent as callbacks (slash commands do not work in threads).

use serde_json::json;

use crate::conversations::ConversationsCtx;
use crate::delivery::callback::Callback;
use crate::store::StoreError;
use crate::workspace::Workspace;

pub use crate::core::render::conversation::{ASSIGN_ME, CLOSE};

/// A press of "Close conversation" or "Assign to me" on a thread's parent: asks the
/// platform (slash commands do not work in threads, so these are buttons). Returns
/// what to tell the person, or None if the message is not a Herald thread.
pub async fn request(
    state: &ConversationsCtx,
    workspace: &Workspace,
    user: &str,
    action: &str,
    channel: &str,
    parent_ts: &str,
    lang: crate::core::catalog::Lang,
) -> Result<Option<String>, StoreError> {
    let team_id = &workspace.team_id;
    let Some(thread) = state
        .store
        .thread_by_ts(team_id, channel, parent_ts)
        .await?
    else {
        return Ok(None);
    };
    let email = match state
        .slack
        .user_info(workspace.bot_token.expose(), user)
        .await
    {
        Ok(info) => info.profile.email,
        Err(_) => None,
    };
    let kind = if action == CLOSE {
        "conversation.close_requested"
    } else {
        "conversation.assign_requested"
    };
    let callback = Callback {
        connection_id: thread.connection_id.clone(),
        body: json!({
            "type": kind,
            "conversation_id": thread.conversation_id,
            "operator": {"slack_user_id": user, "email": email},
            "slack": {"team": team_id, "user": user, "channel": channel, "ts": parent_ts, "thread_ts": parent_ts},
        }),
        channel: channel.to_string(),
        ts: parent_ts.to_string(),
        thread_ts: parent_ts.to_string(),
        user: user.to_string(),
        react: false,
        // Each press asks again.
        once_per: None,
    };
    let event_id = format!("slack:{channel}:{parent_ts}");
    super::replies::queue_callback(state, team_id, &callback, &event_id).await?;
    Ok(Some(
        match (action == CLOSE, lang) {
            (true, crate::core::catalog::Lang::Ja) => {
                "会話の終了をプラットフォームに依頼しました。"
            }
            (true, crate::core::catalog::Lang::En) => {
                "Asked the platform to close the conversation."
            }
            (false, crate::core::catalog::Lang::Ja) => {
                "あなたを担当者にするようプラットフォームに依頼しました。"
            }
            (false, crate::core::catalog::Lang::En) => {
                "Asked the platform to assign the conversation to you."
            }
        }
        .into(),
    ))
}
