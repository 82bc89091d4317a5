//! `TEST_DATABASE_URL=postgres://… cargo bench --bench scale_out`: how much a second
//! Herald process on the same PostgreSQL database adds. 2,000 jobs over 200 channels are
//! queued by a process that only ingests; then one process (4 workers), and on a fresh
//! database two processes, drain them while Slack (the emulator) takes 50 ms to answer
//! each `chat.postMessage`. Prints both rates and their ratio: the single process is the
//! baseline, measured in the same run on the same machine.
//!
//! SQLite serves one process, so without PostgreSQL the bench says so and stops.

use emulator::slack as slack_emulator;

#[allow(dead_code, reason = "the tests' helpers; the bench uses a few")]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use std::time::{Duration, Instant};

use helpers::{Instance, Options, TEAM, TestApp};
use serde_json::{Value, json};
use slack_emulator::ChannelSpec;

const JOBS: usize = 2_000;
const CHANNELS: usize = 200;
const SLACK_LATENCY: Duration = Duration::from_millis(50);
const WORKERS: usize = 4;

fn booking(n: usize) -> Value {
    let mut event = helpers::booking("booking.created", &format!("mt_{}", n % CHANNELS));
    event["title"] = json!(format!("bench-{n}"));
    event
}

/// Queues the jobs with an ingest-only Herald; returns it (its Slack and database).
async fn queued() -> TestApp {
    let mut options = Options {
        ingest_rate: 100_000,
        ..Options::default()
    };
    options.delivery.workers = 0;
    options.delivery.channel_interval = Duration::ZERO;
    let mut app = TestApp::start_with(json!([]), options).await;
    let channels: Vec<String> = (0..CHANNELS)
        .map(|i| {
            app.emu.add_channel(
                TEAM,
                ChannelSpec {
                    name: format!("bench-{i}"),
                    bot_member: true,
                    ..ChannelSpec::default()
                },
            )
        })
        .collect();
    let rules: Vec<Value> = channels
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"kind": "event", "event_type": "booking.created", "meeting_type": format!("mt_{i}"), "channel": c}))
        .collect();
    herald::admin::rules_file::import(&app.store, TEAM, &Value::Array(rules).to_string(), "bench")
        .await
        .expect("rules");
    // A fresh start reads the rules just imported.
    app.stop().await;
    app.restart().await;
    for chunk in (0..JOBS).collect::<Vec<_>>().chunks(50) {
        let sends = chunk.iter().map(|&n| {
            let app = &app;
            async move { app.send(&booking(n)).await.status().as_u16() }
        });
        for status in futures_util::future::join_all(sends).await {
            assert_eq!(status, 202);
        }
    }
    app.emu.set_latency("chat.postMessage", SLACK_LATENCY);
    app
}

/// Jobs per second that `processes` Herald processes drain.
async fn drain(processes: usize) -> f64 {
    let app = queued().await;
    let mut settings = app.settings.clone();
    settings.delivery.workers = WORKERS;
    let started = Instant::now();
    let mut peers = Vec::new();
    for _ in 0..processes {
        peers.push(Instance::launch(settings.clone()).await);
    }
    loop {
        let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'done'")
            .fetch_one(app.store.pool())
            .await
            .expect("count");
        if usize::try_from(done).unwrap_or(0) >= JOBS {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "{processes} processes did not drain {JOBS} jobs"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    for mut peer in peers {
        peer.stop().await;
    }
    #[allow(clippy::cast_precision_loss, reason = "a rate to print")]
    let rate = JOBS as f64 / elapsed.as_secs_f64();
    println!(
        "{processes} process(es) × {WORKERS} workers: {JOBS} jobs over {CHANNELS} channels in {:.2} s = {rate:.0} jobs/s",
        elapsed.as_secs_f64()
    );
    rate
}

fn main() {
    if std::env::var_os("TEST_DATABASE_URL").is_none() {
        println!("scale_out: skipped: set TEST_DATABASE_URL to a PostgreSQL database");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let one = drain(1).await;
        let two = drain(2).await;
        println!(
            "scale_out: Slack answering in {} ms: 2 processes drain at {:.2}× the rate of 1 (baseline {one:.0} jobs/s)",
            SLACK_LATENCY.as_millis(),
            two / one
        );
    });
}
