//! `/herald why <event id | webhook-id>`: one event explained (admins only, since it
//! shows the platform's data and every channel's outcome).

use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::Admin;
use crate::admin::reply::{ephemeral, failure, say};
use crate::admin::views::why as view;
use crate::history::why::explain;

pub(crate) async fn run(
    cx: &AdminCtx,
    admin: &Admin,
    reference: &str,
) -> SlackCommandEventResponse {
    let lang = admin.lang();
    match explain(&cx.store, &cx.slack, &admin.workspace, reference).await {
        Ok(Some(explanation)) => {
            let (text, blocks) = view::explanation(lang, &explanation);
            ephemeral(text, blocks)
        }
        Ok(None) => say(view::not_found(lang, reference)),
        Err(err) => failure(lang, &err),
    }
}
