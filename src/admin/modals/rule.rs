use serde_json::Value;
use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::{self, Actor};
use crate::admin::home::publish_home;
use crate::admin::reply::field_errors;
use crate::admin::test_send;
use crate::admin::views::{preview, rule_modal as modal, texts};
use crate::core::catalog::{ErrorCategory, EventType, Lang};
use crate::core::hours::Hours;
use crate::core::ids::HERALD_CONNECTION;
use crate::core::rule::{Mention, Rule, RuleTrigger};
use crate::core::template::Template;
use crate::store::RuleUpdate;
use crate::workspace::Workspace;

/// The error rule modal previews a delivery failure until categories are chosen.
pub(crate) fn error_sample() -> RuleTrigger {
    RuleTrigger::Error {
        categories: vec![ErrorCategory::Delivery],
    }
}

/// The edit modal of a saved rule, with its preview and test button.
pub(crate) async fn edit_modal(state: &AdminCtx, rule: &Rule, version: i64, lang: Lang) -> Value {
    let mentions: Vec<Mention> = rule.mentions.iter().cloned().collect();
    let area = preview_area_with(
        state,
        &rule.team_id,
        &rule.trigger,
        (
            &mentions,
            Some(&rule.options.template).filter(|t| !t.is_empty()),
            rule.options.hours.as_ref(),
        ),
        lang,
        preview::Test::Saved(None),
    )
    .await;
    let known = known_meeting_types(state, &rule.team_id).await;
    let ids: Vec<String> = std::iter::once(rule.channel.to_string())
        .chain(rule.mentions.iter().map(|m| m.id().to_string()))
        .chain(rule.backup.iter().map(|m| m.id().to_string()))
        .collect();
    let labels: modal::Labels = state
        .directory
        .read(&rule.team_id, |d| {
            ids.iter()
                .filter_map(|id| {
                    d.channel(id)
                        .map(crate::directory::channel_label)
                        .or_else(|| d.mention_label(id))
                        .map(|label| (id.clone(), label))
                })
                .collect()
        })
        .await;
    modal::rule_modal(lang, (rule, version), area, &known, &labels)
}

/// Meeting types seen in the workspace's events (recorded at ingest), for the rule
/// modal's picker. A workspace with none recorded yet (events from before the table
/// existed) is read from its recent events once more, as before.
pub(crate) async fn known_meeting_types(
    state: &AdminCtx,
    team_id: &str,
) -> Vec<modal::KnownMeetingType> {
    /// Enough events to see every type a platform uses, few enough to read at once.
    const RECENT: i64 = 500;
    match state.store.meeting_types(team_id, 99).await {
        Ok(seen) if !seen.is_empty() => {
            return seen
                .into_iter()
                .map(|(id, name)| modal::KnownMeetingType { id, name })
                .collect();
        }
        Ok(_) => {}
        Err(err) => {
            tracing::warn!(error = %err, "could not read the meeting types seen");
            return Vec::new();
        }
    }
    match state
        .store
        .recent_event_bodies(team_id, HERALD_CONNECTION, RECENT)
        .await
    {
        Ok(bodies) => modal::known_meeting_types(&bodies),
        Err(err) => {
            tracing::warn!(error = %err, "could not read recent events for meeting types");
            Vec::new()
        }
    }
}

/// The preview area for a rule's trigger: drawn from the workspace's latest event of
/// that type, or a sample when there is none yet.
pub(crate) async fn preview_area(
    state: &AdminCtx,
    team_id: &str,
    trigger: &RuleTrigger,
    mentions: &[Mention],
    template: Option<&Template>,
    lang: Lang,
    test: preview::Test<'_>,
) -> Vec<Value> {
    preview_area_with(
        state,
        team_id,
        trigger,
        (mentions, template, None),
        lang,
        test,
    )
    .await
}

/// [`preview_area`] with the rule's business hours, said as "would post now" or "waits
/// for the digest at …".
pub(crate) async fn preview_area_with(
    state: &AdminCtx,
    team_id: &str,
    trigger: &RuleTrigger,
    (mentions, template, hours): (&[Mention], Option<&Template>, Option<&Hours>),
    lang: Lang,
    test: preview::Test<'_>,
) -> Vec<Value> {
    let hours = hours.map(|h| (h, crate::store::now_ms()));
    let event_type = preview::event_type(trigger);
    let latest = state
        .store
        .latest_event_body(team_id, event_type.as_str(), HERALD_CONNECTION)
        .await
        .unwrap_or_else(|err| {
            tracing::warn!(error = %err, "could not read the latest event for a preview");
            None
        });
    let found = latest.and_then(|(body, at)| {
        preview::parse(&body).map(|e| (e, preview::Source::Latest(at / 1000)))
    });
    let (event, source) = match found {
        Some(found) => found,
        None => {
            let body = preview::sample(event_type, lang, crate::store::now_ms() / 1000);
            match preview::parse(&body.to_string()) {
                Some(event) => (event, preview::Source::Sample),
                None => {
                    return preview::blocks_at(lang, None, mentions, template, hours, test);
                }
            }
        }
    };
    preview::blocks_at(
        lang,
        Some((&event, source)),
        mentions,
        template,
        hours,
        test,
    )
}

/// A test from the Home tab: a small modal says "sending", then what happened.
pub(crate) async fn test_in_modal(
    state: &AdminCtx,
    workspace: &Workspace,
    rule: &Rule,
    user: &str,
    lang: Lang,
    trigger_id: &str,
) {
    let token = workspace.bot_token.expose();
    let channel = rule.channel.to_string();
    let sending = modal::notice(
        texts::test_title(lang),
        &texts::test_sending(lang, &channel),
    );
    // The trigger is good for 3 seconds: the modal opens before the test is queued.
    let view_id = match state.slack.open_view(token, trigger_id, sending).await {
        Ok(id) => id,
        Err(err) => {
            tracing::warn!(error = %err, "could not open the test modal");
            return;
        }
    };
    // Slack gets its answer now; the outcome replaces "sending" when it is known.
    let (state, workspace, rule, user) = (
        state.clone(),
        workspace.clone(),
        rule.clone(),
        user.to_string(),
    );
    tokio::spawn(async move {
        let text = match test_send::send(&state, &rule, &user, lang).await {
            Ok(event_id) => test_send::describe(
                lang,
                &channel,
                &test_send::outcome(&state, &rule.team_id, &event_id).await,
            ),
            Err(err) => {
                tracing::error!(error = %err, "could not queue a test");
                texts::failed(lang).to_string()
            }
        };
        let done = modal::notice(texts::test_title(lang), &text);
        let token = workspace.bot_token.expose();
        if let Err(err) = state.slack.update_view(token, &view_id, done).await {
            tracing::warn!(error = %err, "could not show a test's outcome");
        }
    });
}

/// An action inside a rule modal: a new event type redraws the preview; "Send test"
/// tests the saved rule and shows the outcome under the preview.
pub(crate) async fn modal_action(
    state: &AdminCtx,
    event: &SlackInteractionBlockActionsEvent,
    view: &SlackModalView,
) {
    let team_id = event.team.id.to_string();
    let Some(user) = event.user.as_ref().map(|u| u.id.to_string()) else {
        return;
    };
    let actor = match Actor::resolve(state, &team_id, &user).await {
        Ok(actor) => actor,
        Err(err) => {
            tracing::warn!(error = %err, "a rule modal's action was not handled");
            return;
        }
    };
    let workspace = actor.workspace.clone();
    let SlackInteractionActionContainer::View(container) = &event.container else {
        return;
    };
    let view_id = container.view_id.to_string();
    let metadata = modal::Metadata::parse(view.private_metadata.as_deref());
    let lang = metadata.lang();
    let saved = match metadata.rule.as_deref() {
        Some(rule_id) => state.store.rule(&team_id, rule_id).await.ok().flatten(),
        None => None,
    };
    let current = match serde_json::to_value(SlackView::Modal(view.clone())) {
        Ok(v) => v,
        Err(err) => {
            tracing::error!(error = %err, "could not read the modal back");
            return;
        }
    };
    let mentions: Vec<Mention> = saved
        .as_ref()
        .map(|r| r.mentions.iter().cloned().collect())
        .unwrap_or_default();
    let open = OpenModal {
        token: workspace.bot_token.expose(),
        view_id: &view_id,
        current: &current,
        team_id: &team_id,
        mentions: &mentions,
        lang,
    };
    for action in event.actions.iter().flatten() {
        match action.action_id.as_ref() {
            modal::EVENT_TYPE => {
                let Some(event_type) = action
                    .selected_option
                    .as_ref()
                    .and_then(|o| EventType::parse(&o.value).ok())
                else {
                    continue;
                };
                let trigger = RuleTrigger::Event {
                    event_type,
                    meeting_type: None,
                };
                let test = if saved.is_some() {
                    preview::Test::Saved(None)
                } else {
                    preview::Test::Unsaved
                };
                open.redraw(state, &trigger, test).await;
            }
            modal::TEST_RULE => {
                let Some(rule) = saved.clone() else { continue };
                if !actor.may_change(state).await {
                    let status = texts::admins_only(lang);
                    open.redraw(state, &rule.trigger, preview::Test::Saved(Some(status)))
                        .await;
                    continue;
                }
                // Slack gets its answer now (and a Socket Mode connection its next
                // envelope); the preview shows "sending", then the outcome.
                let (state, workspace, user) = (state.clone(), workspace.clone(), user.clone());
                let (view_id, current, mentions) =
                    (view_id.clone(), current.clone(), mentions.clone());
                tokio::spawn(async move {
                    let open = OpenModal {
                        token: workspace.bot_token.expose(),
                        view_id: &view_id,
                        current: &current,
                        team_id: &rule.team_id,
                        mentions: &mentions,
                        lang,
                    };
                    let status = match test_send::send(&state, &rule, &user, lang).await {
                        Ok(event_id) => {
                            let sending = texts::test_sending(lang, rule.channel.as_str());
                            open.redraw(
                                &state,
                                &rule.trigger,
                                preview::Test::Saved(Some(&sending)),
                            )
                            .await;
                            let outcome =
                                test_send::outcome(&state, &rule.team_id, &event_id).await;
                            test_send::describe(lang, rule.channel.as_str(), &outcome)
                        }
                        Err(err) => {
                            tracing::error!(error = %err, "could not queue a test");
                            texts::failed(lang).to_string()
                        }
                    };
                    open.redraw(&state, &rule.trigger, preview::Test::Saved(Some(&status)))
                        .await;
                });
            }
            _ => {}
        }
    }
}

/// A rule modal open in Slack, whose preview area Herald redraws.
pub(crate) struct OpenModal<'a> {
    token: &'a str,
    view_id: &'a str,
    /// The modal as Slack showed it (input blocks keep their ids, so their values stay).
    current: &'a Value,
    team_id: &'a str,
    mentions: &'a [Mention],
    lang: Lang,
}

impl OpenModal<'_> {
    /// Redraws the preview (and the test's status) for `trigger`.
    async fn redraw(&self, state: &AdminCtx, trigger: &RuleTrigger, test: preview::Test<'_>) {
        // The fields as typed so far (Slack sends the modal's state with each action).
        let template = crate::admin::views::rule_read::template_in_view(self.current);
        let hours = crate::admin::views::rule_read::hours_in_view(self.current);
        let area = preview_area_with(
            state,
            self.team_id,
            trigger,
            (self.mentions, template.as_ref(), hours.as_ref()),
            self.lang,
            test,
        )
        .await;
        if let Err(err) = state
            .slack
            .update_view(self.token, self.view_id, modal::refresh(self.current, area))
            .await
        {
            tracing::warn!(error = %err, "could not redraw the rule modal's preview");
        }
    }
}

pub(crate) async fn submit_rule(
    state: &AdminCtx,
    submission: &SlackInteractionViewSubmissionEvent,
    view: &SlackModalView,
) -> SlackInteractionResponse {
    let team_id = submission.team.id.to_string();
    let metadata = modal::Metadata::parse(view.private_metadata.as_deref());
    let lang = metadata.lang();
    let user = submission.user.id.to_string();
    let admin = match actor::admin(state, &team_id, &user).await {
        Ok(admin) => admin,
        Err(refused) => return field_errors(vec![(modal::EVENT_TYPE, refused.text(lang).into())]),
    };
    let workspace = admin.workspace.clone();
    let values = super::submitted_values(submission);
    let rule = match modal::read(&values, lang, metadata.errors) {
        Ok(rule) => rule,
        Err(errors) => return field_errors(errors),
    };
    let existing = match state.store.rules(&team_id).await {
        Ok(rules) => rules,
        Err(err) => {
            tracing::error!(error = %err, "could not read rules");
            return field_errors(vec![(modal::EVENT_TYPE, texts::failed(lang).into())]);
        }
    };
    let editing = metadata.rule.as_deref().zip(metadata.version);
    if let Err(problem) = check_channel(state, &workspace, rule.channel.as_str(), lang).await {
        return field_errors(vec![(modal::CHANNEL, problem)]);
    }
    let duplicate = existing.iter().any(|r| {
        r.trigger == rule.trigger
            && r.channel == rule.channel
            && editing.is_none_or(|(rule_id, _)| r.id != rule_id)
    });
    if duplicate {
        return field_errors(vec![(modal::CHANNEL, texts::duplicate_rule(lang).into())]);
    }
    let saved = match editing {
        None => state
            .store
            .add_rule(&team_id, &rule, &user)
            .await
            .map(|_| RuleUpdate::Updated),
        Some((rule_id, version)) => {
            state
                .store
                .update_rule(&team_id, rule_id, version, &rule, &user)
                .await
        }
    };
    match saved {
        Ok(RuleUpdate::Updated) => {
            state.rules.invalidate(&team_id).await;
            tracing::info!(?editing, %user, "rule saved");
            // The Home tab refreshes after every change; the modal closes meanwhile.
            let state = state.clone();
            tokio::spawn(async move { publish_home(&state, &workspace, &user).await });
            SlackInteractionResponse::Empty
        }
        Ok(RuleUpdate::Conflict) => {
            field_errors(vec![(modal::EVENT_TYPE, texts::edit_conflict(lang).into())])
        }
        Ok(RuleUpdate::Missing) => {
            field_errors(vec![(modal::EVENT_TYPE, texts::edit_missing(lang).into())])
        }
        Err(err) => {
            tracing::error!(error = %err, "could not store the rule");
            field_errors(vec![(modal::EVENT_TYPE, texts::failed(lang).into())])
        }
    }
}

/// A channel a rule may post to: not archived, not another organization's Slack
/// Connect channel, and Herald a member if it is private. A person: one of the
/// workspace, active, and not a bot (their DM with Herald is the target).
pub(crate) async fn check_channel(
    state: &AdminCtx,
    workspace: &Workspace,
    channel: &str,
    lang: Lang,
) -> Result<(), String> {
    if channel.starts_with(['U', 'W']) {
        return check_person(state, workspace, channel, lang).await;
    }
    match state
        .slack
        .channel_info(workspace.bot_token.expose(), channel)
        .await
    {
        Ok(info) if info.is_archived => Err(texts::channel_archived(lang).into()),
        Ok(info) if crate::slack::connect::host_elsewhere(&info, &workspace.team_id).is_some() => {
            Err(texts::channel_external(lang).into())
        }
        Ok(info) if info.is_private && !info.is_member => {
            Err(texts::channel_invite(lang, info.name.as_deref()))
        }
        Ok(_) => Ok(()),
        // A private channel Herald is not in looks like this to Herald.
        Err(crate::slack::SlackError::Api { code }) if code == "channel_not_found" => {
            Err(texts::channel_invite(lang, None))
        }
        Err(err) => {
            tracing::warn!(error = %err, "could not check the channel");
            Err(texts::channel_unchecked(lang).into())
        }
    }
}

async fn check_person(
    state: &AdminCtx,
    workspace: &Workspace,
    person: &str,
    lang: Lang,
) -> Result<(), String> {
    match state
        .slack
        .user_info(workspace.bot_token.expose(), person)
        .await
    {
        Ok(info) => match crate::slack::connect::person_refusal(&info, &workspace.team_id) {
            None => Ok(()),
            Some(code) => Err(texts::person_refused(lang, code).into()),
        },
        Err(crate::slack::SlackError::Api { code }) if code == "user_not_found" => {
            Err(texts::person_refused(lang, &code).into())
        }
        Err(err) => {
            tracing::warn!(error = %err, "could not check the person");
            Err(texts::channel_unchecked(lang).into())
        }
    }
}
