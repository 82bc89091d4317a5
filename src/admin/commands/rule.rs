use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::reply::ephemeral;
use crate::admin::reply::failure;
use crate::admin::reply::section;
use crate::admin::test_send;
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
pub(crate) async fn test_by_command(
    state: &AdminCtx,
    rule: &Rule,
    event: &SlackCommandEvent,
    lang: Lang,
) -> SlackCommandEventResponse {
    let user = event.user_id.to_string();
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
    ephemeral(text.clone(), vec![section(&text)])
}
