//! The parent tells the story: state (open, pending, closed), page, assignee (through the
//! operator link, else by email) and contact owner, updated as they change; pending
//! keeps the thread.

use serde_json::{Value, json};

use crate::helpers::{Options, TEAM, TestApp};
use crate::threads::{chat, message, parents, replies, send_settled, with_platform};

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "conversation.message.created", "channel": "#general"}
    ])
}

/// The story section's text on the conversation's one parent.
fn story(app: &TestApp) -> String {
    let parents = parents(app);
    assert_eq!(parents.len(), 1, "one thread: {parents:#?}");
    parents[0]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == "herald_story")
        .map(|b| b["fields"].to_string())
        .unwrap_or_else(|| panic!("no story on the parent: {:#?}", parents[0]))
}

#[tokio::test]
async fn the_parent_shows_state_page_assignee_and_owner_and_follows_their_changes() {
    let (app, _platform, operator) = with_platform(rules(), Options::default()).await;
    let owner = app.emu.add_user(TEAM, "olga", "olga@example.com");
    let colleague = app.emu.add_user(TEAM, "colleague", "colleague@example.com");
    let mut first = chat(
        "conversation.message.created",
        "chat_s",
        message("m1", "Where is my order?"),
    );
    first["conversation"]["owner"] =
        json!({"id": "own_1", "email": "olga@example.com", "name": "Olga"});
    send_settled(&app, &first).await;
    let shown = story(&app);
    assert!(
        shown.contains("Open") || shown.contains("対応中"),
        "{shown}"
    );
    assert!(
        shown.contains("<https://shop.example/pricing|"),
        "the page: {shown}"
    );
    assert!(
        shown.contains(&format!("<@{operator}>")),
        "the assignee by email: {shown}"
    );
    assert!(shown.contains(&format!("<@{owner}>")), "the owner: {shown}");
    let parent_ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();
    assert!(
        parents(&app)[0].to_string().contains("Where is my order?"),
        "the first message"
    );

    // Assigned to op_2, whom the colleague is linked to: the parent names the colleague.
    app.store
        .note_operator(
            TEAM,
            "op_2",
            Some("someone-else@example.com"),
            Some("Op Two"),
        )
        .await
        .unwrap();
    assert!(
        app.store
            .link_unheld_operator(TEAM, "op_2", &colleague)
            .await
            .unwrap()
    );
    let mut assigned = chat("conversation.assigned", "chat_s", json!({}));
    assigned["conversation"]["assignee"] =
        json!({"id": "op_2", "email": "someone-else@example.com", "name": "Op Two"});
    send_settled(&app, &assigned).await;
    let shown = story(&app);
    assert!(
        shown.contains(&format!("<@{colleague}>")),
        "through the link: {shown}"
    );
    assert!(!shown.contains(&format!("<@{operator}>")), "{shown}");
    assert!(
        shown.contains(&format!("<@{owner}>")),
        "the owner stays: {shown}"
    );

    // Pending: shown, and the thread goes on.
    let mut pending = chat(
        "conversation.message.created",
        "chat_s",
        message("m2", "Any news?"),
    );
    pending["conversation"]["state"] = json!("pending");
    send_settled(&app, &pending).await;
    let shown = story(&app);
    assert!(
        shown.contains("保留中") || shown.contains("Pending"),
        "{shown}"
    );
    assert_eq!(parents(&app).len(), 1, "pending keeps the thread");
    assert!(
        replies(&app, &parent_ts)
            .iter()
            .any(|m| m.to_string().contains("Any news?")),
        "the message is in the same thread"
    );
}

#[tokio::test]
async fn an_event_that_changes_nothing_leaves_the_parent_alone() {
    let (app, _platform, _operator) = with_platform(rules(), Options::default()).await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_q",
            message("m1", "hello"),
        ),
    )
    .await;
    let before = app.emu.calls_to("chat.update").len();
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_q",
            message("m2", "still there?"),
        ),
    )
    .await;
    assert_eq!(
        app.emu.calls_to("chat.update").len(),
        before,
        "the same story: no edit of the parent"
    );
}

#[tokio::test]
async fn a_parent_slack_would_not_edit_is_brought_up_to_date_by_the_next_event() {
    let (app, _platform, _operator) = with_platform(rules(), Options::default()).await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_e",
            message("m1", "hello"),
        ),
    )
    .await;
    app.emu.inject(
        "chat.update",
        crate::slack_emulator::Fault::ServerError(500),
    );
    let mut pending = chat(
        "conversation.message.created",
        "chat_e",
        message("m2", "waiting"),
    );
    pending["conversation"]["state"] = json!("pending");
    send_settled(&app, &pending).await;
    let shown = story(&app);
    assert!(
        !shown.contains("Pending") && !shown.contains("保留中"),
        "the edit failed: {shown}"
    );
    // The next message, still pending: the parent still owes that state, and gets it.
    let mut again = chat(
        "conversation.message.created",
        "chat_e",
        message("m3", "hello again"),
    );
    again["conversation"]["state"] = json!("pending");
    send_settled(&app, &again).await;
    let shown = story(&app);
    assert!(
        shown.contains("Pending") || shown.contains("保留中"),
        "{shown}"
    );
}
