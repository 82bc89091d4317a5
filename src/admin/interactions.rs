use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::home::home_action;
use crate::admin::modals::delete::submit_delete;
use crate::admin::modals::disconnect::submit_disconnect;
use crate::admin::modals::import::submit_import;
use crate::admin::modals::rule::modal_action;
use crate::admin::modals::rule::submit_rule;
use crate::admin::views::rule_modal as modal;
use crate::conversations::buttons::message_action;
use crate::directory::pickers;

/// Answers a modal submission or button press. Everything is checked again here, on
/// the server: who submits, and what they submitted.
#[tracing::instrument(skip_all)]
pub async fn handle_interaction(
    state: &AdminCtx,
    event: &SlackInteractionEvent,
) -> SlackInteractionResponse {
    match event {
        SlackInteractionEvent::ViewSubmission(submission) => {
            let SlackView::Modal(view) = &submission.view.view else {
                return SlackInteractionResponse::Empty;
            };
            match view.callback_id.as_ref().map(AsRef::as_ref) {
                Some(modal::ADD_RULE | modal::EDIT_RULE) => {
                    submit_rule(state, submission, view).await
                }
                Some(modal::DELETE_RULE) => submit_delete(state, submission, view).await,
                Some(modal::IMPORT_RULES) => submit_import(state, submission, view).await,
                Some(modal::DISCONNECT) => submit_disconnect(state, submission, view).await,
                _ => SlackInteractionResponse::Empty,
            }
        }
        SlackInteractionEvent::BlockSuggestion(suggestion) => {
            pickers::options(state, suggestion).await
        }
        SlackInteractionEvent::BlockActions(actions) => {
            match (&actions.view, &actions.container) {
                (Some(SlackView::Modal(view)), _) => modal_action(state, actions, view).await,
                (_, SlackInteractionActionContainer::Message(_)) => {
                    message_action(state, actions).await;
                }
                _ => home_action(state, actions).await,
            }
            SlackInteractionResponse::Empty
        }
        _ => SlackInteractionResponse::Empty,
    }
}
