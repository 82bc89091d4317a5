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
use emulator::slack::SlackEmulator;
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::{ClientError, Herald};
use super::seed::{self, World};
use messages::{command, delete, edit, ephemerals, say};
use views::{action, close, home, options, submit};

mod messages;
mod views;

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
    /// The thread it shows in (that of the message the action came from).
    thread_ts: Option<String>,
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
    /// callback`; it is new on every run), on the first run links the two members to
    /// the platform's operators `op_aiko` and `op_sam` (so their replies are sent, not
    /// held), and delivers the first sample booking.
    pub async fn prepare(&self, first_run: bool) -> Result<(), ClientError> {
        let p = self.parts();
        let mut commands = vec![format!("connect callback {}", p.platform.url())];
        if first_run {
            for (operator, member) in [
                ("op_aiko", &p.world.members[0]),
                ("op_sam", &p.world.members[1]),
            ] {
                commands.push(format!("operator link {operator} <@{member}>"));
            }
        }
        let dm = p.slack.dm_with(&p.world.team_id, &p.world.admin);
        for text in commands {
            let fields =
                p.slack
                    .slash_command(&p.world.team_id, &p.world.admin, &dm, "/herald", &text);
            let answer = p.herald.form("/slack/commands", &fields).await?;
            if answer.status != 200 {
                tracing::warn!(command = %text, status = answer.status, "the playground's set-up command failed");
            }
        }
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

/// Every route of the page, for a playground listening on `listen`.
pub fn routes(playground: Playground, listen: std::net::SocketAddr) -> Router {
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
        .route("/try/api/samples", get(samples))
        .route("/try/api/platform", post(platform))
        .with_state(playground)
        .layer(axum::middleware::from_fn_with_state(
            listen,
            super::host::check,
        ))
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
    // A person the page remembers from another run may not exist now: show the admin.
    let user = q
        .user
        .filter(|u| pg.is_person(u))
        .unwrap_or_else(|| p.world.admin.clone());
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

/// The Platform panel's examples, one per kind of event, made now.
async fn samples(State(pg): State<Playground>) -> Json<Value> {
    let samples: Vec<Value> = seed::samples(&pg.parts().world)
        .into_iter()
        .map(|(name, body)| json!({"name": name, "body": body}))
        .collect();
    Json(Value::Array(samples))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sidebar_shows_public_channels_the_persons_private_ones_and_their_own_dm() {
        let table = [
            (json!({"is_private": false, "members": []}), true),
            (json!({"is_private": true, "members": ["U1"]}), true),
            (json!({"is_private": true, "members": ["U2"]}), false),
            (json!({"is_im": true, "user": "U1"}), true),
            (json!({"is_im": true, "user": "U2"}), false),
        ];
        for (channel, shown) in table {
            assert_eq!(visible_to(&channel, "U1"), shown, "{channel}");
        }
    }
}
