//! `/herald admins [add|remove <@user>]` and `/herald audit`: who may change Herald, and
//! what was changed.

use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::Actor;
use crate::admin::reply::{failure, say};
use crate::admin::views::texts;

/// How many audit entries `/herald audit` shows.
const AUDIT_SHOWN: i64 = 20;

pub(crate) async fn list(cx: &AdminCtx, actor: &Actor) -> SlackCommandEventResponse {
    match cx.store.listed_admins(actor.team_id()).await {
        Ok(users) => say(texts::admins_listed(actor.lang(), &users)),
        Err(err) => failure(actor.lang(), &err),
    }
}

/// Only the workspace's owners change the list.
pub(crate) async fn change(
    cx: &AdminCtx,
    actor: &Actor,
    add: bool,
    target: &str,
) -> SlackCommandEventResponse {
    let lang = actor.lang();
    if !actor.is_owner() {
        return say(texts::owners_only(lang).into());
    }
    match cx
        .store
        .set_listed_admin(actor.team_id(), target, add, &actor.user)
        .await
    {
        Ok(changed) => say(texts::admin_changed(lang, target, add, changed)),
        Err(err) => failure(lang, &err),
    }
}

pub(crate) async fn audit(cx: &AdminCtx, actor: &Actor) -> SlackCommandEventResponse {
    let lang = actor.lang();
    match cx.store.audit(actor.team_id(), AUDIT_SHOWN).await {
        Ok(entries) => {
            let lines: Vec<String> = entries.iter().map(|e| texts::audit_line(lang, e)).collect();
            let body = if lines.is_empty() {
                texts::audit_empty(lang).to_string()
            } else {
                lines.join("\n")
            };
            say(format!("*{}*\n{body}", texts::audit_title(lang)))
        }
        Err(err) => failure(lang, &err),
    }
}
