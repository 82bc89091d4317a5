//! `/herald` over HTTP (signed form posts) and Socket Mode, as Slack sends it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Options, TEAM, TestApp, now};

/// The real slash-command form from Slack's SDK tests, moved to our workspace and user,
/// with a fresh trigger id as Slack gives every command (so two runs of one command are
/// two requests, not a replay).
pub fn command_form(user: &str, text: &str) -> String {
    let trigger = format!("111.111.{:016x}", fastrand::u64(..));
    command_form_with_trigger(user, text, &trigger)
}

pub fn command_form_with_trigger(user: &str, text: &str, trigger: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/slack/slash_command_form.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let form: Vec<(String, String)> =
        serde_urlencoded::from_str(fixture["data"].as_str().unwrap()).unwrap();
    let form: Vec<(String, String)> = form
        .into_iter()
        .map(|(k, v)| match k.as_str() {
            "team_id" => (k, TEAM.to_string()),
            "user_id" => (k, user.to_string()),
            "command" => (k, "/herald".to_string()),
            "text" => (k, text.to_string()),
            "trigger_id" => (k, trigger.to_string()),
            _ => (k, v),
        })
        .collect();
    serde_urlencoded::to_string(form).unwrap()
}

pub async fn run(app: &TestApp, user: &str, text: &str) -> Value {
    run_form(app, command_form(user, text)).await
}

/// Posts a signed slash-command form; returns the JSON answer (Null for an empty one).
pub async fn run_form(app: &TestApp, body: String) -> Value {
    let response =
        crate::helpers::slack_form(&app.client, &app.address, "/slack/commands", body).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    }
}

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "booking.created", "meeting_type": null, "channel": "#general", "mentions": ["U0AAA111"]},
        {"kind": "event", "event_type": "booking.cancelled", "meeting_type": "mt_1", "channel": "#sales", "mentions": [], "enabled": false},
        {"kind": "error", "categories": ["calendar", "delivery"], "channel": "#herald-errors", "mentions": ["S0GRP001"]}
    ])
}

#[tokio::test]
async fn list_shows_every_rule_ephemerally_in_the_users_language() {
    let app = TestApp::start(rules()).await;
    let user = app.emu.add_user(TEAM, "sato", "sato@example.com");
    app.emu.set_user_locale(&user, "en-US");
    let answer = run(&app, &user, "list").await;
    assert_eq!(answer["response_type"], "ephemeral");
    let blocks = answer["blocks"].to_string();
    for expected in [
        "Herald notification rules",
        "Every meeting type",
        "Meeting booked",
        "Meeting type `mt_1`",
        "Meeting cancelled",
        "(off)",
        "Error notifications",
        "Calendar error, Slack delivery failure",
        &format!("<#{}>", app.channels.general),
        "<@U0AAA111>",
        "3 rules",
    ] {
        assert!(
            blocks.contains(expected),
            "{expected} missing from {blocks}"
        );
    }

    // A Japanese locale gets Japanese; one channel narrows the list.
    app.emu.set_user_locale(&user, "ja-JP");
    let other = app.emu.add_user(TEAM, "suzuki", "suzuki@example.com");
    app.emu.set_user_locale(&other, "ja-JP");
    let text = format!("list <#{}|general>", app.channels.general);
    let answer = run(&app, &other, &text).await;
    let blocks = answer["blocks"].to_string();
    assert!(
        blocks.contains("Herald の通知ルール") && blocks.contains("面談予約"),
        "{blocks}"
    );
    assert!(
        !blocks.contains("キャンセル"),
        "only #general's rules: {blocks}"
    );
}

#[tokio::test]
async fn unknown_or_empty_commands_get_help_not_silence() {
    let app = TestApp::start(rules()).await;
    let user = app.emu.add_user(TEAM, "sato", "sato@example.com");
    app.emu.set_user_locale(&user, "en-US");
    for (text, first_line) in [
        ("", "*Herald commands*"),
        ("frobnicate", "There is no `frobnicate` command."),
        ("lang klingon", "`klingon` is not a language Herald speaks"),
        (
            "list #general",
            "`#general` is not a channel Herald can read",
        ),
    ] {
        let answer = run(&app, &user, text).await;
        assert_eq!(answer["response_type"], "ephemeral");
        let blocks = answer["blocks"].to_string();
        assert!(blocks.contains(first_line), "{text:?}: {blocks}");
        assert!(
            blocks.contains("/herald list"),
            "{text:?} must show help: {blocks}"
        );
    }
}

#[tokio::test]
async fn export_prints_the_rules_in_the_import_format() {
    let app = TestApp::start(rules()).await;
    let user = app.emu.add_user(TEAM, "sato", "sato@example.com");
    let answer = run(&app, &user, "export").await;
    let text = answer["text"].as_str().unwrap();
    let json = text.split("```").nth(1).unwrap();
    let entries: Vec<herald::core::rules_json::RuleJson> = serde_json::from_str(json).unwrap();
    assert_eq!(
        herald::core::rules_json::validate_rules(&entries)
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn only_admins_change_the_language_and_notifications_follow_it() {
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general"}
    ]))
    .await;
    let member = app.emu.add_user(TEAM, "member", "member@example.com");
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&member, "en-US");

    let refused = run(&app, &member, "lang en").await;
    assert!(
        refused["text"]
            .as_str()
            .unwrap()
            .contains("Only workspace admins and owners")
    );
    assert_eq!(app.store.workspace_state(TEAM).await.unwrap().lang, None);

    let changed = run(&app, &admin, "lang en").await;
    assert!(
        changed["text"].as_str().unwrap().contains("English"),
        "{changed}"
    );
    let (_, body) = crate::helpers::json(
        app.send(&crate::helpers::booking("booking.created", "mt_1"))
            .await,
    )
    .await;
    app.settled(body["event_id"].as_str().unwrap()).await;
    let post = app.posts(&app.channels.general).pop().unwrap();
    assert!(
        post["text"].as_str().unwrap().contains("Meeting booked"),
        "{post}"
    );

    let shown = run(&app, &member, "lang").await;
    assert!(
        shown["text"].as_str().unwrap().contains("in English"),
        "{shown}"
    );
}

#[tokio::test]
async fn commands_with_a_bad_signature_are_refused() {
    let app = TestApp::start(json!([])).await;
    let body = command_form("U0NOBODY1", "lang en");
    let response = app
        .client
        .post(format!("{}/slack/commands", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", now().to_string())
        .header("x-slack-signature", "v0=0000")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn the_same_command_works_over_socket_mode() {
    let options = Options {
        socket_mode: true,
        ..Options::default()
    };
    let app = TestApp::start_with(rules(), options).await;
    assert!(
        app.emu
            .wait_socket_connections(2, Duration::from_secs(10))
            .await
    );
    let user = app.emu.add_user(TEAM, "sato", "sato@example.com");
    app.emu.set_user_locale(&user, "en-US");
    let payload: Value =
        serde_urlencoded::from_str::<Vec<(String, String)>>(&command_form(&user, "list"))
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect::<serde_json::Map<String, Value>>()
            .into();
    let ack = app
        .emu
        .socket_send("slash_commands", payload, Duration::from_secs(10))
        .await;
    let ack = ack.expect("acknowledged");
    assert_eq!(ack["payload"]["response_type"], "ephemeral", "{ack}");
    assert!(
        ack["payload"]["blocks"]
            .to_string()
            .contains("Meeting booked"),
        "{ack}"
    );
}

#[tokio::test]
async fn owners_name_herald_admins_who_may_then_change_settings() {
    let app = TestApp::start(json!([])).await;
    let owner = app.emu.add_user(TEAM, "owner", "owner@example.com");
    app.emu.set_user_role(&owner, true, true);
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    let member = app.emu.add_user(TEAM, "member", "member@example.com");
    for user in [&owner, &admin, &member] {
        app.emu.set_user_locale(user, "en-US");
    }

    let refused = run(&app, &member, "lang en").await;
    assert!(
        refused["text"]
            .as_str()
            .unwrap()
            .contains("Only workspace admins")
    );
    let not_owner = run(&app, &admin, &format!("admins add <@{member}|member>")).await;
    assert!(
        not_owner["text"]
            .as_str()
            .unwrap()
            .contains("Only workspace owners"),
        "{not_owner}"
    );

    let added = run(&app, &owner, &format!("admins add <@{member}|member>")).await;
    assert!(
        added["text"]
            .as_str()
            .unwrap()
            .contains("is now a Herald admin"),
        "{added}"
    );
    let listed = run(&app, &member, "admins").await;
    assert!(
        listed["text"]
            .as_str()
            .unwrap()
            .contains(&format!("<@{member}>")),
        "{listed}"
    );
    let allowed = run(&app, &member, "lang en").await;
    assert!(
        allowed["text"].as_str().unwrap().contains("English"),
        "{allowed}"
    );

    run(&app, &owner, &format!("admins remove <@{member}>")).await;
    let refused = run(&app, &member, "lang ja").await;
    assert!(
        refused["text"]
            .as_str()
            .unwrap()
            .contains("Only workspace admins")
    );
    let audit = run(&app, &owner, "audit").await.to_string();
    assert!(
        audit.contains("made a Herald admin") && audit.contains("removed a Herald admin"),
        "{audit}"
    );
}
