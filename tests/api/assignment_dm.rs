//! The assignment DM: a conversation assigned to a platform operator linked to a Slack
//! user DMs that person once (the customer, the first message, a link to the thread), in
//! their language; `/herald dm off` stops it; an operator nobody is linked to gets none.

use serde_json::{Value, json};

use crate::helpers::{Options, TEAM, TestApp};
use crate::threads::{chat, message, send_settled, with_platform};

fn rules() -> Value {
    // Two channels follow the conversation: the assignment is posted twice, DMed once.
    json!([
        {"kind": "event", "event_type": "conversation.message.created", "channel": "#general"},
        {"kind": "event", "event_type": "conversation.message.created", "channel": "#secret-ops"}
    ])
}

/// Herald's DMs with `user` (what it posted there).
fn dms(app: &TestApp, user: &str) -> Vec<Value> {
    let dm = app.emu.dm_with(TEAM, user);
    app.posts(&dm)
}

/// Sends `conversation.assigned` of `conversation` to `assignee` and waits for its jobs.
async fn assign(app: &TestApp, conversation: &str, assignee: Value) {
    let mut event = chat("conversation.assigned", conversation, json!({}));
    event["conversation"]["assignee"] = assignee;
    send_settled(app, &event).await;
}

#[tokio::test]
async fn an_assignment_dms_the_linked_operator_once_in_their_language_until_they_turn_it_off() {
    let (app, _platform, operator) = with_platform(rules(), Options::default()).await;
    app.emu.set_user_locale(&operator, "en-US");
    // The platform names op_1 (op@example.com) with the first message; its person links.
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_a",
            message("m1", "My order has not arrived"),
        ),
    )
    .await;
    let linked = crate::commands::run(&app, &operator, "operator link op_1").await;
    assert!(linked.to_string().contains("op_1"), "{linked}");
    let before = dms(&app, &operator).len();

    let op_1 = json!({"id": "op_1", "email": "op@example.com", "name": "Operator"});
    assign(&app, "chat_a", op_1.clone()).await;
    let got = dms(&app, &operator);
    assert_eq!(got.len(), before + 1, "one DM for two channels: {got:#?}");
    let dm = got.last().unwrap().to_string();
    assert!(dm.contains("You were assigned"), "in their language: {dm}");
    assert!(dm.contains("山田 太郎"), "the customer: {dm}");
    assert!(
        dm.contains("My order has not arrived"),
        "the first message: {dm}"
    );
    assert!(
        dm.contains("https://slack.com/archives/"),
        "the thread: {dm}"
    );

    let off = crate::commands::run(&app, &operator, "dm off").await;
    assert!(off.to_string().contains("does not DM"), "{off}");
    assign(&app, "chat_a", op_1).await;
    assert_eq!(dms(&app, &operator).len(), before + 1, "off: no DM");
    let shown = crate::commands::run(&app, &operator, "dm").await;
    assert!(shown.to_string().contains("does not DM"), "{shown}");
}

#[tokio::test]
async fn an_operator_nobody_is_linked_to_gets_no_dm() {
    let (app, _platform, operator) = with_platform(rules(), Options::default()).await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_b",
            message("m1", "hello"),
        ),
    )
    .await;
    assign(
        &app,
        "chat_b",
        json!({"id": "op_9", "email": "nobody@example.com", "name": "Nobody"}),
    )
    .await;
    let jobs = app.store.jobs_for_team(TEAM).await.unwrap();
    assert!(
        jobs.iter().all(|j| j.kind != "slack.assignment_dm"),
        "no DM queued: {jobs:?}"
    );
    assert!(dms(&app, &operator).is_empty());
}
