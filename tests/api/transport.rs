//! Slack → Herald: HTTP Events API (signed, url_verification, retries) and Socket Mode.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Options, TEAM, TestApp, now};

/// A real Slack payload from the SDK test suites, moved to our workspace.
fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/slack/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut data: Value = serde_json::from_str::<Value>(&text).unwrap()["data"].clone();
    if data.get("team_id").is_some() {
        data["team_id"] = json!(TEAM);
    }
    data
}

#[tokio::test]
async fn url_verification_is_answered_with_the_challenge() {
    let app = TestApp::start(json!([])).await;
    let body = fixture("url_verification").to_string();
    let response = app.slack_post("/slack/events", &body, now(), &[]).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
}

#[tokio::test]
async fn unsigned_forged_or_stale_slack_requests_are_rejected() {
    let app = TestApp::start(json!([])).await;
    let body = fixture("app_uninstalled").to_string();
    let forged = app
        .client
        .post(format!("{}/slack/events", app.address))
        .header("x-slack-request-timestamp", now().to_string())
        .header("x-slack-signature", "v0=deadbeef")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let unsigned = app
        .client
        .post(format!("{}/slack/events", app.address))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let stale = app
        .slack_post("/slack/events", &body, now() - 10 * 60, &[])
        .await;
    assert_eq!(stale.status(), 401);
    assert_eq!(app.store.count_slack_events(TEAM).await.unwrap(), 0);
}

#[tokio::test]
async fn a_retried_event_is_handled_once() {
    let app = TestApp::start(json!([])).await;
    let body = fixture("tokens_revoked").to_string();
    let first = app.slack_post("/slack/events", &body, now(), &[]).await;
    let retry = app
        .slack_post(
            "/slack/events",
            &body,
            now(),
            &[
                ("x-slack-retry-num", "1"),
                ("x-slack-retry-reason", "http_timeout"),
            ],
        )
        .await;
    assert_eq!(
        (first.status().as_u16(), retry.status().as_u16()),
        (200, 200)
    );
    assert_eq!(app.store.count_slack_events(TEAM).await.unwrap(), 1);
}

#[tokio::test]
async fn malformed_slack_payload_is_a_clear_400() {
    let app = TestApp::start(json!([])).await;
    let response = app
        .slack_post("/slack/events", "{\"type\": 42}", now(), &[])
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "malformed_event");
}

#[tokio::test]
async fn socket_mode_connects_acks_envelopes_and_handles_each_event_once() {
    let options = Options {
        socket_mode: true,
        ..Options::default()
    };
    let app = TestApp::start_with(json!([]), options).await;
    assert!(
        app.emu
            .wait_socket_connections(2, Duration::from_secs(10))
            .await,
        "2 connections by default"
    );
    let payload = fixture("app_uninstalled");
    for _ in 0..2 {
        let ack = app
            .emu
            .socket_send("events_api", payload.clone(), Duration::from_secs(10))
            .await;
        let ack = ack.expect("Herald acks every envelope");
        assert!(ack["envelope_id"].as_str().is_some_and(|id| !id.is_empty()));
    }
    assert_eq!(
        app.store.count_slack_events(TEAM).await.unwrap(),
        1,
        "a redelivery counts once"
    );

    // Slack asks clients to reconnect from time to time; Herald does and keeps working.
    app.emu.socket_disconnect_all("refresh_requested").await;
    let mut again = payload.clone();
    again["event_id"] = json!("Ev222");
    let ack = app
        .emu
        .socket_send("events_api", again, Duration::from_secs(20))
        .await;
    assert!(ack.is_some(), "events flow again after a refresh");
    assert_eq!(app.store.count_slack_events(TEAM).await.unwrap(), 2);
}

#[tokio::test]
async fn uninstall_stops_queued_notifications_and_refuses_webhooks_until_reinstalled() {
    let mut options = Options::default();
    // A long pacing interval keeps the second notification waiting in the queue.
    options.delivery.channel_interval = Duration::from_secs(60);
    let mut app = TestApp::start_with(
        json!([{"kind": "event", "event_type": "booking.created", "channel": "#general"}]),
        options,
    )
    .await;
    let (_, first) = crate::helpers::json(
        app.send(&crate::helpers::booking("booking.created", "mt_1"))
            .await,
    )
    .await;
    app.settled(first["event_id"].as_str().unwrap()).await;
    let (_, queued) = crate::helpers::json(
        app.send(&crate::helpers::booking("booking.created", "mt_1"))
            .await,
    )
    .await;
    let queued = queued["event_id"].as_str().unwrap().to_string();
    assert_eq!(app.jobs(&queued).await[0].status, "pending");

    let response = app
        .slack_post(
            "/slack/events",
            &fixture("app_uninstalled").to_string(),
            now(),
            &[],
        )
        .await;
    assert_eq!(response.status(), 200);
    let job = app.jobs(&queued).await.remove(0);
    assert_eq!(job.status, "failed");
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .starts_with("app_uninstalled"),
        "{job:?}"
    );

    let (status, body) = crate::helpers::json(
        app.send(&crate::helpers::booking("booking.created", "mt_1"))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (410, Some("workspace_disconnected"))
    );

    // Installing again (Herald starts with a valid token) reconnects the workspace.
    app.stop().await;
    app.restart().await;
    let (status, _) = crate::helpers::json(
        app.send(&crate::helpers::booking("booking.created", "mt_1"))
            .await,
    )
    .await;
    assert_eq!(status, 202);
}

#[tokio::test]
async fn tokens_revoked_disconnects_only_when_it_names_herald_s_bot() {
    let app = TestApp::start(json!([])).await;
    let other_user = fixture("tokens_revoked");
    let response = app
        .slack_post("/slack/events", &other_user.to_string(), now(), &[])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.store.disconnect_reason(TEAM).await.unwrap(), None);

    let mut ours = fixture("tokens_revoked");
    ours["event_id"] = json!("Ev999");
    ours["event"]["tokens"]["bot"] = json!([app.ws.bot_user_id]);
    let response = app
        .slack_post("/slack/events", &ours.to_string(), now(), &[])
        .await;
    assert_eq!(response.status(), 200);
    let reason = app.store.disconnect_reason(TEAM).await.unwrap().unwrap();
    assert!(reason.starts_with("tokens_revoked"), "{reason}");
}
