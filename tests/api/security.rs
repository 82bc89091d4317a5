//! Security issue 11: who may act as an operator, who is an admin, replayed Slack
//! requests and single-use install states.

use herald::signature::slack as slack_sig;
use serde_json::{Value, json};

use crate::helpers::{SIGNING_SECRET, TEAM, TestApp, now};

/// Posts `body` to `path` exactly as signed once at `timestamp`: what a replay looks like.
async fn post_signed(
    app: &TestApp,
    path: &str,
    body: &str,
    timestamp: i64,
    signature: &str,
) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(slack_sig::TIMESTAMP, timestamp.to_string())
        .header(slack_sig::SIGNATURE, signature)
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn language_changes(entries: &[herald::store::AuditEntry]) -> usize {
    entries
        .iter()
        .filter(|e| e.action == "language.changed")
        .count()
}

#[tokio::test]
async fn a_replayed_slash_command_is_refused_and_applied_once() {
    let app = TestApp::start(json!([])).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    let body = crate::commands::command_form(&admin, "lang en");
    let ts = now();
    let signature = slack_sig::sign(SIGNING_SECRET, ts, body.as_bytes());

    let (status, first) = post_signed(&app, "/slack/commands", &body, ts, &signature).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = post_signed(&app, "/slack/commands", &body, ts, &signature).await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"], "replayed_request");
    let audit = app.store.audit(TEAM, 50).await.unwrap();
    assert_eq!(language_changes(&audit), 1, "{audit:?}");

    // The same command run again is a new request (Slack gives it a new trigger_id) and
    // works.
    let body = crate::commands::command_form_with_trigger(&admin, "lang en", "222.222.yyy");
    let response =
        crate::helpers::slack_form(&app.client, &app.address, "/slack/commands", body).await;
    assert_eq!(response.status(), 200);
    let audit = app.store.audit(TEAM, 50).await.unwrap();
    assert_eq!(language_changes(&audit), 2);
}

#[tokio::test]
async fn a_replay_reaching_another_process_is_refused_too() {
    let app = TestApp::start(json!([])).await;
    let peer = app.peer().await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    let body = crate::commands::command_form(&admin, "lang en");
    let ts = now();
    let signature = slack_sig::sign(SIGNING_SECRET, ts, body.as_bytes());
    let (status, _) = post_signed(&app, "/slack/commands", &body, ts, &signature).await;
    assert_eq!(status, 200);
    let response = app
        .client
        .post(format!("{}/slack/commands", peer.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(slack_sig::TIMESTAMP, ts.to_string())
        .header(slack_sig::SIGNATURE, &signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    assert_eq!(
        language_changes(&app.store.audit(TEAM, 50).await.unwrap()),
        1
    );
}

#[tokio::test]
async fn a_replayed_button_press_is_refused_and_applied_once() {
    let app = TestApp::start(json!([])).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    crate::home::open_home(&app, &admin, "EvSEC1").await;
    let action = json!({"type": "button", "action_id": "herald_add_rule", "block_id": "b1",
        "text": {"type": "plain_text", "text": "x"}, "action_ts": "1700000000.000100"});
    let payload = app.emu.block_actions(None, &admin, TEAM, json!([action]));
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let ts = now();
    let signature = slack_sig::sign(SIGNING_SECRET, ts, body.as_bytes());
    let opened = app.emu.calls_to("views.open").len();

    let (status, _) = post_signed(&app, "/slack/interactions", &body, ts, &signature).await;
    assert_eq!(status, 200);
    assert_eq!(app.emu.calls_to("views.open").len(), opened + 1);
    let (status, again) = post_signed(&app, "/slack/interactions", &body, ts, &signature).await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"], "replayed_request");
    assert_eq!(
        app.emu.calls_to("views.open").len(),
        opened + 1,
        "the replay opened nothing"
    );
}

/// `/herald lang en` by `user`; whether the workspace's language changed to English.
async fn changes_language(app: &TestApp, user: &str) -> bool {
    let before = language_changes(&app.store.audit(TEAM, 50).await.unwrap());
    crate::commands::run(app, user, "lang en").await;
    language_changes(&app.store.audit(TEAM, 50).await.unwrap()) > before
}

#[tokio::test]
async fn guests_never_change_herald_even_when_named_herald_admins() {
    let app = TestApp::start(json!([])).await;
    let owner = app.emu.add_user(TEAM, "owner", "owner@example.com");
    app.emu.set_user_role(&owner, true, true);
    for single_channel in [false, true] {
        let guest = app.emu.add_user(TEAM, "guest", "guest@partner.example");
        // A workspace admin flag on a guest account is not Slack's doing, but Herald
        // must not lean on that: the guest flags decide.
        app.emu.set_user_role(&guest, true, false);
        app.emu.set_user_guest(&guest, single_channel);
        crate::commands::run(&app, &owner, &format!("admins add <@{guest}>")).await;
        assert!(
            app.store.is_listed_admin(TEAM, &guest).await.unwrap(),
            "the owner listed the guest"
        );
        assert!(
            !changes_language(&app, &guest).await,
            "a guest (single-channel: {single_channel}) changed the language"
        );
    }
    // A full member named a Herald admin still may.
    let member = app.emu.add_user(TEAM, "member", "member@example.com");
    crate::commands::run(&app, &owner, &format!("admins add <@{member}>")).await;
    assert!(changes_language(&app, &member).await);
}

#[tokio::test]
async fn an_admin_of_another_organisation_is_not_an_admin_here() {
    let app = TestApp::start(json!([])).await;
    // A Slack Connect channel joins this workspace and a partner's.
    app.emu.add_workspace("T0PARTNER1", "Partner");
    app.emu.add_channel(
        TEAM,
        crate::slack_emulator::ChannelSpec {
            name: "shared-with-partner".into(),
            bot_member: true,
            shared_from_team: Some("T0PARTNER1".into()),
            ..Default::default()
        },
    );
    let outsider = app
        .emu
        .add_user("T0PARTNER1", "their-owner", "owner@partner.example");
    app.emu.set_user_role(&outsider, true, true);
    assert!(
        !changes_language(&app, &outsider).await,
        "another organisation's owner changed Herald"
    );
    let answer = crate::commands::run(&app, &outsider, "admins add U0ANYONE1").await;
    assert!(
        !app.store.is_listed_admin(TEAM, "U0ANYONE1").await.unwrap(),
        "{answer}"
    );
}
