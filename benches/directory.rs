//! `cargo bench --bench directory`: a workspace of 100,000 people and 20,000 channels.
//!
//! Prints the full-sync time against the Slack emulator with Slack's rate tiers enforced
//! (time-compressed, then scaled back to real seconds) beside the lower bound those
//! tiers allow; the picker's options latency over HTTP (`/slack/options`, signed
//! `block_suggestion` payloads) beside a bare axum handler answering a fixed list in the
//! same run; and the resident memory the directory adds when it is loaded.

use emulator::slack as slack_emulator;

use std::time::{Duration, Instant};

use axum::Json;
use axum::routing::post;
use herald::App;
use herald::config::{Settings, SettingsArgs};
use herald::store::Store;
use serde_json::{Value, json};
use slack_emulator::SlackEmulator;
use tokio_util::sync::CancellationToken;

const TEAM: &str = "T0BENCHDIR";
const USERS: usize = 100_000;
const CHANNELS: usize = 20_000;
const GROUPS: usize = 200;
/// A Slack "minute" lasts this many times less in the emulator.
const TIME_SCALE: f64 = 60.0;
/// Slack's Tier 2: `conversations.list` and `users.list`, about 20 calls a minute.
const TIER2_INTERVAL: Duration = Duration::from_secs(3);
const PAGE: usize = 999;
const SIGNING: &str = "bench-signing-secret";
const QUERIES: usize = 2_000;

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// What an admin types: bits of names (Japanese and Latin, half- and full-width),
/// prefixes, nothing at all, and pasted ids.
fn queries(channels: &[String], users: &[String]) -> Vec<(&'static str, String)> {
    let words = [
        "",
        "s",
        "sa",
        "sales",
        "tokyo",
        "営業",
        "営業部-4",
        "開発",
        "proj-1",
        "ﾀﾅｶ",
        "たなか",
        "田中",
        "佐藤",
        "ｻﾄｳ",
        "ＳＡＬＥＳ",
        "times",
        "お知らせ",
        "o",
        "yamada",
        "hanako",
        "99",
    ];
    (0..QUERIES)
        .map(|i| {
            let action = if i % 2 == 0 { "channel" } else { "mentions" };
            let query = match i % 25 {
                // A pasted id the directory knows.
                0 => channels[i % channels.len()].clone(),
                1 => users[i % users.len()].clone(),
                _ => words[i % words.len()].to_string(),
            };
            (action, query)
        })
        .collect()
}

async fn options_latency(
    client: &reqwest::Client,
    url: &str,
    payloads: &[String],
) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(payloads.len());
    for body in payloads {
        let ts = herald::store::now_ms() / 1000;
        let started = Instant::now();
        let response = client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", ts.to_string())
            .header(
                "x-slack-signature",
                herald::core::signature::slack::sign(SIGNING, ts, body.as_bytes()),
            )
            .body(body.clone())
            .send()
            .await
            .expect("options request");
        assert_eq!(response.status(), 200);
        let _ = response.bytes().await;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    latencies
}

/// The same HTTP stack answering 100 fixed options: the floor any options URL pays.
async fn bare_options() -> (String, CancellationToken) {
    let options: Vec<Value> = (0..100)
        .map(|i| json!({"text": {"type": "plain_text", "text": format!("#channel-{i}")}, "value": format!("C{i:08}")}))
        .collect();
    let app = axum::Router::new().route(
        "/slack/options",
        post(move |_body: axum::body::Bytes| {
            let options = options.clone();
            async move { Json(json!({"options": options})) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slack/options", listener.local_addr().unwrap());
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!(
        "Herald directory benchmark ({} cores; {USERS} people, {CHANNELS} channels, {GROUPS} user groups)",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    let emu = SlackEmulator::start().await;
    let ws = emu.add_workspace(TEAM, "Bench");
    let channels = emu.add_channels_bulk(TEAM, CHANNELS);
    let users = emu.add_users_bulk(TEAM, USERS);
    for i in 0..GROUPS {
        emu.add_usergroup(TEAM, &format!("team-{i:03}"), &[]);
    }
    emu.enforce_rate_tiers(TIME_SCALE);

    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&database).await.unwrap();
    store.migrate().await.unwrap();
    let mut settings = Settings::from_args(SettingsArgs {
        slack_bot_token: Some(ws.bot_token.clone()),
        slack_signing_secret: Some(SIGNING.into()),
        slack_api_url: Some(emu.api_url()),
        database_url: Some(database),
        webhook_secret: Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
        lang: Some("en".into()),
        ..SettingsArgs::default()
    })
    .unwrap();
    settings.directory.page_interval = TIER2_INTERVAL.div_f64(TIME_SCALE);
    let app = App::build(settings).await.unwrap();
    let state = app.state().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let stop = CancellationToken::new();
    tokio::spawn(app.run(listener, stop.clone()));

    // The sync Herald starts by itself.
    let started = Instant::now();
    let sync = loop {
        if let Some(s) = store.last_sync(TEAM).await.unwrap()
            && s.finished_at.is_some()
        {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "sync never finished"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let took =
        Duration::from_millis(u64::try_from(sync.finished_at.unwrap() - sync.started_at).unwrap());
    let real = took.mul_f64(TIME_SCALE);
    let channel_pages = CHANNELS.div_ceil(PAGE);
    let user_pages = USERS.div_ceil(PAGE);
    // Each method has its own limit: the slower family bounds the sync.
    let bound = TIER2_INTERVAL * u32::try_from(channel_pages.max(user_pages) - 1).unwrap();
    println!(
        "full sync   {} channels, {} people, {} groups in {:.1} s at Slack's Tier 2 (measured {:.2} s at {TIME_SCALE}x); lower bound the tier allows {:.0} s ({user_pages} pages of people at 20/min); ratio {:.2}; {} calls refused with 429",
        sync.channels,
        sync.users,
        sync.groups_seen,
        real.as_secs_f64(),
        took.as_secs_f64(),
        bound.as_secs_f64(),
        real.as_secs_f64() / bound.as_secs_f64(),
        emu.rate_limited("users.list") + emu.rate_limited("conversations.list"),
    );
    emu.stop_rate_tiers();

    // Memory: the directory is loaded on first use, after the sync forgot its copy.
    let before = rss_mib();
    let snapshot = state.directory.snapshot(TEAM).await.unwrap();
    let after = rss_mib();
    let counts = snapshot.read().unwrap().counts();
    println!(
        "memory      directory in memory {:.1} MiB ({} channels, {} people, {} groups; process {:.0} MiB)",
        after - before,
        counts.0,
        counts.1,
        counts.2,
        after
    );

    // The picker: a modal to suggest in, then signed block_suggestion requests.
    let admin = emu.add_user(TEAM, "bench-admin", "admin@bench.example");
    emu.set_user_role(&admin, true, false);
    let trigger = emu.issue_trigger(TEAM, &admin);
    let form = serde_urlencoded::to_string([
        ("team_id", TEAM),
        ("user_id", admin.as_str()),
        ("command", "/herald"),
        ("text", "add"),
        ("trigger_id", trigger.as_str()),
        ("channel_id", "C0BENCH"),
        (
            "response_url",
            "https://hooks.slack.com/commands/T0BENCHDIR/1/x",
        ),
    ])
    .unwrap();
    let client = reqwest::Client::new();
    let ts = herald::store::now_ms() / 1000;
    let response = client
        .post(format!("{address}/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts.to_string())
        .header(
            "x-slack-signature",
            herald::core::signature::slack::sign(SIGNING, ts, form.as_bytes()),
        )
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let view = emu
        .views_opened()
        .into_iter()
        .rfind(|v| v["callback_id"] == "herald_rule_add")
        .expect("the add modal")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let payloads: Vec<String> = queries(&channels, &users)
        .into_iter()
        .map(|(action, query)| {
            let payload = emu.block_suggestion(&view, &admin, TEAM, action, action, &query);
            serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap()
        })
        .collect();
    let (bare_url, bare_stop) = bare_options().await;
    // Warm both up, then measure.
    options_latency(&client, &bare_url, &payloads[..50]).await;
    options_latency(
        &client,
        &format!("{address}/slack/options"),
        &payloads[..50],
    )
    .await;
    let bare = options_latency(&client, &bare_url, &payloads).await;
    let herald = options_latency(&client, &format!("{address}/slack/options"), &payloads).await;
    println!(
        "bare axum   options p50 {} p99 {} max {}",
        ms(percentile(&bare, 0.5)),
        ms(percentile(&bare, 0.99)),
        ms(*bare.last().unwrap())
    );
    println!(
        "Herald      options p50 {} p99 {} max {} ({QUERIES} queries: names, kana and width variants, prefixes, empty, pasted ids); p99 ratio to bare {:.1}",
        ms(percentile(&herald, 0.5)),
        ms(percentile(&herald, 0.99)),
        ms(*herald.last().unwrap()),
        percentile(&herald, 0.99).as_secs_f64() / percentile(&bare, 0.99).as_secs_f64()
    );
    bare_stop.cancel();
    stop.cancel();
}
