//! Who a reply is sent as: the platform operator the Slack user is.
//!
//! A Slack user becomes an operator by email (the Slack profile's email is the email an
//! event named an operator by), by `/herald operator link <id>`, or by claiming: a reply
//! from someone the platform does not know is held, and its author gets "Claim as
//! <assignee>" (HubSpot's claim flow). Nothing is sent under a guessed name.

use serde_json::{Value, json};

use crate::app::AppState;
use crate::catalog::Lang;
use crate::delivery::callback::{Callback, KIND};
use crate::store::{Operator, StoreError, Thread};
use crate::workspace::Workspace;

/// `action_id` of "Claim as …"; its value is `job_id|operator_id`.
pub const CLAIM: &str = "herald_reply_claim";

/// Held callbacks wait with this `run_at` (Unix ms, year 2100) until released.
pub const HELD: i64 = 4_102_444_800_000;

/// The callback body's `operator`.
pub fn operator_json(operator: &Operator, slack_user: &str) -> Value {
    json!({
        "id": operator.operator_id,
        "email": operator.email,
        "name": operator.name,
        "slack_user_id": slack_user,
    })
}

/// The operator a Slack user is: linked already, or found (and linked) by email.
pub async fn operator_of(
    state: &AppState,
    team_id: &str,
    user: &str,
    email: Option<&str>,
) -> Result<Option<Operator>, StoreError> {
    if let Some(op) = state.store.operator_of_user(team_id, user).await? {
        return Ok(Some(op));
    }
    let Some(email) = email else {
        return Ok(None);
    };
    match state.store.operator_by_email(team_id, email).await? {
        Some(op) if op.slack_user_id.as_deref().is_none_or(|u| u == user) => {
            state
                .store
                .link_operator(team_id, &op.operator_id, user)
                .await?;
            tracing::info!(operator = %op.operator_id, user, "operator linked by email");
            Ok(Some(op))
        }
        _ => Ok(None),
    }
}

/// The operator an unlinked replier may claim to be: the conversation's assignee.
pub async fn claimable(state: &AppState, thread: &Thread) -> Result<Option<Operator>, StoreError> {
    let Some(id) = state
        .store
        .thread_assignee(&thread.team_id, &thread.channel, &thread.thread_ts)
        .await?
    else {
        return Ok(None);
    };
    state.store.operator(&thread.team_id, &id).await
}

/// Tells the author their reply is held, with "Claim as …" when there is someone to be.
pub async fn offer_claim(
    state: &AppState,
    workspace: &Workspace,
    callback: &Callback,
    job_id: &str,
    offer: Option<&Operator>,
) {
    let lang = state.workspace_state.lang(workspace).await;
    let mut blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": lang.pick(
            ":raised_hand: この返信は保留中です。あなたがプラットフォームのどのオペレーターかが分からないため、送信していません。",
            ":raised_hand: This reply is held: the platform does not know which of its operators you are, so nothing was sent."
        )}}),
    ];
    match offer {
        Some(op) => {
            let name = op
                .name
                .clone()
                .or_else(|| op.email.clone())
                .unwrap_or_else(|| op.operator_id.clone());
            blocks.push(json!({"type": "actions", "elements": [{
                "type": "button", "action_id": CLAIM, "style": "primary",
                "value": format!("{job_id}|{}", op.operator_id),
                "text": {"type": "plain_text", "text": crate::render::cut(&format!("{} {name}", lang.pick("オペレーターとして送信:", "Claim as")), 75)}
            }]}));
        }
        None => blocks.push(
            json!({"type": "context", "elements": [{"type": "mrkdwn", "text": lang.pick(
                "`/herald operator link <オペレーターID>` で自分を紐付けると送信されます。",
                "Link yourself with `/herald operator link <operator-id>` and it will be sent."
            )}]}),
        ),
    }
    let message = crate::render::Message {
        text: lang.pick("返信は保留中です", "Your reply is held").into(),
        blocks,
    };
    if let Err(err) = state
        .slack
        .post_ephemeral_blocks(
            workspace.bot_token.expose(),
            &callback.channel,
            &callback.user,
            &message,
            Some(&callback.thread_ts),
        )
        .await
    {
        tracing::warn!(error = %err, "could not offer the claim");
    }
}

/// Links `user` to `operator_id` and sends every reply of theirs that was held.
/// Returns how many were released.
pub async fn link_and_release(
    state: &AppState,
    team_id: &str,
    user: &str,
    operator_id: &str,
) -> Result<usize, StoreError> {
    state
        .store
        .link_operator(team_id, operator_id, user)
        .await?;
    let operator = state
        .store
        .operator(team_id, operator_id)
        .await?
        .unwrap_or(Operator {
            operator_id: operator_id.to_string(),
            email: None,
            name: None,
            slack_user_id: Some(user.to_string()),
        });
    let mut released = 0;
    for (id, payload) in state.store.held_callbacks(team_id, KIND, HELD).await? {
        let Ok(mut callback) = serde_json::from_str::<Callback>(&payload) else {
            continue;
        };
        if callback.user != user {
            continue;
        }
        callback.body["operator"] = operator_json(&operator, user);
        let payload = serde_json::to_string(&callback)
            .map_err(|e| StoreError::Corrupt(format!("callback does not serialize: {e}")))?;
        if state.store.release_job(&id, &payload).await? {
            released += 1;
        }
    }
    state.wake.notify_waiters();
    Ok(released)
}

/// A press of "Claim as …": only the reply's author may claim it.
pub async fn claim(
    state: &AppState,
    team_id: &str,
    user: &str,
    value: &str,
    lang: Lang,
) -> Result<String, StoreError> {
    let Some((job_id, operator_id)) = value.split_once('|') else {
        return Ok(lang
            .pick("この操作は使えません。", "That cannot be done.")
            .into());
    };
    if !super::replies::is_author(state, team_id, job_id, user).await? {
        return Ok(super::replies::not_author(lang));
    }
    let released = link_and_release(state, team_id, user, operator_id).await?;
    Ok(match lang {
        Lang::Ja => format!(
            ":white_check_mark: オペレーター `{}` として紐付け、保留中の返信 {released} 件を送信します。",
            crate::render::escape(operator_id)
        ),
        Lang::En => format!(
            ":white_check_mark: You are operator `{}` now; sending your {released} held replies.",
            crate::render::escape(operator_id)
        ),
    })
}

/// `/herald away` / `/herald available`: stored (delivery reads it for every mention),
/// and told to the platform when the person is one of its operators.
pub async fn set_availability(
    state: &AppState,
    workspace: &Workspace,
    user: &str,
    away: bool,
) -> Result<(), StoreError> {
    let team_id = &workspace.team_id;
    if !state.store.set_away(team_id, user, away).await? {
        return Ok(());
    }
    let Some(operator) = state.store.operator_of_user(team_id, user).await? else {
        return Ok(());
    };
    let connection = state
        .store
        .connections_of(team_id)
        .await?
        .first()
        .map_or_else(
            || crate::app::DEFAULT_CONNECTION.to_string(),
            |c| c.id.clone(),
        );
    let callback = Callback {
        connection_id: connection,
        body: json!({
            "type": "operator.availability_changed",
            "operator": operator_json(&operator, user),
            "available": !away,
        }),
        channel: String::new(),
        ts: String::new(),
        thread_ts: String::new(),
        user: user.to_string(),
        react: false,
    };
    super::replies::queue_callback(state, team_id, &callback, &format!("availability:{user}"))
        .await?;
    Ok(())
}
