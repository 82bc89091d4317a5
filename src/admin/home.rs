use std::collections::HashMap;

use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::{Actor, user_lang};
use crate::admin::modals::rule::edit_modal;
use crate::admin::modals::rule::error_sample;
use crate::admin::modals::rule::known_meeting_types;
use crate::admin::modals::rule::preview_area;
use crate::admin::modals::rule::test_in_modal;
use crate::admin::views::{home as home_view, preview, rule_modal as modal, texts};
use crate::workspace::{Workspace, people};

/// The Home buttons that change Herald (all of them, today).
const CHANGES: [&str; 8] = [
    home_view::ROUTE_EVENT,
    home_view::RESEND_JOB,
    home_view::RESEND_CHANNEL,
    home_view::ADD_RULE,
    home_view::ADD_ERROR_RULE,
    home_view::EDIT_RULE,
    home_view::DELETE_RULE,
    home_view::TEST_RULE,
];

/// A button on the Home tab: add (opens the modal) or delete (after Slack's confirm).
pub(crate) async fn home_action(state: &AdminCtx, event: &SlackInteractionBlockActionsEvent) {
    let team_id = event.team.id.to_string();
    let Some(user) = event.user.as_ref().map(|u| u.id.to_string()) else {
        return;
    };
    let actor = match Actor::resolve(state, &team_id, &user).await {
        Ok(actor) => actor,
        Err(err) => {
            tracing::warn!(error = %err, "a Home action was not handled");
            return;
        }
    };
    let lang = actor.lang();
    let workspace = actor.workspace.clone();
    let token = workspace.bot_token.expose();
    let asked: Vec<_> = event
        .actions
        .iter()
        .flatten()
        .filter(|a| CHANGES.contains(&a.action_id.as_ref()))
        .collect();
    if !asked.is_empty() && actor.require_admin(state).await.is_err() {
        // A polite refusal in place of the form they asked for.
        let refusal = modal::notice(texts::admins_only_title(lang), texts::admins_only(lang));
        if let Err(err) = state
            .slack
            .open_view(token, event.trigger_id.as_ref(), refusal)
            .await
        {
            tracing::warn!(error = %err, "could not show the refusal");
        }
        return;
    }
    for action in asked {
        let action_id = action.action_id.as_ref();
        if action_id == home_view::RESEND_JOB || action_id == home_view::RESEND_CHANNEL {
            let Some(value) = action.value.as_deref() else {
                continue;
            };
            let channel = (action_id == home_view::RESEND_CHANNEL).then_some(value);
            let job = (action_id == home_view::RESEND_JOB).then_some(value);
            super::resend::press(state, &workspace, &user, job, channel).await;
            return;
        } else if action_id == home_view::ROUTE_EVENT {
            route_event(state, &team_id, lang, token, event, action.value.as_deref()).await;
            // Nothing changes until the rule is saved (which redraws the Home tab).
            return;
        } else if action_id == home_view::EDIT_RULE {
            let Some(rule_id) = action.value.as_deref() else {
                continue;
            };
            let rule = state.store.rule(&team_id, rule_id).await.ok().flatten();
            let version = state
                .store
                .rule_version(&team_id, rule_id)
                .await
                .ok()
                .flatten();
            if let (Some(rule), Some(version)) = (rule, version) {
                let view = edit_modal(state, &rule, version, lang).await;
                if let Err(err) = state
                    .slack
                    .open_view(token, event.trigger_id.as_ref(), view)
                    .await
                {
                    tracing::warn!(error = %err, "could not open the edit modal");
                }
            }
        } else if action_id == home_view::TEST_RULE {
            let rule = match action.value.as_deref() {
                Some(rule_id) => state.store.rule(&team_id, rule_id).await.ok().flatten(),
                None => None,
            };
            if let Some(rule) = rule {
                test_in_modal(
                    state,
                    &workspace,
                    &rule,
                    &user,
                    lang,
                    event.trigger_id.as_ref(),
                )
                .await;
            }
            // A test changes nothing the Home tab shows until it is delivered.
            return;
        } else if action_id == home_view::ADD_RULE || action_id == home_view::ADD_ERROR_RULE {
            let view = if action_id == home_view::ADD_RULE {
                modal::add_rule(lang, &known_meeting_types(state, &team_id).await)
            } else {
                modal::add_error_rule(
                    lang,
                    preview_area(
                        state,
                        &team_id,
                        &error_sample(),
                        &[],
                        None,
                        lang,
                        preview::Test::Unsaved,
                    )
                    .await,
                )
            };
            if let Err(err) = state
                .slack
                .open_view(token, event.trigger_id.as_ref(), view)
                .await
            {
                tracing::warn!(error = %err, "could not open the rule modal");
            }
        } else if let Some(rule_id) = action.value.as_deref() {
            match state.store.delete_rule(&team_id, rule_id, &user).await {
                Ok(deleted) => {
                    state.rules.invalidate(&team_id).await;
                    tracing::info!(rule_id, deleted, %user, "rule deleted");
                }
                Err(err) => tracing::error!(error = %err, "could not delete the rule"),
            }
        }
    }
    // Slack wants its answer within 3 seconds; the Home tab is redrawn after it.
    let state = state.clone();
    tokio::spawn(async move { publish_home(&state, &workspace, &user).await });
}

/// "Route…": the add-rule modal set to the event type (and meeting type) no rule took,
/// with the preview of the latest such event.
async fn route_event(
    state: &AdminCtx,
    team_id: &str,
    lang: crate::core::catalog::Lang,
    token: &str,
    event: &SlackInteractionBlockActionsEvent,
    value: Option<&str>,
) {
    let Some(value) = value.and_then(|v| serde_json::from_str::<home_view::RouteValue>(v).ok())
    else {
        tracing::warn!("a Route… button without its event type");
        return;
    };
    let Ok(event_type) = crate::core::catalog::EventType::parse(&value.event_type) else {
        tracing::warn!(event_type = %value.event_type, "a Route… button for an unknown type");
        return;
    };
    let trigger = crate::history::unrouted::rule_for(event_type, value.meeting_type);
    let known = known_meeting_types(state, team_id).await;
    let area = preview_area(
        state,
        team_id,
        &trigger,
        &[],
        None,
        lang,
        preview::Test::Unsaved,
    )
    .await;
    let view = modal::add_rule_for(lang, &trigger, area, &known);
    if let Err(err) = state
        .slack
        .open_view(token, event.trigger_id.as_ref(), view)
        .await
    {
        tracing::warn!(error = %err, "could not open the rule modal for Route…");
    }
}

/// Draws (or redraws) a user's Home tab.
pub async fn publish_home(state: &AdminCtx, workspace: &Workspace, user: &str) {
    let team_id = &workspace.team_id;
    let profile = people::profile(&state.slack, &state.profiles, workspace, user).await;
    let lang = user_lang(state, workspace, profile.as_deref()).await;
    let rules = match state.store.rules(team_id).await {
        Ok(rules) => rules,
        Err(err) => {
            tracing::error!(error = %err, "could not read rules for App Home");
            return;
        }
    };
    let all: Vec<&crate::core::rule::Rule> = rules.iter().collect();
    let health = crate::history::health::of_rules(&state.store, team_id, &all)
        .await
        .unwrap_or_else(|err| {
            tracing::warn!(error = %err, "could not read the rules' health for App Home");
            HashMap::new()
        });
    let since = crate::store::now_ms() - 24 * 3600 * 1000;
    let last_day = state
        .store
        .delivery_counts(team_id, since)
        .await
        .unwrap_or_default();
    let audit: Vec<String> = state
        .store
        .audit(team_id, 5)
        .await
        .unwrap_or_default()
        .iter()
        .map(|e| texts::audit_line(lang, e))
        .collect();
    let webhook_url = webhook_url(state, team_id).await;
    let broken: HashMap<String, crate::directory::events::Broken> = state
        .directory
        .read(team_id, |d| {
            rules
                .iter()
                .filter_map(|r| {
                    let c = d.channel(r.channel.as_str())?;
                    use crate::directory::events::Broken;
                    let broken = if c.deleted {
                        Broken::Deleted
                    } else if c.is_archived {
                        Broken::Archived
                    } else if c.external_team.is_some() {
                        Broken::External
                    } else if c.is_private && !c.is_member {
                        Broken::Removed
                    } else {
                        return None;
                    };
                    Some((c.id.clone(), broken))
                })
                .collect()
        })
        .await;
    let unrouted =
        crate::history::unrouted::recent(&state.store, team_id, &rules, crate::store::now_ms())
            .await
            .unwrap_or_else(|err| {
                tracing::warn!(error = %err, "could not read the unrouted events for App Home");
                Vec::new()
            });
    let failed = crate::history::failed::recent(
        &state.store,
        team_id,
        crate::store::now_ms(),
        crate::admin::views::home_history::MAX_FAILED_CHANNELS,
    )
    .await
    .unwrap_or_else(|err| {
        tracing::warn!(error = %err, "could not read the failed deliveries for App Home");
        Vec::new()
    });
    let view = home_view::view(&home_view::Dashboard {
        lang,
        rules: &rules,
        health: &health,
        last_day,
        audit: &audit,
        webhook_url: webhook_url.as_deref(),
        broken: &broken,
        away: state
            .store
            .away_users(team_id, &[user.to_string()])
            .await
            .is_ok_and(|a| a.contains(user)),
        unrouted: &unrouted,
        failed: &failed,
    });
    if let Err(err) = state
        .slack
        .publish_home(workspace.bot_token.expose(), user, view)
        .await
    {
        tracing::warn!(error = %err, user, "could not publish App Home");
    }
}

/// Where the workspace's platform posts events (its first connection), for App Home.
pub(crate) async fn webhook_url(state: &AdminCtx, team_id: &str) -> Option<String> {
    let base = state.settings.public_url.clone()?;
    match state.store.connections_of(team_id).await {
        Ok(connections) => match connections.first() {
            Some(c) => Some(format!("{base}/hooks/{}", c.id)),
            None if state.settings.slack.bot_token.is_some() => Some(format!(
                "{base}/hooks/{}",
                crate::core::ids::DEFAULT_CONNECTION
            )),
            None => None,
        },
        Err(err) => {
            tracing::warn!(error = %err, "could not read the connections for App Home");
            None
        }
    }
}
