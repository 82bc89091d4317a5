//! Callbacks to the platform as an attack surface: where an admin may point them (no
//! server-side request forgery, at set time and again at delivery), and what a stolen
//! callback is worth at Herald's own webhook (nothing).

use std::time::Duration;

use serde_json::{Value, json};

use crate::fake_platform::FakePlatform;
use crate::helpers::{Options, TEAM, TestApp, WEBHOOK_SECRET, eventually, json as answer_json};

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "conversation.message.created", "channel": "#general", "mentions": []}
    ])
}

fn chat(conversation: &str) -> Value {
    json!({
        "type": "conversation.message.created",
        "occurred_at": "2026-11-21T10:00:00+09:00",
        "conversation": {"id": conversation, "state": "open"},
        "customer": {"name": "山田 太郎"},
        "message": {"id": "m1", "text": "hello?", "author": {"kind": "customer"}},
    })
}

/// A conversation thread in #general; returns its `thread_ts`.
async fn open_thread(app: &TestApp, conversation: &str) -> String {
    let (status, body) = answer_json(app.send(&chat(conversation)).await).await;
    assert_eq!(status, 202, "{body}");
    app.settled(body["event_id"].as_str().unwrap()).await;
    app.posts(&app.channels.general)
        .into_iter()
        .find(|m| m["thread_ts"].is_null() || m["thread_ts"] == m["ts"])
        .expect("the thread's parent")["ts"]
        .as_str()
        .unwrap()
        .to_string()
}

/// An agent's note in the thread, as Slack delivers it to Herald.
async fn reply(app: &TestApp, agent: &str, thread_ts: &str, text: &str) {
    let (_, event) = app
        .emu
        .user_reply(&app.channels.general, thread_ts, agent, text);
    crate::threads::deliver(app, &event).await;
}

/// A Slack user an admin linked to a platform operator (a stranger's reply is held).
async fn agent(app: &TestApp, admin: &str) -> String {
    let agent = app.emu.add_user(TEAM, "agent", "agent@example.com");
    app.emu.set_user_locale(&agent, "en-US");
    crate::commands::run(app, admin, &format!("operator link op_agent <@{agent}>")).await;
    agent
}

fn admin(app: &TestApp) -> String {
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, "en-US");
    admin
}

fn strict() -> Options {
    Options {
        callback_allow_private: false,
        lang: "en",
        ..Options::default()
    }
}

#[tokio::test]
async fn a_callback_replayed_at_heralds_own_webhook_is_refused() {
    let app = TestApp::start(rules()).await;
    let platform = FakePlatform::start(WEBHOOK_SECRET).await;
    let admin = admin(&app);
    crate::commands::run(
        &app,
        &admin,
        &format!("connect callback {}", platform.url()),
    )
    .await;
    let thread_ts = open_thread(&app, "chat_replay").await;
    let agent = agent(&app, &admin).await;
    reply(&app, &agent, &thread_ts, "an internal note").await;
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].signature_ok, "{:?}", got[0].signature_error);

    // The same bytes and headers, at Herald's webhook for the same connection.
    let (status, body) = answer_json(
        app.send_raw(
            "default",
            &got[0].webhook_id,
            got[0].timestamp,
            &got[0].raw,
            Some(&got[0].signature),
        )
        .await,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_signature");
}

/// Every spelling of an address Herald must not send to, on the fake platform's port.
fn forbidden(port: u16) -> Vec<String> {
    [
        "https://10.0.0.1/cb".to_string(),
        "https://169.254.169.254/latest/meta-data/".to_string(),
        "https://127.0.0.1:6443/".to_string(),
        format!("http://0x7f000001:{port}/callbacks"),
        format!("http://127.0.0.1:{port}/callbacks"),
        format!("https://2130706433:{port}/callbacks"),
        format!("https://0177.0.0.1:{port}/callbacks"),
        format!("https://127.1:{port}/callbacks"),
        format!("https://[::1]:{port}/callbacks"),
        format!("https://[::ffff:127.0.0.1]:{port}/callbacks"),
        format!("https://localhost:{port}/callbacks"),
        "https://100.64.0.1/cb".to_string(),
        "https://[fd00::1]/cb".to_string(),
        "https://[fe80::1]/cb".to_string(),
        "https://224.0.0.1/cb".to_string(),
        "https://0.0.0.0/cb".to_string(),
        "https://192.0.2.1/cb".to_string(),
    ]
    .into()
}

#[tokio::test]
async fn private_and_special_callback_addresses_are_refused_when_set() {
    let app = TestApp::start_with(rules(), strict()).await;
    let admin = admin(&app);
    for url in forbidden(9) {
        let answer = crate::commands::run(&app, &admin, &format!("connect callback {url}")).await;
        let text = answer["text"].as_str().unwrap_or_default();
        assert!(text.contains("cannot receive replies"), "{url}: {answer}");
        assert_eq!(
            app.store.callback_url(TEAM, "default").await.unwrap(),
            None,
            "{url} was stored"
        );
    }
    // A public address is fine (an IP literal: no DNS needed here).
    let answer =
        crate::commands::run(&app, &admin, "connect callback https://93.184.216.34/cb").await;
    assert!(
        answer["text"].as_str().unwrap().contains("Replies"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_callback_url_that_became_private_is_refused_at_delivery() {
    let app = TestApp::start_with(rules(), strict()).await;
    let platform = FakePlatform::start(WEBHOOK_SECRET).await;
    let thread_ts = open_thread(&app, "chat_rebind").await;
    let admin = admin(&app);
    let agent = agent(&app, &admin).await;
    let urls = forbidden(platform.addr().port());
    for (n, url) in urls.iter().enumerate() {
        // As if it was public when set and its name now resolves elsewhere.
        app.store
            .set_callback_url(TEAM, "default", url)
            .await
            .unwrap();
        reply(&app, &agent, &thread_ts, &format!("note {n}")).await;
        let failed = eventually(|| async {
            let jobs: Vec<_> = app
                .store
                .jobs_for_team(TEAM)
                .await
                .unwrap()
                .into_iter()
                .filter(|j| j.kind == "platform.callback" && j.status == "failed")
                .collect();
            (jobs.len() > n).then_some(jobs)
        })
        .await;
        assert_eq!(failed.len(), n + 1, "{url}");
    }
    let jobs = app.store.jobs_for_team(TEAM).await.unwrap();
    for job in jobs.iter().filter(|j| j.kind == "platform.callback") {
        let error = job.last_error.as_deref().unwrap_or_default();
        assert!(error.starts_with("callback_address_refused"), "{error}");
    }
    assert!(platform.received().is_empty(), "nothing reached 127.0.0.1");
    // The author hears that it failed, not how (no status, no connect error).
    let warnings: Vec<String> = app
        .emu
        .ephemerals(&app.channels.general)
        .into_iter()
        .filter(|e| e["user"] == agent.as_str())
        .filter_map(|e| e["text"].as_str().map(str::to_string))
        .collect();
    assert!(!warnings.is_empty());
    for text in &warnings {
        assert!(text.contains("did not reach"), "{text}");
        for leak in ["refused", "loopback", "http_", "127.0.0.1", "connect"] {
            assert!(!text.contains(leak), "{text}");
        }
    }
}
