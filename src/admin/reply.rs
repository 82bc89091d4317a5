//! The admin surface's answers: ephemeral command replies, field errors on a modal, and
//! a notice that replaces a submitted modal. A failure is logged once, here.

use serde_json::{Value, json};
use slack_morphism::prelude::*;

use crate::admin::views::{rule_modal as modal, texts};
use crate::core::catalog::Lang;

/// Slack's limit of characters in a section's text.
pub(crate) const MAX_SECTION: usize = 3000;

/// Slack's limit of blocks in one message.
pub(crate) const MAX_BLOCKS: usize = 50;

/// An ephemeral answer with blocks and its fallback text.
pub(crate) fn ephemeral(text: String, blocks: Vec<Value>) -> SlackCommandEventResponse {
    // Blocks are built here from fixed shapes; one that does not parse is a bug, logged
    // rather than hidden (the text still carries the whole answer).
    let blocks: Vec<SlackBlock> = blocks
        .into_iter()
        .filter_map(|b| {
            serde_json::from_value(b)
                .inspect_err(|e| tracing::error!(error = %e, "reply block does not parse"))
                .ok()
        })
        .collect();
    SlackCommandEventResponse::new(
        SlackMessageContent::new()
            .with_text(text)
            .with_blocks(blocks),
    )
    .with_response_type(SlackMessageResponseType::Ephemeral)
}

/// An ephemeral answer of one section of text.
pub(crate) fn say(text: String) -> SlackCommandEventResponse {
    let block = section(&text);
    ephemeral(text, vec![block])
}

/// A submitted modal replaced by a notice (`title`, `text`).
pub(crate) fn notice(title: &str, text: &str) -> SlackInteractionResponse {
    match serde_json::from_value::<SlackView>(modal::notice(title, text)) {
        Ok(view) => {
            SlackViewSubmissionResponse::Update(SlackViewSubmissionUpdateResponse::new(view)).into()
        }
        Err(err) => {
            tracing::error!(error = %err, "notice view does not parse");
            SlackInteractionResponse::Empty
        }
    }
}

pub(crate) fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": crate::core::render::cut(text, MAX_SECTION)}})
}

/// A polite "admins only" for someone who may read but not change.
pub(crate) fn refusal(lang: Lang) -> SlackCommandEventResponse {
    say(texts::admins_only(lang).into())
}

pub(crate) fn failure(lang: Lang, err: &dyn std::error::Error) -> SlackCommandEventResponse {
    tracing::error!(error = %err, "command failed");
    say(texts::failed(lang).into())
}

pub(crate) fn help(lang: Lang, problem: Option<String>) -> SlackCommandEventResponse {
    let mut blocks = Vec::new();
    if let Some(problem) = &problem {
        blocks.push(section(problem));
    }
    blocks.push(section(&texts::help(lang)));
    let text = problem.unwrap_or_else(|| texts::help(lang));
    ephemeral(text, blocks)
}

pub(crate) fn field_errors(errors: modal::FieldErrors) -> SlackInteractionResponse {
    let errors = errors
        .into_iter()
        .map(|(block, text)| (block.to_string(), text))
        .collect();
    SlackViewSubmissionResponse::Errors(SlackViewSubmissionErrorsResponse::new(errors)).into()
}
