//! Reactions as actions: ✅ on a conversation's parent or a message in its thread asks
//! the platform to close it, 👀 to assign it to whoever reacted; each once, the person
//! told in the thread; Herald's own ✅ and other emoji ask nothing; `/herald reactions
//! off` stops it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::fake_platform::FakePlatform;
use crate::helpers::{Options, TEAM, TestApp, eventually};
use crate::threads::{deliver, open_thread, with_platform};

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "conversation.message.created", "channel": "#general"}
    ])
}

/// The callback jobs a reaction on `ts` queued.
async fn reaction_jobs(app: &TestApp, ts: &str, name: &str) -> usize {
    app.jobs(&format!("slack:{}:{ts}:{name}", app.channels.general))
        .await
        .len()
}

/// The requests the platform accepted, as (type, slack.ts, operator id).
fn requests(platform: &FakePlatform) -> Vec<(String, String, Value)> {
    platform
        .accepted()
        .iter()
        .filter(|r| {
            r.body["type"]
                .as_str()
                .is_some_and(|t| t.ends_with("_requested"))
        })
        .map(|r| {
            (
                r.body["type"].as_str().unwrap_or_default().to_string(),
                r.body["slack"]["ts"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                r.body["operator"]["id"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn check_mark_closes_and_eyes_assign_once_each_and_the_person_is_told() {
    let (app, platform, operator) = with_platform(rules(), Options::default()).await;
    app.emu.set_user_locale(&operator, "en-US");
    let general = app.channels.general.clone();
    let parent = open_thread(&app, "chat_r").await;

    // A note from the operator reaches the platform, and Herald marks it with its ✅.
    let (reply, event) = app
        .emu
        .user_reply(&general, &parent, &operator, "looking into it");
    deliver(&app, &event).await;
    platform.wait_for(1, Duration::from_secs(10)).await;
    eventually(|| async { (!app.emu.reactions(&general, &reply).is_empty()).then_some(()) }).await;
    let own = app
        .emu
        .user_react(&general, &reply, &app.ws.bot_user_id, "white_check_mark");
    deliver(&app, &own).await;
    assert_eq!(
        reaction_jobs(&app, &reply, "white_check_mark").await,
        0,
        "Herald's own ✅ asks nothing"
    );

    // ✅ on the parent: close, once, however Slack repeats it or the person re-adds it.
    let close = app
        .emu
        .user_react(&general, &parent, &operator, "white_check_mark");
    deliver(&app, &close).await;
    deliver(&app, &close).await;
    let removed = app
        .emu
        .user_unreact(&general, &parent, &operator, "white_check_mark");
    deliver(&app, &removed).await;
    let again = app
        .emu
        .user_react(&general, &parent, &operator, "white_check_mark");
    deliver(&app, &again).await;
    assert_eq!(reaction_jobs(&app, &parent, "white_check_mark").await, 1);

    // 👀 on the forwarded reply, by a colleague: assign, to them.
    let colleague = app.emu.add_user(TEAM, "colleague", "colleague@example.com");
    let take = app.emu.user_react(&general, &reply, &colleague, "eyes");
    deliver(&app, &take).await;
    // Another emoji asks nothing.
    let thumbs = app
        .emu
        .user_react(&general, &parent, &colleague, "thumbsup");
    deliver(&app, &thumbs).await;
    assert_eq!(reaction_jobs(&app, &parent, "thumbsup").await, 0);

    let got = eventually(|| async {
        let got = requests(&platform);
        (got.len() >= 2).then_some(got)
    })
    .await;
    app.settled(&format!("slack:{general}:{parent}:white_check_mark"))
        .await;
    app.settled(&format!("slack:{general}:{reply}:eyes")).await;
    let mut got = got;
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            (
                "conversation.assign_requested".to_string(),
                reply.clone(),
                Value::Null
            ),
            (
                "conversation.close_requested".to_string(),
                parent.clone(),
                json!("op_1")
            ),
        ],
        "each once; the operator resolved for the one the platform knows"
    );
    assert_eq!(requests(&platform).len(), 2, "nothing else was asked");
    let assign = platform
        .accepted()
        .into_iter()
        .find(|r| r.body["type"] == "conversation.assign_requested")
        .unwrap();
    assert_eq!(assign.body["conversation_id"], "chat_r");
    assert_eq!(assign.body["operator"]["email"], "colleague@example.com");
    assert_eq!(assign.body["slack"]["thread_ts"], parent.as_str());
    assert!(assign.signature_ok);

    let told: Vec<Value> = app
        .emu
        .ephemerals(&general)
        .into_iter()
        .filter(|e| e["user"] == operator.as_str())
        .collect();
    assert_eq!(told.len(), 1, "told once: {told:#?}");
    assert_eq!(told[0]["thread_ts"], parent.as_str(), "in the thread");
    assert!(
        told[0]["text"]
            .as_str()
            .unwrap()
            .contains("Asked the platform to close"),
        "in their language: {told:?}"
    );
}

#[tokio::test]
async fn admins_turn_reactions_off_and_on_and_members_cannot() {
    let (app, platform, operator) = with_platform(rules(), Options::default()).await;
    let general = app.channels.general.clone();
    let parent = open_thread(&app, "chat_off").await;
    let admin = app.emu.add_user(TEAM, "boss", "boss@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, "en-US");
    app.emu.set_user_locale(&operator, "en-US");

    let shown = crate::commands::run(&app, &operator, "reactions").await;
    assert!(
        shown["text"].as_str().unwrap().contains("are on"),
        "{shown}"
    );
    let refused = crate::commands::run(&app, &operator, "reactions off").await;
    assert!(
        !refused["text"].as_str().unwrap().contains("are off"),
        "a member cannot turn them off: {refused}"
    );

    let off = crate::commands::run(&app, &admin, "reactions off").await;
    assert!(off["text"].as_str().unwrap().contains("are off"), "{off}");
    let close = app
        .emu
        .user_react(&general, &parent, &operator, "white_check_mark");
    deliver(&app, &close).await;
    assert_eq!(
        reaction_jobs(&app, &parent, "white_check_mark").await,
        0,
        "off: nothing asked"
    );
    let audit = crate::commands::run(&app, &admin, "audit").await;
    assert!(
        audit.to_string().contains("reactions as actions: on → off"),
        "{audit}"
    );

    crate::commands::run(&app, &admin, "reactions on").await;
    let take = app.emu.user_react(&general, &parent, &operator, "eyes");
    deliver(&app, &take).await;
    assert_eq!(reaction_jobs(&app, &parent, "eyes").await, 1, "on again");
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].body["type"], "conversation.assign_requested");
}
