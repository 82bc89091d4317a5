//! Hostile or broken input: what a database cannot store, requests that would fail their
//! neighbours' group commit, jobs whose outcome cannot be recorded, unbounded ids.

use std::time::Duration;

use herald::store::Backend;
use serde_json::{Value, json};

use crate::helpers::{Options, TEAM, TestApp, booking, json, now};

fn rules() -> Value {
    json!([{"kind": "event", "event_type": "booking.created", "meeting_type": null,
            "channel": "#general", "mentions": ["U0AAA111"]}])
}

/// Makes every write matching `when` fail on either backend, as a value the database
/// cannot store would (a NUL byte on PostgreSQL): a trigger that raises.
async fn poison(app: &TestApp, table: &str, timing: &str, when: &str) {
    let pool = app.store.pool();
    let statements = match app.store.backend() {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER herald_test_poison {timing} ON {table} WHEN {when} \
             BEGIN SELECT RAISE(ABORT, 'poisoned write'); END"
        )],
        Backend::Postgres => vec![
            "CREATE FUNCTION herald_test_poison() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'poisoned write'; END $$ LANGUAGE plpgsql"
                .to_string(),
            format!(
                "CREATE TRIGGER herald_test_poison {timing} ON {table} FOR EACH ROW \
                 WHEN ({when}) EXECUTE FUNCTION herald_test_poison()"
            ),
        ],
    };
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(pool)
            .await
            .expect("create the poisoning trigger");
    }
}

#[tokio::test]
async fn a_webhook_id_longer_than_256_bytes_is_refused_naming_it() {
    let app = TestApp::start(rules()).await;
    let body = booking("booking.created", "mt_1").to_string();
    let long = format!("msg_{}", "a".repeat(3000));
    let (status, answer) = json(
        app.send_raw("default", &long, now(), body.as_bytes(), None)
            .await,
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"], "invalid_header");
    assert_eq!(answer["field"], "webhook-id");
    // 256 bytes is still fine.
    let edge = format!("msg_{}", "b".repeat(252));
    let (status, answer) = json(
        app.send_raw("default", &edge, now(), body.as_bytes(), None)
            .await,
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(app.store.count_events(TEAM).await.unwrap(), 1);
}

#[tokio::test]
async fn strings_a_database_cannot_store_are_refused_naming_the_field() {
    let app = TestApp::start(rules()).await;
    let good = booking("booking.created", "mt_1").to_string();
    // Spelled as JSON escapes, as a platform would send them.
    let cases = [
        (good.replacen("初回面談のご予約", r"a\u0000b", 1), "title"),
        (good.replacen("山田 太郎", r"\u0000", 1), "customer.name"),
        (good.replacen("予算", r"k\u0000", 1), r"fields.k\u0000"),
        (good.replacen("初回面談のご予約", r"\ud800", 1), "title"),
        (
            good.replacen("ACME株式会社", r"x\udfff", 1),
            "customer.company",
        ),
    ];
    for (n, (body, field)) in cases.iter().enumerate() {
        assert_ne!(body, &good, "case {n} changed the body");
        let id = format!("msg_unstorable_{n}");
        let (status, answer) = json(
            app.send_raw("default", &id, now(), body.as_bytes(), None)
                .await,
        )
        .await;
        assert_eq!(status, 422, "{field}: {answer}");
        assert_eq!(answer["error"], "invalid_field", "{field}: {answer}");
        assert_eq!(answer["field"], *field, "{answer}");
    }
    assert_eq!(app.store.count_events(TEAM).await.unwrap(), 0);
    assert!(app.store.jobs_for_team(TEAM).await.unwrap().is_empty());
}

#[tokio::test]
async fn one_request_that_cannot_be_stored_fails_alone_in_its_group_commit() {
    let app = TestApp::start(rules()).await;
    poison(
        &app,
        "events",
        "BEFORE INSERT",
        "NEW.webhook_id = 'msg_poison'",
    )
    .await;
    let body = booking("booking.created", "mt_1").to_string();
    let sends = (0..64).map(|n| {
        let id = if n == 32 {
            "msg_poison".to_string()
        } else {
            format!("msg_batch_{n}")
        };
        let (app, body) = (&app, &body);
        async move {
            let status = app
                .send_raw("default", &id, now(), body.as_bytes(), None)
                .await
                .status()
                .as_u16();
            (id, status)
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    for (id, status) in &answers {
        let expected = if id == "msg_poison" { 503 } else { 202 };
        assert_eq!(*status, expected, "{id}: {answers:?}");
    }
    assert_eq!(app.store.count_events(TEAM).await.unwrap(), 63);
}

#[tokio::test]
async fn a_job_whose_outcome_cannot_be_recorded_fails_after_its_budget() {
    let mut options = Options::default();
    options.delivery.lease = Duration::from_millis(500);
    let app = TestApp::start_with(rules(), options).await;
    poison(&app, "jobs", "BEFORE UPDATE", "NEW.status = 'done'").await;
    let (status, answer) = json(app.send(&booking("booking.created", "mt_1")).await).await;
    assert_eq!(status, 202, "{answer}");
    let event_id = answer["event_id"].as_str().unwrap();
    let jobs = app.settled(event_id).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, "failed");
    let error = jobs[0].last_error.clone().unwrap_or_default();
    assert!(error.starts_with("store_error"), "{error}");
}

/// Opens a connection and sends half a request: headers that never end (slowloris).
async fn half_sent(address: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let addr = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"POST /hooks/default HTTP/1.1\r\nHost: herald\r\nContent-Type: appl")
        .await
        .expect("write half a request");
    stream
}

/// Waits until the server closes `stream` (what it sends before closing is read).
async fn closed_by_server(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt as _;
    let mut sink = Vec::new();
    tokio::time::timeout(crate::helpers::DEADLINE, stream.read_to_end(&mut sink))
        .await
        .expect("the server closes the connection")
        .ok();
}

#[tokio::test]
async fn half_sent_requests_are_closed_and_others_are_served_meanwhile() {
    let mut options = Options::default();
    options.http.header_timeout = Duration::from_secs(1);
    let app = TestApp::start_with(rules(), options).await;
    let mut slow = Vec::new();
    for _ in 0..200 {
        slow.push(half_sent(&app.address).await);
    }
    // Served while the 200 are open.
    let (status, answer) = json(app.send(&booking("booking.created", "mt_1")).await).await;
    assert_eq!(status, 202, "{answer}");
    futures_util::future::join_all(slow.into_iter().map(closed_by_server)).await;
}

#[tokio::test]
async fn connections_beyond_the_limit_are_closed_on_arrival() {
    let mut options = Options::default();
    // Longer than the test's deadline: only the limit can close the extra connection.
    options.http.header_timeout = Duration::from_secs(600);
    options.http.max_connections = 8;
    let app = TestApp::start_with(rules(), options).await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(half_sent(&app.address).await);
    }
    // The ninth waits for a slot in vain: it is closed at once, not left hanging.
    let extra = half_sent(&app.address).await;
    closed_by_server(extra).await;
    drop(held);
    // Slots free again once those clients go away.
    let served = crate::helpers::eventually(|| async {
        let response = app
            .client
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .ok()?;
        (response.status() == 200).then_some(())
    })
    .await;
    assert_eq!(served, ());
}

#[tokio::test]
async fn a_connection_over_its_rate_gets_429_with_retry_after() {
    let options = Options {
        ingest_rate: 1,
        ..Options::default()
    };
    let app = TestApp::start_with(rules(), options).await;
    // The bucket starts full: the burst (twice the rate) is accepted.
    for _ in 0..2 {
        let (status, answer) = json(app.send(&booking("booking.created", "mt_1")).await).await;
        assert_eq!(status, 202, "{answer}");
    }
    // Then requests come faster than one a second: some are refused (50 requests
    // would have to take over 48 s for every one to find a token).
    let mut refused = None;
    for _ in 0..50 {
        let response = app.send(&booking("booking.created", "mt_1")).await;
        if response.status() == 429 {
            refused = Some(response);
            break;
        }
    }
    let refused = refused.expect("a request over the rate is refused");
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let (_, answer) = json(refused).await;
    assert_eq!(answer["error"], "rate_limited");
    // Retrying later succeeds.
    crate::helpers::eventually(|| async {
        (app.send(&booking("booking.created", "mt_1")).await.status() == 202).then_some(())
    })
    .await;
}

#[tokio::test]
async fn ids_and_emails_that_would_become_large_keys_are_refused() {
    let app = TestApp::start(rules()).await;
    let long_email = format!("{}@example.com", "a".repeat(250));
    let mut by_email = booking("booking.created", "mt_1");
    by_email["host"] = json!({"email": long_email});
    let mut customer = booking("booking.created", "mt_1");
    customer["customer"]["email"] = json!(long_email);
    let long_type = booking("booking.created", &"m".repeat(300));
    let long_chat = json!({
        "type": "conversation.message.created",
        "occurred_at": "2026-11-21T10:00:00+09:00",
        "conversation": {"id": "c".repeat(300), "state": "open"},
        "message": {"id": "m1", "text": "hi", "author": {"kind": "customer"}},
    });
    for (event, field) in [
        (&by_email, "host.email"),
        (&customer, "customer.email"),
        (&long_type, "meeting_type.id"),
        (&long_chat, "conversation.id"),
    ] {
        let (status, answer) = json(app.send(event).await).await;
        assert_eq!(status, 422, "{field}: {answer}");
        assert_eq!(answer["field"], field, "{answer}");
    }
    // 254 bytes is a valid email length.
    let mut fits = booking("booking.created", "mt_1");
    fits["host"] = json!({"email": format!("{}@example.com", "a".repeat(242))});
    let (status, answer) = json(app.send(&fits).await).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(app.store.count_events(TEAM).await.unwrap(), 1);
}

#[tokio::test]
async fn the_add_modal_offers_meeting_types_seen_before_many_later_events() {
    let options = Options {
        ingest_rate: 100_000,
        ..Options::default()
    };
    let app = TestApp::start_with(json!([]), options).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    let (status, _) = json(app.send(&booking("booking.created", "mt_rare")).await).await;
    assert_eq!(status, 202);
    // More later events than the modal ever read bodies of (500), none of that type.
    for chunk in 0..6 {
        let sends = (0..100).map(|n| {
            let event = booking(
                "booking.created",
                &format!("mt_common_{}", (chunk * 100 + n) % 3),
            );
            let app = &app;
            async move { app.send(&event).await.status().as_u16() }
        });
        let statuses = futures_util::future::join_all(sends).await;
        assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    }
    let trigger = app.emu.issue_trigger(TEAM, &admin);
    crate::commands::run_form(
        &app,
        crate::commands::command_form_with_trigger(&admin, "add", &trigger),
    )
    .await;
    let view = app
        .emu
        .views_opened()
        .into_iter()
        .rfind(|v| v["callback_id"] == "herald_rule_add")
        .expect("the add modal");
    let known = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == "known_meeting_type")
        .expect("the meeting types received are offered")
        .to_string();
    for id in ["mt_rare", "mt_common_0", "mt_common_2"] {
        assert!(known.contains(id), "{id} missing from {known}");
    }
}
