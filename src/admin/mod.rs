//! The `/herald` slash command, answered ephemerally in the user's language.
//!
//! Both transports (HTTP `/slack/commands`, Socket Mode) call [`handle_command`]. Reading
//! (help, list, export) is open to everyone in the workspace; changing anything needs a
//! workspace admin or owner, checked on the server with `users.info` for every command.
//! The user's Slack locale picks the language of their reply; the workspace's language
//! (`/herald lang`) is used for notifications and when the locale is neither ja nor en.

pub mod command;
pub mod home;
pub mod modal;
mod texts;

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use serde_json::{Value, json};
use slack_morphism::prelude::*;

pub use command::Command;

use crate::app::AppState;
use crate::catalog::Lang;
use crate::model::{ChannelId, Mention, Mentions, Rule, RuleTrigger};
use crate::slack::UserProfile;
use crate::store::RuleUpdate;
use crate::workspace::Workspace;

/// Slack's limit of blocks in one message.
const MAX_BLOCKS: usize = 50;
/// Slack's limit of characters in a section's text.
const MAX_SECTION: usize = 3000;

/// Profiles of users running commands, kept briefly: a command is often followed by
/// another, and an admin's role rarely changes within a minute.
#[derive(Clone)]
pub struct Profiles {
    cache: Cache<(String, String), Arc<UserProfile>>,
}

impl Default for Profiles {
    fn default() -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
        }
    }
}

/// An ephemeral answer with blocks and its fallback text.
fn ephemeral(text: String, blocks: Vec<Value>) -> SlackCommandEventResponse {
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

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": crate::render::cut(text, MAX_SECTION)}})
}

/// Answers one `/herald` command.
#[tracing::instrument(skip_all, fields(team_id = %event.team_id, user = %event.user_id))]
pub async fn handle_command(
    state: &AppState,
    event: &SlackCommandEvent,
) -> SlackCommandEventResponse {
    let team_id = event.team_id.to_string();
    let Some(workspace) = state.registry.workspace(&team_id).cloned() else {
        return ephemeral(texts::not_connected(Lang::En).into(), vec![]);
    };
    let workspace_lang = state.workspace_state.lang(&workspace).await;
    let profile = profile(state, &workspace, event.user_id.as_ref()).await;
    let lang = locale_of(profile.as_deref()).unwrap_or(workspace_lang);
    let command = Command::parse(event.text.as_deref().unwrap_or_default());
    tracing::info!(?command, "command");
    if command.changes_settings()
        && !may_change(
            state,
            &workspace,
            event.user_id.as_ref(),
            profile.as_deref(),
        )
        .await
    {
        return refusal(lang);
    }
    match command.clone() {
        Command::Add | Command::Errors => {
            // The trigger expires 3 seconds after the command: open the modal first.
            match state
                .slack
                .open_view(
                    workspace.bot_token.expose(),
                    event.trigger_id.as_ref(),
                    if command == Command::Errors {
                        modal::add_error_rule(lang)
                    } else {
                        modal::add_rule(lang)
                    },
                )
                .await
            {
                Ok(()) => SlackCommandEventResponse::new(SlackMessageContent::new()),
                Err(err) => {
                    tracing::warn!(error = %err, "could not open the rule modal");
                    ephemeral(
                        texts::modal_failed(lang).into(),
                        vec![section(texts::modal_failed(lang))],
                    )
                }
            }
        }
        Command::Help => help(lang, None),
        Command::Admins(None) => match state.store.listed_admins(&team_id).await {
            Ok(users) => {
                let text = texts::admins_listed(lang, &users);
                ephemeral(text.clone(), vec![section(&text)])
            }
            Err(err) => failure(lang, &err),
        },
        Command::Admins(Some((add, target))) => {
            if !profile.as_ref().is_some_and(|p| p.is_owner) {
                return ephemeral(
                    texts::owners_only(lang).into(),
                    vec![section(texts::owners_only(lang))],
                );
            }
            match state
                .store
                .set_listed_admin(&team_id, &target, add, event.user_id.as_ref())
                .await
            {
                Ok(changed) => {
                    let text = texts::admin_changed(lang, &target, add, changed);
                    ephemeral(text.clone(), vec![section(&text)])
                }
                Err(err) => failure(lang, &err),
            }
        }
        Command::Audit => match state.store.audit(&team_id, 20).await {
            Ok(entries) => {
                let lines: Vec<String> =
                    entries.iter().map(|e| texts::audit_line(lang, e)).collect();
                let body = if lines.is_empty() {
                    texts::audit_empty(lang).to_string()
                } else {
                    lines.join("\n")
                };
                let text = format!("*{}*\n{body}", texts::audit_title(lang));
                ephemeral(text.clone(), vec![section(&text)])
            }
            Err(err) => failure(lang, &err),
        },
        Command::Unknown(word) => help(lang, Some(texts::unknown(lang, &word))),
        Command::Invalid {
            subcommand,
            argument,
        } => help(lang, Some(texts::invalid(lang, subcommand, &argument))),
        Command::List { channel } => match state.store.rules(&team_id).await {
            Ok(rules) => {
                let shown: Vec<&Rule> = rules
                    .iter()
                    .filter(|r| channel.as_ref().is_none_or(|c| &r.channel == c))
                    .collect();
                list(lang, &shown, channel.as_ref())
            }
            Err(err) => failure(lang, &err),
        },
        Command::Export => match crate::rules_file::export(&state.store, &team_id).await {
            Ok(json) => ephemeral(
                format!("{}\n```\n{json}\n```", texts::export_intro(lang)),
                vec![],
            ),
            Err(err) => failure(lang, &err),
        },
        Command::Lang(None) => {
            let text = texts::lang_current(lang, workspace_lang);
            ephemeral(text.clone(), vec![section(&text)])
        }
        Command::Lang(Some(new)) => {
            if let Err(err) = state
                .store
                .set_workspace_lang(&team_id, new.as_str(), event.user_id.as_ref())
                .await
            {
                return failure(lang, &err);
            }
            state.workspace_state.invalidate(&team_id).await;
            tracing::info!(lang = new.as_str(), "workspace language changed");
            let text = texts::lang_changed(new);
            ephemeral(text.clone(), vec![section(&text)])
        }
    }
}

/// Answers a modal submission or button press. Everything is checked again here, on
/// the server: who submits, and what they submitted.
#[tracing::instrument(skip_all)]
pub async fn handle_interaction(
    state: &AppState,
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
                _ => SlackInteractionResponse::Empty,
            }
        }
        SlackInteractionEvent::BlockActions(actions) => {
            home_action(state, actions).await;
            SlackInteractionResponse::Empty
        }
        _ => SlackInteractionResponse::Empty,
    }
}

/// A button on the Home tab: add (opens the modal) or delete (after Slack's confirm).
async fn home_action(state: &AppState, event: &SlackInteractionBlockActionsEvent) {
    let team_id = event.team.id.to_string();
    let (Some(workspace), Some(user)) = (
        state.registry.workspace(&team_id).cloned(),
        event.user.as_ref(),
    ) else {
        return;
    };
    let user = user.id.to_string();
    let profile = profile(state, &workspace, &user).await;
    let lang = user_lang(state, &workspace, profile.as_deref()).await;
    let token = workspace.bot_token.expose();
    for action in event.actions.iter().flatten() {
        let action_id = action.action_id.as_ref();
        if ![
            home::ADD_RULE,
            home::ADD_ERROR_RULE,
            home::EDIT_RULE,
            home::DELETE_RULE,
        ]
        .contains(&action_id)
        {
            continue;
        }
        if !may_change(state, &workspace, &user, profile.as_deref()).await {
            // A polite refusal in place of the form they asked for.
            let refusal = json!({
                "type": "modal",
                "title": {"type": "plain_text", "text": texts::admins_only_title(lang)},
                "close": {"type": "plain_text", "text": "OK"},
                "blocks": [section(texts::admins_only(lang))]
            });
            if let Err(err) = state
                .slack
                .open_view(token, event.trigger_id.as_ref(), refusal)
                .await
            {
                tracing::warn!(error = %err, "could not show the refusal");
            }
            return;
        }
        if action_id == home::EDIT_RULE {
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
                let view = modal::rule_modal(lang, Some((&rule, version)));
                if let Err(err) = state
                    .slack
                    .open_view(token, event.trigger_id.as_ref(), view)
                    .await
                {
                    tracing::warn!(error = %err, "could not open the edit modal");
                }
            }
        } else if action_id == home::ADD_RULE || action_id == home::ADD_ERROR_RULE {
            let view = if action_id == home::ADD_RULE {
                modal::add_rule(lang)
            } else {
                modal::add_error_rule(lang)
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

/// The language of the user's Slack locale, when it is ja or en.
fn locale_of(profile: Option<&UserProfile>) -> Option<Lang> {
    profile
        .and_then(|p| p.locale.as_deref())
        .and_then(locale_lang)
}

/// The language of replies to this user: their Slack locale, else the workspace's.
async fn user_lang(state: &AppState, workspace: &Workspace, profile: Option<&UserProfile>) -> Lang {
    match locale_of(profile) {
        Some(lang) => lang,
        None => state.workspace_state.lang(workspace).await,
    }
}

/// Draws (or redraws) a user's Home tab.
pub async fn publish_home(state: &AppState, workspace: &Workspace, user: &str) {
    let team_id = &workspace.team_id;
    let profile = profile(state, workspace, user).await;
    let lang = user_lang(state, workspace, profile.as_deref()).await;
    let rules = match state.store.rules(team_id).await {
        Ok(rules) => rules,
        Err(err) => {
            tracing::error!(error = %err, "could not read rules for App Home");
            return;
        }
    };
    let mut channels: Vec<String> = rules.iter().map(|r| r.channel.to_string()).collect();
    channels.sort();
    channels.dedup();
    let mut health = std::collections::HashMap::new();
    for channel in channels {
        let latest = state
            .store
            .channel_health(team_id, &channel)
            .await
            .unwrap_or_default();
        health.insert(channel, latest);
    }
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
    let view = home::view(&home::Dashboard {
        lang,
        rules: &rules,
        health: &health,
        last_day,
        audit: &audit,
    });
    if let Err(err) = state
        .slack
        .publish_home(workspace.bot_token.expose(), user, view)
        .await
    {
        tracing::warn!(error = %err, user, "could not publish App Home");
    }
}

fn field_errors(errors: modal::FieldErrors) -> SlackInteractionResponse {
    let errors = errors
        .into_iter()
        .map(|(block, text)| (block.to_string(), text))
        .collect();
    SlackViewSubmissionResponse::Errors(SlackViewSubmissionErrorsResponse::new(errors)).into()
}

async fn submit_rule(
    state: &AppState,
    submission: &SlackInteractionViewSubmissionEvent,
    view: &SlackModalView,
) -> SlackInteractionResponse {
    let team_id = submission.team.id.to_string();
    let metadata = modal::Metadata::parse(view.private_metadata.as_deref());
    let lang = metadata.lang();
    let Some(workspace) = state.registry.workspace(&team_id).cloned() else {
        return field_errors(vec![(modal::EVENT_TYPE, texts::not_connected(lang).into())]);
    };
    let user = submission.user.id.to_string();
    let profile = profile(state, &workspace, &user).await;
    if !may_change(state, &workspace, &user, profile.as_deref()).await {
        return field_errors(vec![(modal::EVENT_TYPE, texts::admins_only(lang).into())]);
    }
    let values = submission
        .view
        .state_params
        .state
        .as_ref()
        .map(|s| s.values.clone())
        .unwrap_or_default();
    let mut rule = match modal::read(&values, lang, metadata.errors) {
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
    if let Some((rule_id, _)) = editing {
        // The modal picks users only: keep the user groups the rule mentions.
        let groups: Vec<Mention> = existing
            .iter()
            .find(|r| r.id == rule_id)
            .map(|r| {
                r.mentions
                    .iter()
                    .filter(|m| matches!(m, Mention::Group(_)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let merged: Vec<Mention> = rule.mentions.iter().cloned().chain(groups).collect();
        match Mentions::new(merged) {
            Ok(m) => rule.mentions = m,
            Err(_) => {
                return field_errors(vec![(
                    modal::MENTIONS,
                    texts::too_many_with_groups(lang).into(),
                )]);
            }
        }
    }
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
/// Connect channel, and Herald a member if it is private.
async fn check_channel(
    state: &AppState,
    workspace: &Workspace,
    channel: &str,
    lang: Lang,
) -> Result<(), String> {
    match state
        .slack
        .channel_info(workspace.bot_token.expose(), channel)
        .await
    {
        Ok(info) if info.is_archived => Err(texts::channel_archived(lang).into()),
        Ok(info)
            if info.is_ext_shared
                && info
                    .context_team_id
                    .as_deref()
                    .is_some_and(|t| t != workspace.team_id) =>
        {
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

/// `ja-JP` → ja, `en-US` → en; other locales fall back to the workspace's language.
fn locale_lang(locale: &str) -> Option<Lang> {
    match locale.split(['-', '_']).next()? {
        "ja" => Some(Lang::Ja),
        "en" => Some(Lang::En),
        _ => None,
    }
}

/// Whether a user may change Herald: a workspace admin or owner (per Slack, asked on the
/// server for every change), or someone an owner made a Herald admin.
async fn may_change(
    state: &AppState,
    workspace: &Workspace,
    user: &str,
    profile: Option<&UserProfile>,
) -> bool {
    if profile.is_some_and(|p| p.is_admin) {
        return true;
    }
    state
        .store
        .is_listed_admin(&workspace.team_id, user)
        .await
        .unwrap_or_else(|err| {
            tracing::error!(error = %err, "could not read the Herald admin list");
            false
        })
}

/// The user's profile; None when Slack cannot tell (then they are not an admin).
async fn profile(state: &AppState, workspace: &Workspace, user: &str) -> Option<Arc<UserProfile>> {
    let key = (workspace.team_id.clone(), user.to_string());
    if let Some(found) = state.profiles.cache.get(&key).await {
        return Some(found);
    }
    match state
        .slack
        .user_profile(workspace.bot_token.expose(), user)
        .await
    {
        Ok(profile) => {
            let profile = Arc::new(profile);
            state.profiles.cache.insert(key, profile.clone()).await;
            Some(profile)
        }
        Err(err) => {
            tracing::warn!(error = %err, "could not read the user's profile; treating as non-admin");
            None
        }
    }
}

/// A polite "admins only" for someone who may read but not change.
fn refusal(lang: Lang) -> SlackCommandEventResponse {
    ephemeral(
        texts::admins_only(lang).into(),
        vec![section(texts::admins_only(lang))],
    )
}

fn failure(lang: Lang, err: &dyn std::error::Error) -> SlackCommandEventResponse {
    tracing::error!(error = %err, "command failed");
    ephemeral(
        texts::failed(lang).into(),
        vec![section(texts::failed(lang))],
    )
}

fn help(lang: Lang, problem: Option<String>) -> SlackCommandEventResponse {
    let mut blocks = Vec::new();
    if let Some(problem) = &problem {
        blocks.push(section(problem));
    }
    blocks.push(section(&texts::help(lang)));
    let text = problem.unwrap_or_else(|| texts::help(lang));
    ephemeral(text, blocks)
}

/// The rules, event rules grouped by meeting type, then error rules.
fn list(lang: Lang, rules: &[&Rule], channel: Option<&ChannelId>) -> SlackCommandEventResponse {
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": texts::list_title(lang)}
    })];
    if rules.is_empty() {
        let text = texts::no_rules(lang, channel.map(ChannelId::as_str));
        blocks.push(section(&text));
        return ephemeral(text, blocks);
    }
    let mut groups: Vec<(Option<String>, Vec<String>)> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for rule in rules {
        let line = texts::rule_line(lang, rule);
        match &rule.trigger {
            RuleTrigger::Event { meeting_type, .. } => {
                match groups.iter_mut().find(|(m, _)| m == meeting_type) {
                    Some((_, lines)) => lines.push(line),
                    None => groups.push((meeting_type.clone(), vec![line])),
                }
            }
            RuleTrigger::Error { .. } => errors.push(line),
        }
    }
    // "Every meeting type" first, then the types in the order the rules name them.
    groups.sort_by_key(|(m, _)| m.is_some());
    let mut sections: Vec<(String, Vec<String>)> = groups
        .into_iter()
        .map(|(m, lines)| (texts::meeting_heading(lang, m.as_deref()), lines))
        .collect();
    if !errors.is_empty() {
        sections.push((texts::errors_heading(lang).to_string(), errors));
    }
    let mut omitted = 0;
    for (heading, lines) in sections {
        let mut text = format!("*{heading}*");
        for line in lines {
            if blocks.len() >= MAX_BLOCKS - 2 {
                omitted += 1;
                continue;
            }
            if text.chars().count() + line.chars().count() + 1 > MAX_SECTION {
                blocks.push(section(&text));
                text = String::new();
            }
            text.push('\n');
            text.push_str(&line);
        }
        if !text.is_empty() && blocks.len() < MAX_BLOCKS - 1 {
            blocks.push(section(&text));
        }
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": texts::list_footer(lang, rules.len(), omitted)}]
    }));
    ephemeral(texts::list_title(lang).into(), blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_map_to_languages() {
        assert_eq!(locale_lang("ja-JP"), Some(Lang::Ja));
        assert_eq!(locale_lang("en-GB"), Some(Lang::En));
        assert_eq!(locale_lang("en_US"), Some(Lang::En));
        assert_eq!(locale_lang("fr-FR"), None);
        assert_eq!(locale_lang(""), None);
    }
}
