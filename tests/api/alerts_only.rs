//! Alerts-only rules (`"replies": "off"`): nothing said in their threads reaches the
//! platform, and the first person who replies there is told once, only them; a channel
//! whose thread was posted by a forwarding rule as well forwards as usual.

use std::time::Duration;

use serde_json::json;

use crate::helpers::TEAM;
use crate::threads::{chat, deliver, message, send_settled, with_platform};

#[tokio::test]
async fn an_alerts_only_thread_forwards_nothing_and_says_so_once() {
    let (app, platform, operator) = with_platform(
        json!([
            {"kind": "event", "event_type": "conversation.message.created", "channel": "#general",
             "replies": "off"},
            {"kind": "event", "event_type": "conversation.message.created", "channel": "#secret-ops",
             "replies": "off"},
            {"kind": "event", "event_type": "conversation.message.created", "channel": "#secret-ops"}
        ]),
        crate::helpers::Options::default(),
    )
    .await;
    app.emu.set_user_locale(&operator, "en-US");
    app.emu.add_member(&app.channels.private_member, &operator);
    let colleague = app.emu.add_user(TEAM, "colleague", "colleague@example.com");
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_9",
            message("m1", "助けて"),
        ),
    )
    .await;
    let parent_of = |channel: &str| {
        app.posts(channel)
            .into_iter()
            .find(|m| m["thread_ts"].is_null() || m["thread_ts"] == m["ts"])
            .and_then(|m| m["ts"].as_str().map(str::to_string))
            .expect("a thread parent")
    };
    let general = app.channels.general.clone();
    let alerts = parent_of(&general);
    let forwarded = parent_of(&app.channels.private_member);

    // Two replies and one from someone else in the alerts-only thread; an edit too.
    for (who, text) in [
        (&operator, "```We are on it```"),
        (&operator, "internal: customer is VIP"),
        (&colleague, "```Hello from us```"),
    ] {
        let (_, event) = app.emu.user_reply(&general, &alerts, who, text);
        deliver(&app, &event).await;
    }
    // Then one in the thread a forwarding rule posted: it is the only callback.
    let (_, event) = app.emu.user_reply(
        &app.channels.private_member,
        &forwarded,
        &operator,
        "```Forwarded```",
    );
    deliver(&app, &event).await;
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].body["text"], "Forwarded");
    assert_eq!(
        platform.received().len(),
        1,
        "nothing else reached the platform"
    );

    let told = app.emu.ephemerals(&general);
    assert_eq!(told.len(), 1, "told once: {told:#?}");
    assert_eq!(told[0]["user"], operator.as_str(), "only the first replier");
    assert!(
        told[0]["text"].as_str().unwrap().contains("only alerts"),
        "in their language: {told:?}"
    );
    let rules = herald::admin::rules_file::export(&app.store, TEAM)
        .await
        .unwrap();
    assert_eq!(rules.matches("\"replies\": \"off\"").count(), 2, "{rules}");
}
