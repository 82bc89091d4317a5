//! Adding a rule from Slack: `/herald add` → `views.open` → `view_submission` → the rule
//! → a webhook → the notification, with every check a demanding admin would hit.

use std::time::Duration;

use serde_json::{Value, json};

use crate::commands::{command_form_with_trigger, run, run_form};
use crate::helpers::{Options, TEAM, TestApp, booking};
use crate::slack_emulator::ChannelSpec;

/// Slack's `state.values` for the add-rule modal.
fn values(event_type: &str, meeting_type: &str, channel: &str, users: &[&str]) -> Value {
    json!({
        "event_type": {"event_type": {"type": "static_select", "selected_option": {
            "text": {"type": "plain_text", "text": event_type, "emoji": true}, "value": event_type}}},
        "meeting_type": {"meeting_type": {"type": "plain_text_input", "value": meeting_type}},
        "channel": {"channel": {"type": "conversations_select", "selected_conversation": channel}},
        "mentions": {"mentions": {"type": "multi_users_select", "selected_users": users}},
        "enabled": {"enabled": {"type": "checkboxes", "selected_options": [
            {"text": {"type": "plain_text", "text": "Enabled", "emoji": true}, "value": "on"}]}}
    })
}

/// Posts an interaction payload as Slack does (form field `payload`, signed).
pub async fn interact(app: &TestApp, payload: &Value) -> (u16, Value) {
    let response =
        crate::helpers::slack_payload(&app.client, &app.address, "/slack/interactions", payload)
            .await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        },
    )
}

struct Admin {
    id: String,
    view_id: String,
}

/// An admin runs `/herald add`; returns them and the modal Slack opened.
async fn open_modal(app: &TestApp) -> Admin {
    let id = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&id, true, false);
    app.emu.set_user_locale(&id, "en-US");
    let trigger = app.emu.issue_trigger(TEAM, &id);
    let answer = run_form(app, command_form_with_trigger(&id, "add", &trigger)).await;
    assert!(
        answer.is_null() || answer.as_object().is_some_and(serde_json::Map::is_empty),
        "{answer}"
    );
    let views = app.emu.views_opened();
    let view = views.last().expect("a modal is open");
    assert_eq!(view["callback_id"], "herald_rule_add");
    Admin {
        id,
        view_id: view["id"].as_str().unwrap().to_string(),
    }
}

#[tokio::test]
async fn an_admin_adds_a_rule_in_slack_and_the_next_event_follows_it() {
    let app = TestApp::start(json!([])).await;
    let admin = open_modal(&app).await;
    let view = app.emu.view(&admin.view_id).unwrap();
    assert_eq!(view["title"]["text"], "Add a rule");

    let picked = values(
        "booking.created",
        "mt_1",
        &app.channels.general,
        &["U0AAA111"],
    );
    let payload = app.emu.view_submission(&admin.view_id, &admin.id, picked);
    let (status, answer) = interact(&app, &payload).await;
    assert_eq!((status, answer), (200, Value::Null), "the modal closes");

    let rules = app.store.rules(TEAM).await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].channel.as_str(), app.channels.general);

    let (_, body) = crate::helpers::json(app.send(&booking("booking.created", "mt_1")).await).await;
    app.settled(body["event_id"].as_str().unwrap()).await;
    let post = app
        .posts(&app.channels.general)
        .pop()
        .expect("the new rule routed the event");
    assert!(post["text"].as_str().unwrap().contains("<@U0AAA111>"));
}

#[tokio::test]
async fn bad_choices_get_inline_errors_and_store_nothing() {
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "meeting_type": "mt_1", "channel": "#general"}
    ]))
    .await;
    let foreign = app.emu.add_channel(
        TEAM,
        ChannelSpec {
            name: "partner-shared".into(),
            bot_member: true,
            shared_from_team: Some("T0OTHERORG".into()),
            ..ChannelSpec::default()
        },
    );
    let admin = open_modal(&app).await;
    let cases = [
        (
            values("booking.created", "", &app.channels.archived, &[]),
            "channel",
            "archived",
        ),
        (
            values("booking.created", "", &app.channels.private_not_member, &[]),
            "channel",
            "/invite @Herald",
        ),
        (
            values("booking.created", "", &foreign, &[]),
            "channel",
            "Slack Connect",
        ),
        (
            values("booking.created", "mt_1", &app.channels.general, &[]),
            "channel",
            "already exists",
        ),
        (
            values(
                "booking.created",
                "",
                &app.channels.general,
                &["U0A1", "U0A2", "U0A3", "U0A4"],
            ),
            "mentions",
            "at most 3",
        ),
    ];
    for (picked, block, words) in cases {
        let payload = app.emu.view_submission(&admin.view_id, &admin.id, picked);
        let (status, answer) = interact(&app, &payload).await;
        assert_eq!(status, 200);
        assert_eq!(answer["response_action"], "errors", "{answer}");
        let message = answer["errors"][block].as_str().unwrap_or_default();
        assert!(
            message.contains(words),
            "{block}: {words:?} not in {answer}"
        );
    }
    assert_eq!(
        app.store.rules(TEAM).await.unwrap().len(),
        1,
        "nothing new stored"
    );
}

#[tokio::test]
async fn non_admins_cannot_open_the_modal_nor_submit_a_crafted_one() {
    let app = TestApp::start(json!([])).await;
    let member = app.emu.add_user(TEAM, "member", "member@example.com");
    app.emu.set_user_locale(&member, "en-US");
    let answer = run(&app, &member, "add").await;
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("Only workspace admins"),
        "{answer}"
    );
    assert!(app.emu.views_opened().is_empty());

    // A member replays an admin's modal with their own user id: refused on the server.
    let admin = open_modal(&app).await;
    let picked = values("booking.created", "", &app.channels.general, &[]);
    let payload = app.emu.view_submission(&admin.view_id, &member, picked);
    let (_, answer) = interact(&app, &payload).await;
    assert_eq!(answer["response_action"], "errors");
    assert!(app.store.rules(TEAM).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_modal_works_the_same_over_socket_mode() {
    let options = Options {
        socket_mode: true,
        ..Options::default()
    };
    let app = TestApp::start_with(json!([]), options).await;
    assert!(
        app.emu
            .wait_socket_connections(2, Duration::from_secs(10))
            .await
    );
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, false, true);
    let trigger = app.emu.issue_trigger(TEAM, &admin);
    let form = command_form_with_trigger(&admin, "add", &trigger);
    let payload: Value = serde_urlencoded::from_str::<Vec<(String, String)>>(&form)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect::<serde_json::Map<String, Value>>()
        .into();
    app.emu
        .socket_send("slash_commands", payload, Duration::from_secs(10))
        .await
        .expect("ack");
    let view_id = app.emu.views_opened().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let bad = values("booking.created", "", &app.channels.archived, &[]);
    let submission = app.emu.view_submission(&view_id, &admin, bad);
    let ack = app
        .emu
        .socket_send("interactive", submission, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(ack["payload"]["response_action"], "errors", "{ack}");

    let good = values("phone.requested", "", &app.channels.general, &[]);
    let submission = app.emu.view_submission(&view_id, &admin, good);
    app.emu
        .socket_send("interactive", submission, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(app.store.rules(TEAM).await.unwrap().len(), 1);
}

#[tokio::test]
async fn every_change_is_in_the_audit_trail_with_who_and_what() {
    let app = TestApp::start(json!([])).await;
    let admin = open_modal(&app).await;
    let picked = values("booking.created", "", &app.channels.general, &[]);
    interact(
        &app,
        &app.emu.view_submission(&admin.view_id, &admin.id, picked),
    )
    .await;
    run(&app, &admin.id, "lang en").await;

    let answer = run(&app, &admin.id, "audit").await;
    let text = answer["text"].as_str().unwrap();
    let lines: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].contains(&format!("<@{}>", admin.id)) && lines[0].contains("default → en"),
        "{text}"
    );
    assert!(
        lines[1].contains(&format!(
            "added Meeting booked → <#{}>",
            app.channels.general
        )),
        "{text}"
    );
    assert!(
        lines[2].contains("`herald rules import` (cli)") && lines[2].contains("0 → 0"),
        "{text}"
    );
}

#[tokio::test]
async fn an_admin_adds_an_error_rule_and_platform_errors_follow_it() {
    let app = TestApp::start(json!([])).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, "en-US");
    let trigger = app.emu.issue_trigger(TEAM, &admin);
    run_form(&app, command_form_with_trigger(&admin, "errors", &trigger)).await;
    let view = app.emu.views_opened().pop().unwrap();
    assert_eq!(view["title"]["text"], "Add an error rule");
    let view_id = view["id"].as_str().unwrap();

    let picked = |categories: &[&str]| {
        let options: Vec<Value> = categories
            .iter()
            .map(|c| json!({"text": {"type": "plain_text", "text": c}, "value": c}))
            .collect();
        json!({
            "categories": {"categories": {"type": "checkboxes", "selected_options": options}},
            "channel": {"channel": {"type": "conversations_select", "selected_conversation": app.channels.errors}},
            "mentions": {"mentions": {"type": "multi_users_select", "selected_users": ["U0OPS001"]}},
            "enabled": {"enabled": {"type": "checkboxes", "selected_options": [
                {"text": {"type": "plain_text", "text": "Enabled"}, "value": "on"}]}}
        })
    };
    let (_, answer) = interact(&app, &app.emu.view_submission(view_id, &admin, picked(&[]))).await;
    assert!(
        answer["errors"]["categories"].as_str().is_some(),
        "{answer}"
    );

    let (status, answer) = interact(
        &app,
        &app.emu
            .view_submission(view_id, &admin, picked(&["calendar", "delivery"])),
    )
    .await;
    assert_eq!((status, answer), (200, Value::Null));
    let event = json!({"type": "error.calendar", "occurred_at": "2026-11-21T10:00:00Z",
        "title": "Google Calendar token expired"});
    let (_, body) = crate::helpers::json(app.send(&event).await).await;
    app.settled(body["event_id"].as_str().unwrap()).await;
    let post = app
        .posts(&app.channels.errors)
        .pop()
        .expect("routed by the new error rule");
    assert!(post["text"].as_str().unwrap().contains("<@U0OPS001>"));
}
