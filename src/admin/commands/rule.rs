//! `/herald edit|delete|test <rule>`: a rule named by its short id (or any unambiguous
//! tail of it), opened in its modal or tested at once.

use slack_morphism::prelude::*;

use super::open_modal;
use crate::admin::AdminCtx;
use crate::admin::actor::Admin;
use crate::admin::modals::rule::edit_modal;
use crate::admin::reply::failure;
use crate::admin::reply::say;
use crate::admin::test_send;
use crate::admin::views::rule_modal as modal;
use crate::admin::views::texts;
use crate::core::catalog::Lang;
use crate::core::rule::Rule;

/// The rule a typed reference names: exactly one, or a message saying why not.
pub(crate) fn find_rule<'a>(
    rules: &'a [Rule],
    reference: &str,
    lang: Lang,
) -> Result<&'a Rule, String> {
    let mut named = rules.iter().filter(|r| r.is_named_by(reference));
    match (named.next(), named.next()) {
        (Some(rule), None) => Ok(rule),
        (Some(_), Some(_)) => Err(texts::ambiguous_rule(lang, reference)),
        (None, _) => Err(texts::no_such_rule(lang, reference)),
    }
}

/// `/herald test`: queue the test at once, answer "sending", and report the outcome
/// through the command's `response_url` when delivery has it.
pub(crate) async fn test(
    state: &AdminCtx,
    admin: &Admin,
    event: &SlackCommandEvent,
    reference: &str,
) -> SlackCommandEventResponse {
    let lang = admin.lang();
    let (rule, _) = match named(state, admin, reference).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let rule = &rule;
    let user = admin.user.clone();
    let event_id = match test_send::send(state, rule, &user, lang).await {
        Ok(id) => id,
        Err(err) => return failure(lang, &err),
    };
    let channel = rule.channel.to_string();
    let response_url = event.response_url.clone();
    let task_state = state.clone();
    let team_id = rule.team_id.clone();
    let report_channel = channel.clone();
    tokio::spawn(async move {
        let outcome = test_send::outcome(&task_state, &team_id, &event_id).await;
        let text = test_send::describe(lang, &report_channel, &outcome);
        if let Err(err) = task_state.slack.respond(&response_url, text).await {
            tracing::warn!(error = %err, "could not report a test's outcome");
        }
    });
    let text = texts::test_sending(lang, &channel);
    say(text)
}

/// The named rule and its version, or the answer saying why there is none.
async fn named(
    cx: &AdminCtx,
    admin: &Admin,
    reference: &str,
) -> Result<(Rule, i64), SlackCommandEventResponse> {
    let lang = admin.lang();
    let rules = cx
        .store
        .rules(admin.team_id())
        .await
        .map_err(|err| failure(lang, &err))?;
    let rule = find_rule(&rules, reference, lang).map_err(say)?.clone();
    match cx.store.rule_version(admin.team_id(), &rule.id).await {
        Ok(Some(version)) => Ok((rule, version)),
        Ok(None) => Err(say(texts::no_such_rule(lang, reference))),
        Err(err) => Err(failure(lang, &err)),
    }
}

pub(crate) async fn edit(
    cx: &AdminCtx,
    admin: &Admin,
    trigger: &str,
    reference: &str,
) -> SlackCommandEventResponse {
    let lang = admin.lang();
    match named(cx, admin, reference).await {
        Ok((rule, version)) => {
            let view = edit_modal(cx, &rule, version, lang).await;
            open_modal(cx, &admin.workspace, trigger, view, lang).await
        }
        Err(answer) => answer,
    }
}

pub(crate) async fn delete(
    cx: &AdminCtx,
    admin: &Admin,
    trigger: &str,
    reference: &str,
) -> SlackCommandEventResponse {
    let lang = admin.lang();
    match named(cx, admin, reference).await {
        Ok((rule, version)) => {
            let view = modal::delete_rule(lang, &rule, version, &texts::rule_line(lang, &rule));
            open_modal(cx, &admin.workspace, trigger, view, lang).await
        }
        Err(answer) => answer,
    }
}
