//! The platform webhook contract: signatures, limits, errors, idempotency.

use serde_json::{Value, json};

use crate::helpers::{TEAM, TestApp, booking, json, now};

fn rules() -> Value {
    json!([{"kind": "event", "event_type": "booking.created", "meeting_type": null,
            "channel": "#general", "mentions": ["U0AAA111"]}])
}

#[tokio::test]
async fn signed_event_is_accepted_with_its_routes() {
    let app = TestApp::start(rules()).await;
    let (status, body) = json(app.send(&booking("booking.created", "mt_1")).await).await;
    assert_eq!(status, 202);
    assert_eq!(body["routes"], 1);
    let event_id = body["event_id"].as_str().unwrap();
    assert!(app.store.event(TEAM, event_id).await.unwrap().is_some());
}

#[tokio::test]
async fn repeated_webhook_id_is_answered_200_and_sent_once() {
    let app = TestApp::start(rules()).await;
    let body = booking("booking.created", "mt_1").to_string();
    let first = json(
        app.send_raw("default", "msg_repeat", now(), body.as_bytes(), None)
            .await,
    )
    .await;
    let second = json(
        app.send_raw("default", "msg_repeat", now(), body.as_bytes(), None)
            .await,
    )
    .await;
    assert_eq!((first.0, second.0), (202, 200));
    assert_eq!(first.1["event_id"], second.1["event_id"]);
    assert_eq!(second.1["duplicate"], true);
    let event_id = first.1["event_id"].as_str().unwrap();
    app.settled(event_id).await;
    assert_eq!(app.posts(&app.channels.general).len(), 1);
    assert_eq!(app.store.count_events(TEAM).await.unwrap(), 1);
}

#[tokio::test]
async fn bad_requests_get_a_named_error_and_store_nothing() {
    let app = TestApp::start(rules()).await;
    let good = booking("booking.created", "mt_1").to_string();
    let mut big = booking("booking.created", "mt_1");
    big["title"] = json!("x".repeat(300 * 1024));
    let big = big.to_string();
    let stale = now() - 6 * 60;
    // (case, connection, timestamp, body, signature override, status, error code)
    type Case<'a> = (
        &'a str,
        &'a str,
        i64,
        Vec<u8>,
        Option<&'a str>,
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "wrong signature",
            "default",
            now(),
            good.clone().into_bytes(),
            Some("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            401,
            "invalid_signature",
        ),
        (
            "no v1 signature",
            "default",
            now(),
            good.clone().into_bytes(),
            Some("v2,abc"),
            401,
            "invalid_signature",
        ),
        (
            "replayed timestamp",
            "default",
            stale,
            good.clone().into_bytes(),
            None,
            401,
            "invalid_signature",
        ),
        (
            "unknown connection",
            "nope",
            now(),
            good.clone().into_bytes(),
            None,
            404,
            "unknown_connection",
        ),
        (
            "oversized body",
            "default",
            now(),
            big.into_bytes(),
            None,
            413,
            "body_too_large",
        ),
        (
            "malformed JSON",
            "default",
            now(),
            b"{\"type\": ".to_vec(),
            None,
            400,
            "malformed_json",
        ),
        (
            "unknown type",
            "default",
            now(),
            br#"{"type":"booking.exploded","occurred_at":"2026-11-21T10:00:00Z"}"#.to_vec(),
            None,
            422,
            "unknown_event_type",
        ),
        (
            "conversation event without its conversation",
            "default",
            now(),
            br#"{"type":"conversation.closed","occurred_at":"2026-11-21T10:00:00Z"}"#.to_vec(),
            None,
            422,
            "invalid_field",
        ),
        (
            "forged delivery error",
            "default",
            now(),
            br#"{"type":"error.delivery","occurred_at":"2026-11-21T10:00:00Z"}"#.to_vec(),
            None,
            422,
            "unknown_event_type",
        ),
        (
            "invalid field",
            "default",
            now(),
            br#"{"type":"booking.created","occurred_at":"yesterday"}"#.to_vec(),
            None,
            422,
            "invalid_field",
        ),
    ];
    for (name, connection, ts, body, signature, status, code) in cases {
        let id = format!("msg_{name}").replace(' ', "_");
        let (got, body) = json(app.send_raw(connection, &id, ts, &body, signature).await).await;
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(body["error"], code, "{name}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}: {body}"
        );
    }
    let (_, body) = json(
        app.send_raw(
            "default",
            "msg_field",
            now(),
            br#"{"type":"booking.created","occurred_at":"yesterday"}"#,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(body["field"], "occurred_at");
    assert_eq!(app.store.count_events(TEAM).await.unwrap(), 0);
    assert!(app.store.jobs_for_team(TEAM).await.unwrap().is_empty());
    assert!(app.emu.calls_to("chat.postMessage").is_empty());
}

#[tokio::test]
async fn a_signature_with_the_previous_secret_among_several_is_accepted() {
    let app = TestApp::start(rules()).await;
    let body = booking("booking.created", "mt_1").to_string();
    let key = herald::config::WebhookSecret::parse(crate::helpers::WEBHOOK_SECRET).unwrap();
    let ts = now();
    let valid = herald::core::signature::standard_webhooks::sign(
        key.key(),
        "msg_multi",
        ts,
        body.as_bytes(),
    );
    let header = format!("v1,bm90IHRoZSByaWdodCBzaWduYXR1cmUgYXQgYWxsIQ== {valid}");
    let (status, _) = json(
        app.send_raw("default", "msg_multi", ts, body.as_bytes(), Some(&header))
            .await,
    )
    .await;
    assert_eq!(status, 202);
}

#[tokio::test]
async fn an_event_no_rule_matches_is_stored_with_no_routes() {
    let app = TestApp::start(rules()).await;
    let (status, body) = json(app.send(&booking("phone.requested", "mt_1")).await).await;
    assert_eq!((status, body["routes"].as_u64()), (202, Some(0)));
}

#[tokio::test]
async fn concurrent_repeats_of_one_webhook_id_store_one_event_and_post_once() {
    let app = TestApp::start(rules()).await;
    let body = booking("booking.created", "mt_1").to_string();
    let ts = now();
    let sends = (0..8).map(|_| app.send_raw("default", "msg_race", ts, body.as_bytes(), None));
    let answers = futures_util::future::join_all(sends).await;
    let mut statuses = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for answer in answers {
        let (status, body) = json(answer).await;
        statuses.push(status);
        ids.insert(body["event_id"].as_str().unwrap().to_string());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 202]);
    assert_eq!(ids.len(), 1, "every answer names the one stored event");
    let event_id = ids.into_iter().next().unwrap();
    app.settled(&event_id).await;
    assert_eq!(app.store.jobs_for_team(TEAM).await.unwrap().len(), 1);
    assert_eq!(app.posts(&app.channels.general).len(), 1);
}
