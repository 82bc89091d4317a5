//! Reactions as actions: ✅ (`white_check_mark`) on a conversation's parent or on a
//! message in its thread asks the platform to close the conversation, 👀 (`eyes`) to
//! assign it to the person who reacted, as Plain's and Thena's users work. The person is
//! told, only them and in the thread, what was sent. Removing the reaction does nothing;
//! adding it again asks nothing again (one request per person, emoji and message). Herald's
//! own ✅ (an accepted reply) is never a request. `/herald reactions off` turns it off.
//!
//! A reaction names only the message (`item.channel`, `item.ts`), not its thread: the
//! thread is found from what Herald knows of that message: a parent it posted, a platform
//! message it posted in a thread, or a person's reply it forwarded.

use serde_json::Value;

use crate::conversations::ConversationsCtx;
use crate::store::{StoreError, Thread};
use crate::workspace::Workspace;

use super::requests::{Ask, Asked, send};

/// A person's reaction that asks something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    pub user: String,
    pub name: String,
    pub ask: Ask,
    pub channel: String,
    pub ts: String,
}

/// What an emoji asks, if anything.
pub fn ask_of(name: &str) -> Option<Ask> {
    match name {
        "white_check_mark" => Some(Ask::Close),
        "eyes" => Some(Ask::Assign),
        _ => None,
    }
}

/// Reads a `reaction_added` event; None for a reaction that asks nothing: another
/// emoji, on a file, or Herald's own.
pub fn read(event: &Value, bot_user: &str) -> Option<Reaction> {
    if event["type"].as_str() != Some("reaction_added") {
        return None;
    }
    let item = &event["item"];
    if item["type"].as_str() != Some("message") {
        return None;
    }
    let user = event["user"].as_str()?;
    if user == bot_user {
        return None;
    }
    let name = event["reaction"].as_str()?;
    Some(Reaction {
        user: user.to_string(),
        name: name.to_string(),
        ask: ask_of(name)?,
        channel: item["channel"].as_str()?.to_string(),
        ts: item["ts"].as_str()?.to_string(),
    })
}

/// The conversation thread the reacted message belongs to, if Herald knows it.
async fn thread_of(
    cx: &ConversationsCtx,
    team_id: &str,
    reaction: &Reaction,
) -> Result<Option<Thread>, StoreError> {
    let (channel, ts) = (reaction.channel.as_str(), reaction.ts.as_str());
    if let Some(parent) = cx.store.thread_by_ts(team_id, channel, ts).await? {
        return Ok(Some(parent));
    }
    if let Some(thread) = cx.store.thread_of_message(team_id, channel, ts).await? {
        return Ok(Some(thread));
    }
    let reply = super::replies::reply_event_id_of(channel, ts);
    match cx
        .store
        .forwarded_reply_thread(team_id, &reply, crate::delivery::callback::KIND)
        .await?
    {
        Some(thread_ts) => cx.store.thread_by_ts(team_id, channel, &thread_ts).await,
        None => Ok(None),
    }
}

/// Acts on a `reaction_added` event; returns whether it asked the platform something.
pub async fn react(
    cx: &ConversationsCtx,
    workspace: &Workspace,
    event: &Value,
) -> Result<bool, StoreError> {
    let Some(reaction) = read(event, &workspace.bot_user_id) else {
        return Ok(false);
    };
    let team_id = &workspace.team_id;
    if !cx.workspace_state.reactions_on(team_id).await {
        tracing::debug!("reactions as actions are off; reaction ignored");
        return Ok(false);
    }
    let Some(thread) = thread_of(cx, team_id, &reaction).await? else {
        return Ok(false);
    };
    let key = format!(
        "{team_id}:{}:{}:{}:{}",
        reaction.channel, reaction.ts, reaction.user, reaction.name
    );
    let on = Asked {
        user: &reaction.user,
        ts: &reaction.ts,
        event_id: &format!(
            "slack:{}:{}:{}",
            reaction.channel, reaction.ts, reaction.name
        ),
        once_per: Some(format!("reaction:{key}")),
    };
    if !send(cx, workspace, &thread, reaction.ask, &on).await? {
        tracing::debug!("the same reaction asked before; nothing sent again");
        return Ok(false);
    }
    tracing::info!(
        request = reaction.ask.callback_type(),
        "a reaction asked the platform"
    );
    let lang = cx.lang_for(workspace, &reaction.user).await;
    let text = format!(":{}: {}", reaction.name, reaction.ask.sent(lang));
    if let Err(err) = cx
        .slack
        .post_ephemeral(
            workspace.bot_token.expose(),
            &reaction.channel,
            &reaction.user,
            &text,
            Some(&thread.thread_ts),
        )
        .await
    {
        tracing::warn!(error = %err, "could not tell the person what their reaction sent");
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn added(user: &str, name: &str) -> Value {
        // docs.slack.dev/reference/events/reaction_added
        json!({"type": "reaction_added", "user": user, "reaction": name, "item_user": "U2",
               "item": {"type": "message", "channel": "C1", "ts": "1.000001"},
               "event_ts": "2.000001"})
    }

    #[test]
    fn check_mark_closes_and_eyes_assign() {
        let r = read(&added("U1", "white_check_mark"), "UBOT").unwrap();
        assert_eq!(
            (r.ask, r.channel.as_str(), r.ts.as_str()),
            (Ask::Close, "C1", "1.000001")
        );
        assert_eq!(read(&added("U1", "eyes"), "UBOT").unwrap().ask, Ask::Assign);
    }

    #[test]
    fn slacks_reference_payload_reads_after_slack_morphisms_parse() {
        // What Herald reads is slack-morphism's model of the event, serialized again.
        let fixture: Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/slack/reaction_added.json"
        ))
        .unwrap();
        let mut data = fixture["data"].clone();
        data["event"]["reaction"] = json!("eyes");
        let push: slack_morphism::prelude::SlackPushEvent = serde_json::from_value(data).unwrap();
        let slack_morphism::prelude::SlackPushEvent::EventCallback(callback) = push else {
            panic!("an event callback");
        };
        let body = serde_json::to_value(&callback.event).unwrap();
        let r = read(&body, "UBOT").expect("a request");
        assert_eq!(
            (r.ask, r.user.as_str(), r.channel.as_str(), r.ts.as_str()),
            (Ask::Assign, "U024BE7LH", "C0G9QF9GZ", "1360782400.498405")
        );
    }

    #[test]
    fn other_emoji_files_removals_and_heralds_own_ask_nothing() {
        assert!(read(&added("U1", "thumbsup"), "UBOT").is_none());
        assert!(
            read(&added("UBOT", "white_check_mark"), "UBOT").is_none(),
            "Herald's ✅ on an accepted reply is not a request"
        );
        let mut removed = added("U1", "white_check_mark");
        removed["type"] = json!("reaction_removed");
        assert!(read(&removed, "UBOT").is_none());
        let mut file = added("U1", "eyes");
        file["item"] = json!({"type": "file", "file": "F1"});
        assert!(read(&file, "UBOT").is_none());
    }
}
