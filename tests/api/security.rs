//! Security issue 11: who may act as an operator, who is an admin, replayed Slack
//! requests and single-use install states.

use herald::core::signature::slack as slack_sig;
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

mod operators {
    use std::time::Duration;

    use serde_json::{Value, json};

    use crate::fake_platform::FakePlatform;
    use crate::helpers::{TEAM, TestApp, WEBHOOK_SECRET, eventually, json as answer_json};

    fn rules() -> Value {
        json!([
            {"kind": "event", "event_type": "conversation.message.created", "channel": "#general", "mentions": []}
        ])
    }

    /// A customer's message in a conversation assigned to `operator` (`email`).
    fn chat(conversation: &str, operator: &str, email: &str) -> Value {
        json!({
            "type": "conversation.message.created",
            "occurred_at": "2026-11-21T10:00:00+09:00",
            "conversation": {"id": conversation, "state": "open",
                             "assignee": {"id": operator, "email": email, "name": "Operator"}},
            "message": {"id": format!("m_{conversation}"), "text": "hello", "author": {"kind": "customer", "name": "Customer"}},
            "customer": {"name": "Customer"},
            "url": format!("https://inbox.example/conversations/{conversation}"),
        })
    }

    struct Setup {
        app: TestApp,
        platform: FakePlatform,
        admin: String,
    }

    async fn setup() -> Setup {
        let app = TestApp::start(rules()).await;
        let platform = FakePlatform::start(WEBHOOK_SECRET).await;
        let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
        app.emu.set_user_role(&admin, true, false);
        app.emu.set_user_locale(&admin, "en-US");
        crate::commands::run(
            &app,
            &admin,
            &format!("connect callback {}", platform.url()),
        )
        .await;
        Setup {
            app,
            platform,
            admin,
        }
    }

    /// Opens the conversation's thread; returns its ts.
    async fn thread(app: &TestApp, event: &Value) -> String {
        let (status, body) = answer_json(app.send(event).await).await;
        assert_eq!(status, 202, "{body}");
        app.settled(body["event_id"].as_str().unwrap()).await;
        let conversation = event["conversation"]["id"].as_str().unwrap();
        eventually(|| async {
            app.posts(&app.channels.general)
                .into_iter()
                .find(|m| m.to_string().contains(conversation) && m["thread_ts"].is_null())
                .and_then(|m| m["ts"].as_str().map(str::to_string))
        })
        .await
    }

    async fn reply(app: &TestApp, thread_ts: &str, user: &str, text: &str) {
        let (_, event) = app
            .emu
            .user_reply(&app.channels.general, thread_ts, user, text);
        crate::threads::deliver(app, &event).await;
    }

    /// The "reply held" notice `user` got (the n-th), once it is there.
    async fn held_notice(app: &TestApp, user: &str, n: usize) -> Value {
        eventually(|| async {
            let notices: Vec<Value> = app
                .emu
                .ephemerals(&app.channels.general)
                .into_iter()
                .filter(|e| e["user"] == user && e["blocks"].to_string().contains(":raised_hand:"))
                .collect();
            notices.get(n).cloned()
        })
        .await
    }

    async fn holder(app: &TestApp, operator: &str) -> Option<String> {
        app.store
            .operator(TEAM, operator)
            .await
            .unwrap()
            .and_then(|o| o.slack_user_id)
    }

    #[tokio::test]
    async fn nobody_takes_an_operator_someone_holds_and_an_admin_move_is_audited_and_told() {
        let Setup {
            app,
            platform,
            admin,
        } = setup().await;
        let thread_ts = thread(&app, &chat("chat_v", "op_1", "op@example.com")).await;
        // The operator the platform named by email is linked at their first reply.
        let victim = app.emu.add_user(TEAM, "victim", "op@example.com");
        reply(&app, &thread_ts, &victim, "on it").await;
        let got = platform.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(got[0].body["operator"]["id"], "op_1");
        assert_eq!(holder(&app, "op_1").await.as_deref(), Some(victim.as_str()));

        // A member cannot take it by command...
        let attacker = app.emu.add_user(TEAM, "mallory", "mallory@example.com");
        app.emu.set_user_locale(&attacker, "en-US");
        let answer = crate::commands::run(&app, &attacker, "operator link op_1").await;
        assert_eq!(answer["response_type"], "ephemeral");
        assert!(
            answer["text"].as_str().unwrap().contains("is linked to"),
            "{answer}"
        );
        assert_eq!(holder(&app, "op_1").await.as_deref(), Some(victim.as_str()));
        // ...nor be any operator the platform never named with their email...
        let answer = crate::commands::run(&app, &attacker, "operator link op_9").await;
        assert!(
            answer["text"]
                .as_str()
                .unwrap()
                .contains("has not told Herald"),
            "{answer}"
        );
        assert!(
            app.store
                .operator_of_user(TEAM, &attacker)
                .await
                .unwrap()
                .is_none()
        );

        // ...and their held reply offers no "Claim as", and a forged press is refused.
        reply(&app, &thread_ts, &attacker, "```refund approved```").await;
        let notice = held_notice(&app, &attacker, 0).await;
        assert!(
            !notice.to_string().contains("herald_reply_claim"),
            "{notice}"
        );
        let job = app
            .store
            .held_callbacks(TEAM, herald::delivery::callback::KIND)
            .await
            .unwrap()
            .into_iter()
            .find(|(_, payload)| payload.contains(&attacker))
            .map(|(id, _)| id)
            .expect("the attacker's reply is held");
        let answer = crate::threads::press_in_message(
            &app,
            &attacker,
            "herald_reply_claim",
            &format!("{job}|op_1"),
        )
        .await;
        assert!(answer.contains("is linked to"), "{answer}");
        assert_eq!(holder(&app, "op_1").await.as_deref(), Some(victim.as_str()));
        assert_eq!(
            platform.received().len(),
            1,
            "nothing sent under the victim's name"
        );

        // A member cannot move it for someone else either: that is an admin's.
        let answer = crate::commands::run(
            &app,
            &attacker,
            &format!("operator link op_1 <@{attacker}>"),
        )
        .await;
        assert!(
            answer["text"]
                .as_str()
                .unwrap()
                .contains("Only workspace admins"),
            "{answer}"
        );
        assert_eq!(holder(&app, "op_1").await.as_deref(), Some(victim.as_str()));

        // An admin moves it: audited, both told, the held reply goes out.
        let answer =
            crate::commands::run(&app, &admin, &format!("operator link op_1 <@{attacker}>")).await;
        assert!(
            answer["text"].as_str().unwrap().contains("Moved operator"),
            "{answer}"
        );
        assert_eq!(
            holder(&app, "op_1").await.as_deref(),
            Some(attacker.as_str())
        );
        let audit = app.store.audit(TEAM, 20).await.unwrap();
        let moved = audit
            .iter()
            .find(|e| e.action == "operator.linked")
            .expect("an audit row");
        assert_eq!(moved.actor, admin);
        assert!(moved.before_json.as_deref().unwrap().contains(&victim));
        assert!(moved.after_json.as_deref().unwrap().contains(&attacker));
        let dms: Vec<Value> = app
            .emu
            .calls_to("conversations.open")
            .into_iter()
            .map(|c| c.args["users"].clone())
            .collect();
        for told in [&victim, &attacker] {
            assert!(
                dms.iter().any(|u| u == told.as_str()),
                "{told} not told: {dms:?}"
            );
        }
        let got = platform.wait_for(2, Duration::from_secs(10)).await;
        assert_eq!(got[1].body["operator"]["id"], "op_1");
        assert_eq!(got[1].body["operator"]["slack_user_id"], attacker.as_str());
    }

    #[tokio::test]
    async fn claim_is_offered_to_admins_for_an_operator_nobody_holds() {
        let Setup {
            app,
            platform,
            admin,
        } = setup().await;
        let thread_ts = thread(&app, &chat("chat_a", "op_2", "op2@example.com")).await;
        // A member with another email: held, no claim.
        let member = app.emu.add_user(TEAM, "member", "member@example.com");
        reply(&app, &thread_ts, &member, "```hi```").await;
        let notice = held_notice(&app, &member, 0).await;
        assert!(
            !notice.to_string().contains("herald_reply_claim"),
            "{notice}"
        );
        // An admin (also another email): held, with "Claim as", which works.
        reply(&app, &thread_ts, &admin, "```we can help```").await;
        let notice = held_notice(&app, &admin, 0).await;
        let value = notice["blocks"][1]["elements"][0]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("a claim button: {notice}"))
            .to_string();
        assert!(value.ends_with("|op_2"), "{value}");
        let answer =
            crate::threads::press_in_message(&app, &admin, "herald_reply_claim", &value).await;
        assert!(answer.contains("op_2"), "{answer}");
        let got = platform.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(got[0].body["text"], "we can help");
        assert_eq!(got[0].body["operator"]["slack_user_id"], admin.as_str());
        assert_eq!(holder(&app, "op_2").await.as_deref(), Some(admin.as_str()));
    }
}
