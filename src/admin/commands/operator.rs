//! `/herald away|available` and `/herald operator link <id> [<@user>]`: the operator
//! mapping and availability, kept by `conversations::operators`.

use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::{Actor, Admin};
use crate::admin::reply::{failure, say};
use crate::admin::views::texts;
use crate::conversations::operators::{self, Linked, Requester};

pub(crate) async fn away(cx: &AdminCtx, actor: &Actor, away: bool) -> SlackCommandEventResponse {
    let lang = actor.lang();
    match operators::set_availability(&cx.conversations, &actor.workspace, &actor.user, away).await
    {
        Ok(()) => say(texts::availability(lang, away)),
        Err(err) => failure(lang, &err),
    }
}

/// An admin links a Slack user to the platform's operator.
pub(crate) async fn move_link(
    cx: &AdminCtx,
    admin: &Admin,
    operator: &str,
    target: &str,
) -> SlackCommandEventResponse {
    let lang = admin.lang();
    match operators::move_link(
        &cx.conversations,
        &admin.workspace,
        &admin.user,
        operator,
        target,
    )
    .await
    {
        Ok((previous, released)) => say(texts::operator_moved(
            lang,
            operator,
            target,
            previous.as_deref(),
            released,
        )),
        Err(err) => failure(lang, &err),
    }
}

/// Someone links themselves, where the platform vouches for them (see `link_self`).
pub(crate) async fn link_self(
    cx: &AdminCtx,
    actor: &Actor,
    operator: &str,
) -> SlackCommandEventResponse {
    let lang = actor.lang();
    let who = Requester {
        user: &actor.user,
        email: actor.email(),
        is_admin: actor.may_change(cx).await,
    };
    match operators::link_self(&cx.conversations, actor.team_id(), operator, &who).await {
        Ok(Linked::Yes(released)) => say(texts::operator_linked(lang, operator, released)),
        Ok(Linked::Refused(why)) => say(operators::refusal(lang, operator, &why)),
        Err(err) => failure(lang, &err),
    }
}
