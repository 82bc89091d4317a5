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
mod pickers;
pub mod preview;
pub mod rules_file;
mod test_send;
mod texts;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use slack_morphism::prelude::*;

pub use command::Command;

use crate::core::catalog::{ErrorCategory, EventType, Lang};
use crate::core::ids::ChannelId;
use crate::core::ids::HERALD_CONNECTION;
use crate::core::rule::{Mention, Rule, RuleTrigger};
use crate::slack::UserProfile;
use crate::store::RuleUpdate;
use crate::workspace::Workspace;
use crate::workspace::people::{self, Profiles};

/// What `/herald`, the rule modals and App Home need; the conversations and the
/// directory are reached through their own contexts.
#[derive(Clone)]
pub struct AdminCtx {
    pub settings: Arc<crate::config::Settings>,
    pub store: crate::store::Store,
    pub slack: crate::slack::SlackApi,
    pub registry: crate::workspace::Workspaces,
    pub rules: crate::workspace::RuleCache,
    pub workspace_state: crate::workspace::WorkspaceSettings,
    pub profiles: Profiles,
    pub directory: crate::directory::Directory,
    pub ingest: crate::ingest::Ingest,
    pub conversations: crate::conversations::ConversationsCtx,
    pub directory_cx: crate::directory::DirectoryCtx,
}

/// Slack's limit of blocks in one message.
const MAX_BLOCKS: usize = 50;
/// Slack's limit of characters in a section's text.
const MAX_SECTION: usize = 3000;

/// The user's profile, through the shared cache (see `workspace::people`).
async fn profile(state: &AdminCtx, workspace: &Workspace, user: &str) -> Option<Arc<UserProfile>> {
    people::profile(&state.slack, &state.profiles, workspace, user).await
}

/// Whether the user may change Herald (see `workspace::people::may_change`).
async fn may_change(
    state: &AdminCtx,
    workspace: &Workspace,
    user: &str,
    profile: Option<&UserProfile>,
) -> bool {
    people::may_change(&state.store, workspace, user, profile).await
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
    json!({"type": "section", "text": {"type": "mrkdwn", "text": crate::core::render::cut(text, MAX_SECTION)}})
}

/// Answers one `/herald` command.
#[tracing::instrument(skip_all, fields(team_id = %event.team_id, user = %event.user_id))]
pub async fn handle_command(
    state: &AdminCtx,
    event: &SlackCommandEvent,
) -> SlackCommandEventResponse {
    let team_id = event.team_id.to_string();
    let Some(workspace) = state.registry.workspace(&team_id).await else {
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
    let trigger_id = event.trigger_id.as_ref();
    match command.clone() {
        Command::Add => {
            let known = known_meeting_types(state, &team_id).await;
            open_modal(
                state,
                &workspace,
                trigger_id,
                modal::add_rule(lang, &known),
                lang,
            )
            .await
        }
        Command::Errors => {
            let view = modal::add_error_rule(
                lang,
                preview_area(
                    state,
                    &team_id,
                    &error_sample(),
                    &[],
                    lang,
                    preview::Test::Unsaved,
                )
                .await,
            );
            open_modal(state, &workspace, trigger_id, view, lang).await
        }
        Command::Import => {
            open_modal(
                state,
                &workspace,
                trigger_id,
                modal::import_rules(lang),
                lang,
            )
            .await
        }
        Command::ConnectCallback(url) => connect_callback(state, &workspace, &url, lang).await,
        Command::Away(away) => {
            let user = event.user_id.to_string();
            match crate::conversations::operators::set_availability(
                &state.conversations,
                &workspace,
                &user,
                away,
            )
            .await
            {
                Ok(()) => {
                    let text = texts::availability(lang, away);
                    ephemeral(text.clone(), vec![section(&text)])
                }
                Err(err) => failure(lang, &err),
            }
        }
        Command::OperatorLink {
            operator,
            user: Some(target),
        } => {
            // A Herald admin (checked above: `changes_settings`).
            match crate::conversations::operators::move_link(
                &state.conversations,
                &workspace,
                event.user_id.as_ref(),
                &operator,
                &target,
            )
            .await
            {
                Ok((previous, released)) => {
                    let text = texts::operator_moved(
                        lang,
                        &operator,
                        &target,
                        previous.as_deref(),
                        released,
                    );
                    ephemeral(text.clone(), vec![section(&text)])
                }
                Err(err) => failure(lang, &err),
            }
        }
        Command::OperatorLink {
            operator,
            user: None,
        } => {
            use crate::conversations::operators::{Linked, Requester, link_self, refusal};
            let user = event.user_id.to_string();
            let who = Requester {
                user: &user,
                email: profile.as_ref().and_then(|p| p.email.as_deref()),
                is_admin: may_change(state, &workspace, &user, profile.as_deref()).await,
            };
            match link_self(&state.conversations, &team_id, &operator, &who).await {
                Ok(Linked::Yes(released)) => {
                    let text = texts::operator_linked(lang, &operator, released);
                    ephemeral(text.clone(), vec![section(&text)])
                }
                Ok(Linked::Refused(why)) => {
                    let text = refusal(lang, &operator, &why);
                    ephemeral(text.clone(), vec![section(&text)])
                }
                Err(err) => failure(lang, &err),
            }
        }
        Command::Connect { rotate } => {
            connect(state, &workspace, rotate, event.user_id.as_ref(), lang).await
        }
        Command::Sync => sync(state, &workspace, event, lang).await,
        Command::Disconnect => {
            let view = modal::disconnect(
                lang,
                texts::disconnect_title(lang),
                texts::disconnect_confirm(lang),
            );
            open_modal(state, &workspace, trigger_id, view, lang).await
        }
        Command::Edit(reference) | Command::Delete(reference) | Command::Test(reference) => {
            let rules = match state.store.rules(&team_id).await {
                Ok(rules) => rules,
                Err(err) => return failure(lang, &err),
            };
            let rule = match find_rule(&rules, &reference, lang) {
                Ok(rule) => rule,
                Err(text) => return ephemeral(text.clone(), vec![section(&text)]),
            };
            if let Command::Test(_) = command {
                return test_by_command(state, rule, event, lang).await;
            }
            let version = match state.store.rule_version(&team_id, &rule.id).await {
                Ok(Some(v)) => v,
                Ok(None) => {
                    let text = texts::no_such_rule(lang, &reference);
                    return ephemeral(text.clone(), vec![section(&text)]);
                }
                Err(err) => return failure(lang, &err),
            };
            let view = if let Command::Edit(_) = command {
                edit_modal(state, rule, version, lang).await
            } else {
                modal::delete_rule(lang, rule, version, &texts::rule_line(lang, rule))
            };
            open_modal(state, &workspace, trigger_id, view, lang).await
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
            if !profile.as_ref().is_some_and(|p| p.is_owner_of(&team_id)) {
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
        Command::Export => match crate::admin::rules_file::export(&state.store, &team_id).await {
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

/// Opens a modal from a command. The trigger expires 3 seconds after the command, so
/// this comes before anything slow.
async fn open_modal(
    state: &AdminCtx,
    workspace: &Workspace,
    trigger_id: &str,
    view: Value,
    lang: Lang,
) -> SlackCommandEventResponse {
    match state
        .slack
        .open_view(workspace.bot_token.expose(), trigger_id, view)
        .await
    {
        Ok(_) => SlackCommandEventResponse::new(SlackMessageContent::new()),
        Err(err) => {
            tracing::warn!(error = %err, "could not open a modal");
            ephemeral(
                texts::modal_failed(lang).into(),
                vec![section(texts::modal_failed(lang))],
            )
        }
    }
}

/// Where the workspace's platform posts events (its first connection), for App Home.
async fn webhook_url(state: &AdminCtx, team_id: &str) -> Option<String> {
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

/// `/herald sync`: starts a directory sync now; its progress replaces the answer in
/// place through the command's `response_url` (which takes 5 posts: one per phase).
async fn sync(
    state: &AdminCtx,
    workspace: &Workspace,
    event: &SlackCommandEvent,
    lang: Lang,
) -> SlackCommandEventResponse {
    use crate::directory::sync::{Progress, may_start, run};
    match may_start(
        &state.directory_cx,
        &workspace.team_id,
        std::time::Duration::ZERO,
    )
    .await
    {
        Ok(true) => {}
        Ok(false) => {
            let text = texts::sync_running(lang).to_string();
            return ephemeral(text.clone(), vec![section(&text)]);
        }
        Err(err) => return failure(lang, &err),
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
    let response_url = event.response_url.clone();
    let poster_state = state.clone();
    // Posts when the phase changes (channels → people → done): 3 posts at most.
    let poster = tokio::spawn(async move {
        let mut phase = (false, false);
        while let Some(progress) = rx.recv().await {
            let now = (progress.users > 0, progress.done);
            if now == phase {
                continue;
            }
            phase = now;
            let text = texts::sync_progress(lang, &progress);
            if let Err(err) = poster_state
                .slack
                .respond_with(&response_url, text, true)
                .await
            {
                tracing::warn!(error = %err, "could not show the sync's progress");
            }
        }
    });
    let (task_state, task_workspace) = (state.clone(), workspace.clone());
    let response_url = event.response_url.clone();
    tokio::spawn(async move {
        let report = move |p: &Progress| {
            let _ = tx.send(*p);
        };
        let result = run(&task_state.directory_cx, &task_workspace, &report).await;
        drop(report);
        let _ = poster.await;
        if let Err(err) = result {
            let text = texts::sync_failed(lang, &err.to_string());
            if let Err(err) = task_state
                .slack
                .respond_with(&response_url, text, true)
                .await
            {
                tracing::warn!(error = %err, "could not report the failed sync");
            }
        }
    });
    let text = texts::sync_progress(lang, &Progress::default());
    ephemeral(text.clone(), vec![section(&text)])
}

/// `/herald connect callback <url>`: where the platform receives replies from Slack.
async fn connect_callback(
    state: &AdminCtx,
    workspace: &Workspace,
    url: &str,
    lang: Lang,
) -> SlackCommandEventResponse {
    let reply = |text: String| ephemeral(text.clone(), vec![section(&text)]);
    let url = match crate::platform::check_callback_url(url, state.settings.callback_allow_private)
        .await
    {
        Ok(normalised) => normalised,
        Err(why) => return reply(texts::callback_invalid(lang, url, &why.to_string())),
    };
    let url = url.as_str();
    // The connection of the workspace: its own, or `default` in single-workspace mode.
    let connection = match state.store.connections_of(&workspace.team_id).await {
        Ok(c) => c.first().map_or_else(
            || crate::core::ids::DEFAULT_CONNECTION.to_string(),
            |c| c.id.clone(),
        ),
        Err(err) => return failure(lang, &err),
    };
    match state
        .store
        .set_callback_url(&workspace.team_id, &connection, url)
        .await
    {
        Ok(()) => reply(texts::callback_set(lang, url)),
        Err(err) => failure(lang, &err),
    }
}

/// `/herald connect [rotate]`: the webhook URL, and a secret only when it is new.
async fn connect(
    state: &AdminCtx,
    workspace: &Workspace,
    rotate: bool,
    user: &str,
    lang: Lang,
) -> SlackCommandEventResponse {
    let reply = |text: String| ephemeral(text.clone(), vec![section(&text)]);
    let base = state
        .settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", state.settings.listen));
    let team_id = &workspace.team_id;
    let connections = match state.store.connections_of(team_id).await {
        Ok(c) => c,
        Err(err) => return failure(lang, &err),
    };
    let (Some(connection), Some(sealer)) = (connections.first(), state.registry.sealer()) else {
        // Single-workspace mode: the `default` connection, its secret in the settings.
        if rotate {
            return reply(texts::rotation_unavailable(lang).into());
        }
        let url = format!("{base}/hooks/{}", crate::core::ids::DEFAULT_CONNECTION);
        return reply(format!(
            "{}\n{}",
            texts::webhook_url(lang, &url),
            texts::webhook_secret_from_env(lang)
        ));
    };
    let url = texts::webhook_url(lang, &format!("{base}/hooks/{}", connection.id));
    let context = crate::workspace::secret_context(&connection.id);
    if rotate {
        let fresh = match crate::crypto::Sealer::new_webhook_secret()
            .and_then(|s| sealer.seal(&s, &context).map(|sealed| (s, sealed)))
        {
            Ok(fresh) => fresh,
            Err(err) => return failure(lang, &err),
        };
        let until =
            crate::store::now_ms() + crate::store::duration_ms(state.settings.rotation_grace);
        match state
            .store
            .rotate_connection(team_id, &connection.id, &fresh.1, until, user)
            .await
        {
            Ok(_) => {
                state.registry.invalidate(team_id).await;
                tracing::info!(connection = %connection.id, %user, "webhook secret rotated");
                reply(format!(
                    "{url}\n{}",
                    texts::webhook_rotated(lang, &fresh.0, until / 1000)
                ))
            }
            Err(err) => failure(lang, &err),
        }
    } else {
        // Opened before it is marked shown, so a secret is never marked but not seen.
        let secret = match sealer.open(&connection.secret_sealed, &context) {
            Ok(secret) => secret,
            Err(err) => return failure(lang, &err),
        };
        match state.store.mark_secret_shown(team_id, &connection.id).await {
            Ok(true) => reply(format!(
                "{url}\n{}",
                texts::webhook_secret_once(lang, &secret)
            )),
            Ok(false) => reply(format!("{url}\n{}", texts::webhook_secret_hidden(lang))),
            Err(err) => failure(lang, &err),
        }
    }
}

/// The disconnect dialog's submission: revoke, forget the token, stop queued work.
async fn submit_disconnect(
    state: &AdminCtx,
    submission: &SlackInteractionViewSubmissionEvent,
    view: &SlackModalView,
) -> SlackInteractionResponse {
    let team_id = submission.team.id.to_string();
    let lang = modal::Metadata::parse(view.private_metadata.as_deref()).lang();
    let answer = |text: &str| -> SlackInteractionResponse {
        match serde_json::from_value::<SlackView>(modal::notice(
            texts::disconnect_title(lang),
            text,
        )) {
            Ok(view) => {
                SlackViewSubmissionResponse::Update(SlackViewSubmissionUpdateResponse::new(view))
                    .into()
            }
            Err(_) => SlackInteractionResponse::Empty,
        }
    };
    let Some(workspace) = state.registry.workspace(&team_id).await else {
        return answer(texts::not_connected(lang));
    };
    let user = submission.user.id.to_string();
    let profile = profile(state, &workspace, &user).await;
    if !may_change(state, &workspace, &user, profile.as_deref()).await {
        return answer(texts::admins_only(lang));
    }
    // Revoked first; if Slack cannot be reached the token is still deleted here, and
    // Slack's own uninstall (or an admin) can revoke it later.
    if let Err(err) = state.slack.revoke(workspace.bot_token.expose()).await {
        tracing::warn!(error = %err, "auth.revoke failed; deleting the token anyway");
    }
    let reason = format!("disconnected by {user} with /herald disconnect");
    match state
        .store
        .disconnect_workspace(&team_id, &reason, &user)
        .await
    {
        Ok(stopped) => {
            state.registry.invalidate(&team_id).await;
            state.workspace_state.invalidate(&team_id).await;
            tracing::warn!(stopped, %user, "workspace disconnected by command");
            let install = state
                .settings
                .slack
                .oauth
                .as_ref()
                .and(state.settings.public_url.as_deref())
                .map(|u| format!("{u}{}", crate::install::INSTALL_PATH));
            answer(&texts::disconnected(lang, install.as_deref()))
        }
        Err(err) => {
            tracing::error!(error = %err, "could not disconnect");
            answer(texts::failed(lang))
        }
    }
}

/// The rule a typed reference names: exactly one, or a message saying why not.
fn find_rule<'a>(rules: &'a [Rule], reference: &str, lang: Lang) -> Result<&'a Rule, String> {
    let mut named = rules.iter().filter(|r| r.is_named_by(reference));
    match (named.next(), named.next()) {
        (Some(rule), None) => Ok(rule),
        (Some(_), Some(_)) => Err(texts::ambiguous_rule(lang, reference)),
        (None, _) => Err(texts::no_such_rule(lang, reference)),
    }
}

/// The error rule modal previews a delivery failure until categories are chosen.
fn error_sample() -> RuleTrigger {
    RuleTrigger::Error {
        categories: vec![ErrorCategory::Delivery],
    }
}

/// The edit modal of a saved rule, with its preview and test button.
async fn edit_modal(state: &AdminCtx, rule: &Rule, version: i64, lang: Lang) -> Value {
    let mentions: Vec<Mention> = rule.mentions.iter().cloned().collect();
    let area = preview_area(
        state,
        &rule.team_id,
        &rule.trigger,
        &mentions,
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
async fn known_meeting_types(state: &AdminCtx, team_id: &str) -> Vec<modal::KnownMeetingType> {
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
async fn preview_area(
    state: &AdminCtx,
    team_id: &str,
    trigger: &RuleTrigger,
    mentions: &[Mention],
    lang: Lang,
    test: preview::Test<'_>,
) -> Vec<Value> {
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
                None => return preview::blocks(lang, None, mentions, test),
            }
        }
    };
    preview::blocks(lang, Some((&event, source)), mentions, test)
}

/// `/herald test`: queue the test at once, answer "sending", and report the outcome
/// through the command's `response_url` when delivery has it.
async fn test_by_command(
    state: &AdminCtx,
    rule: &Rule,
    event: &SlackCommandEvent,
    lang: Lang,
) -> SlackCommandEventResponse {
    let user = event.user_id.to_string();
    let event_id = match test_send::send(state, rule, &user, lang).await {
        Ok(id) => id,
        Err(err) => return failure(lang, &err),
    };
    let channel = rule.channel.to_string();
    let response_url = event.response_url.clone();
    let task_state = state.clone();
    let team_id = rule.team_id.clone();
    let report_channel = channel.clone();
    tokio::spawn(async move {
        let outcome = test_send::outcome(&task_state, &team_id, &event_id).await;
        let text = test_send::describe(lang, &report_channel, &outcome);
        if let Err(err) = task_state.slack.respond(&response_url, text).await {
            tracing::warn!(error = %err, "could not report a test's outcome");
        }
    });
    let text = texts::test_sending(lang, &channel);
    ephemeral(text.clone(), vec![section(&text)])
}

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

/// A button in a message: Undo / Send now under a reply waiting to go to the customer.
async fn message_action(state: &AdminCtx, event: &SlackInteractionBlockActionsEvent) {
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

/// A button on the Home tab: add (opens the modal) or delete (after Slack's confirm).
async fn home_action(state: &AdminCtx, event: &SlackInteractionBlockActionsEvent) {
    let team_id = event.team.id.to_string();
    let (Some(workspace), Some(user)) = (
        state.registry.workspace(&team_id).await,
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
            home::TEST_RULE,
        ]
        .contains(&action_id)
        {
            continue;
        }
        if !may_change(state, &workspace, &user, profile.as_deref()).await {
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
                let view = edit_modal(state, &rule, version, lang).await;
                if let Err(err) = state
                    .slack
                    .open_view(token, event.trigger_id.as_ref(), view)
                    .await
                {
                    tracing::warn!(error = %err, "could not open the edit modal");
                }
            }
        } else if action_id == home::TEST_RULE {
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
        } else if action_id == home::ADD_RULE || action_id == home::ADD_ERROR_RULE {
            let view = if action_id == home::ADD_RULE {
                modal::add_rule(lang, &known_meeting_types(state, &team_id).await)
            } else {
                modal::add_error_rule(
                    lang,
                    preview_area(
                        state,
                        &team_id,
                        &error_sample(),
                        &[],
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

/// A test from the Home tab: a small modal says "sending", then what happened.
async fn test_in_modal(
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
async fn modal_action(
    state: &AdminCtx,
    event: &SlackInteractionBlockActionsEvent,
    view: &SlackModalView,
) {
    let team_id = event.team.id.to_string();
    let (Some(workspace), Some(user)) = (
        state.registry.workspace(&team_id).await,
        event.user.as_ref(),
    ) else {
        return;
    };
    let SlackInteractionActionContainer::View(container) = &event.container else {
        return;
    };
    let view_id = container.view_id.to_string();
    let user = user.id.to_string();
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
                let profile = profile(state, &workspace, &user).await;
                if !may_change(state, &workspace, &user, profile.as_deref()).await {
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
struct OpenModal<'a> {
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
        let area = preview_area(state, self.team_id, trigger, self.mentions, self.lang, test).await;
        if let Err(err) = state
            .slack
            .update_view(self.token, self.view_id, modal::refresh(self.current, area))
            .await
        {
            tracing::warn!(error = %err, "could not redraw the rule modal's preview");
        }
    }
}

/// The delete dialog's submission: deletes the rule if nobody changed it meanwhile.
async fn submit_delete(
    state: &AdminCtx,
    submission: &SlackInteractionViewSubmissionEvent,
    view: &SlackModalView,
) -> SlackInteractionResponse {
    let team_id = submission.team.id.to_string();
    let metadata = modal::Metadata::parse(view.private_metadata.as_deref());
    let lang = metadata.lang();
    let title = lang.pick("ルールの削除", "Delete a rule");
    let answer = |text: &str| -> SlackInteractionResponse {
        match serde_json::from_value::<SlackView>(modal::notice(title, text)) {
            Ok(view) => {
                SlackViewSubmissionResponse::Update(SlackViewSubmissionUpdateResponse::new(view))
                    .into()
            }
            Err(_) => SlackInteractionResponse::Empty,
        }
    };
    let Some(workspace) = state.registry.workspace(&team_id).await else {
        return answer(texts::not_connected(lang));
    };
    let user = submission.user.id.to_string();
    let profile = profile(state, &workspace, &user).await;
    if !may_change(state, &workspace, &user, profile.as_deref()).await {
        return answer(texts::admins_only(lang));
    }
    let (Some(rule_id), Some(version)) = (metadata.rule.as_deref(), metadata.version) else {
        return answer(texts::edit_missing(lang));
    };
    match state.store.rule_version(&team_id, rule_id).await {
        Ok(Some(current)) if current == version => {}
        Ok(Some(_)) => return answer(texts::edit_conflict(lang)),
        Ok(None) => return answer(texts::edit_missing(lang)),
        Err(err) => {
            tracing::error!(error = %err, "could not read the rule");
            return answer(texts::failed(lang));
        }
    }
    match state.store.delete_rule(&team_id, rule_id, &user).await {
        Ok(_) => {
            state.rules.invalidate(&team_id).await;
            tracing::info!(rule_id, %user, "rule deleted");
            let state = state.clone();
            tokio::spawn(async move { publish_home(&state, &workspace, &user).await });
            answer(texts::rule_deleted(lang))
        }
        Err(err) => {
            tracing::error!(error = %err, "could not delete the rule");
            answer(texts::failed(lang))
        }
    }
}

/// The import modal's submission: all the pasted rules, or (with the problem shown on
/// the text box) none of them.
async fn submit_import(
    state: &AdminCtx,
    submission: &SlackInteractionViewSubmissionEvent,
    view: &SlackModalView,
) -> SlackInteractionResponse {
    let team_id = submission.team.id.to_string();
    let lang = modal::Metadata::parse(view.private_metadata.as_deref()).lang();
    let Some(workspace) = state.registry.workspace(&team_id).await else {
        return field_errors(vec![(modal::RULES_JSON, texts::not_connected(lang).into())]);
    };
    let user = submission.user.id.to_string();
    let profile = profile(state, &workspace, &user).await;
    if !may_change(state, &workspace, &user, profile.as_deref()).await {
        return field_errors(vec![(modal::RULES_JSON, texts::admins_only(lang).into())]);
    }
    let values = submission
        .view
        .state_params
        .state
        .as_ref()
        .map(|s| s.values.clone())
        .unwrap_or_default();
    let json = modal::read_import(&values).unwrap_or_default();
    match crate::admin::rules_file::import(&state.store, &team_id, json, &user).await {
        Ok(rules) => {
            state.rules.invalidate(&team_id).await;
            tracing::info!(count = rules.len(), %user, "rules imported");
            let state = state.clone();
            tokio::spawn(async move { publish_home(&state, &workspace, &user).await });
            match serde_json::from_value::<SlackView>(modal::notice(
                lang.pick("ルールのインポート", "Import rules"),
                &texts::imported(lang, rules.len()),
            )) {
                Ok(view) => SlackViewSubmissionResponse::Update(
                    SlackViewSubmissionUpdateResponse::new(view),
                )
                .into(),
                Err(_) => SlackInteractionResponse::Empty,
            }
        }
        Err(crate::admin::rules_file::RulesFileError::Store(err)) => {
            tracing::error!(error = %err, "could not import rules");
            field_errors(vec![(modal::RULES_JSON, texts::failed(lang).into())])
        }
        Err(problem) => field_errors(vec![(
            modal::RULES_JSON,
            crate::core::render::cut(
                &format!("{}{problem}", lang.pick("取り込めませんでした: ", "")),
                1000,
            ),
        )]),
    }
}

/// The language of the user's Slack locale, when it is ja or en.
fn locale_of(profile: Option<&UserProfile>) -> Option<Lang> {
    profile
        .and_then(|p| p.locale.as_deref())
        .and_then(Lang::from_locale)
}

/// The language of replies to this user: their Slack locale, else the workspace's.
async fn user_lang(state: &AdminCtx, workspace: &Workspace, profile: Option<&UserProfile>) -> Lang {
    match locale_of(profile) {
        Some(lang) => lang,
        None => state.workspace_state.lang(workspace).await,
    }
}

/// Draws (or redraws) a user's Home tab.
pub async fn publish_home(state: &AdminCtx, workspace: &Workspace, user: &str) {
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
    let mut health = HashMap::new();
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
    let webhook_url = webhook_url(state, team_id).await;
    let broken: HashMap<String, crate::directory::events::Broken> = state
        .directory
        .read(team_id, |d| {
            rules
                .iter()
                .filter_map(|r| {
                    let c = d.channel(r.channel.as_str())?;
                    use crate::directory::events::Broken;
                    let broken = if c.deleted == 1 {
                        Broken::Deleted
                    } else if c.is_archived == 1 {
                        Broken::Archived
                    } else if c.external_team.is_some() {
                        Broken::External
                    } else if c.is_private == 1 && c.is_member == 0 {
                        Broken::Removed
                    } else {
                        return None;
                    };
                    Some((c.id.clone(), broken))
                })
                .collect()
        })
        .await;
    let view = home::view(&home::Dashboard {
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
    state: &AdminCtx,
    submission: &SlackInteractionViewSubmissionEvent,
    view: &SlackModalView,
) -> SlackInteractionResponse {
    let team_id = submission.team.id.to_string();
    let metadata = modal::Metadata::parse(view.private_metadata.as_deref());
    let lang = metadata.lang();
    let Some(workspace) = state.registry.workspace(&team_id).await else {
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
/// Connect channel, and Herald a member if it is private.
async fn check_channel(
    state: &AdminCtx,
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
        assert_eq!(Lang::from_locale("ja-JP"), Some(Lang::Ja));
        assert_eq!(Lang::from_locale("en-GB"), Some(Lang::En));
        assert_eq!(Lang::from_locale("en_US"), Some(Lang::En));
        assert_eq!(Lang::from_locale("fr-FR"), None);
        assert_eq!(Lang::from_locale(""), None);
    }
}
