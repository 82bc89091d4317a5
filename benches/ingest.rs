//! `cargo bench --bench ingest`: ingest ack latency and throughput of Herald's webhook on
//! SQLite (and PostgreSQL when `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` is set), each
//! beside a bare axum handler measured in the same run, plus end-to-end latency from
//! the webhook to `chat.postMessage` arriving at the Slack emulator.
//!
//! Everything runs in this process on loopback: client, Herald and the emulator share
//! the machine's cores, and so does the bare baseline, so the ratio is fair.

use emulator::slack as slack_emulator;

#[path = "support/alertmanager.rs"]
mod alertmanager;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::routing::post;
use herald::App;
use herald::config::{Settings, SettingsArgs, WebhookSecret};
use herald::core::signature::standard_webhooks;
use herald::store::Store;
use serde_json::json;
use slack_emulator::{ChannelSpec, SlackEmulator};
use tokio_util::sync::CancellationToken;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TEAM: &str = "T0BENCH01";
const RATE: u64 = 500;
const PACED_SECONDS: u64 = 4;
const LOAD_SECONDS: u64 = 3;
const CHANNELS: usize = 20;

struct Target {
    url: String,
    signed: bool,
}

fn event(n: u64) -> String {
    json!({
        "type": "booking.created",
        "occurred_at": "2026-11-21T10:00:00+09:00",
        "meeting_type": {"id": format!("mt_{}", n % CHANNELS as u64), "name": "初回面談"},
        "host": {"slack_user_id": "U0HOST01"},
        "customer": {"name": "山田 太郎", "company": "ACME株式会社", "email": "taro@example.com"},
        "title": format!("bench-{n}"),
        "url": "https://platform.example/bookings/42",
        "fields": {"予算": "100万円"}
    })
    .to_string()
}

async fn send(client: &reqwest::Client, target: &Target, n: u64) -> Duration {
    let body = event(n);
    let id = format!("msg_bench_{n}_{:x}", fastrand::u64(..));
    let ts = herald::store::now_ms() / 1000;
    let mut request = client
        .post(&target.url)
        .header("content-type", "application/json");
    if target.signed {
        let key = WebhookSecret::parse(SECRET).unwrap();
        request = request
            .header("webhook-id", &id)
            .header("webhook-timestamp", ts.to_string())
            .header(
                "webhook-signature",
                standard_webhooks::sign(key.key(), &id, ts, body.as_bytes()),
            );
    }
    let started = Instant::now();
    let response = request.body(body).send().await.expect("request");
    let status = response.status().as_u16();
    let _ = response.bytes().await;
    assert!(status == 202 || status == 200, "unexpected status {status}");
    started.elapsed()
}

/// Open loop: requests start on a fixed schedule whatever the answers do.
async fn paced(client: &reqwest::Client, target: Arc<Target>, first: u64) -> Vec<Duration> {
    let total = RATE * PACED_SECONDS;
    let interval = Duration::from_micros(1_000_000 / RATE);
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(usize::try_from(total).unwrap());
    for i in 0..total {
        tokio::time::sleep_until(start + interval * u32::try_from(i).unwrap()).await;
        let (client, target) = (client.clone(), target.clone());
        tasks.push(tokio::spawn(async move {
            send(&client, &target, first + i).await
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    for t in tasks {
        latencies.push(t.await.unwrap());
    }
    latencies
}

/// Closed loop: `CONCURRENCY` senders as fast as answers come; returns requests/second.
async fn saturated(client: &reqwest::Client, target: Arc<Target>, first: u64) -> f64 {
    let concurrency = concurrency();
    let deadline = Instant::now() + Duration::from_secs(LOAD_SECONDS);
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (client, target, counter) = (client.clone(), target.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = first + (w as u64) * 1_000_000;
            while Instant::now() < deadline {
                send(&client, &target, n).await;
                n += 1;
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    counter.load(std::sync::atomic::Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Senders in the closed loop (`BENCH_CONCURRENCY`, default 64): a platform's webhook
/// dispatcher sends in parallel, and group commit turns that parallelism into throughput.
fn concurrency() -> usize {
    std::env::var("BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn summary(mut latencies: Vec<Duration>) -> (Duration, Duration, Duration) {
    latencies.sort();
    (
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        *latencies.last().unwrap(),
    )
}

/// Runs the open loop `RUNS` times; reports the median run's p50 and p99 (one noisy
/// second on a shared machine should not decide the figure) and the worst max.
async fn repeated(
    client: &reqwest::Client,
    target: &Arc<Target>,
    first: u64,
) -> (Duration, Duration, Duration) {
    const RUNS: u64 = 3;
    let mut runs = Vec::new();
    for r in 0..RUNS {
        runs.push(summary(
            paced(client, target.clone(), first + r * 1_000_000).await,
        ));
    }
    let mut p50s: Vec<Duration> = runs.iter().map(|r| r.0).collect();
    let mut p99s: Vec<Duration> = runs.iter().map(|r| r.1).collect();
    p50s.sort();
    p99s.sort();
    let worst = runs.iter().map(|r| r.2).max().unwrap_or_default();
    (p50s[p50s.len() / 2], p99s[p99s.len() / 2], worst)
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn bare_axum() -> (String, CancellationToken) {
    let app = axum::Router::new().route(
        "/hooks/{connection}",
        post(|body: axum::body::Bytes| async move {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            (
                axum::http::StatusCode::ACCEPTED,
                Json(json!({"event_id": "evt", "routes": v.as_object().map_or(0, |_| 1)})),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/default", listener.local_addr().unwrap());
    let token = CancellationToken::new();
    let stop = token.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
            .unwrap();
    });
    (url, token)
}

struct Herald {
    url: String,
    token: CancellationToken,
    emu: Arc<SlackEmulator>,
    channels: Vec<String>,
    bot_token: String,
    /// The database URL (SQLite file or PostgreSQL database).
    database: String,
    _dir: Option<tempfile::TempDir>,
}

async fn herald(database: &str) -> Herald {
    let (url, dir) = if database == "sqlite" {
        let dir = tempfile::tempdir().unwrap();
        (
            format!("sqlite://{}", dir.path().join("bench.db").display()),
            Some(dir),
        )
    } else {
        let name = format!("herald_bench_{:x}", fastrand::u64(..));
        let admin = Store::connect(database).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(admin.pool())
            .await
            .unwrap();
        admin.close().await;
        (
            format!("{}/{name}", database.rsplit_once('/').unwrap().0),
            None,
        )
    };
    let emu = Arc::new(SlackEmulator::start().await);
    let ws = emu.add_workspace(TEAM, "Bench");
    let channels: Vec<String> = (0..CHANNELS)
        .map(|i| {
            emu.add_channel(
                TEAM,
                ChannelSpec {
                    name: format!("bench-{i}"),
                    bot_member: true,
                    ..ChannelSpec::default()
                },
            )
        })
        .collect();
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let rules: Vec<serde_json::Value> = channels
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"kind": "event", "event_type": "booking.created", "meeting_type": format!("mt_{i}"), "channel": c, "mentions": ["U0AAA111"]}))
        .collect();
    herald::admin::rules_file::import(&store, TEAM, &json!(rules).to_string(), "cli")
        .await
        .unwrap();
    store.close().await;
    let mut settings = Settings::from_args(SettingsArgs {
        slack_bot_token: Some(ws.bot_token.clone()),
        slack_signing_secret: Some("bench".into()),
        slack_api_url: Some(emu.api_url()),
        database_url: Some(url.clone()),
        webhook_secret: Some(SECRET.into()),
        ..SettingsArgs::default()
    })
    .unwrap();
    // The bench measures ingest itself, not the per-connection rate limit.
    settings.ingest_rate = u32::MAX / 4;
    let app = App::build(settings).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let database = url;
    let url = format!("http://{}/hooks/default", listener.local_addr().unwrap());
    let token = CancellationToken::new();
    tokio::spawn(app.run(listener, token.clone()));
    Herald {
        url,
        token,
        bot_token: ws.bot_token.clone(),
        emu,
        channels,
        database,
        _dir: dir,
    }
}

/// Rounds of one event per channel in the end-to-end measurements.
const E2E_ROUNDS: u64 = 3;

/// When the emulator received the first `chat.postMessage` that `matches`; panics after
/// 10 s. Herald and Alertmanager are measured with this same loop.
async fn arrival(
    emu: &SlackEmulator,
    started: Instant,
    matches: impl Fn(&serde_json::Value) -> bool,
) -> Duration {
    loop {
        let hit = emu
            .calls_to("chat.postMessage")
            .into_iter()
            .find(|c| c.status == 200 && matches(&c.args));
        if let Some(call) = hit {
            return call.at.saturating_duration_since(started);
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "post never arrived"
        );
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

/// Webhook → `chat.postMessage` at the emulator, one event at a time spread over the
/// channels so per-channel pacing (1/s) never delays a post.
async fn end_to_end(client: &reqwest::Client, h: &Herald) -> Vec<Duration> {
    let target = Target {
        url: h.url.clone(),
        signed: true,
    };
    let mut latencies = Vec::new();
    // Round 0 warms up (each channel's first post also asks Slack whether the channel
    // is shared, then cached for an hour) and is not counted.
    for round in 0..=E2E_ROUNDS {
        for i in 0..CHANNELS as u64 {
            let n = 9_000_000 + round * 100 + i;
            let title = format!("bench-{n}");
            let started = Instant::now();
            send(client, &target, n).await;
            let took = arrival(&h.emu, started, |args| {
                args["text"].as_str().is_some_and(|t| t.ends_with(&title))
            })
            .await;
            if round > 0 {
                latencies.push(took);
            }
        }
        // Let every channel's pacing slot pass before the next round.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    latencies
}

/// Alert → `chat.postMessage` at the same emulator, over the same channels, the same way.
async fn alertmanager_end_to_end(
    client: &reqwest::Client,
    am: &alertmanager::Alertmanager,
    h: &Herald,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    // Round 0 warms up, as for Herald (Alertmanager's first notification sets up its
    // HTTP client).
    for round in 0..=E2E_ROUNDS {
        for (i, channel) in h.channels.iter().enumerate() {
            let name = format!("am-bench-{}", 9_000_000 + round * 100 + i as u64);
            let started = Instant::now();
            am.fire(client, &name, channel).await;
            let took = arrival(&h.emu, started, |args| {
                // Alertmanager's default title: "[FIRING:1] <group label values> …".
                args["attachments"][0]["title"]
                    .as_str()
                    .is_some_and(|t| t.split_whitespace().any(|w| w == name))
            })
            .await;
            if round > 0 {
                latencies.push(took);
            }
        }
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    latencies
}

/// Alertmanager's end-to-end p50 on `h`'s emulator, or why it was skipped.
async fn alertmanager_baseline(client: &reqwest::Client, h: &Herald) -> Result<Duration, String> {
    let binary = alertmanager::binary()?;
    let am = alertmanager::Alertmanager::start(
        &binary,
        &format!("{}chat.postMessage", h.emu.api_url()),
        &h.bot_token,
    )
    .await?;
    let (p50, p99, max) = summary(alertmanager_end_to_end(client, &am, h).await);
    println!(
        "Alertmanager           end-to-end alert → chat.postMessage p50 {} p99 {} max {} ({} alerts; {})",
        ms(p50),
        ms(p99),
        ms(max),
        E2E_ROUNDS as usize * CHANNELS,
        am.version
    );
    Ok(p50)
}

/// The store's durability settings as a connection of Herald's sees them.
async fn durability(url: &str) -> String {
    let store = Store::connect(url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(store.pool())
        .await
        .unwrap();
    store.close().await;
    assert_eq!(mode, "wal", "the bench must measure SQLite in WAL mode");
    assert_eq!(sync, 2, "the bench must measure synchronous=FULL");
    format!("journal_mode={mode}, synchronous=FULL")
}

/// `BENCH_PROFILE=saturated|paced|e2e`: only that Herald-on-SQLite phase, longer, for a
/// profiler attached to this process (`perf record -p`); prints nothing to compare.
async fn profile(client: &reqwest::Client, phase: &str) {
    let h = herald("sqlite").await;
    let target = Arc::new(Target {
        url: h.url.clone(),
        signed: true,
    });
    println!("profiling {phase} (pid {})", std::process::id());
    tokio::time::sleep(Duration::from_secs(2)).await;
    match phase {
        "paced" => {
            let (p50, p99, _) = summary(paced(client, target, 20_000_000).await);
            println!("ack p50 {} p99 {}", ms(p50), ms(p99));
        }
        "e2e" => {
            let (p50, p99, _) = summary(end_to_end(client, &h).await);
            println!("end-to-end p50 {} p99 {}", ms(p50), ms(p99));
        }
        _ => {
            let mut total = 0.0;
            for r in 0..4 {
                total += saturated(client, target.clone(), 30_000_000 + r * 10_000_000).await;
            }
            println!("throughput {:.0} req/s", total / 4.0);
        }
    }
    h.token.cancel();
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    println!(
        "Herald ingest benchmark ({} cores; open loop {RATE}/s for {PACED_SECONDS} s, 3 runs, median shown; closed loop {} senders for {LOAD_SECONDS} s)",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        concurrency()
    );

    // `BENCH_TRACE=herald=info` logs Herald's steps with microsecond times, to see where
    // one event's time goes (with `BENCH_PROFILE=e2e`); off by default, as logging costs.
    if let Ok(filter) = std::env::var("BENCH_TRACE") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_timer(tracing_subscriber::fmt::time::uptime())
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(std::io::stderr)
            .init();
    }
    if let Ok(phase) = std::env::var("BENCH_PROFILE") {
        profile(&client, &phase).await;
        return;
    }
    let (bare_url, bare_stop) = bare_axum().await;
    let bare = Arc::new(Target {
        url: bare_url,
        signed: false,
    });
    let (b50, b99, bmax) = repeated(&client, &bare, 0).await;
    let bare_tput = saturated(&client, bare, 10_000_000).await;
    bare_stop.cancel();
    println!(
        "\nbare axum handler      ack p50 {} p99 {} max {}   throughput {bare_tput:.0} req/s",
        ms(b50),
        ms(b99),
        ms(bmax)
    );

    let mut backends = vec!["sqlite".to_string()];
    if let Ok(pg) =
        std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL"))
    {
        backends.push(pg);
    } else {
        println!("(set BENCH_DATABASE_URL=postgres://… to include PostgreSQL)");
    }
    // Alertmanager's end-to-end p50, measured once on the first backend's emulator.
    let mut baseline: Option<Result<Duration, String>> = None;
    let mut verdicts = Vec::new();
    for backend in backends {
        let name = if backend == "sqlite" {
            "SQLite"
        } else {
            "PostgreSQL"
        };
        let h = herald(&backend).await;
        if backend == "sqlite" {
            println!("SQLite durability: {}", durability(&h.database).await);
        }
        let target = Arc::new(Target {
            url: h.url.clone(),
            signed: true,
        });
        let e2e = summary(end_to_end(&client, &h).await);
        let (p50, p99, max) = repeated(&client, &target, 20_000_000).await;
        let tput = saturated(&client, target, 30_000_000).await;
        println!(
            "Herald on {name:<10}  ack p50 {} p99 {} max {}   throughput {tput:.0} req/s = {:.2}× bare",
            ms(p50),
            ms(p99),
            ms(max),
            tput / bare_tput
        );
        println!(
            "Herald on {name:<10}  end-to-end webhook → chat.postMessage p50 {} p99 {} max {} ({} events, {} channels, one route each)",
            ms(e2e.0),
            ms(e2e.1),
            ms(e2e.2),
            E2E_ROUNDS as usize * CHANNELS,
            h.channels.len()
        );
        if baseline.is_none() {
            baseline = Some(alertmanager_baseline(&client, &h).await);
        }
        let ratio = tput / bare_tput;
        verdicts.push(format!(
            "  {name}: throughput {ratio:.2}× bare (target ≥ 0.25×): {}",
            verdict(ratio >= 0.25)
        ));
        verdicts.push(format!(
            "  {name}: ack p99 {} at {RATE}/s (target < 5 ms): {}",
            ms(p99),
            verdict(p99 < Duration::from_millis(5))
        ));
        verdicts.push(match baseline.as_ref() {
            Some(Ok(am)) => format!(
                "  {name}: end-to-end p50 {} vs Alertmanager's {} (target within 1 ms): {}",
                ms(e2e.0),
                ms(*am),
                verdict(e2e.0 <= *am + Duration::from_millis(1))
            ),
            _ => format!(
                "  {name}: end-to-end p50 {}: no Alertmanager baseline in this run",
                ms(e2e.0)
            ),
        });
        h.token.cancel();
    }
    if let Some(Err(why)) = &baseline {
        println!("Alertmanager baseline skipped: {why}");
    }
    println!(
        "\nprocess resident memory (client + emulator + Herald): {:.0} MiB",
        rss_mib()
    );
    println!("targets (each against its baseline from this run):");
    for v in verdicts {
        println!("{v}");
    }
}
