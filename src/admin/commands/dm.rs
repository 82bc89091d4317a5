//! `/herald dm [on|off]`: the caller's own DM when a conversation is assigned to the
//! platform operator they are linked to (`delivery::assignment_dm`). On by default; each
//! person decides for themselves, so any member may run it.

use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::Actor;
use crate::admin::reply::{failure, say};
use crate::core::catalog::Lang;

fn state_text(lang: Lang, on: bool) -> String {
    match (lang, on) {
        (Lang::Ja, true) => "会話があなたに割り当てられると、DMでお知らせします(お客様・最初のメッセージ・スレッドへのリンク)。`/herald dm off` で止められます。".into(),
        (Lang::Ja, false) => "会話が割り当てられてもDMは送りません。`/herald dm on` で再開できます。".into(),
        (Lang::En, true) => "When a conversation is assigned to you, Herald tells you by DM (the customer, the first message, a link to the thread). `/herald dm off` stops it.".into(),
        (Lang::En, false) => "Herald does not DM you when a conversation is assigned to you. `/herald dm on` starts it again.".into(),
    }
}

pub(crate) async fn run(
    cx: &AdminCtx,
    actor: &Actor,
    on: Option<bool>,
) -> SlackCommandEventResponse {
    let team_id = actor.team_id();
    let now = match on {
        None => cx.store.assignment_dm_on(team_id, &actor.user).await,
        Some(on) => cx
            .store
            .set_assignment_dm(team_id, &actor.user, on)
            .await
            .map(|changed| {
                if changed {
                    tracing::info!(on, "assignment DMs changed");
                }
                on
            }),
    };
    match now {
        Ok(on) => say(state_text(actor.lang(), on)),
        Err(err) => failure(actor.lang(), &err),
    }
}
