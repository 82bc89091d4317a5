//! A real Herald *process* killed with SIGKILL mid-delivery and started again on the
//! same database (SQLite, or PostgreSQL with `TEST_DATABASE_URL`): the notification is
//! posted exactly once.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{SIGNING_SECRET, TestApp, WEBHOOK_SECRET, booking, eventually, json, now};
use crate::slack_emulator::Fault;

/// Starts `herald serve` as a process of its own; returns it and its address once it
/// answers `/healthz`.
async fn spawn_herald(app: &TestApp) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SLACK_BOT_TOKEN", &app.ws.bot_token)
        .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env("SLACK_API_URL", app.emu.api_url())
        .env("DATABASE_URL", &app.settings.database_url)
        .env("HERALD_LISTEN", format!("127.0.0.1:{port}"))
        .env("HERALD_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("HERALD_JOB_LEASE_SECS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start herald");
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    eventually(|| async {
        let r = client.get(format!("{address}/healthz")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    (child, address)
}

#[tokio::test]
async fn a_herald_process_killed_mid_post_posts_exactly_once_after_a_restart() {
    let mut app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general"}
    ]))
    .await;
    app.stop().await;
    // Slack is slow to answer: the process dies while the post is in flight.
    app.emu.inject(
        "chat.postMessage",
        Fault::Delay(Duration::from_millis(1500)),
    );
    let (mut first, address) = spawn_herald(&app).await;
    let body = serde_json::to_vec(&booking("booking.created", "mt_1")).unwrap();
    let (status, answer) = json(
        app.send_to(&address, "default", "msg_kill_1", now(), &body, None)
            .await,
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    let event_id = answer["event_id"].as_str().unwrap().to_string();
    eventually(|| async { (app.emu.received("chat.postMessage") == 1).then_some(()) }).await;
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    // Slack carries out the request all the same.
    eventually(|| async { (app.posts(&app.channels.general).len() == 1).then_some(()) }).await;
    assert_eq!(app.jobs(&event_id).await[0].status, "running");

    let (mut second, _) = spawn_herald(&app).await;
    let job = app.settled(&event_id).await.remove(0);
    second.kill().expect("stop");
    second.wait().expect("reaped");
    assert_eq!(job.status, "done");
    let posts = app.posts(&app.channels.general);
    assert_eq!(posts.len(), 1, "found, not posted again");
    assert_eq!(job.result_ts.as_deref(), posts[0]["ts"].as_str());
}
