//! `/herald lang [ja|en]`: the workspace's language, used for notifications and for
//! people whose Slack locale is neither.

use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::{Actor, Admin};
use crate::admin::reply::{failure, say};
use crate::admin::views::texts;
use crate::core::catalog::Lang;

pub(crate) fn show(actor: &Actor) -> SlackCommandEventResponse {
    say(texts::lang_current(actor.lang(), actor.workspace_lang))
}

pub(crate) async fn set(cx: &AdminCtx, admin: &Admin, new: Lang) -> SlackCommandEventResponse {
    let team_id = admin.team_id();
    if let Err(err) = cx
        .store
        .set_workspace_lang(team_id, new.as_str(), &admin.user)
        .await
    {
        return failure(admin.lang(), &err);
    }
    cx.workspace_state.invalidate(team_id).await;
    tracing::info!(lang = new.as_str(), "workspace language changed");
    say(texts::lang_changed(new))
}
