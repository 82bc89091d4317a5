use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::may_change;
use crate::admin::actor::profile;
use crate::admin::actor::user_lang;
use crate::admin::views::texts;

/// A button in a message: Undo / Send now under a reply waiting to go to the customer.
pub(crate) async fn message_action(state: &AdminCtx, event: &SlackInteractionBlockActionsEvent) {
    use crate::conversations::operators::{CLAIM, claim};
    use crate::conversations::replies::{ASSIGN_ME, CLOSE, SEND_NOW, UNDO, request, undo_or_send};
    let team_id = event.team.id.to_string();
    let (Some(workspace), Some(user)) = (
        state.registry.workspace(&team_id).await,
        event.user.as_ref(),
    ) else {
        return;
    };
    let user = user.id.to_string();
    let lang = user_lang(
        state,
        &workspace,
        profile(state, &workspace, &user).await.as_deref(),
    )
    .await;
    for action in event.actions.iter().flatten() {
        let action_id = action.action_id.as_ref();
        if action_id == CLOSE || action_id == ASSIGN_ME {
            let SlackInteractionActionContainer::Message(container) = &event.container else {
                continue;
            };
            let Some(channel) = container.channel_id.as_ref().map(ToString::to_string) else {
                continue;
            };
            let parent = container.message_ts.to_string();
            match request(
                &state.conversations,
                &workspace,
                &user,
                action_id,
                &channel,
                &parent,
                lang,
            )
            .await
            {
                Ok(Some(answer)) => {
                    if let Err(err) = state
                        .slack
                        .post_ephemeral(
                            workspace.bot_token.expose(),
                            &channel,
                            &user,
                            &answer,
                            Some(&parent),
                        )
                        .await
                    {
                        tracing::warn!(error = %err, "could not confirm the request");
                    }
                }
                Ok(None) => {}
                Err(err) => tracing::error!(error = %err, "could not queue the request"),
            }
            continue;
        }
        if action_id == CLAIM {
            let profile = profile(state, &workspace, &user).await;
            let who = crate::conversations::operators::Requester {
                user: &user,
                email: profile.as_ref().and_then(|p| p.email.as_deref()),
                is_admin: may_change(state, &workspace, &user, profile.as_deref()).await,
            };
            let answer = match action.value.as_deref() {
                Some(value) => claim(&state.conversations, &team_id, &who, value, lang)
                    .await
                    .unwrap_or_else(|err| {
                        tracing::error!(error = %err, "could not claim");
                        texts::failed(lang).to_string()
                    }),
                None => continue,
            };
            if let Some(url) = &event.response_url
                && let Err(err) = state.slack.respond_with(url, answer, true).await
            {
                tracing::warn!(error = %err, "could not answer the claim");
            }
            continue;
        }
        if action_id != UNDO && action_id != SEND_NOW {
            continue;
        }
        let Some(job_id) = action.value.as_deref() else {
            continue;
        };
        let answer = match undo_or_send(
            &state.conversations,
            &team_id,
            &user,
            action_id,
            job_id,
            lang,
        )
        .await
        {
            Ok(answer) => answer,
            Err(err) => {
                tracing::error!(error = %err, "could not undo or send a reply");
                texts::failed(lang).to_string()
            }
        };
        if let Some(url) = &event.response_url
            && let Err(err) = state.slack.respond_with(url, answer, true).await
        {
            tracing::warn!(error = %err, "could not answer the button");
        }
    }
}
