//! The page's API: what the local Slack shows a person, and what they do there, each
//! turned into the request Slack (or the platform) would send Herald.
//!
//! Every `POST` takes JSON (`content-type: application/json`), so another site open in
//! the same browser cannot drive the playground with a plain form post.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use emulator::platform::FakePlatform;
use emulator::slack::{SlackEmulator, SubmissionOutcome};
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::{ClientError, Herald};
use super::seed::{self, World};

/// What the playground is made of.
pub struct Parts {
    pub slack: Arc<SlackEmulator>,
    pub platform: Arc<FakePlatform>,
    pub world: World,
    pub herald: Herald,
}

#[derive(Clone)]
pub struct Playground(Arc<Inner>);

struct Inner {
    parts: Parts,
    seen: Mutex<Seen>,
}

/// What Slack's client keeps that the emulator does not: the answers it showed one
/// person ("Only visible to you") and the errors shown in an open modal.
#[derive(Default)]
struct Seen {
    answers: Vec<Answer>,
    /// Ephemeral messages Herald replaced or deleted through their `response_url`.
    replaced: Vec<String>,
    modal_errors: HashMap<String, Value>,
}

/// An ephemeral answer to one person's command or button, in one channel.
struct Answer {
    user: String,
    channel: String,
    /// When it was given (orders it among the channel's messages).
    ts: String,
    /// The command as typed, for a command's answer.
    label: Option<String>,
    /// The HTTP answer, when it was a message.
    body: Option<Value>,
    response_url: String,
    /// The ephemeral message the action came from (`replace_original` replaces it).
    from_ephemeral: Option<String>,
}

type Reply = Result<Json<Value>, Refusal>;

/// A request the page should not have made, or Herald not answering.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

impl From<ClientError> for Refusal {
    fn from(e: ClientError) -> Self {
        Refusal(StatusCode::BAD_GATEWAY, e.to_string())
    }
}

fn bad(message: impl Into<String>) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, message.into())
}

impl Playground {
    pub fn new(parts: Parts) -> Self {
        Self(Arc::new(Inner {
            parts,
            seen: Mutex::new(Seen::default()),
        }))
    }

    fn parts(&self) -> &Parts {
        &self.0.parts
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.0
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Connects the platform's callback URL (as the admin would, with `/herald connect
    /// callback`) and delivers the first sample booking.
    pub async fn prepare(&self) -> Result<(), ClientError> {
        let p = self.parts();
        let dm = p.slack.dm_with(&p.world.team_id, &p.world.admin);
        let text = format!("connect callback {}", p.platform.url());
        let fields = p
            .slack
            .slash_command(&p.world.team_id, &p.world.admin, &dm, "/herald", &text);
        p.herald.form("/slack/commands", &fields).await?;
        let (_, booking) = seed::samples(&p.world).swap_remove(0);
        p.herald
            .platform_event(booking.to_string().as_bytes())
            .await?;
        Ok(())
    }

    fn is_person(&self, user: &str) -> bool {
        let p = self.parts();
        p.slack
            .users(&p.world.team_id)
            .iter()
            .any(|u| u["id"] == user && u["is_bot"] != true)
    }

    fn person(&self, user: &str) -> Result<(), Refusal> {
        if self.is_person(user) {
            Ok(())
        } else {
            Err(bad(format!("nobody in the workspace is {user}")))
        }
    }

    fn record(&self, answer: Answer) {
        self.seen().answers.push(answer);
    }
}

/// Every route of the page.
pub fn routes(playground: Playground) -> Router {
    Router::new()
        .route("/", get(super::page::index))
        .route("/try/app.js", get(super::page::script))
        .route("/try/style.css", get(super::page::style))
        .route("/try/api/state", get(state))
        .route("/try/api/say", post(say))
        .route("/try/api/edit", post(edit))
        .route("/try/api/delete", post(delete))
        .route("/try/api/command", post(command))
        .route("/try/api/action", post(action))
        .route("/try/api/submit", post(submit))
        .route("/try/api/close", post(close))
        .route("/try/api/options", post(options))
        .route("/try/api/home", post(home))
        .route("/try/api/platform", post(platform))
        .with_state(playground)
}

#[derive(Deserialize)]
struct StateQuery {
    user: Option<String>,
    channel: Option<String>,
}

/// What the person sees: the sidebar, the channel they opened (with their ephemerals),
/// their open modal and Home tab, and the platform's side.
async fn state(State(pg): State<Playground>, Query(q): Query<StateQuery>) -> Reply {
    let p = pg.parts();
    let team = &p.world.team_id;
    let user = q.user.unwrap_or_else(|| p.world.admin.clone());
    pg.person(&user)?;
    let people = p.slack.users(team);
    let channels: Vec<Value> = p
        .slack
        .conversations(team)
        .into_iter()
        .filter(|c| visible_to(c, &user))
        .collect();
    let channel = q
        .channel
        .filter(|id| channels.iter().any(|c| c["id"] == id.as_str()))
        .unwrap_or_else(|| p.world.bookings.clone());
    let messages = p.slack.messages(&channel);
    let ephemerals = ephemerals(&pg, &user, &channel);
    let modal = p.slack.open_modal(team, &user);
    let modal_errors = modal
        .as_ref()
        .and_then(|m| m["id"].as_str())
        .and_then(|id| pg.seen().modal_errors.get(id).cloned())
        .unwrap_or(Value::Null);
    let callbacks: Vec<Value> = p
        .platform
        .received()
        .into_iter()
        .map(|r| {
            json!({
                "path": r.path,
                "webhook_id": r.webhook_id,
                "status": r.status,
                "signature_ok": r.signature_ok,
                "signature_error": r.signature_error,
                "body": r.body,
            })
        })
        .collect();
    let samples: Vec<Value> = seed::samples(&p.world)
        .into_iter()
        .map(|(name, body)| json!({"name": name, "body": body}))
        .collect();
    Ok(Json(json!({
        "team": {"id": team, "name": "Acme (playground)"},
        "bot_user_id": p.world.bot_user_id,
        "me": user,
        "people": people,
        "groups": p.slack.usergroups(team),
        "channels": channels,
        "channel": channel,
        "messages": messages,
        "ephemerals": ephemerals,
        "modal": modal,
        "modal_errors": modal_errors,
        "home": p.slack.home_view(team, &user),
        "callbacks": callbacks,
        "samples": samples,
    })))
}

/// A channel shows in a person's sidebar when they are in it, or it is public; a DM
/// only to its person.
fn visible_to(channel: &Value, user: &str) -> bool {
    if channel["is_im"] == true {
        return channel["user"] == user;
    }
    let member = channel["members"]
        .as_array()
        .is_some_and(|m| m.iter().any(|id| id == user));
    member || channel["is_private"] != true
}

/// The person's ephemerals in the channel: what Herald posted with `chat.postEphemeral`,
/// and the answers to their commands and buttons (the HTTP answer, then what came to its
/// `response_url`), minus the ones later replaced or deleted. Oldest first.
fn ephemerals(pg: &Playground, user: &str, channel: &str) -> Vec<Value> {
    let p = pg.parts();
    let seen = pg.seen();
    let mut out: Vec<Value> = p
        .slack
        .ephemerals(channel)
        .into_iter()
        .filter(|e| e["user"] == user)
        .filter(|e| {
            e["message_ts"]
                .as_str()
                .is_none_or(|ts| !seen.replaced.iter().any(|r| r == ts))
        })
        .map(|e| json!({"ts": e["message_ts"], "text": e["text"], "blocks": e["blocks"], "thread_ts": e["thread_ts"]}))
        .collect();
    for (i, a) in seen
        .answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.user == user && a.channel == channel)
    {
        let id = format!("answer-{i}");
        let mut shown = Vec::new();
        if let Some(body) = &a.body {
            shown.push(body.clone());
        }
        for posted in p.slack.responses(&a.response_url) {
            let replace = posted["replace_original"] == true || posted["delete_original"] == true;
            if replace {
                shown.clear();
            }
            if posted["delete_original"] != true {
                shown.push(posted);
            }
        }
        for (n, body) in shown.into_iter().enumerate() {
            out.push(json!({
                "ts": a.ts, "id": format!("{id}-{n}"), "label": a.label,
                "text": body["text"], "blocks": body["blocks"],
            }));
        }
    }
    out
}

#[derive(Deserialize)]
struct Say {
    user: String,
    channel: String,
    thread_ts: Option<String>,
    text: String,
}

/// A person posts: Slack stores the message and, in a channel the bot is in, sends the
/// `message` event.
async fn say(State(pg): State<Playground>, Json(s): Json<Say>) -> Reply {
    pg.person(&s.user)?;
    if s.text.trim().is_empty() {
        return Err(bad("an empty message"));
    }
    let p = pg.parts();
    let channel = conversation(&pg, &s.channel)?;
    if channel["is_archived"] == true {
        return Err(bad("this channel is archived"));
    }
    let thread = s.thread_ts.as_deref().filter(|t| !t.is_empty());
    if channel["is_member"] != true && channel["is_im"] != true {
        let ts = p.slack.post_as_user(&s.channel, &s.user, &s.text, thread);
        return Ok(Json(json!({"ts": ts, "event": false})));
    }
    let (ts, event) = p.slack.user_message(&s.channel, &s.user, &s.text, thread);
    let answer = p.herald.event(&event).await?;
    Ok(Json(
        json!({"ts": ts, "event": true, "status": answer.status}),
    ))
}

fn conversation(pg: &Playground, id: &str) -> Result<Value, Refusal> {
    let p = pg.parts();
    p.slack
        .conversations(&p.world.team_id)
        .into_iter()
        .find(|c| c["id"] == id)
        .ok_or_else(|| bad(format!("no channel {id}")))
}

/// The message `ts` of `channel` written by `user`, or a refusal (Slack lets people
/// edit and delete only their own messages).
fn own_message(pg: &Playground, user: &str, channel: &str, ts: &str) -> Result<Value, Refusal> {
    pg.person(user)?;
    let channel_value = conversation(pg, channel)?;
    pg.parts()
        .slack
        .messages(channel)
        .into_iter()
        .find(|m| m["ts"] == ts && m["user"] == user)
        .map(|_| channel_value)
        .ok_or_else(|| bad("only your own messages can be edited or deleted"))
}

#[derive(Deserialize)]
struct Edit {
    user: String,
    channel: String,
    ts: String,
    text: String,
}

async fn edit(State(pg): State<Playground>, Json(e): Json<Edit>) -> Reply {
    let channel = own_message(&pg, &e.user, &e.channel, &e.ts)?;
    let event = pg.parts().slack.user_edit(&e.channel, &e.ts, &e.text);
    forward_if_member(&pg, &channel, &event).await
}

#[derive(Deserialize)]
struct Delete {
    user: String,
    channel: String,
    ts: String,
}

async fn delete(State(pg): State<Playground>, Json(d): Json<Delete>) -> Reply {
    let channel = own_message(&pg, &d.user, &d.channel, &d.ts)?;
    let event = pg.parts().slack.user_delete(&d.channel, &d.ts);
    forward_if_member(&pg, &channel, &event).await
}

/// Slack sends a channel's events only to an app whose bot is in it.
async fn forward_if_member(pg: &Playground, channel: &Value, event: &Value) -> Reply {
    if channel["is_member"] == true || channel["is_im"] == true {
        let answer = pg.parts().herald.event(event).await?;
        return Ok(Json(json!({"event": true, "status": answer.status})));
    }
    Ok(Json(json!({"event": false})))
}

#[derive(Deserialize)]
struct Command {
    user: String,
    channel: String,
    /// As typed: `/herald add`.
    text: String,
}

/// A slash command: Slack posts the form, shows the answer only to the person, and keeps
/// the `response_url` for later answers.
async fn command(State(pg): State<Playground>, Json(c): Json<Command>) -> Reply {
    pg.person(&c.user)?;
    conversation(&pg, &c.channel)?;
    let typed = c.text.trim();
    let (name, text) = typed.split_once(' ').unwrap_or((typed, ""));
    if name != "/herald" {
        // Slack's own answer to a command no installed app has.
        return Ok(Json(json!({"unknown_command": format!(
            "{name} is not a valid command. In Slack, all messages that start with the \"/\" character are interpreted as commands."
        )})));
    }
    let p = pg.parts();
    let fields = p
        .slack
        .slash_command(&p.world.team_id, &c.user, &c.channel, name, text.trim());
    let response_url = fields
        .iter()
        .find(|(k, _)| k == "response_url")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let answer = p.herald.form("/slack/commands", &fields).await?;
    let body = match answer.status {
        200 if answer.body.is_empty() => None,
        200 => Some(answer.json()),
        // What Slack shows when the app's answer is not a 200.
        status => Some(
            json!({"text": format!("/herald failed with the error \"http_service_error\" (HTTP {status})")}),
        ),
    };
    pg.record(Answer {
        user: c.user,
        channel: c.channel,
        ts: now_ts(),
        label: Some(typed.to_string()),
        body,
        response_url,
        from_ephemeral: None,
    });
    Ok(Json(json!({"status": answer.status})))
}

#[derive(Deserialize)]
struct Action {
    user: String,
    /// A view's element (a modal's), or `home` for the Home tab, or a message's.
    view_id: Option<String>,
    #[serde(default)]
    home: bool,
    channel: Option<String>,
    ts: Option<String>,
    #[serde(default)]
    ephemeral: bool,
    /// The view's `state.values` as the person left them.
    values: Option<Value>,
    action: Value,
}

/// A person uses a button or a select: `block_actions`, as Slack sends it for the
/// container it is in.
async fn action(State(pg): State<Playground>, Json(a): Json<Action>) -> Reply {
    pg.person(&a.user)?;
    let p = pg.parts();
    let team = &p.world.team_id;
    let payload = match (
        a.view_id.as_deref(),
        a.home,
        a.channel.as_deref(),
        a.ts.as_deref(),
    ) {
        (Some(view), _, _, _) => {
            let shown = p.slack.open_modal(team, &a.user);
            if shown.as_ref().is_none_or(|m| m["id"] != view) {
                return Err(bad("that modal is not open"));
            }
            if let Some(values) = a.values.filter(Value::is_object) {
                p.slack.set_view_state(view, values);
            }
            p.slack.block_actions(Some(view), &a.user, team, a.action)
        }
        (None, true, _, _) => {
            if p.slack.home_view(team, &a.user).is_none() {
                return Err(bad("no Home tab is published for you yet"));
            }
            p.slack.block_actions(None, &a.user, team, a.action)
        }
        (None, false, Some(channel), Some(ts)) => {
            let Some(payload) =
                p.slack
                    .message_block_actions(channel, ts, &a.user, a.ephemeral, a.action)
            else {
                return Err(bad("no such message"));
            };
            let response_url = payload["response_url"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            pg.record(Answer {
                user: a.user.clone(),
                channel: channel.to_string(),
                ts: now_ts(),
                label: None,
                body: None,
                response_url,
                from_ephemeral: a.ephemeral.then(|| ts.to_string()),
            });
            payload
        }
        _ => return Err(bad("an action needs a view_id, home, or a channel and ts")),
    };
    let answer = p
        .herald
        .interaction("/slack/interactions", &payload)
        .await?;
    forget_replaced(&pg);
    Ok(Json(json!({"status": answer.status})))
}

/// Ephemeral messages whose action's `response_url` was answered with
/// `replace_original` or `delete_original` show no more.
fn forget_replaced(pg: &Playground) {
    let p = pg.parts();
    let mut seen = pg.seen();
    let replaced: Vec<String> = seen
        .answers
        .iter()
        .filter_map(|a| {
            let original = a.from_ephemeral.as_ref()?;
            p.slack
                .responses(&a.response_url)
                .iter()
                .any(|r| r["replace_original"] == true || r["delete_original"] == true)
                .then(|| original.clone())
        })
        .collect();
    seen.replaced = replaced;
}

#[derive(Deserialize)]
struct Submit {
    user: String,
    view_id: String,
    values: Value,
}

/// A person submits the modal: `view_submission`, and Slack applies Herald's answer
/// (close, errors beside the inputs, update, push, clear).
async fn submit(State(pg): State<Playground>, Json(s): Json<Submit>) -> Reply {
    pg.person(&s.user)?;
    let p = pg.parts();
    let open = p.slack.open_modal(&p.world.team_id, &s.user);
    if open.as_ref().is_none_or(|m| m["id"] != s.view_id.as_str()) {
        return Err(bad("that modal is not open"));
    }
    if !s.values.is_object() {
        return Err(bad("values must be an object"));
    }
    let payload = p.slack.view_submission(&s.view_id, &s.user, s.values);
    let answer = p
        .herald
        .interaction("/slack/interactions", &payload)
        .await?;
    if answer.status != 200 {
        // Slack keeps the modal open and shows its own error.
        return Ok(Json(json!({"outcome": "error", "status": answer.status})));
    }
    let outcome = p.slack.answer_submission(&s.view_id, &answer.json());
    let mut seen = pg.seen();
    seen.modal_errors.remove(&s.view_id);
    let shown = match outcome {
        SubmissionOutcome::Closed => json!({"outcome": "closed"}),
        SubmissionOutcome::Cleared => json!({"outcome": "cleared"}),
        SubmissionOutcome::Updated => json!({"outcome": "updated"}),
        SubmissionOutcome::Pushed(id) => json!({"outcome": "pushed", "view_id": id}),
        SubmissionOutcome::Errors(errors) => {
            seen.modal_errors.insert(s.view_id.clone(), errors.clone());
            json!({"outcome": "errors", "errors": errors})
        }
        SubmissionOutcome::Refused(why) => json!({"outcome": "error", "error": why}),
    };
    Ok(Json(shown))
}

#[derive(Deserialize)]
struct Close {
    user: String,
    view_id: String,
}

async fn close(State(pg): State<Playground>, Json(c): Json<Close>) -> Reply {
    pg.person(&c.user)?;
    let p = pg.parts();
    if let Some(payload) = p.slack.close_modal(&c.view_id, &c.user) {
        p.herald
            .interaction("/slack/interactions", &payload)
            .await?;
    }
    Ok(Json(json!({"outcome": "closed"})))
}

#[derive(Deserialize)]
struct Options {
    user: String,
    view_id: String,
    block_id: String,
    action_id: String,
    value: String,
}

/// A person types into an external select: once `min_query_length` characters are in
/// (3 unless the element says), Slack asks the app's options load URL.
async fn options(State(pg): State<Playground>, Json(o): Json<Options>) -> Reply {
    pg.person(&o.user)?;
    let p = pg.parts();
    let team = &p.world.team_id;
    let Some(view) = p
        .slack
        .open_modal(team, &o.user)
        .filter(|m| m["id"] == o.view_id.as_str())
    else {
        return Err(bad("that modal is not open"));
    };
    let Some(min) = external_select_min(&view, &o.block_id, &o.action_id) else {
        return Err(bad("no such external select"));
    };
    if o.value.chars().count() < min {
        return Ok(Json(json!({"options": [], "waiting_for": min})));
    }
    let payload = p.slack.block_suggestion(
        &o.view_id,
        &o.user,
        team,
        &o.action_id,
        &o.block_id,
        &o.value,
    );
    let answer = p.herald.interaction("/slack/options", &payload).await?;
    Ok(Json(answer.json()))
}

/// The `min_query_length` of the external select (`block_id`, `action_id`) of `view`.
fn external_select_min(view: &Value, block_id: &str, action_id: &str) -> Option<usize> {
    let block = view["blocks"]
        .as_array()?
        .iter()
        .find(|b| b["block_id"] == block_id)?;
    let mut elements = vec![&block["element"], &block["accessory"]];
    elements.extend(block["elements"].as_array().into_iter().flatten());
    elements
        .into_iter()
        .find(|e| {
            e["action_id"] == action_id
                && matches!(
                    e["type"].as_str(),
                    Some("external_select" | "multi_external_select")
                )
        })
        .map(|e| e["min_query_length"].as_u64().unwrap_or(3) as usize)
}

#[derive(Deserialize)]
struct Person {
    user: String,
}

/// A person opens the app's Home tab: `app_home_opened`, and Herald publishes the view.
async fn home(State(pg): State<Playground>, Json(h): Json<Person>) -> Reply {
    pg.person(&h.user)?;
    let p = pg.parts();
    let event = p.slack.open_app_home(&p.world.team_id, &h.user, "home");
    let answer = p.herald.event(&event).await?;
    Ok(Json(json!({"status": answer.status})))
}

#[derive(Deserialize)]
struct PlatformEvent {
    /// Sent as typed: Herald is the one to say what is wrong with it.
    body: String,
}

/// The platform sends an event: signed with the connection's secret and a new id.
async fn platform(State(pg): State<Playground>, Json(e): Json<PlatformEvent>) -> Reply {
    let answer = pg.parts().herald.platform_event(e.body.as_bytes()).await?;
    Ok(Json(
        json!({"status": answer.status, "body": answer.json()}),
    ))
}

/// Now as a Slack `ts` (`seconds.micros`), to order answers among messages.
fn now_ts() -> String {
    let micros = crate::store::now_ms() * 1000;
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// The page's files, served as they are in the binary.
pub fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
