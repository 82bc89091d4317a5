//! The buttons on Herald's thread messages: Close / Assign me on a conversation's
//! parent, Claim as an operator, and Undo / Send now under a reply waiting to go to the
//! customer.

use slack_morphism::prelude::*;

use crate::conversations::ConversationsCtx;
use crate::core::catalog::Lang;
use crate::workspace::people;

/// Said when a button's work failed on Herald's side.
fn failed(lang: Lang) -> &'static str {
    lang.pick(
        "Herald側でエラーが発生しました。しばらくしてからもう一度お試しください。",
        "Something went wrong on Herald's side. Please try again in a moment.",
    )
}

pub async fn press(state: &ConversationsCtx, event: &SlackInteractionBlockActionsEvent) {
    use crate::conversations::operators::{CLAIM, claim};
    use crate::conversations::requests::{ASSIGN_ME, CLOSE, request};
    use crate::conversations::undo::{SEND_NOW, UNDO, undo_or_send};
    let team_id = event.team.id.to_string();
    let Some(user) = event.user.as_ref() else {
        return;
    };
    let workspace = match state.registry.workspace(&team_id).await {
        Ok(Some(workspace)) => workspace,
        Ok(None) => return,
        Err(err) => {
            tracing::error!(error = %err, "could not load the workspace for a button");
            return;
        }
    };
    let user = user.id.to_string();
    let profile = people::profile(&state.slack, &state.profiles, &workspace, &user).await;
    let lang = match people::locale_of(profile.as_deref()) {
        Some(lang) => lang,
        None => state.workspace_state.lang(&workspace).await,
    };
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
            match request(state, &workspace, &user, action_id, &channel, &parent, lang).await {
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
            let who = crate::conversations::operators::Requester {
                user: &user,
                email: profile.as_ref().and_then(|p| p.email.as_deref()),
                is_admin: people::may_change(&state.store, &workspace, &user, profile.as_deref())
                    .await,
            };
            let answer = match action.value.as_deref() {
                Some(value) => claim(state, &team_id, &who, value, lang)
                    .await
                    .unwrap_or_else(|err| {
                        tracing::error!(error = %err, "could not claim");
                        failed(lang).to_string()
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
        let answer = match undo_or_send(state, &team_id, &user, action_id, job_id, lang).await {
            Ok(answer) => answer,
            Err(err) => {
                tracing::error!(error = %err, "could not undo or send a reply");
                failed(lang).to_string()
            }
        };
        if let Some(url) = &event.response_url
            && let Err(err) = state.slack.respond_with(url, answer, true).await
        {
            tracing::warn!(error = %err, "could not answer the button");
        }
    }
}
