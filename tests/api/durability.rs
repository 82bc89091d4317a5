//! Accepted events survive crashes and Slack outages, and are never posted twice.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Options, TestApp, booking, eventually, json};
use crate::slack_emulator::Fault;

fn rules() -> serde_json::Value {
    json!([{"kind": "event", "event_type": "booking.created", "channel": "#general"}])
}

#[tokio::test]
async fn a_crash_mid_post_neither_loses_nor_duplicates_the_notification() {
    let mut app = TestApp::start(rules()).await;
    // Slack takes its time answering; Herald dies while the post is in flight.
    app.emu.inject(
        "chat.postMessage",
        Fault::Delay(Duration::from_millis(1500)),
    );
    let (_, body) = json(app.send(&booking("booking.created", "mt_1")).await).await;
    let event_id = body["event_id"].as_str().unwrap().to_string();
    eventually(|| async { (app.emu.received("chat.postMessage") == 1).then_some(()) }).await;
    app.crash();

    // Slack still stored the message, but Herald never recorded its ts.
    eventually(|| async { (app.posts(&app.channels.general).len() == 1).then_some(()) }).await;
    assert_eq!(app.jobs(&event_id).await[0].status, "running");

    app.restart().await;
    let job = app.settled(&event_id).await.remove(0);
    assert_eq!(job.status, "done");
    let posts = app.posts(&app.channels.general);
    assert_eq!(
        posts.len(),
        1,
        "the recovered job must find its post, not post again"
    );
    assert_eq!(job.result_ts.as_deref(), posts[0]["ts"].as_str());
    assert_eq!(app.emu.calls_to("conversations.history").len(), 1);
}

#[tokio::test]
async fn events_accepted_during_a_slack_outage_are_delivered_after_a_restart() {
    let mut options = Options::default();
    options.delivery.retry_schedule = vec![
        Duration::ZERO,
        Duration::from_secs(1),
        Duration::from_secs(1),
    ];
    options.delivery.request_timeout = Duration::from_millis(200);
    let mut app = TestApp::start_with(rules(), options).await;
    for _ in 0..2 {
        app.emu.inject("chat.postMessage", Fault::ServerError(503));
    }
    let (_, body) = json(app.send(&booking("booking.created", "mt_1")).await).await;
    let event_id = body["event_id"].as_str().unwrap().to_string();
    // Two failed attempts: the job waits in the queue for its next retry.
    eventually(|| async {
        let job = app.jobs(&event_id).await.remove(0);
        (job.status == "pending" && job.attempts == 2).then_some(())
    })
    .await;
    app.crash();
    assert!(app.posts(&app.channels.general).is_empty());

    app.restart().await;
    let job = app.settled(&event_id).await.remove(0);
    assert_eq!((job.status.as_str(), job.attempts), ("done", 3));
    assert_eq!(app.posts(&app.channels.general).len(), 1);
}

#[tokio::test]
async fn a_graceful_stop_lets_in_flight_posts_finish() {
    let mut app = TestApp::start(rules()).await;
    app.emu
        .inject("chat.postMessage", Fault::Delay(Duration::from_millis(500)));
    let (_, body) = json(app.send(&booking("booking.created", "mt_1")).await).await;
    let event_id = body["event_id"].as_str().unwrap().to_string();
    eventually(|| async { (app.emu.received("chat.postMessage") == 1).then_some(()) }).await;
    app.stop().await;
    let job = app.jobs(&event_id).await.remove(0);
    assert_eq!(job.status, "done");
    assert_eq!(app.posts(&app.channels.general).len(), 1);
}

#[tokio::test]
async fn a_job_herald_cannot_read_fails_with_the_reason_instead_of_looping() {
    let app = TestApp::start(rules()).await;
    let mut conn = app.store.pool().acquire().await.unwrap();
    let job = herald::store::NewJob {
        id: "job_garbled",
        team_id: crate::helpers::TEAM,
        kind: <herald::ingest::SlackPost as herald::jobs::Job>::KIND,
        event_id: "evt_missing",
        dedupe_key: "garbled",
        channel: Some(&app.channels.general),
        payload: "{not a route",
        internal: false,
        status: herald::store::JobStatus::Pending,
        run_at: 0,
        thread_key: None,
        lease: None,
    };
    herald::store::insert_jobs(&mut conn, &[job]).await.unwrap();
    drop(conn);
    let job = app.settled("evt_missing").await.remove(0);
    assert_eq!((job.status.as_str(), job.attempts), ("failed", 1));
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .starts_with("unreadable_job: slack.post payload"),
        "{job:?}"
    );
}

#[tokio::test]
async fn two_herald_processes_on_one_database_post_every_event_exactly_once() {
    let mut options = Options::default();
    options.delivery.channel_interval = Duration::ZERO;
    let app = TestApp::start_with(rules(), options).await;
    let mut peer = app.peer().await;
    let mut ids = Vec::new();
    for n in 0..40 {
        let address = if n % 2 == 0 {
            app.address.clone()
        } else {
            peer.address.clone()
        };
        let mut event = booking("booking.created", "mt_1");
        event["title"] = json!(format!("event {n}"));
        let id = format!("msg_scale_{n}");
        let body = event.to_string();
        let ts = crate::helpers::now();
        let (status, answer) = json(
            app.send_to(&address, "default", &id, ts, body.as_bytes(), None)
                .await,
        )
        .await;
        assert_eq!(status, 202, "{answer}");
        ids.push(answer["event_id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        assert_eq!(app.settled(id).await[0].status, "done");
    }
    let posts = app.posts(&app.channels.general);
    assert_eq!(
        posts.len(),
        40,
        "each event once, whichever process took its job"
    );
    let mut titles: Vec<String> = posts
        .iter()
        .map(|p| p["text"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 40);
    peer.stop().await;
}

#[tokio::test]
async fn retention_purges_old_finished_work_and_keeps_pending_work() {
    let app = TestApp::start(rules()).await;
    let (_, body) = json(app.send(&booking("booking.created", "mt_1")).await).await;
    let delivered = body["event_id"].as_str().unwrap().to_string();
    app.settled(&delivered).await;
    app.emu
        .inject("chat.postMessage", Fault::Delay(Duration::from_secs(3)));
    let (_, body) = json(app.send(&booking("booking.created", "mt_1")).await).await;
    let in_flight = body["event_id"].as_str().unwrap().to_string();
    eventually(|| async { (app.emu.received("chat.postMessage") == 2).then_some(()) }).await;

    // Everything counts as old: the finished event goes, the one still in flight stays.
    let future = herald::store::now_ms() + 60_000;
    let purged = app.store.purge(future, future).await.unwrap();
    assert_eq!((purged.jobs, purged.events), (1, 1));
    assert!(
        app.store
            .event(crate::helpers::TEAM, &delivered)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.store
            .event(crate::helpers::TEAM, &in_flight)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(app.settled(&in_flight).await[0].status, "done");

    // Nothing is younger than a real cutoff a year back.
    let year_ago = herald::store::now_ms() - 365 * 24 * 3600 * 1000;
    assert_eq!(
        app.store.purge(year_ago, year_ago).await.unwrap(),
        herald::store::Purged::default()
    );
}
