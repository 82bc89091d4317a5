//! `/herald add`, `errors`, `import` and `disconnect`: each opens its modal (the work
//! happens when the modal is submitted, in `admin::modals`).

use slack_morphism::prelude::*;

use super::open_modal;
use crate::admin::AdminCtx;
use crate::admin::actor::Admin;
use crate::admin::modals::rule::{error_sample, known_meeting_types, preview_area};
use crate::admin::views::{preview, rule_modal as modal, texts};

pub(crate) async fn add(cx: &AdminCtx, admin: &Admin, trigger: &str) -> SlackCommandEventResponse {
    let lang = admin.lang();
    let known = known_meeting_types(cx, admin.team_id()).await;
    open_modal(
        cx,
        &admin.workspace,
        trigger,
        modal::add_rule(lang, &known),
        lang,
    )
    .await
}

pub(crate) async fn errors(
    cx: &AdminCtx,
    admin: &Admin,
    trigger: &str,
) -> SlackCommandEventResponse {
    let lang = admin.lang();
    let sample = error_sample();
    let area = preview_area(
        cx,
        admin.team_id(),
        &sample,
        &[],
        None,
        lang,
        preview::Test::Unsaved,
    )
    .await;
    open_modal(
        cx,
        &admin.workspace,
        trigger,
        modal::add_error_rule(lang, area),
        lang,
    )
    .await
}

pub(crate) async fn import(
    cx: &AdminCtx,
    admin: &Admin,
    trigger: &str,
) -> SlackCommandEventResponse {
    let lang = admin.lang();
    open_modal(
        cx,
        &admin.workspace,
        trigger,
        modal::import_rules(lang),
        lang,
    )
    .await
}

pub(crate) async fn disconnect(
    cx: &AdminCtx,
    admin: &Admin,
    trigger: &str,
) -> SlackCommandEventResponse {
    let lang = admin.lang();
    let view = modal::disconnect(
        lang,
        texts::disconnect_title(lang),
        texts::disconnect_confirm(lang),
    );
    open_modal(cx, &admin.workspace, trigger, view, lang).await
}
