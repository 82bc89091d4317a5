//! `/herald`, one file per subcommand (the mini-redis / bors shape). The dispatcher
//! resolves the [`Actor`] once; commands that change Herald take an [`Admin`], which
//! only `Actor::require_admin` makes, so forgetting the check does not compile.
//!
//! To add a subcommand: a variant and its parse arm in `admin::command::Command` (and
//! `changes_settings` if it changes anything), a file here with its `run`, and one arm
//! below.

pub mod admins;
pub mod connect;
pub mod dm;
pub mod lang;
pub mod list;
pub mod log;
pub mod open;
pub mod operator;
pub mod reactions;
pub mod rule;
pub mod sync;
pub mod why;

use serde_json::Value;
use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::{Actor, Admin, Unresolved};
use crate::admin::command::Command;
use crate::admin::reply::{failure, help, refusal, say};
use crate::admin::views::texts;
use crate::core::catalog::Lang;
use crate::workspace::Workspace;

/// Answers one `/herald` command.
#[tracing::instrument(skip_all, fields(team_id = %event.team_id, user = %event.user_id))]
pub async fn handle_command(cx: &AdminCtx, event: &SlackCommandEvent) -> SlackCommandEventResponse {
    let actor = match Actor::resolve(cx, event.team_id.as_ref(), event.user_id.as_ref()).await {
        Ok(actor) => actor,
        Err(Unresolved::NotConnected) => return say(texts::not_connected(Lang::En).into()),
        Err(err) => return failure(Lang::En, &err),
    };
    let command = Command::parse(event.text.as_deref().unwrap_or_default());
    tracing::info!(?command, "command");
    if command.changes_settings() {
        return match actor.require_admin(cx).await {
            Ok(admin) => for_admin(cx, &admin, event, command).await,
            Err(actor) => refusal(actor.lang()),
        };
    }
    for_member(cx, &actor, command).await
}

/// The commands that change Herald.
async fn for_admin(
    cx: &AdminCtx,
    admin: &Admin,
    event: &SlackCommandEvent,
    command: Command,
) -> SlackCommandEventResponse {
    let trigger = event.trigger_id.as_ref();
    match command {
        Command::Add => open::add(cx, admin, trigger).await,
        Command::Errors => open::errors(cx, admin, trigger).await,
        Command::Import => open::import(cx, admin, trigger).await,
        Command::Disconnect => open::disconnect(cx, admin, trigger).await,
        Command::Edit(reference) => rule::edit(cx, admin, trigger, &reference).await,
        Command::Delete(reference) => rule::delete(cx, admin, trigger, &reference).await,
        Command::Test(reference) => rule::test(cx, admin, event, &reference).await,
        Command::Connect { rotate } => connect::show(cx, admin, rotate).await,
        Command::ConnectCallback(url) => connect::callback(cx, admin, &url).await,
        Command::Sync => sync::start(cx, admin, event).await,
        Command::Why(reference) => why::run(cx, admin, &reference).await,
        Command::Log { days } => log::start(cx, admin, event, days),
        Command::Lang(Some(new)) => lang::set(cx, admin, new).await,
        Command::Reactions(Some(on)) => reactions::set(cx, admin, on).await,
        Command::OperatorLink {
            operator,
            user: Some(target),
        } => operator::move_link(cx, admin, &operator, &target).await,
        other => for_member(cx, admin, other).await,
    }
}

/// The commands open to every member of the workspace.
async fn for_member(cx: &AdminCtx, actor: &Actor, command: Command) -> SlackCommandEventResponse {
    let lang = actor.lang();
    match command {
        Command::Help => help(lang, None),
        Command::Unknown(word) => help(lang, Some(texts::unknown(lang, &word))),
        Command::Invalid {
            subcommand,
            argument,
        } => help(lang, Some(texts::invalid(lang, subcommand, &argument))),
        Command::List { channel } => list::rules(cx, actor, channel.as_ref()).await,
        Command::Export => list::export(cx, actor).await,
        Command::Lang(None) => lang::show(actor),
        Command::Reactions(None) => reactions::show(cx, actor).await,
        Command::Dm(on) => dm::run(cx, actor, on).await,
        Command::Away(away) => operator::away(cx, actor, away).await,
        Command::OperatorLink {
            operator,
            user: None,
        } => operator::link_self(cx, actor, &operator).await,
        Command::Admins(None) => admins::list(cx, actor).await,
        Command::Admins(Some((add, target))) => admins::change(cx, actor, add, &target).await,
        Command::Audit => admins::audit(cx, actor).await,
        // The rest change Herald: they take an `Admin`, which a member does not have.
        _ => refusal(lang),
    }
}

/// Opens a modal from a command. The trigger expires 3 seconds after the command, so
/// this comes before anything slow.
pub(crate) async fn open_modal(
    cx: &AdminCtx,
    workspace: &Workspace,
    trigger_id: &str,
    view: Value,
    lang: Lang,
) -> SlackCommandEventResponse {
    match cx
        .slack
        .open_view(workspace.bot_token.expose(), trigger_id, view)
        .await
    {
        Ok(_) => SlackCommandEventResponse::new(SlackMessageContent::new()),
        Err(err) => {
            tracing::warn!(error = %err, "could not open a modal");
            say(texts::modal_failed(lang).into())
        }
    }
}
