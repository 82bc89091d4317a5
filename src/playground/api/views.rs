//! What a person does in Block Kit: buttons and selects (`block_actions`), modals
//! (submitted, closed, external selects' options) and the Home tab.

use axum::Json;
use axum::extract::State;
use emulator::slack::SubmissionOutcome;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Answer, Playground, Reply, bad, now_ts};

#[derive(Deserialize)]
pub(super) struct Action {
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
pub(super) async fn action(State(pg): State<Playground>, Json(a): Json<Action>) -> Reply {
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
            // The answer shows in the thread of the message pressed.
            let thread_ts = if a.ephemeral {
                p.slack
                    .ephemerals(channel)
                    .into_iter()
                    .find(|e| e["message_ts"] == ts)
                    .and_then(|e| e["thread_ts"].as_str().map(String::from))
            } else {
                payload["message"]["thread_ts"].as_str().map(String::from)
            };
            pg.record(Answer {
                user: a.user.clone(),
                channel: channel.to_string(),
                ts: now_ts(),
                label: None,
                body: None,
                response_url,
                from_ephemeral: a.ephemeral.then(|| ts.to_string()),
                thread_ts,
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
pub(super) struct Submit {
    user: String,
    view_id: String,
    values: Value,
}

/// A person submits the modal: `view_submission`, and Slack applies Herald's answer
/// (close, errors beside the inputs, update, push, clear).
pub(super) async fn submit(State(pg): State<Playground>, Json(s): Json<Submit>) -> Reply {
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
pub(super) struct Close {
    user: String,
    view_id: String,
}

pub(super) async fn close(State(pg): State<Playground>, Json(c): Json<Close>) -> Reply {
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
pub(super) struct Options {
    user: String,
    view_id: String,
    block_id: String,
    action_id: String,
    value: String,
}

/// A person types into an external select: once `min_query_length` characters are in
/// (3 unless the element says), Slack asks the app's options load URL.
pub(super) async fn options(State(pg): State<Playground>, Json(o): Json<Options>) -> Reply {
    pg.person(&o.user)?;
    let p = pg.parts();
    let team = &p.world.team_id;
    let open = p.slack.open_modal(team, &o.user);
    if open.is_none_or(|m| m["id"] != o.view_id.as_str()) {
        return Err(bad("that modal is not open"));
    }
    let Some(min) = p
        .slack
        .suggestion_min_length(&o.view_id, &o.block_id, &o.action_id)
    else {
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

#[derive(Deserialize)]
pub(super) struct Person {
    user: String,
}

/// A person opens the app's Home tab: `app_home_opened`, and Herald publishes the view.
pub(super) async fn home(State(pg): State<Playground>, Json(h): Json<Person>) -> Reply {
    pg.person(&h.user)?;
    let p = pg.parts();
    let event = p.slack.open_app_home(&p.world.team_id, &h.user, "home");
    let answer = p.herald.event(&event).await?;
    Ok(Json(json!({"status": answer.status})))
}
