//! `/herald log [days]`: the error log as CSV to the admin's DM (admins only: it shows
//! every channel's outcome and the platform's data). Answered at once; the export runs
//! in the background and shows its progress in place of this answer.

use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::Admin;
use crate::admin::reply::say;
use crate::log_export::slack::{LogExportCtx, Requester, export_to_dm};
use crate::log_export::{Request, offset_of, texts};

pub(crate) fn start(
    cx: &AdminCtx,
    admin: &Admin,
    event: &SlackCommandEvent,
    days: u32,
) -> SlackCommandEventResponse {
    let lang = admin.lang();
    // The reader's own clock: Slack's `tz_offset` of the admin who asked.
    let offset = offset_of(admin.profile.as_ref().and_then(|p| p.tz_offset));
    let request = Request::last_days(admin.team_id(), days, crate::store::now_ms(), offset, lang);
    let who = Requester {
        bot_token: admin.workspace.bot_token.expose().to_string(),
        user: admin.user.clone(),
        response_url: event.response_url.clone(),
        days,
    };
    let export = LogExportCtx {
        store: cx.store.clone(),
        slack: cx.slack.clone(),
        part_bytes: cx.settings.log_part_bytes,
    };
    tokio::spawn(async move { export_to_dm(&export, &who, &request).await });
    say(texts::started(lang, days))
}
