//! What a person writes: messages (posted, edited, deleted) and slash commands, and the
//! ephemeral answers Slack shows them alone.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Answer, Playground, Refusal, Reply, bad, now_ts};

/// The person's ephemerals in the channel: what Herald posted with `chat.postEphemeral`,
/// and the answers to their commands and buttons (the HTTP answer, then what came to its
/// `response_url`), minus the ones later replaced or deleted. Oldest first.
pub(super) fn ephemerals(pg: &Playground, user: &str, channel: &str) -> Vec<Value> {
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
        if let Some(body) = a.body.as_ref().filter(|b| shows_something(b)) {
            shown.push(body.clone());
        }
        for posted in p.slack.responses(&a.response_url) {
            let replace = posted["replace_original"] == true || posted["delete_original"] == true;
            if replace {
                shown.clear();
            }
            if posted["delete_original"] != true && shows_something(&posted) {
                shown.push(posted);
            }
        }
        for (n, body) in shown.into_iter().enumerate() {
            out.push(json!({
                "ts": a.ts, "id": format!("{id}-{n}"), "label": a.label,
                "text": body["text"], "blocks": body["blocks"], "thread_ts": a.thread_ts,
            }));
        }
    }
    out
}

/// A message body Slack would show: one with text or blocks.
fn shows_something(body: &Value) -> bool {
    body["text"].as_str().is_some_and(|t| !t.is_empty())
        || body["blocks"].as_array().is_some_and(|b| !b.is_empty())
}

#[derive(Deserialize)]
pub(super) struct Say {
    user: String,
    channel: String,
    thread_ts: Option<String>,
    text: String,
}

/// A person posts: Slack stores the message and, in a channel the bot is in, sends the
/// `message` event.
pub(super) async fn say(State(pg): State<Playground>, Json(s): Json<Say>) -> Reply {
    pg.person(&s.user)?;
    if s.text.trim().is_empty() {
        return Err(bad("an empty message"));
    }
    let p = pg.parts();
    let channel = conversation(&pg, &s.channel)?;
    may_write(&channel, &s.user)?;
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
/// Slack lets a person write where they may read and the channel is not archived: a
/// public channel (posting joins it), a private one they are in, their own DM.
fn may_write(channel: &Value, user: &str) -> Result<(), Refusal> {
    let member = channel["members"]
        .as_array()
        .is_some_and(|m| m.iter().any(|id| id == user));
    if channel["is_archived"] == true {
        Err(bad("this channel is archived"))
    } else if channel["is_im"] == true && channel["user"] != user {
        Err(bad("this is someone else's DM"))
    } else if channel["is_private"] == true && !member {
        Err(bad("you are not in this private channel"))
    } else {
        Ok(())
    }
}

fn own_message(pg: &Playground, user: &str, channel: &str, ts: &str) -> Result<Value, Refusal> {
    pg.person(user)?;
    let channel_value = conversation(pg, channel)?;
    may_write(&channel_value, user)?;
    if channel_value["is_member"] != true && channel_value["is_im"] != true {
        // The local Slack edits and deletes through the events it sends Herald.
        return Err(bad(
            "the playground edits and deletes messages only where Herald is",
        ));
    }
    pg.parts()
        .slack
        .messages(channel)
        .into_iter()
        .find(|m| m["ts"] == ts && m["user"] == user)
        .map(|_| channel_value)
        .ok_or_else(|| bad("only your own messages can be edited or deleted"))
}

#[derive(Deserialize)]
pub(super) struct Edit {
    user: String,
    channel: String,
    ts: String,
    text: String,
}

pub(super) async fn edit(State(pg): State<Playground>, Json(e): Json<Edit>) -> Reply {
    let channel = own_message(&pg, &e.user, &e.channel, &e.ts)?;
    let event = pg.parts().slack.user_edit(&e.channel, &e.ts, &e.text);
    forward_if_member(&pg, &channel, &event).await
}

#[derive(Deserialize)]
pub(super) struct Delete {
    user: String,
    channel: String,
    ts: String,
}

pub(super) async fn delete(State(pg): State<Playground>, Json(d): Json<Delete>) -> Reply {
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
pub(super) struct Command {
    user: String,
    channel: String,
    /// As typed: `/herald add`.
    text: String,
}

/// A slash command: Slack posts the form, shows the answer only to the person, and keeps
/// the `response_url` for later answers.
pub(super) async fn command(State(pg): State<Playground>, Json(c): Json<Command>) -> Reply {
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
        thread_ts: None,
    });
    Ok(Json(json!({"status": answer.status})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_writes_only_where_slack_lets_them() {
        let public = json!({"is_private": false, "members": []});
        let private = json!({"is_private": true, "members": ["U1"]});
        let archived = json!({"is_archived": true, "members": ["U1"]});
        let dm = json!({"is_im": true, "user": "U1", "members": ["U1", "UBOT"]});
        let table = [
            (&public, "U2", true),
            (&private, "U1", true),
            (&private, "U2", false),
            (&archived, "U1", false),
            (&dm, "U1", true),
            (&dm, "U2", false),
        ];
        for (channel, user, allowed) in table {
            assert_eq!(
                may_write(channel, user).is_ok(),
                allowed,
                "{user} in {channel}"
            );
        }
    }

    #[test]
    fn an_answer_shows_only_when_it_has_text_or_blocks() {
        for (body, shown) in [
            (json!({"text": "Done"}), true),
            (json!({"blocks": [{"type": "divider"}]}), true),
            (json!({"text": ""}), false),
            (json!({"response_type": "ephemeral"}), false),
            (Value::Null, false),
        ] {
            assert_eq!(shows_something(&body), shown, "{body}");
        }
    }
}
