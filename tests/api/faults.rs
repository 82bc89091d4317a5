//! The defects found by trying Herald from outside under ordinary faults: each test
//! makes the fault happen (a storage failure while handling a Slack event, a post whose
//! answer never arrives, a crash in a busy channel, a conversation that reopened) and
//! checks what the platform and Slack see afterwards.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Options, TEAM, TestApp, eventually, json as answer_json, now};
use crate::slack_emulator::Fault;
use crate::threads::{chat, message, parents, replies, rules, send_settled, with_platform};

async fn post_event(app: &TestApp, event: &Value, retry: Option<&str>) -> u16 {
    let extra: Vec<(&str, &str)> = retry
        .map(|n| {
            vec![
                ("x-slack-retry-num", n),
                ("x-slack-retry-reason", "http_error"),
            ]
        })
        .unwrap_or_default();
    app.slack_post("/slack/events", &event.to_string(), now(), &extra)
        .await
        .status()
        .as_u16()
}

async fn rename_table(app: &TestApp, from: &str, to: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER TABLE {from} RENAME TO {to}"
    )))
    .execute(app.store.pool())
    .await
    .expect("rename table");
}

#[tokio::test]
async fn a_slack_event_whose_handling_failed_is_handled_when_slack_retries_it() {
    let (app, platform, operator) = with_platform(rules(), Options::default()).await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_1",
            message("m1", "hello?"),
        ),
    )
    .await;
    let thread_ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();
    let (_, reply) = app.emu.user_reply(
        &app.channels.general,
        &thread_ts,
        &operator,
        "```we'll call you```",
    );

    // Storage fails while the reply is handled: Slack is told to retry.
    rename_table(&app, "threads", "threads_unavailable").await;
    assert_eq!(post_event(&app, &reply, None).await, 503);
    rename_table(&app, "threads_unavailable", "threads").await;

    // Slack's retry carries the same event_id: it is handled now, once.
    assert_eq!(post_event(&app, &reply, Some("1")).await, 200);
    assert_eq!(post_event(&app, &reply, Some("2")).await, 200);
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].body["text"], "we'll call you");
    // The later retry was a duplicate: one callback was queued, not two.
    let callbacks = app
        .store
        .jobs_for_team(TEAM)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == herald::delivery::callback::KIND)
        .count();
    assert_eq!(callbacks, 1);
}

#[tokio::test]
async fn a_thread_parent_whose_answer_was_lost_keeps_the_conversation_in_one_thread() {
    let mut options = Options::default();
    options.delivery.request_timeout = Duration::from_millis(300);
    let (app, platform, operator) = with_platform(rules(), options).await;
    // Slack posts the parent but answers after Herald gave up.
    app.emu
        .inject("chat.postMessage", Fault::Late(Duration::from_millis(1200)));
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_2",
            message("m1", "first"),
        ),
    )
    .await;
    assert_eq!(app.emu.faulted("chat.postMessage"), 1);
    let first = parents(&app);
    assert_eq!(first.len(), 1, "posted once: {first:?}");
    let thread_ts = first[0]["ts"].as_str().unwrap().to_string();

    // The next message of the conversation replies in that thread…
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_2",
            message("m2", "second"),
        ),
    )
    .await;
    assert_eq!(parents(&app).len(), 1, "no second parent");
    assert_eq!(replies(&app, &thread_ts).len(), 1);
    // …an edit of the first message edits the recovered parent, not a new post…
    send_settled(
        &app,
        &chat(
            "conversation.message.updated",
            "chat_2",
            message("m1", "first, edited"),
        ),
    )
    .await;
    assert_eq!(parents(&app).len(), 1);
    assert!(
        parents(&app)[0].to_string().contains("first, edited"),
        "{:?}",
        parents(&app)
    );
    // …and a reply under it reaches the platform.
    let (_, reply) =
        app.emu
            .user_reply(&app.channels.general, &thread_ts, &operator, "```on it```");
    assert_eq!(post_event(&app, &reply, None).await, 200);
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].body["conversation_id"], "chat_2");
}

#[tokio::test]
async fn a_reply_whose_answer_was_lost_is_recorded_so_its_edit_and_deletion_follow() {
    let mut options = Options::default();
    options.delivery.request_timeout = Duration::from_millis(300);
    let app = TestApp::start_with(rules(), options).await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_3",
            message("m1", "first"),
        ),
    )
    .await;
    let thread_ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();
    app.emu.inject("chat.postMessage", Fault::ResetAfterEffect);
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_3",
            message("m2", "second"),
        ),
    )
    .await;
    assert_eq!(replies(&app, &thread_ts).len(), 1, "posted once");
    send_settled(
        &app,
        &chat(
            "conversation.message.updated",
            "chat_3",
            message("m2", "second, edited"),
        ),
    )
    .await;
    let thread = replies(&app, &thread_ts);
    assert_eq!(thread.len(), 1, "the edit changed the reply: {thread:?}");
    assert!(
        thread[0].to_string().contains("second, edited"),
        "{thread:?}"
    );
    send_settled(
        &app,
        &chat(
            "conversation.message.deleted",
            "chat_3",
            json!({"message": {"id": "m2"}}),
        ),
    )
    .await;
    assert!(
        replies(&app, &thread_ts).is_empty(),
        "the deletion removed it"
    );
}

#[tokio::test]
async fn editing_or_deleting_one_history_message_changes_only_that_message() {
    let app = TestApp::start(rules()).await;
    let messages: Vec<Value> = (0..45)
        .map(|i| json!({"id": format!("h{i}"), "text": format!("line {i:02}"), "author": {"kind": "customer"}}))
        .collect();
    send_settled(
        &app,
        &chat(
            "conversation.history",
            "chat_h",
            json!({"messages": messages}),
        ),
    )
    .await;
    let ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();
    assert_eq!(replies(&app, &ts).len(), 2);

    send_settled(
        &app,
        &chat(
            "conversation.message.updated",
            "chat_h",
            message("h5", "line 05, edited"),
        ),
    )
    .await;
    send_settled(
        &app,
        &chat(
            "conversation.message.deleted",
            "chat_h",
            json!({"message": {"id": "h7"}}),
        ),
    )
    .await;
    let chunks = replies(&app, &ts);
    assert_eq!(chunks.len(), 2, "no chunk lost: {chunks:?}");
    let first = chunks[0].to_string();
    assert!(first.contains("line 05, edited"), "{first}");
    assert!(
        !first.contains("line 07"),
        "the deleted message is gone: {first}"
    );
    for kept in ["line 00", "line 06", "line 08", "line 39"] {
        assert!(first.contains(kept), "{kept} stays: {first}");
    }
    let second = chunks[1].to_string();
    for kept in ["line 40", "line 44"] {
        assert!(second.contains(kept), "{kept} stays: {second}");
    }

    // Deleting every message of the second chunk removes that chunk.
    for i in 40..45 {
        send_settled(
            &app,
            &chat(
                "conversation.message.deleted",
                "chat_h",
                json!({"message": {"id": format!("h{i}")}}),
            ),
        )
        .await;
    }
    assert_eq!(replies(&app, &ts).len(), 1);
}

#[tokio::test]
async fn a_crash_mid_post_in_a_busy_channel_neither_loses_nor_duplicates() {
    let mut app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general"}
    ]))
    .await;
    app.emu.inject(
        "chat.postMessage",
        Fault::Delay(Duration::from_millis(1500)),
    );
    let (_, body) = answer_json(
        app.send(&crate::helpers::booking("booking.created", "mt_1"))
            .await,
    )
    .await;
    let event_id = body["event_id"].as_str().unwrap().to_string();
    eventually(|| async { (app.emu.received("chat.postMessage") == 1).then_some(()) }).await;
    app.crash();
    eventually(|| async { (app.posts(&app.channels.general).len() == 1).then_some(()) }).await;
    // The channel is busy: 250 people's messages land after Herald's post.
    let person = app.emu.add_user(TEAM, "chatty", "chatty@example.com");
    for i in 0..250 {
        app.emu.user_message(
            &app.channels.general,
            &person,
            &format!("chatter {i}"),
            None,
        );
    }

    app.restart().await;
    let job = app.settled(&event_id).await.remove(0);
    assert_eq!(job.status, "done");
    let bot_posts: Vec<Value> = app
        .posts(&app.channels.general)
        .into_iter()
        .filter(|m| m["bot_id"].is_string())
        .collect();
    assert_eq!(
        bot_posts.len(),
        1,
        "found beyond the newest 100, not posted again"
    );
    assert_eq!(job.result_ts.as_deref(), bot_posts[0]["ts"].as_str());
}

#[tokio::test]
async fn replies_in_an_earlier_closed_thread_still_reach_the_platform() {
    let (app, platform, operator) = with_platform(rules(), Options::default()).await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_5",
            message("m1", "first visit"),
        ),
    )
    .await;
    let old_ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();
    send_settled(
        &app,
        &chat("conversation.closed", "chat_5", json!({"state": "closed"})),
    )
    .await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_5",
            message("m2", "back again"),
        ),
    )
    .await;
    assert_eq!(
        parents(&app).len(),
        2,
        "the reopened conversation has a new thread"
    );

    let (_, reply) = app.emu.user_reply(
        &app.channels.general,
        &old_ts,
        &operator,
        "```seen your first message```",
    );
    assert_eq!(post_event(&app, &reply, None).await, 200);
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].body["conversation_id"], "chat_5");
    assert_eq!(got[0].body["text"], "seen your first message");
}

#[tokio::test]
async fn a_socket_mode_event_whose_handling_failed_is_handled_when_slack_redelivers_it() {
    let options = Options {
        socket_mode: true,
        ..Options::default()
    };
    let (app, platform, operator) = with_platform(rules(), options).await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_6",
            message("m1", "hello?"),
        ),
    )
    .await;
    let thread_ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();
    let (_, reply) = app.emu.user_reply(
        &app.channels.general,
        &thread_ts,
        &operator,
        "```over the socket```",
    );
    let envelope = |attempt: u32| {
        json!({
            "envelope_id": "e6f4a2c0-0000-4000-8000-000000000006",
            "type": "events_api",
            "payload": reply,
            "accepts_response_payload": false,
            "retry_attempt": attempt,
            "retry_reason": if attempt == 0 { "" } else { "timeout" },
        })
    };

    // Storage fails while the envelope is handled: it is not acknowledged.
    rename_table(&app, "threads", "threads_unavailable").await;
    let ack = app
        .emu
        .socket_send_raw(envelope(0), Duration::from_secs(3))
        .await;
    assert!(ack.is_none(), "acknowledged a failed event: {ack:?}");
    rename_table(&app, "threads_unavailable", "threads").await;

    // Slack redelivers it: handled now, once.
    let ack = app
        .emu
        .socket_send_raw(envelope(1), Duration::from_secs(10))
        .await;
    assert!(ack.is_some(), "the redelivery is acknowledged");
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].body["text"], "over the socket");
}
