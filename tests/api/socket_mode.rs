//! Socket Mode under the faults Slack's users meet: `disconnect` with each reason, a
//! socket that goes silent without closing, Slack's edge dropping every connection,
//! `apps.connections.open` failing for a while, and connections rotated across several
//! (accelerated) 5-hour lifetimes. In each case commands are answered, events are
//! handled once, and `/readyz` tells the truth.

use std::collections::HashMap;
use std::time::Duration;

use herald::config::SocketTiming;
use serde_json::Value;

use crate::commands::command_form;
use crate::helpers::{Options, TestApp, eventually_within};
use crate::metrics::{scrape, value};
use crate::slack_emulator::Fault;
use crate::threads::{chat, message, parents, rules, send_settled, with_platform};

/// Slack's hours in a test's seconds.
fn fast() -> SocketTiming {
    SocketTiming {
        ping_interval: Duration::from_millis(200),
        stale_after: Duration::from_millis(1_000),
        refresh_margin: Duration::from_millis(1_000),
        connect_timeout: Duration::from_secs(2),
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_millis(800),
        outage_after: Duration::from_millis(500),
        report_every: Duration::from_secs(1),
    }
}

fn options() -> Options {
    Options {
        socket_mode: true,
        socket_timing: fast(),
        ..Options::default()
    }
}

/// A `/herald` command as Slack's `slash_commands` envelope payload.
fn command_payload(user: &str, text: &str) -> Value {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&command_form(user, text))
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect::<serde_json::Map<String, Value>>()
        .into()
}

/// Types `/herald list` until Slack gets an answer within its 3 seconds, as a person
/// who saw "operation_timeout" would; returns the answer and how many tries it took.
async fn list_until_answered(app: &TestApp, user: &str) -> (Value, usize) {
    for attempt in 1..=10 {
        let ack = app
            .emu
            .socket_send(
                "slash_commands",
                command_payload(user, "list"),
                Duration::from_secs(3),
            )
            .await;
        if let Some(ack) = ack {
            return (ack, attempt);
        }
    }
    panic!("/herald was never answered over Socket Mode");
}

fn assert_listed(ack: &Value) {
    assert_eq!(ack["payload"]["response_type"], "ephemeral", "{ack}");
}

/// Every envelope Herald acknowledged, acknowledged once.
fn assert_each_acked_once(app: &TestApp) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for ack in app.emu.socket_acks() {
        *seen
            .entry(ack["envelope_id"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "acknowledged more than once: {twice:?}");
}

async fn readyz(app: &TestApp) -> (u16, String) {
    let response = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn wait_ready(app: &TestApp) -> String {
    eventually_within(Duration::from_secs(15), "/readyz ready", || async {
        let (status, body) = readyz(app).await;
        (status == 200).then_some(body)
    })
    .await
}

async fn member(app: &TestApp) -> String {
    let user = app
        .emu
        .add_user(crate::helpers::TEAM, "sato", "sato@example.com");
    app.emu.set_user_locale(&user, "en-US");
    user
}

#[tokio::test]
async fn each_disconnect_reason_gets_a_replacement_before_the_old_socket_closes() {
    let app = TestApp::start_with(rules(), options()).await;
    let user = member(&app).await;
    assert!(
        app.emu
            .wait_socket_connections(2, Duration::from_secs(10))
            .await
    );
    for reason in [
        "refresh_requested",
        "warning",
        "link_disabled",
        "something_new",
    ] {
        let before = app.emu.socket_opened();
        app.emu
            .socket_disconnect_oldest(reason, Duration::from_secs(2));
        // A replacement opens at once, while the told socket still serves.
        eventually_within(Duration::from_secs(10), reason, || async {
            (app.emu.socket_opened() > before).then_some(())
        })
        .await;
        let (ack, _) = list_until_answered(&app, &user).await;
        assert_listed(&ack);
        assert!(
            app.emu
                .wait_socket_connections(2, Duration::from_secs(10))
                .await,
            "back to 2 connections after {reason}"
        );
    }
    assert_eq!(
        app.emu.socket_opened(),
        2 + 4,
        "one replacement per disconnect"
    );
    assert_eq!(app.emu.socket_gaps(), 0, "a moment with no connection open");
    assert_each_acked_once(&app);
    let body = wait_ready(&app).await;
    assert!(body.contains("2 Socket Mode connections live"), "{body}");

    // The metrics tell the same story.
    let samples = scrape(&app).await;
    assert_eq!(
        value(&samples, "herald_socket_connections_live", &[]),
        Some(2.0)
    );
    for reason in ["refresh_requested", "warning", "link_disabled", "other"] {
        assert_eq!(
            value(
                &samples,
                "herald_socket_reconnects_total",
                &[("reason", reason)]
            ),
            Some(1.0),
            "{reason}"
        );
    }
    assert!(
        value(&samples, "herald_socket_seconds_since_envelope", &[]).is_some(),
        "commands were answered, so an envelope arrived"
    );
}

#[tokio::test]
async fn a_socket_that_goes_silent_without_closing_is_replaced_and_its_events_redelivered() {
    let (app, platform, operator) = with_platform(rules(), options()).await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_s1",
            message("m1", "hello?"),
        ),
    )
    .await;
    let thread_ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();
    assert!(
        app.emu
            .wait_socket_connections(2, Duration::from_secs(10))
            .await
    );
    let opened = app.emu.socket_opened();

    // Both sockets stop carrying anything; neither side closes them.
    app.emu.socket_freeze_all();
    let (_, reply) = app.emu.user_reply(
        &app.channels.general,
        &thread_ts,
        &operator,
        "```heard through the silence```",
    );
    let (ack, deliveries) = app.emu.socket_deliver_event(reply.clone()).await;
    assert!(ack.is_some(), "the event was never acknowledged");
    assert!(
        app.emu.socket_opened() >= opened + 2,
        "both silent sockets replaced"
    );

    // Slack redelivering it once more (an ack lost on the way) changes nothing.
    let (again, _) = app.emu.socket_deliver_event(reply).await;
    assert!(again.is_some());
    let got = platform.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(
        got.len(),
        1,
        "forwarded once after {deliveries} deliveries: {got:?}"
    );
    assert_eq!(got[0].body["text"], "heard through the silence");
    let user = member(&app).await;
    let (ack, _) = list_until_answered(&app, &user).await;
    assert_listed(&ack);
    assert_each_acked_once(&app);
}

#[tokio::test]
async fn when_slack_drops_every_connection_at_once_herald_reconnects_and_answers() {
    let app = TestApp::start_with(rules(), options()).await;
    let user = member(&app).await;
    assert!(
        app.emu
            .wait_socket_connections(2, Duration::from_secs(10))
            .await
    );
    wait_ready(&app).await;
    for _ in 0..3 {
        app.emu.socket_drop_all().await;
        let (ack, _) = list_until_answered(&app, &user).await;
        assert_listed(&ack);
    }
    assert!(
        app.emu
            .wait_socket_connections(2, Duration::from_secs(10))
            .await
    );
    assert_each_acked_once(&app);
    wait_ready(&app).await;
}

#[tokio::test]
async fn while_apps_connections_open_fails_herald_backs_off_is_not_ready_and_then_recovers() {
    let app = TestApp::start_with(rules(), options()).await;
    let user = member(&app).await;
    assert!(
        app.emu
            .wait_socket_connections(2, Duration::from_secs(10))
            .await
    );
    wait_ready(&app).await;
    let faults = [
        Fault::ServerError(503),
        Fault::ApiError("internal_error".into()),
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        Fault::Reset,
        Fault::ServerError(500),
    ];
    let count = faults.len();
    for fault in faults {
        app.emu.inject("apps.connections.open", fault);
    }
    let calls_before = app.emu.received("apps.connections.open");
    app.emu.socket_drop_all().await;

    // No connection: /readyz says so, with why.
    let body = eventually_within(Duration::from_secs(10), "/readyz not ready", || async {
        let (status, body) = readyz(&app).await;
        (status == 503 && body.contains("apps.connections.open")).then_some(body)
    })
    .await;
    assert!(body.contains("no Socket Mode connection is live"), "{body}");

    let (ack, _) = list_until_answered(&app, &user).await;
    assert_listed(&ack);
    assert!(
        app.emu
            .wait_socket_connections(2, Duration::from_secs(15))
            .await
    );
    assert_eq!(app.emu.faulted("apps.connections.open"), count);
    let mut opens: Vec<_> = app
        .emu
        .calls()
        .into_iter()
        .filter(|c| c.method == "apps.connections.open")
        .map(|c| c.at)
        .collect();
    opens.sort();
    let opens = &opens[calls_before..];
    assert_eq!(
        opens.len(),
        count + 2,
        "the failures, then one success each"
    );
    // The two lost connections are reopened at once; from the first failure on, one
    // attempt at a time, each after a backoff (at least half the 100 ms base).
    for pair in opens[1..=count].windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(50),
            "an open without backoff: {:?}",
            pair[1] - pair[0]
        );
    }
    // The third attempt met `ratelimited` with `Retry-After: 1`: the next one waited.
    assert!(
        opens[3] - opens[2] >= Duration::from_secs(1),
        "Retry-After ignored"
    );
    wait_ready(&app).await;
}

#[tokio::test]
async fn connections_are_renewed_across_several_lifetimes_with_no_moment_without_one() {
    let app = TestApp::start_with(rules(), options()).await;
    let user = member(&app).await;
    // Each connection "lives 5 hours" in 3 s: hello announces 3 s, Slack asks for a
    // refresh at 3 s and closes the socket 2 s later. Herald renews 1 s before the end.
    app.emu
        .set_socket_lifetime(3, Duration::from_secs(3), Duration::from_secs(2));
    app.emu.socket_drop_all().await;
    assert!(
        app.emu
            .wait_socket_connections(2, Duration::from_secs(10))
            .await
    );
    let start = app.emu.socket_opened();
    let gaps = app.emu.socket_gaps();

    let mut fewest = usize::MAX;
    let mut answered = 0;
    while app.emu.socket_opened() < start + 2 * 4 {
        fewest = fewest.min(app.emu.socket_connection_count());
        let ack = app
            .emu
            .socket_send(
                "slash_commands",
                command_payload(&user, "list"),
                Duration::from_secs(3),
            )
            .await;
        if ack.is_some() {
            answered += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(fewest >= 1, "a moment with no connection open");
    assert_eq!(
        app.emu.socket_gaps(),
        gaps,
        "the last connection closed before its replacement"
    );
    assert!(answered > 0);
    assert_each_acked_once(&app);
    let (ack, _) = list_until_answered(&app, &user).await;
    assert_listed(&ack);
}

#[tokio::test]
async fn a_command_envelope_slack_sends_again_is_answered_once() {
    let app = TestApp::start_with(rules(), options()).await;
    let user = member(&app).await;
    assert!(
        app.emu
            .wait_socket_connections(2, Duration::from_secs(10))
            .await
    );
    let envelope = serde_json::json!({
        "envelope_id": "1d3b8f1e-0000-4000-8000-00000000c0de",
        "type": "slash_commands",
        "payload": command_payload(&user, "list"),
        "accepts_response_payload": true,
    });
    let first = app
        .emu
        .socket_send_raw(envelope.clone(), Duration::from_secs(10))
        .await
        .expect("answered");
    assert_listed(&first);
    let second = app
        .emu
        .socket_send_raw(envelope, Duration::from_secs(10))
        .await
        .expect("acknowledged again, so Slack stops sending it");
    assert!(second.get("payload").is_none(), "handled twice: {second}");
}
