//! `/herald reactions [on|off]`: whether ✅ and 👀 in Herald's threads ask the platform to
//! close or assign the conversation (`conversations::reactions`). On by default; any
//! member may see the setting, admins change it, and the change is audited.

use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::{Actor, Admin};
use crate::admin::reply::{failure, say};
use crate::core::catalog::Lang;

fn state_text(lang: Lang, on: bool) -> String {
    match (lang, on) {
        (Lang::Ja, true) => "リアクション操作はオンです: Heraldのスレッドで :white_check_mark: を付けると会話の終了を、:eyes: を付けると自分への割り当てをプラットフォームに依頼します。`/herald reactions off` でオフにできます(管理者のみ)。".into(),
        (Lang::Ja, false) => "リアクション操作はオフです: リアクションはプラットフォームに何も送りません。`/herald reactions on` でオンにできます(管理者のみ)。".into(),
        (Lang::En, true) => "Reactions as actions are on: in Herald's threads, :white_check_mark: asks the platform to close the conversation and :eyes: to assign it to you. `/herald reactions off` turns them off (admins only).".into(),
        (Lang::En, false) => "Reactions as actions are off: reactions send nothing to the platform. `/herald reactions on` turns them on (admins only).".into(),
    }
}

pub(crate) async fn show(cx: &AdminCtx, actor: &Actor) -> SlackCommandEventResponse {
    match cx.store.workspace_state(actor.team_id()).await {
        Ok(state) => say(state_text(actor.lang(), !state.reactions_off)),
        Err(err) => failure(actor.lang(), &err),
    }
}

pub(crate) async fn set(cx: &AdminCtx, admin: &Admin, on: bool) -> SlackCommandEventResponse {
    let team_id = admin.team_id();
    match cx
        .store
        .set_workspace_reactions(team_id, on, &admin.user)
        .await
    {
        Ok(changed) => {
            cx.workspace_state.invalidate(team_id).await;
            if changed {
                tracing::info!(on, "reactions as actions changed");
            }
            say(state_text(admin.lang(), on))
        }
        Err(err) => failure(admin.lang(), &err),
    }
}
