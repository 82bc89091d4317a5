//! Conversations as threads (platform → Slack) and replies from those threads back to
//! the platform (Slack → platform), through the emulator and a fake platform that
//! checks Standard Webhooks signatures.

use std::time::Duration;

use serde_json::{Value, json};

use crate::fake_platform::FakePlatform;
use crate::helpers::{TEAM, TestApp, WEBHOOK_SECRET, eventually, json as answer_json, now};

pub(crate) fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "conversation.message.created", "channel": "#general", "mentions": []}
    ])
}

/// A conversation event as a chat inbox sends it.
pub(crate) fn chat(event_type: &str, conversation: &str, extra: Value) -> Value {
    let mut event = json!({
        "type": event_type,
        "occurred_at": "2026-11-21T10:00:00+09:00",
        "conversation": {"id": conversation, "state": "open", "page": "https://shop.example/pricing",
                         "assignee": {"id": "op_1", "email": "op@example.com", "name": "Operator"}},
        "customer": {"name": "山田 太郎"},
        "url": format!("https://inbox.example/conversations/{conversation}"),
    });
    let Value::Object(extra) = extra else {
        return event;
    };
    for (k, v) in extra {
        if k == "state" {
            event["conversation"]["state"] = v;
        } else {
            event[k] = v;
        }
    }
    event
}

pub(crate) fn message(id: &str, text: &str) -> Value {
    json!({"message": {"id": id, "text": text, "author": {"kind": "customer", "name": "山田 太郎"}}})
}

/// An app whose callbacks reach a fake platform, and the operator the events assign
/// (`op@example.com`), whose replies go under that operator's name.
pub(crate) async fn with_platform(
    rules: Value,
    options: crate::helpers::Options,
) -> (TestApp, FakePlatform, String) {
    let app = TestApp::start_with(rules, options).await;
    let platform = FakePlatform::start(WEBHOOK_SECRET).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    let answer = crate::commands::run(
        &app,
        &admin,
        &format!("connect callback {}", platform.url()),
    )
    .await;
    assert!(answer["text"].is_string(), "{answer}");
    let operator = app.emu.add_user(TEAM, "op", "op@example.com");
    (app, platform, operator)
}

/// Opens `conversation`'s thread in #general with a first message; its parent's ts.
pub(crate) async fn open_thread(app: &TestApp, conversation: &str) -> String {
    send_settled(
        app,
        &chat(
            "conversation.message.created",
            conversation,
            message(&format!("{conversation}_m1"), "hello"),
        ),
    )
    .await;
    parents(app)
        .iter()
        .find(|m| m.to_string().contains(conversation))
        .and_then(|m| m["ts"].as_str().map(str::to_string))
        .expect("the conversation's parent")
}

pub(crate) async fn send_settled(app: &TestApp, event: &Value) {
    let (status, body) = answer_json(app.send(event).await).await;
    assert_eq!(status, 202, "{body}");
    app.settled(body["event_id"].as_str().unwrap()).await;
}

/// Top-level posts (thread parents) and the replies in a thread, in the channel.
pub(crate) fn parents(app: &TestApp) -> Vec<Value> {
    app.posts(&app.channels.general)
        .into_iter()
        .filter(|m| m["thread_ts"].is_null() || m["thread_ts"] == m["ts"])
        .collect()
}

pub(crate) fn replies(app: &TestApp, thread_ts: &str) -> Vec<Value> {
    app.posts(&app.channels.general)
        .into_iter()
        .filter(|m| m["thread_ts"] == thread_ts && m["ts"] != thread_ts)
        .collect()
}

#[tokio::test]
async fn a_conversation_is_one_thread_and_closing_it_starts_the_next_one() {
    let app = TestApp::start(rules()).await;
    let operator = app.emu.add_user(TEAM, "op", "op@example.com");

    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_42",
            message("m1", "料金について教えてください"),
        ),
    )
    .await;
    let first = parents(&app);
    assert_eq!(first.len(), 1, "the first message opens a thread");
    let thread_ts = first[0]["ts"].as_str().unwrap().to_string();
    let parent = first[0].to_string();
    assert!(parent.contains("料金について教えてください"), "{parent}");
    assert!(
        parent.contains(&format!("<@{operator}>")),
        "the assignee is mentioned: {parent}"
    );

    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_42",
            message("m2", "<!channel> 至急です"),
        ),
    )
    .await;
    send_settled(&app, &chat("conversation.assigned", "chat_42", json!({}))).await;
    let thread = replies(&app, &thread_ts);
    assert_eq!(
        thread.len(),
        2,
        "later events reply in the thread: {thread:?}"
    );
    assert_eq!(parents(&app).len(), 1, "never a second parent");
    let reply = thread[0].to_string();
    assert!(
        reply.contains("&lt;!channel&gt;"),
        "customer text cannot ping: {reply}"
    );

    // An edit changes the posted reply; a deletion removes it.
    send_settled(
        &app,
        &chat(
            "conversation.message.updated",
            "chat_42",
            message("m2", "やはり急ぎません"),
        ),
    )
    .await;
    let edited = replies(&app, &thread_ts);
    assert!(
        edited[0].to_string().contains("やはり急ぎません"),
        "{edited:?}"
    );
    send_settled(
        &app,
        &chat(
            "conversation.message.deleted",
            "chat_42",
            json!({"message": {"id": "m2"}}),
        ),
    )
    .await;
    assert_eq!(
        replies(&app, &thread_ts).len(),
        1,
        "the deleted message is gone"
    );

    // Closed: said in the thread, and the parent shows it.
    send_settled(
        &app,
        &chat("conversation.closed", "chat_42", json!({"state": "closed"})),
    )
    .await;
    let parent = parents(&app)[0].to_string();
    assert!(
        parent.contains("Closed") || parent.contains("終了"),
        "{parent}"
    );

    // The next message opens a new thread that links to the old one.
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_42",
            message("m3", "もう一つ質問です"),
        ),
    )
    .await;
    let all = parents(&app);
    assert_eq!(all.len(), 2, "a new thread after closing");
    let newest = all
        .iter()
        .find(|p| p["ts"] != thread_ts.as_str())
        .unwrap()
        .to_string();
    assert!(
        newest.contains(&thread_ts.replace('.', "")),
        "links to the previous thread: {newest}"
    );
}

#[tokio::test]
async fn a_burst_of_messages_opens_exactly_one_thread() {
    let app = TestApp::start(rules()).await;
    let sends = (0..6).map(|i| {
        let event = chat(
            "conversation.message.created",
            "chat_burst",
            message(&format!("b{i}"), &format!("message {i}")),
        );
        let app = &app;
        async move { answer_json(app.send(&event).await).await }
    });
    let answers = futures_util::future::join_all(sends).await;
    for (status, body) in &answers {
        assert_eq!(*status, 202, "{body}");
        app.settled(body["event_id"].as_str().unwrap()).await;
    }
    let parents = parents(&app);
    assert_eq!(
        parents.len(),
        1,
        "one parent for one conversation: {parents:?}"
    );
    let ts = parents[0]["ts"].as_str().unwrap();
    assert_eq!(replies(&app, ts).len(), 5);
}

#[tokio::test]
async fn history_is_posted_once_in_order() {
    let app = TestApp::start(rules()).await;
    let messages: Vec<Value> = (0..45)
        .map(|i| json!({"id": format!("h{i}"), "text": format!("history line {i:02}"), "author": {"kind": if i % 2 == 0 {"customer"} else {"operator"}}}))
        .collect();
    let history = chat(
        "conversation.history",
        "chat_old",
        json!({"messages": messages}),
    );
    send_settled(&app, &history).await;
    let parent = parents(&app);
    assert_eq!(parent.len(), 1);
    let ts = parent[0]["ts"].as_str().unwrap().to_string();
    let chunks = replies(&app, &ts);
    assert_eq!(chunks.len(), 2, "45 messages in two chunks");
    let text: String = chunks.iter().map(Value::to_string).collect();
    let first = text.find("history line 00").unwrap();
    let last = text.find("history line 44").unwrap();
    assert!(first < last, "oldest first");

    // The platform sends it again (another webhook id): the thread has its history.
    send_settled(&app, &history).await;
    assert_eq!(replies(&app, &ts).len(), 2, "history is imported once");
}

/// Slack telling Herald about a message event the emulator built.
pub(crate) async fn deliver(app: &TestApp, event: &Value) {
    let response = app
        .slack_post("/slack/events", &event.to_string(), now(), &[])
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn replies_in_the_thread_reach_the_platform_as_messages_or_notes() {
    let app = TestApp::start(rules()).await;
    let platform = FakePlatform::start(WEBHOOK_SECRET).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, "en-US");
    let answer = crate::commands::run(
        &app,
        &admin,
        &format!("connect callback {}", platform.url()),
    )
    .await;
    assert!(
        answer["text"].as_str().unwrap().contains("Replies"),
        "{answer}"
    );

    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_7",
            message("m1", "hello?"),
        ),
    )
    .await;
    let thread_ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();
    let agent = app.emu.add_user(TEAM, "agent", "agent@example.com");
    // An admin says which operator the agent is (replies go under that name); the
    // platform never named op_agent with the agent's email, so they cannot do it alone.
    let linked =
        crate::commands::run(&app, &admin, &format!("operator link op_agent <@{agent}>")).await;
    assert!(
        linked["text"].as_str().unwrap().contains("op_agent"),
        "{linked}"
    );

    // Wrapped in ``` : to the customer.
    let (reply_ts, event) = app.emu.user_reply(
        &app.channels.general,
        &thread_ts,
        &agent,
        "```Thanks, we'll call you```",
    );
    deliver(&app, &event).await;
    deliver(&app, &event).await; // Slack's retry of the same event: one callback.
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].signature_ok, "signed with the connection's secret");
    let body = &got[0].body;
    assert_eq!(body["type"], "reply.created");
    assert_eq!(body["kind"], "message");
    assert_eq!(body["text"], "Thanks, we'll call you");
    assert_eq!(body["conversation_id"], "chat_7");
    assert_eq!(body["operator"]["id"], "op_agent");
    assert_eq!(body["operator"]["slack_user_id"], agent.as_str());
    let reacted = eventually(|| async {
        let r = app.emu.reactions(&app.channels.general, &reply_ts);
        (!r.is_empty()).then_some(r)
    })
    .await;
    assert_eq!(
        reacted[0].0, "white_check_mark",
        "accepted replies are marked"
    );

    // Anything else: an internal note. Then its edit and deletion follow.
    let (note_ts, event) = app.emu.user_reply(
        &app.channels.general,
        &thread_ts,
        &agent,
        "checking the contract",
    );
    deliver(&app, &event).await;
    deliver(
        &app,
        &app.emu
            .user_edit(&app.channels.general, &note_ts, "checked the contract"),
    )
    .await;
    deliver(&app, &app.emu.user_delete(&app.channels.general, &note_ts)).await;
    let got = platform.wait_for(4, Duration::from_secs(10)).await;
    let kinds: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            (
                r.body["type"].as_str().unwrap().to_string(),
                r.body["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds[1..],
        [
            ("reply.created".to_string(), "note".to_string()),
            ("reply.updated".to_string(), "note".to_string()),
            ("reply.deleted".to_string(), "note".to_string()),
        ]
    );
    assert_eq!(got[2].body["text"], "checked the contract");

    // A message outside Herald's threads is not the platform's business.
    let (_, event) = app
        .emu
        .user_message(&app.channels.general, &agent, "lunch?", None);
    deliver(&app, &event).await;

    // The platform refuses one: the author is told, only them, in the thread.
    platform.answer_next(400, 1);
    let (_, event) =
        app.emu
            .user_reply(&app.channels.general, &thread_ts, &agent, "```one more```");
    deliver(&app, &event).await;
    let warning = eventually(|| async {
        app.emu
            .ephemerals(&app.channels.general)
            .into_iter()
            .find(|e| {
                e["user"] == agent.as_str()
                    && e["text"].as_str().is_some_and(|t| {
                        t.contains("did not reach") || t.contains("届きませんでした")
                    })
            })
    })
    .await;
    assert_eq!(warning["thread_ts"], thread_ts.as_str());
    let text = warning["text"].as_str().unwrap();
    assert!(
        text.contains("did not reach") || text.contains("届きませんでした"),
        "{warning}"
    );
    assert_eq!(
        platform.received().len(),
        5,
        "nothing from outside the thread"
    );
}

/// Slack's block_actions for a button in an ephemeral message (Undo / Send now).
pub async fn press_in_message(app: &TestApp, user: &str, action_id: &str, value: &str) -> String {
    let response_url = app.emu.issue_response_url(TEAM);
    let payload = json!({
        "type": "block_actions",
        "user": {"id": user, "username": "agent", "name": "agent", "team_id": TEAM},
        "api_app_id": app.emu.app_id(),
        "token": app.emu.verification_token(),
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": app.channels.general, "is_ephemeral": true},
        "trigger_id": app.emu.issue_trigger(TEAM, user),
        "team": {"id": TEAM, "domain": "herald-test"},
        "channel": {"id": app.channels.general, "name": "general"},
        "response_url": response_url,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "undo", "value": value,
                     "text": {"type": "plain_text", "text": "x"}, "action_ts": "1700000001.000200"}]
    });
    let (status, _) = crate::modals::interact(app, &payload).await;
    assert_eq!(status, 200);
    let answer = eventually(|| async { app.emu.responses(&response_url).pop() }).await;
    assert_eq!(answer["replace_original"], true);
    answer["text"].as_str().unwrap().to_string()
}

/// The job id in the latest Undo offer to `user`.
async fn offered_job(app: &TestApp, user: &str, seen: usize) -> String {
    let offer = eventually(|| async {
        let offers: Vec<Value> = app
            .emu
            .ephemerals(&app.channels.general)
            .into_iter()
            .filter(|e| e["user"] == user && e["blocks"].to_string().contains("herald_reply_undo"))
            .collect();
        offers.get(seen).cloned()
    })
    .await;
    offer["blocks"][1]["elements"][0]["value"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_message_to_the_customer_can_be_undone_edited_or_sent_at_once() {
    let mut options = crate::helpers::Options::default();
    options.delivery.undo_window = Duration::from_secs(600);
    options.lang = "en";
    let app = TestApp::start_with(rules(), options).await;
    let platform = FakePlatform::start(WEBHOOK_SECRET).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    crate::commands::run(
        &app,
        &admin,
        &format!("connect callback {}", platform.url()),
    )
    .await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_9",
            message("m1", "hi"),
        ),
    )
    .await;
    let thread_ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();
    let agent = app.emu.add_user(TEAM, "agent", "agent@example.com");
    crate::commands::run(&app, &admin, &format!("operator link op_agent <@{agent}>")).await;
    let general = app.channels.general.clone();

    // Undo: nothing reaches the customer.
    let (_, event) = app
        .emu
        .user_reply(&general, &thread_ts, &agent, "```wrong customer!```");
    deliver(&app, &event).await;
    let job = offered_job(&app, &agent, 0).await;
    let stranger = app.emu.add_user(TEAM, "stranger", "s@example.com");
    let refused = press_in_message(&app, &stranger, "herald_reply_undo", &job).await;
    assert!(refused.contains("author"), "{refused}");
    let undone = press_in_message(&app, &agent, "herald_reply_undo", &job).await;
    assert!(undone.contains("Undone"), "{undone}");

    // Edited inside the window: the customer gets the edited text, once.
    let (ts, event) = app
        .emu
        .user_reply(&general, &thread_ts, &agent, "```Helo```");
    deliver(&app, &event).await;
    let job = offered_job(&app, &agent, 1).await;
    deliver(&app, &app.emu.user_edit(&general, &ts, "```Hello```")).await;
    // Deleted inside the window: never sent.
    let (gone, event) = app
        .emu
        .user_reply(&general, &thread_ts, &agent, "```draft```");
    deliver(&app, &event).await;
    let gone_job = offered_job(&app, &agent, 2).await;
    deliver(&app, &app.emu.user_delete(&general, &gone)).await;

    let sending = press_in_message(&app, &agent, "herald_reply_send_now", &job).await;
    assert!(sending.contains("Sending"), "{sending}");
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body["type"], "reply.created");
    assert_eq!(got[0].body["text"], "Hello");
    let too_late = press_in_message(&app, &agent, "herald_reply_undo", &job).await;
    assert!(too_late.contains("already gone"), "{too_late}");
    let statuses: Vec<(String, Option<String>)> = app
        .store
        .jobs_for_team(TEAM)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "platform.callback")
        .map(|j| (j.status, j.last_error))
        .collect();
    assert_eq!(statuses.len(), 3, "{statuses:?}");
    assert!(statuses.contains(&("failed".into(), Some("undone by its author".into()))));
    assert!(statuses.contains(&(
        "failed".into(),
        Some("deleted in Slack before it was sent".into())
    )));
    assert!(!gone_job.is_empty());
    assert_eq!(platform.received().len(), 1, "only the edited message went");
}

#[tokio::test]
async fn buttons_on_the_parent_ask_the_platform_to_close_or_assign() {
    let app = TestApp::start(rules()).await;
    let platform = FakePlatform::start(WEBHOOK_SECRET).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    crate::commands::run(
        &app,
        &admin,
        &format!("connect callback {}", platform.url()),
    )
    .await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_5",
            message("m1", "hi"),
        ),
    )
    .await;
    let parent = parents(&app).remove(0);
    assert!(
        parent.to_string().contains("herald_conversation_assign_me"),
        "{parent}"
    );
    let parent_ts = parent["ts"].as_str().unwrap().to_string();
    let agent = app.emu.add_user(TEAM, "agent", "agent@example.com");
    let payload = json!({
        "type": "block_actions",
        "user": {"id": agent, "username": "agent", "name": "agent", "team_id": TEAM},
        "api_app_id": app.emu.app_id(),
        "token": app.emu.verification_token(),
        "container": {"type": "message", "message_ts": parent_ts, "channel_id": app.channels.general, "is_ephemeral": false},
        "trigger_id": app.emu.issue_trigger(TEAM, &agent),
        "team": {"id": TEAM, "domain": "herald-test"},
        "channel": {"id": app.channels.general, "name": "general"},
        "message": parent,
        "response_url": app.emu.issue_response_url(TEAM),
        "actions": [{"type": "button", "action_id": "herald_conversation_assign_me", "block_id": "b",
                     "text": {"type": "plain_text", "text": "Assign to me"}, "action_ts": "1700000001.000300"}]
    });
    app.emu.add_member(&app.channels.general, &agent);
    let (status, _) = crate::modals::interact(&app, &payload).await;
    assert_eq!(status, 200);
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].body["type"], "conversation.assign_requested");
    assert_eq!(got[0].body["conversation_id"], "chat_5");
    assert_eq!(got[0].body["operator"]["email"], "agent@example.com");
    assert!(got[0].signature_ok);
    let told = eventually(|| async {
        app.emu
            .ephemerals(&app.channels.general)
            .into_iter()
            .find(|e| e["user"] == agent.as_str())
    })
    .await;
    assert_eq!(told["thread_ts"], parent_ts.as_str());
}

#[tokio::test]
async fn a_reply_from_someone_the_platform_does_not_know_is_held_until_an_admin_links_them() {
    let app = TestApp::start(rules()).await;
    let platform = FakePlatform::start(WEBHOOK_SECRET).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    crate::commands::run(
        &app,
        &admin,
        &format!("connect callback {}", platform.url()),
    )
    .await;
    // The conversation is assigned to op_1 (op@example.com).
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_c",
            message("m1", "hi"),
        ),
    )
    .await;
    let thread_ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();

    // Someone whose email is the assignee's is that operator, linked by email.
    let operator = app.emu.add_user(TEAM, "op", "op@example.com");
    let (_, event) = app
        .emu
        .user_reply(&app.channels.general, &thread_ts, &operator, "on it");
    deliver(&app, &event).await;
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].body["operator"]["id"], "op_1");

    // A stranger's reply is held. op_1 is someone else's, so there is no "Claim as".
    let helper = app.emu.add_user(TEAM, "helper", "helper@example.com");
    let (_, event) = app.emu.user_reply(
        &app.channels.general,
        &thread_ts,
        &helper,
        "```we can help```",
    );
    deliver(&app, &event).await;
    let notice = eventually(|| async {
        app.emu
            .ephemerals(&app.channels.general)
            .into_iter()
            .find(|e| e["user"] == helper.as_str())
    })
    .await;
    assert!(
        !notice["blocks"].to_string().contains("herald_reply_claim"),
        "{notice}"
    );
    assert_eq!(
        platform.received().len(),
        1,
        "nothing sent under a guessed name"
    );

    // An admin links the helper to op_1 (moving it): the held reply goes out.
    crate::commands::run(&app, &admin, &format!("operator link op_1 <@{helper}>")).await;
    let got = platform.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].body["text"], "we can help");
    assert_eq!(got[1].body["operator"]["id"], "op_1");
    assert_eq!(got[1].body["operator"]["slack_user_id"], helper.as_str());
}

#[tokio::test]
async fn while_someone_is_away_the_rules_backup_is_mentioned_and_the_platform_told() {
    let app = TestApp::start(json!([])).await;
    let platform = FakePlatform::start(WEBHOOK_SECRET).await;
    let sato = app.emu.add_user(TEAM, "sato", "sato@example.com");
    let suzuki = app.emu.add_user(TEAM, "suzuki", "suzuki@example.com");
    let rules = json!([
        {"kind": "event", "event_type": "booking.created", "channel": app.channels.general,
         "mentions": [sato], "backup": suzuki}
    ]);
    herald::admin::rules_file::import(&app.store, TEAM, &rules.to_string(), "cli")
        .await
        .unwrap();
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    crate::commands::run(
        &app,
        &admin,
        &format!("connect callback {}", platform.url()),
    )
    .await;
    crate::commands::run(&app, &admin, &format!("operator link op_sato <@{sato}>")).await;

    let answer = crate::commands::run(&app, &sato, "away").await;
    assert_eq!(answer["response_type"], "ephemeral");
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].body["type"], "operator.availability_changed");
    assert_eq!(got[0].body["available"], false);
    assert_eq!(got[0].body["operator"]["id"], "op_sato");

    send_settled(&app, &crate::helpers::booking("booking.created", "mt_1")).await;
    let post = app.posts(&app.channels.general).pop().unwrap().to_string();
    assert!(post.contains(&format!("<@{suzuki}>")), "the backup: {post}");
    assert!(
        !post.contains(&format!("<@{sato}>")),
        "not the person away: {post}"
    );

    crate::commands::run(&app, &sato, "available").await;
    send_settled(&app, &crate::helpers::booking("booking.created", "mt_2")).await;
    let post = app.posts(&app.channels.general).pop().unwrap().to_string();
    assert!(post.contains(&format!("<@{sato}>")), "{post}");
    assert!(!post.contains(&format!("<@{suzuki}>")), "{post}");
    let got = platform.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].body["available"], true);
}

#[tokio::test]
async fn each_rule_chooses_how_state_changes_show() {
    let app = TestApp::start(json!([])).await;
    let owner = app.emu.add_user(TEAM, "owner", "owner@example.com");
    let rules = json!([
        {"kind": "event", "event_type": "conversation.message.created", "channel": app.channels.general, "lifecycle": "thread_only"},
        {"kind": "event", "event_type": "conversation.message.created", "channel": app.channels.private_member, "lifecycle": "broadcast"}
    ]);
    herald::admin::rules_file::import(&app.store, TEAM, &rules.to_string(), "cli")
        .await
        .unwrap();
    let with_owner = |event: Value| {
        let mut event = event;
        event["conversation"]["owner"] = json!({"email": "owner@example.com"});
        event
    };
    send_settled(
        &app,
        &with_owner(chat(
            "conversation.message.created",
            "chat_l",
            message("m1", "hi"),
        )),
    )
    .await;
    send_settled(
        &app,
        &with_owner(chat("conversation.assigned", "chat_l", json!({}))),
    )
    .await;

    // Thread only: the parent stays as it was, the reply mentions the owner.
    let parent = parents(&app).remove(0);
    assert!(!parent.to_string().contains("Assigned to"), "{parent}");
    let reply = replies(&app, parent["ts"].as_str().unwrap()).pop().unwrap();
    assert!(
        reply.to_string().contains(&format!("<@{owner}>")),
        "{reply}"
    );

    // Broadcast: the reply is also sent to the channel.
    let secret = app.posts(&app.channels.private_member);
    let broadcast = app.emu.calls_to("chat.postMessage").into_iter().find(|c| {
        c.args["channel"] == app.channels.private_member.as_str()
            && c.args["reply_broadcast"] == true
    });
    assert!(broadcast.is_some(), "{secret:?}");
}
