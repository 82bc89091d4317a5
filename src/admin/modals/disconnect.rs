use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor;
use crate::admin::reply::notice;
use crate::admin::views::{rule_modal as modal, texts};

/// The disconnect dialog's submission: revoke, forget the token, stop queued work.
pub(crate) async fn submit_disconnect(
    state: &AdminCtx,
    submission: &SlackInteractionViewSubmissionEvent,
    view: &SlackModalView,
) -> SlackInteractionResponse {
    let team_id = submission.team.id.to_string();
    let lang = modal::Metadata::parse(view.private_metadata.as_deref()).lang();
    let answer = |text: &str| notice(texts::disconnect_title(lang), text);
    let user = submission.user.id.to_string();
    let admin = match actor::admin(state, &team_id, &user).await {
        Ok(admin) => admin,
        Err(refused) => return answer(refused.text(lang)),
    };
    let workspace = admin.workspace.clone();
    // Revoked first; if Slack cannot be reached the token is still deleted here, and
    // Slack's own uninstall (or an admin) can revoke it later.
    if let Err(err) = state.slack.revoke(workspace.bot_token.expose()).await {
        tracing::warn!(error = %err, "auth.revoke failed; deleting the token anyway");
    }
    let reason = format!("disconnected by {user} with /herald disconnect");
    match crate::workspace::lifecycle::disconnect(
        &state.store,
        &state.registry,
        &state.workspace_state,
        &team_id,
        &reason,
        &user,
    )
    .await
    {
        Ok(stopped) => {
            tracing::warn!(stopped, %user, "workspace disconnected by command");
            let install = state
                .settings
                .slack
                .oauth
                .as_ref()
                .and(state.settings.public_url.as_deref())
                .map(|u| format!("{u}{}", crate::install::INSTALL_PATH));
            answer(&texts::disconnected(lang, install.as_deref()))
        }
        Err(err) => {
            tracing::error!(error = %err, "could not disconnect");
            answer(texts::failed(lang))
        }
    }
}
