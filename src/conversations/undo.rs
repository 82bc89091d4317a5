//! The undo window: a reply to the customer waits a few seconds, offered to its author
//! with Undo and Send now.

use serde_json::json;

use crate::conversations::ConversationsCtx;
use crate::delivery::callback::Callback;
use crate::store::StoreError;
use crate::workspace::Workspace;

use super::replies::ThreadReply;

/// `action_id`s of the buttons under a reply waiting to go to the customer.
pub const UNDO: &str = "herald_reply_undo";
pub const SEND_NOW: &str = "herald_reply_send_now";

/// "Sending to the customer in 10 s — Undo / Send now", to the author only, in the thread.
pub(super) async fn offer_undo(
    state: &ConversationsCtx,
    workspace: &Workspace,
    reply: &ThreadReply,
    thread_ts: &str,
    job_id: &str,
) {
    let lang = state.lang_for(workspace, &reply.user).await;
    let seconds = state.settings.delivery.undo_window.as_secs().max(1);
    let text = match lang {
        crate::core::catalog::Lang::Ja => {
            format!(":outbox_tray: {seconds}秒後に顧客へ送信します。")
        }
        crate::core::catalog::Lang::En => {
            format!(":outbox_tray: Sending to the customer in {seconds} s.")
        }
    };
    let blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}),
        json!({"type": "actions", "elements": [
            {"type": "button", "action_id": UNDO, "value": job_id, "style": "danger",
             "text": {"type": "plain_text", "text": lang.pick("取り消す", "Undo")}},
            {"type": "button", "action_id": SEND_NOW, "value": job_id,
             "text": {"type": "plain_text", "text": lang.pick("今すぐ送信", "Send now")}}
        ]}),
    ];
    let message = crate::core::render::Message { text, blocks };
    if let Err(err) = state
        .slack
        .post_ephemeral_blocks(
            workspace.bot_token.expose(),
            &reply.channel,
            &reply.user,
            &message,
            Some(thread_ts),
        )
        .await
    {
        tracing::warn!(error = %err, "could not offer the undo");
    }
}

/// Whether `user` wrote the reply a callback job carries: only they may undo, send
/// early or claim it.
pub(super) async fn is_author(
    state: &ConversationsCtx,
    team_id: &str,
    job_id: &str,
    user: &str,
) -> Result<bool, StoreError> {
    Ok(state
        .store
        .job_payload(team_id, job_id)
        .await?
        .and_then(|p| serde_json::from_str::<Callback>(&p).ok())
        .is_some_and(|c| c.user == user))
}

pub(super) fn not_author(lang: crate::core::catalog::Lang) -> String {
    lang.pick(
        "この返信を操作できるのは書いた本人だけです。",
        "Only the reply's author can do that.",
    )
    .into()
}

/// A press of Undo or Send now: only the reply's author may, and only while it waits.
/// Returns the answer that replaces the offer.
pub async fn undo_or_send(
    state: &ConversationsCtx,
    team_id: &str,
    user: &str,
    action: &str,
    job_id: &str,
    lang: crate::core::catalog::Lang,
) -> Result<String, StoreError> {
    if !is_author(state, team_id, job_id, user).await? {
        return Ok(not_author(lang));
    }
    let done = if action == UNDO {
        state
            .store
            .cancel_pending_job(team_id, job_id, "undone by its author")
            .await?
    } else {
        let sent = state.store.run_pending_job_now(team_id, job_id).await?;
        state.jobs.wake();
        sent
    };
    Ok(match (action == UNDO, done) {
        (true, true) => lang.pick(
            ":leftwards_arrow_with_hook: 取り消しました。顧客には送られていません。",
            ":leftwards_arrow_with_hook: Undone: the customer did not get it.",
        ),
        (false, true) => lang.pick(":outbox_tray: 送信します。", ":outbox_tray: Sending now."),
        (_, false) => lang.pick(
            "すでに送信済みです。送信後の編集・削除はプラットフォームに伝わります。",
            "It has already gone; edits and deletions from now on are passed on to the platform.",
        ),
    }
    .into())
}
