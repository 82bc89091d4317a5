pub mod connect;
pub mod list;
pub mod rule;
pub mod sync;

use serde_json::Value;
use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::locale_of;
use crate::admin::actor::may_change;
use crate::admin::actor::profile;
use crate::admin::command::Command;
use crate::admin::commands::connect::connect;
use crate::admin::commands::connect::connect_callback;
use crate::admin::commands::list::list;
use crate::admin::commands::rule::find_rule;
use crate::admin::commands::rule::test_by_command;
use crate::admin::commands::sync::sync;
use crate::admin::modals::rule::edit_modal;
use crate::admin::modals::rule::error_sample;
use crate::admin::modals::rule::known_meeting_types;
use crate::admin::modals::rule::preview_area;
use crate::admin::reply::ephemeral;
use crate::admin::reply::failure;
use crate::admin::reply::help;
use crate::admin::reply::refusal;
use crate::admin::reply::section;
use crate::admin::views::{preview, rule_modal as modal, texts};
use crate::core::catalog::Lang;
use crate::core::rule::Rule;
use crate::workspace::Workspace;

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
pub(crate) async fn open_modal(
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
