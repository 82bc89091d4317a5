//! Who a reply is sent as: the platform operator the Slack user is.
//!
//! Replies reach customers under the operator's name, so who may be which operator is
//! decided here, in one pure rule ([`may_link_self`]), for both ways of asking:
//! `/herald operator link <id>` and the "Claim as <assignee>" button.
//!
//! - A member may link only an operator nobody holds, and only when the platform has
//!   vouched for them: an event named that operator with an email equal to the
//!   member's Slack email. (That case is also linked on its own, at the first reply.)
//! - A Herald admin may link themselves to an operator nobody holds.
//! - Taking an operator someone holds is a move: only a Herald admin, with
//!   `/herald operator link <id> @user`; it is audited and both people are told.
//!
//! A reply from someone who is no operator yet is held; "Claim as …" is offered only to
//! whom the rule lets claim, and every press is checked again on the server.

use serde_json::{Value, json};

use crate::conversations::ConversationsCtx;
use crate::core::catalog::Lang;
use crate::delivery::callback::{Callback, KIND};
use crate::store::{Operator, StoreError, Thread};
use crate::workspace::Workspace;

/// `action_id` of "Claim as …"; its value is `job_id|operator_id`.
pub const CLAIM: &str = "herald_reply_claim";

/// The callback body's `operator`.
pub fn operator_json(operator: &Operator, slack_user: &str) -> Value {
    json!({
        "id": operator.operator_id,
        "email": operator.email,
        "name": operator.name,
        "slack_user_id": slack_user,
    })
}

/// The operator a Slack user is: linked already, or found (and linked) by email when
/// nobody holds that operator yet.
pub async fn operator_of(
    state: &ConversationsCtx,
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
        Some(op)
            if op.slack_user_id.is_none()
                && state
                    .store
                    .link_unheld_operator(team_id, &op.operator_id, user)
                    .await? =>
        {
            tracing::info!(operator = %op.operator_id, user, "operator linked by email");
            Ok(Some(op))
        }
        _ => Ok(None),
    }
}

/// Who asks to be an operator, as Slack vouches for them.
#[derive(Debug, Clone)]
pub struct Requester<'a> {
    pub user: &'a str,
    /// The Slack profile's email (`users.info`), if Slack gave one.
    pub email: Option<&'a str>,
    /// A Herald admin (see `admin::is_herald_admin`).
    pub is_admin: bool,
}

/// Whether someone may link themselves to an operator, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelfLink {
    Allowed,
    /// Someone else holds the operator: only an admin can move it.
    HeldBy(String),
    /// The platform never said this person is that operator, and they are no admin.
    NotVouched,
}

/// The rule (pure): see the module doc. `operator` is what the platform told Herald
/// about the operator (None: never named by an event).
pub fn may_link_self(operator: Option<&Operator>, who: &Requester<'_>) -> SelfLink {
    if let Some(holder) = operator.and_then(|op| op.slack_user_id.as_deref())
        && holder != who.user
    {
        return SelfLink::HeldBy(holder.to_string());
    }
    let vouched = operator
        .and_then(|op| op.email.as_deref())
        .zip(who.email)
        .is_some_and(|(theirs, mine)| theirs.trim().eq_ignore_ascii_case(mine.trim()));
    if vouched || who.is_admin {
        SelfLink::Allowed
    } else {
        SelfLink::NotVouched
    }
}

/// The operator an unlinked replier may claim to be: the conversation's assignee.
pub async fn claimable(
    state: &ConversationsCtx,
    thread: &Thread,
) -> Result<Option<Operator>, StoreError> {
    let Some(id) = state
        .store
        .thread_assignee(&thread.team_id, &thread.channel, &thread.thread_ts)
        .await?
    else {
        return Ok(None);
    };
    state.store.operator(&thread.team_id, &id).await
}

/// Tells the author their reply is held, with "Claim as …" when the rule lets them be
/// the conversation's assignee; otherwise with how to get linked.
pub async fn offer_claim(
    state: &ConversationsCtx,
    workspace: &Workspace,
    callback: &Callback,
    job_id: &str,
    offer: Option<&Operator>,
    who: &Requester<'_>,
) {
    let lang = state.lang_for(workspace, &callback.user).await;
    let mut blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": lang.pick(
            ":raised_hand: この返信は保留中です。あなたがプラットフォームのどのオペレーターかが分からないため、送信していません。",
            ":raised_hand: This reply is held: the platform does not know which of its operators you are, so nothing was sent."
        )}}),
    ];
    let claimable = offer.filter(|op| may_link_self(Some(op), who) == SelfLink::Allowed);
    match claimable {
        Some(op) => {
            let name = op
                .name
                .clone()
                .or_else(|| op.email.clone())
                .unwrap_or_else(|| op.operator_id.clone());
            let name = crate::core::render::plain(&name);
            blocks.push(json!({"type": "actions", "elements": [{
                "type": "button", "action_id": CLAIM, "style": "primary",
                "value": format!("{job_id}|{}", op.operator_id),
                "text": {"type": "plain_text", "text": crate::core::render::cut(&format!("{} {name}", lang.pick("オペレーターとして送信:", "Claim as")), 75)}
            }]}));
        }
        None => blocks.push(
            json!({"type": "context", "elements": [{"type": "mrkdwn", "text": lang.pick(
                "Herald の管理者に `/herald operator link <オペレーターID> @あなた` で紐付けてもらうと送信されます。",
                "Ask a Herald admin to link you with `/herald operator link <operator-id> @you` and it will be sent."
            )}]}),
        ),
    }
    let message = crate::core::render::Message {
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

/// Sends every held reply of `user` under `operator_id` (they are linked to it now).
/// Returns how many were released.
pub async fn release_held(
    state: &ConversationsCtx,
    team_id: &str,
    user: &str,
    operator_id: &str,
) -> Result<usize, StoreError> {
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
    for (id, payload) in state.store.held_callbacks(team_id, KIND).await? {
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
    state.jobs.wake();
    Ok(released)
}

/// What became of a request to link oneself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linked {
    /// Linked; this many held replies are being sent.
    Yes(usize),
    Refused(SelfLink),
}

/// `/herald operator link <id>` and "Claim as …": links `who` to `operator_id` when
/// [`may_link_self`] allows it (checked against the store at the moment of linking, so a
/// race cannot take a held operator), then releases their held replies.
pub async fn link_self(
    state: &ConversationsCtx,
    team_id: &str,
    operator_id: &str,
    who: &Requester<'_>,
) -> Result<Linked, StoreError> {
    let operator = state.store.operator(team_id, operator_id).await?;
    match may_link_self(operator.as_ref(), who) {
        SelfLink::Allowed => {}
        refused => return Ok(Linked::Refused(refused)),
    }
    if !state
        .store
        .link_unheld_operator(team_id, operator_id, who.user)
        .await?
    {
        // Someone linked it in between.
        let holder = state
            .store
            .operator(team_id, operator_id)
            .await?
            .and_then(|op| op.slack_user_id)
            .unwrap_or_default();
        return Ok(Linked::Refused(SelfLink::HeldBy(holder)));
    }
    tracing::info!(operator = operator_id, user = who.user, "operator linked");
    Ok(Linked::Yes(
        release_held(state, team_id, who.user, operator_id).await?,
    ))
}

/// A press of "Claim as …": only the reply's author may claim it, and only as someone
/// [`may_link_self`] lets them be (the button's value is the client's word, not ours).
pub async fn claim(
    state: &ConversationsCtx,
    team_id: &str,
    who: &Requester<'_>,
    value: &str,
    lang: Lang,
) -> Result<String, StoreError> {
    let Some((job_id, operator_id)) = value.split_once('|') else {
        return Ok(lang
            .pick("この操作は使えません。", "That cannot be done.")
            .into());
    };
    if !super::undo::is_author(state, team_id, job_id, who.user).await? {
        return Ok(super::undo::not_author(lang));
    }
    Ok(match link_self(state, team_id, operator_id, who).await? {
        Linked::Yes(released) => match lang {
            Lang::Ja => format!(
                ":white_check_mark: オペレーター `{}` として紐付け、保留中の返信 {released} 件を送信します。",
                crate::core::render::escape(operator_id)
            ),
            Lang::En => format!(
                ":white_check_mark: You are operator `{}` now; sending your {released} held replies.",
                crate::core::render::escape(operator_id)
            ),
        },
        Linked::Refused(why) => refusal(lang, operator_id, &why),
    })
}

/// Why someone may not be that operator, and what to do instead.
pub fn refusal(lang: Lang, operator_id: &str, why: &SelfLink) -> String {
    let op = crate::core::render::escape(operator_id);
    match (why, lang) {
        (SelfLink::HeldBy(holder), Lang::Ja) => format!(
            "オペレーター `{op}` は <@{holder}> に紐付いています。移すには Herald の管理者が `/herald operator link {op} @ユーザー` を実行します。"
        ),
        (SelfLink::HeldBy(holder), Lang::En) => format!(
            "Operator `{op}` is linked to <@{holder}>. Only a Herald admin can move it: `/herald operator link {op} @user`."
        ),
        (_, Lang::Ja) => format!(
            "プラットフォームから、あなたがオペレーター `{op}` だという情報(同じメールアドレス)が届いていません。Herald の管理者に `/herald operator link {op} @あなた` を依頼してください。"
        ),
        (_, Lang::En) => format!(
            "The platform has not told Herald that you are operator `{op}` (by your email). Ask a Herald admin to run `/herald operator link {op} @you`."
        ),
    }
}

/// `/herald operator link <id> @user` by a Herald admin (the caller checks): links
/// `target`, taking the operator from whoever held it; audited, and both people are
/// told by DM. Returns the previous holder.
pub async fn move_link(
    state: &ConversationsCtx,
    workspace: &Workspace,
    actor: &str,
    operator_id: &str,
    target: &str,
) -> Result<(Option<String>, usize), StoreError> {
    let team_id = &workspace.team_id;
    let previous = state
        .store
        .move_operator(team_id, operator_id, target, actor)
        .await?;
    tracing::info!(
        operator = operator_id,
        target,
        ?previous,
        actor,
        "operator link set by an admin"
    );
    let released = release_held(state, team_id, target, operator_id).await?;
    let op = crate::core::render::escape(operator_id);
    let to_target = match state.lang_for(workspace, target).await {
        Lang::Ja => format!(
            ":link: <@{actor}> があなたをプラットフォームのオペレーター `{op}` に紐付けました。Herald のスレッドでの返信はこの名前で顧客に送られます。"
        ),
        Lang::En => format!(
            ":link: <@{actor}> linked you to the platform operator `{op}`: your replies in Herald's threads reach customers under that name."
        ),
    };
    let mut told = vec![(target.to_string(), to_target)];
    if let Some(previous) = previous.as_deref().filter(|p| *p != target) {
        let to_previous = match state.lang_for(workspace, previous).await {
            Lang::Ja => format!(
                ":warning: <@{actor}> がオペレーター `{op}` の紐付けをあなたから <@{target}> に移しました。あなたの返信はこの名前では送られなくなります。心当たりがなければ管理者に連絡してください。"
            ),
            Lang::En => format!(
                ":warning: <@{actor}> moved the platform operator `{op}` from you to <@{target}>: your replies are no longer sent under that name. If this is unexpected, tell your admins."
            ),
        };
        told.push((previous.to_string(), to_previous));
    }
    for (user, text) in told {
        if let Err(err) = state
            .slack
            .direct_message(workspace.bot_token.expose(), &user, &text)
            .await
        {
            tracing::warn!(error = %err, "could not tell about an operator link");
        }
    }
    Ok((previous, released))
}

/// `/herald away` / `/herald available`: stored (delivery reads it for every mention),
/// and told to the platform when the person is one of its operators.
pub async fn set_availability(
    state: &ConversationsCtx,
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
            || crate::core::ids::DEFAULT_CONNECTION.to_string(),
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
        // Every change is news to the platform.
        once_per: None,
    };
    super::replies::queue_callback(state, team_id, &callback, &format!("availability:{user}"))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(email: Option<&str>, holder: Option<&str>) -> Operator {
        Operator {
            operator_id: "op_1".into(),
            email: email.map(Into::into),
            name: None,
            slack_user_id: holder.map(Into::into),
        }
    }

    #[test]
    fn who_may_link_themselves_to_an_operator() {
        let member = |email| Requester {
            user: "U1",
            email,
            is_admin: false,
        };
        let admin = Requester {
            user: "U1",
            email: None,
            is_admin: true,
        };
        let held = SelfLink::HeldBy("U2".into());
        let cases = [
            // The platform named the operator with the member's email, nobody holds it.
            (
                Some(op(Some("Op@Example.com"), None)),
                member(Some("op@example.com")),
                SelfLink::Allowed,
            ),
            (
                Some(op(Some("op@example.com"), Some("U1"))),
                member(Some("op@example.com")),
                SelfLink::Allowed,
            ),
            // Another email, no email on either side, or an operator never named.
            (
                Some(op(Some("op@example.com"), None)),
                member(Some("me@example.com")),
                SelfLink::NotVouched,
            ),
            (
                Some(op(None, None)),
                member(Some("me@example.com")),
                SelfLink::NotVouched,
            ),
            (
                Some(op(Some("op@example.com"), None)),
                member(None),
                SelfLink::NotVouched,
            ),
            (None, member(Some("op@example.com")), SelfLink::NotVouched),
            // Held by someone else: nobody takes it this way, not even an admin.
            (
                Some(op(Some("op@example.com"), Some("U2"))),
                member(Some("op@example.com")),
                held.clone(),
            ),
            (Some(op(None, Some("U2"))), admin.clone(), held),
            // Admins approve themselves for an operator nobody holds.
            (Some(op(None, None)), admin.clone(), SelfLink::Allowed),
            (None, admin, SelfLink::Allowed),
        ];
        for (operator, who, expected) in cases {
            assert_eq!(
                may_link_self(operator.as_ref(), &who),
                expected,
                "{operator:?} {who:?}"
            );
        }
    }
}
