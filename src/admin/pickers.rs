//! Options for the rule modal's pickers (Slack's `block_suggestion`), from the directory.
//!
//! Answers come from memory, best matches first, at most Slack's 100. A pasted id that
//! the directory does not know yet is fetched from Slack there and then, stored, and
//! offered, so it also appears in every later search.

use serde_json::{Value, json};
use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::core::catalog::Lang;
use crate::directory::lookup::{Kind, lookup, pasted_id};
use crate::directory::{Choice, MAX_OPTIONS};

use crate::admin::views::rule_modal as modal;

/// At most this many people beside channels in the target picker.
const PEOPLE_OPTIONS: usize = 25;

fn option(choice: &Choice) -> Value {
    json!({"text": {"type": "plain_text", "text": choice.label}, "value": choice.id})
}

fn answer(body: Value) -> SlackInteractionResponse {
    match serde_json::from_value::<SlackBlockSuggestionResponse>(body) {
        Ok(options) => SlackInteractionResponse::BlockSuggestion(options),
        Err(err) => {
            tracing::error!(error = %err, "options do not parse");
            SlackInteractionResponse::BlockSuggestion(SlackBlockSuggestionResponse::Options(
                SlackBlockSuggestionOptions::new(vec![]),
            ))
        }
    }
}

/// Answers one `block_suggestion` of the rule modal.
#[tracing::instrument(skip_all, fields(action = %event.action_id))]
pub async fn options(
    state: &AdminCtx,
    event: &SlackInteractionBlockSuggestionEvent,
) -> SlackInteractionResponse {
    let team_id = event.team.id.to_string();
    let workspace = match state.registry.workspace(&team_id).await {
        Ok(Some(workspace)) => workspace,
        Ok(None) => return answer(json!({"options": []})),
        Err(err) => {
            tracing::error!(error = %err, "could not load the workspace for a picker");
            return answer(json!({"options": []}));
        }
    };
    let lang = match &event.view {
        Some(SlackView::Modal(view)) => {
            modal::Metadata::parse(view.private_metadata.as_deref()).lang()
        }
        _ => Lang::En,
    };
    let query = event.value.as_str();
    let pasted = pasted_id(query);
    // A pasted id the directory does not know is fetched now.
    let looked_up = match &pasted {
        Some((kind, id)) => {
            let known = state
                .directory
                .read(&team_id, |d| {
                    d.channel(id).is_some() || d.mention_label(id).is_some()
                })
                .await;
            if known {
                None
            } else {
                match lookup(&state.directory_cx, &workspace, *kind, id, lang).await {
                    Ok(found) => found,
                    Err(err) => {
                        tracing::warn!(error = %err, id, "could not look up a pasted id");
                        None
                    }
                }
            }
        }
        None => None,
    };
    match event.action_id.as_ref() {
        modal::CHANNEL => {
            let search = pasted
                .as_ref()
                .filter(|(kind, _)| *kind == Kind::Channel)
                .map_or(query, |(_, id)| id.as_str());
            let mut found = state
                .directory
                .read(&team_id, |d| match &pasted {
                    Some((Kind::Channel, id)) => d
                        .channel(id)
                        .map(|c| vec![crate::directory::channel_choice(c, lang)])
                        .unwrap_or_default(),
                    _ => d.channels(search),
                })
                .await;
            // People (their DM with Herald) for a typed name or a pasted user id; an
            // empty query lists channels only, as before a person was a target.
            let mut people: Vec<Choice> = match &pasted {
                Some((Kind::User, id)) => match looked_up.clone() {
                    Some(choice) => vec![choice],
                    None => state
                        .directory
                        .read(&team_id, |d| d.mention_label(id))
                        .await
                        .map(|label| Choice {
                            id: id.clone(),
                            label,
                        })
                        .into_iter()
                        .collect(),
                },
                Some(_) => Vec::new(),
                None if query.trim().is_empty() => Vec::new(),
                None => state.directory.read(&team_id, |d| d.people(query).0).await,
            };
            if let Some(choice) = looked_up.filter(|_| matches!(pasted, Some((Kind::Channel, _)))) {
                found.retain(|c| c.id != choice.id);
                found.insert(0, choice);
            }
            if people.is_empty() {
                let options: Vec<Value> = found.iter().map(option).collect();
                return answer(json!({"options": options}));
            }
            // Together within Slack's 100 options.
            people.truncate(PEOPLE_OPTIONS);
            found.truncate(MAX_OPTIONS - people.len());
            let mut option_groups = Vec::new();
            if !found.is_empty() {
                option_groups.push(json!({
                    "label": {"type": "plain_text", "text": lang.pick("チャンネル", "Channels")},
                    "options": found.iter().map(option).collect::<Vec<_>>()
                }));
            }
            option_groups.push(json!({
                "label": {"type": "plain_text", "text": lang.pick("人(DMに届きます)", "People (to their DM)")},
                "options": people.iter().map(option).collect::<Vec<_>>()
            }));
            answer(json!({"option_groups": option_groups}))
        }
        modal::MENTIONS | modal::BACKUP => {
            let (mut users, mut groups) = state
                .directory
                .read(&team_id, |d| match &pasted {
                    Some((Kind::User | Kind::Group, id)) => match d.mention_label(id) {
                        Some(label) if id.starts_with('S') => (
                            vec![],
                            vec![Choice {
                                id: id.clone(),
                                label,
                            }],
                        ),
                        Some(label) => (
                            vec![Choice {
                                id: id.clone(),
                                label,
                            }],
                            vec![],
                        ),
                        None => (vec![], vec![]),
                    },
                    _ => d.people(query),
                })
                .await;
            match (looked_up, &pasted) {
                (Some(choice), Some((Kind::User, _))) => {
                    users.retain(|c| c.id != choice.id);
                    users.insert(0, choice);
                }
                (Some(choice), Some((Kind::Group, _))) => {
                    groups.retain(|c| c.id != choice.id);
                    groups.insert(0, choice);
                }
                _ => {}
            }
            let mut option_groups = Vec::new();
            if !users.is_empty() {
                option_groups.push(json!({
                    "label": {"type": "plain_text", "text": lang.pick("メンバー", "People")},
                    "options": users.iter().map(option).collect::<Vec<_>>()
                }));
            }
            if !groups.is_empty() {
                option_groups.push(json!({
                    "label": {"type": "plain_text", "text": lang.pick("ユーザーグループ", "User groups")},
                    "options": groups.iter().map(option).collect::<Vec<_>>()
                }));
            }
            if option_groups.is_empty() {
                answer(json!({"options": []}))
            } else {
                answer(json!({"option_groups": option_groups}))
            }
        }
        _ => answer(json!({"options": []})),
    }
}
