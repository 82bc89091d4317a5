use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor;
use crate::admin::home::publish_home;
use crate::admin::reply::notice;
use crate::admin::views::{rule_modal as modal, texts};

/// The delete dialog's submission: deletes the rule if nobody changed it meanwhile.
pub(crate) async fn submit_delete(
    state: &AdminCtx,
    submission: &SlackInteractionViewSubmissionEvent,
    view: &SlackModalView,
) -> SlackInteractionResponse {
    let team_id = submission.team.id.to_string();
    let metadata = modal::Metadata::parse(view.private_metadata.as_deref());
    let lang = metadata.lang();
    let title = lang.pick("ルールの削除", "Delete a rule");
    let answer = |text: &str| notice(title, text);
    let user = submission.user.id.to_string();
    let admin = match actor::admin(state, &team_id, &user).await {
        Ok(admin) => admin,
        Err(refused) => return answer(refused.text(lang)),
    };
    let workspace = admin.workspace.clone();
    let (Some(rule_id), Some(version)) = (metadata.rule.as_deref(), metadata.version) else {
        return answer(texts::edit_missing(lang));
    };
    match state.store.rule_version(&team_id, rule_id).await {
        Ok(Some(current)) if current == version => {}
        Ok(Some(_)) => return answer(texts::edit_conflict(lang)),
        Ok(None) => return answer(texts::edit_missing(lang)),
        Err(err) => {
            tracing::error!(error = %err, "could not read the rule");
            return answer(texts::failed(lang));
        }
    }
    match state.store.delete_rule(&team_id, rule_id, &user).await {
        Ok(_) => {
            state.rules.invalidate(&team_id).await;
            tracing::info!(rule_id, %user, "rule deleted");
            let state = state.clone();
            tokio::spawn(async move { publish_home(&state, &workspace, &user).await });
            answer(texts::rule_deleted(lang))
        }
        Err(err) => {
            tracing::error!(error = %err, "could not delete the rule");
            answer(texts::failed(lang))
        }
    }
}
