//! Interactions to their features: modal submissions and the rule modal's pickers and
//! buttons to `admin`, buttons on thread messages to `conversations`, Home buttons to
//! `admin::home`.

use slack_morphism::prelude::*;

use super::Bot;

#[tracing::instrument(skip_all)]
pub async fn dispatch(bot: &Bot, event: &SlackInteractionEvent) -> SlackInteractionResponse {
    match event {
        SlackInteractionEvent::ViewSubmission(submission) => {
            crate::admin::modals::submit(&bot.admin, submission).await
        }
        SlackInteractionEvent::BlockSuggestion(suggestion) => {
            crate::admin::pickers::options(&bot.admin, suggestion).await
        }
        SlackInteractionEvent::BlockActions(actions) => {
            match (&actions.view, &actions.container) {
                (Some(SlackView::Modal(view)), _) => {
                    crate::admin::modals::rule::modal_action(&bot.admin, actions, view).await;
                }
                (_, SlackInteractionActionContainer::Message(_)) => {
                    crate::conversations::buttons::press(&bot.conversations, actions).await;
                }
                _ => crate::admin::home::home_action(&bot.admin, actions).await,
            }
            SlackInteractionResponse::Empty
        }
        _ => SlackInteractionResponse::Empty,
    }
}
