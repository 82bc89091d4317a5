//! The admin modals, one file per `callback_id`: the rule modal (add, edit, its live
//! preview and test button), delete, import and disconnect.

pub mod delete;
pub mod disconnect;
pub mod import;
pub mod rule;

use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::views::rule_modal as modal;

/// Answers a modal submission by its `callback_id`. Everything is checked again here,
/// on the server: who submits, and what they submitted.
#[tracing::instrument(skip_all)]
pub async fn submit(
    cx: &AdminCtx,
    submission: &SlackInteractionViewSubmissionEvent,
) -> SlackInteractionResponse {
    let SlackView::Modal(view) = &submission.view.view else {
        return SlackInteractionResponse::Empty;
    };
    match view.callback_id.as_ref().map(AsRef::as_ref) {
        Some(modal::ADD_RULE | modal::EDIT_RULE) => rule::submit_rule(cx, submission, view).await,
        Some(modal::DELETE_RULE) => delete::submit_delete(cx, submission, view).await,
        Some(modal::IMPORT_RULES) => import::submit_import(cx, submission, view).await,
        Some(modal::DISCONNECT) => disconnect::submit_disconnect(cx, submission, view).await,
        _ => SlackInteractionResponse::Empty,
    }
}

/// What the user entered in a submitted modal, by block and action id.
pub(crate) fn submitted_values(
    submission: &SlackInteractionViewSubmissionEvent,
) -> std::collections::HashMap<
    SlackBlockId,
    std::collections::HashMap<SlackActionId, SlackViewStateValue>,
> {
    submission
        .view
        .state_params
        .state
        .as_ref()
        .map(|s| s.values.clone())
        .unwrap_or_default()
}
