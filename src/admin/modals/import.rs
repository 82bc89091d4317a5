use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor;
use crate::admin::home::publish_home;
use crate::admin::reply::field_errors;
use crate::admin::reply::notice;
use crate::admin::views::{rule_modal as modal, texts};

/// The import modal's submission: all the pasted rules, or (with the problem shown on
/// the text box) none of them.
pub(crate) async fn submit_import(
    state: &AdminCtx,
    submission: &SlackInteractionViewSubmissionEvent,
    view: &SlackModalView,
) -> SlackInteractionResponse {
    let team_id = submission.team.id.to_string();
    let lang = modal::Metadata::parse(view.private_metadata.as_deref()).lang();
    let user = submission.user.id.to_string();
    let admin = match actor::admin(state, &team_id, &user).await {
        Ok(admin) => admin,
        Err(refused) => return field_errors(vec![(modal::RULES_JSON, refused.text(lang).into())]),
    };
    let workspace = admin.workspace.clone();
    let values = super::submitted_values(submission);
    let json = modal::read_import(&values).unwrap_or_default();
    match crate::admin::rules_file::import(&state.store, &team_id, json, &user).await {
        Ok(rules) => {
            state.rules.invalidate(&team_id).await;
            tracing::info!(count = rules.len(), %user, "rules imported");
            let state = state.clone();
            tokio::spawn(async move { publish_home(&state, &workspace, &user).await });
            notice(
                lang.pick("ルールのインポート", "Import rules"),
                &texts::imported(lang, rules.len()),
            )
        }
        Err(crate::admin::rules_file::RulesFileError::Store(err)) => {
            tracing::error!(error = %err, "could not import rules");
            field_errors(vec![(modal::RULES_JSON, texts::failed(lang).into())])
        }
        Err(problem) => field_errors(vec![(
            modal::RULES_JSON,
            crate::core::render::cut(
                &format!("{}{problem}", lang.pick("取り込めませんでした: ", "")),
                1000,
            ),
        )]),
    }
}
