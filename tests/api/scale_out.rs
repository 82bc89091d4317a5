//! Several Herald processes on one PostgreSQL database share the queue, and one wakes
//! the others: a job ingested by a process whose workers cannot take it is delivered by
//! another process's idle worker at once, not at its next poll.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Instance, Options, TestApp, booking, json};

#[tokio::test]
async fn a_job_ingested_by_one_process_wakes_an_idle_worker_of_another() {
    if std::env::var_os("TEST_DATABASE_URL").is_none() {
        eprintln!("skipped: needs PostgreSQL (TEST_DATABASE_URL); SQLite serves one process");
        return;
    }
    let mut options = Options::default();
    // This process ingests only; the peer delivers, and would poll only once a minute.
    options.delivery.workers = 0;
    options.delivery.poll_interval = Duration::from_secs(60);
    let app = TestApp::start_with(
        json!([{"kind": "event", "event_type": "booking.created", "channel": "#general"}]),
        options,
    )
    .await;
    let mut settings = app.settings.clone();
    settings.delivery.workers = 2;
    let mut peer = Instance::launch(settings).await;
    // The second event reaches the peer's workers when they have just gone back to
    // their minute-long wait after the first: only a notification wakes them in time.
    for n in 1..=2 {
        let (_, body) = json(app.send(&booking("booking.created", "mt_1")).await).await;
        let event_id = body["event_id"].as_str().unwrap().to_string();
        // Settled within the test's deadline (15 s), far below the peer's poll.
        let job = app.settled(&event_id).await.remove(0);
        assert_eq!(job.status, "done");
        assert_eq!(app.posts(&app.channels.general).len(), n);
    }
    peer.stop().await;
}
