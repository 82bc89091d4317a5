//! Catch-up: replies whose events never reached Herald (it was stopped, or Slack gave up
//! delivering) are read back with `conversations.replies` and forwarded once, oldest
//! first, at start and on the schedule; paced, paged and patient with Slack's 429s.

use std::time::Duration;

use serde_json::{Value, json};

use crate::fake_platform::FakePlatform;
use crate::helpers::{Options, TEAM, TestApp, eventually};
use crate::slack_emulator::Fault;
use crate::threads::{deliver, open_thread, with_platform};

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "conversation.message.created", "channel": "#general"}
    ])
}

/// Options whose catch-up sweeps every `every` (the start's sweep aside).
fn sweeping_every(every: Duration) -> Options {
    let mut options = Options::default();
    options.catch_up.every = every;
    options
}

/// When the workspace's last catch-up sweep finished (Unix ms), if one did.
async fn last_sweep(app: &TestApp) -> Option<i64> {
    sqlx::query_scalar::<_, Option<i64>>(
        "SELECT finished_at FROM catch_up_leases WHERE team_id = $1",
    )
    .bind(TEAM)
    .fetch_optional(app.store.pool())
    .await
    .expect("catch_up_leases")
    .flatten()
}

/// Waits until a sweep finishes after `after` (Unix ms), then until the callbacks it
/// queued for `replies` (Slack ts in #general) are settled.
async fn sweep_settled(app: &TestApp, after: i64, replies: &[&str]) {
    eventually(|| async { last_sweep(app).await.filter(|at| *at > after) }).await;
    for ts in replies {
        app.settled(&format!("slack:{}:{ts}", app.channels.general))
            .await;
    }
}

fn now_ms() -> i64 {
    herald::store::now_ms()
}

/// The texts the platform accepted, in the order it received them.
fn texts(platform: &FakePlatform) -> Vec<String> {
    platform
        .accepted()
        .iter()
        .filter_map(|r| r.body["text"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_reply_written_while_herald_was_stopped_is_forwarded_once_after_start() {
    let (mut app, platform, operator) = with_platform(rules(), Options::default()).await;
    let parent = open_thread(&app, "chat_down").await;
    let general = app.channels.general.clone();

    app.stop().await;
    // Slack could not deliver these: Herald was not there.
    let (first, first_event) =
        app.emu
            .user_reply(&general, &parent, &operator, "```Sorry for the wait```");
    let (second, _) = app
        .emu
        .user_reply(&general, &parent, &operator, "checked the booking");
    let stopped_at = now_ms();
    app.restart().await;
    sweep_settled(&app, stopped_at, &[&first, &second]).await;
    assert_eq!(
        texts(&platform),
        ["checked the booking", "Sorry for the wait"],
        "both forwarded once; the note at once, the message after its undo window"
    );
    let callback = platform
        .accepted()
        .into_iter()
        .find(|r| r.body["text"] == "Sorry for the wait")
        .unwrap();
    assert_eq!(callback.body["type"], "reply.created");
    assert_eq!(callback.body["kind"], "message");
    assert_eq!(callback.body["slack"]["ts"], first.as_str());
    assert_eq!(callback.body["slack"]["thread_ts"], parent.as_str());
    let samples = crate::metrics::scrape(&app).await;
    assert_eq!(
        crate::metrics::value(&samples, "herald_catch_up_replies_total", &[]),
        Some(2.0),
        "both counted as replies no event brought"
    );

    // Slack's late retry of the first reply, then a second restart: nothing again.
    deliver(&app, &first_event).await;
    app.stop().await;
    let again = now_ms();
    app.restart().await;
    sweep_settled(&app, again, &[&first, &second]).await;
    assert_eq!(
        texts(&platform).len(),
        2,
        "nothing sent twice: {:?}",
        texts(&platform)
    );
    let jobs = app.jobs(&format!("slack:{general}:{first}")).await;
    assert_eq!(jobs.len(), 1, "one callback job for the reply: {jobs:?}");
}

#[tokio::test]
async fn a_reply_whose_event_slack_gave_up_on_is_forwarded_by_the_schedule() {
    let (app, platform, operator) =
        with_platform(rules(), sweeping_every(Duration::from_millis(200))).await;
    let parent = open_thread(&app, "chat_lost").await;
    let general = app.channels.general.clone();

    // One reply arrives live; the next one's event never does; a third arrives live.
    let (_, live) = app.emu.user_reply(&general, &parent, &operator, "note one");
    deliver(&app, &live).await;
    let (lost, _) = app.emu.user_reply(&general, &parent, &operator, "note two");
    let (_, later) = app
        .emu
        .user_reply(&general, &parent, &operator, "note three");
    deliver(&app, &later).await;

    let all = eventually(|| async {
        let got = texts(&platform);
        (got.len() >= 3).then_some(got)
    })
    .await;
    app.settled(&format!("slack:{general}:{lost}")).await;
    let after = now_ms();
    sweep_settled(&app, after, &[]).await;
    let mut sorted = texts(&platform);
    sorted.sort();
    assert_eq!(
        sorted,
        ["note one", "note three", "note two"],
        "each reply once, the lost one included (arrived: {all:?})"
    );
}

#[tokio::test]
async fn catch_up_pages_oldest_first_and_waits_out_slacks_rate_limit() {
    let (mut app, platform, operator) = with_platform(rules(), Options::default()).await;
    let parent = open_thread(&app, "chat_many").await;
    let general = app.channels.general.clone();
    // Slack's pages for apps outside the Marketplace are small; these are smaller still.
    app.emu.cap_history_pages(Some(2));

    app.stop().await;
    let mut written = Vec::new();
    for n in 1..=5 {
        let text = format!("note {n}");
        let (ts, _) = app.emu.user_reply(&general, &parent, &operator, &text);
        written.push((ts, text));
    }
    app.emu.inject(
        "conversations.replies",
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    let before = app.emu.calls_to("conversations.replies").len();
    let stopped_at = now_ms();
    app.restart().await;
    let ts: Vec<&str> = written.iter().map(|(ts, _)| ts.as_str()).collect();
    sweep_settled(&app, stopped_at, &ts).await;

    let mut got = texts(&platform);
    got.sort();
    let expected: Vec<&str> = written.iter().map(|(_, text)| text.as_str()).collect();
    assert_eq!(got, expected, "each once");
    // Queued oldest first: job ids grow with the time and order they were queued in.
    let mut ids = Vec::new();
    for (ts, _) in &written {
        let jobs = app.jobs(&format!("slack:{general}:{ts}")).await;
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        ids.push(jobs[0].id.clone());
    }
    let mut in_order = ids.clone();
    in_order.sort();
    assert_eq!(ids, in_order, "queued in the order they were written");
    let calls = app.emu.calls_to("conversations.replies");
    let made = &calls[before..];
    // The 429, then three pages of two (the parent is on the first).
    assert!(
        made.len() >= 4,
        "paged after the wait: {} calls",
        made.len()
    );
    assert_eq!(made[0].status, 429, "the first call was refused");
    assert!(
        made[1..]
            .iter()
            .any(|c| c.args["cursor"].as_str().is_some_and(|c| !c.is_empty())),
        "later pages follow Slack's cursor"
    );
}

#[tokio::test]
async fn alerts_only_threads_are_not_read_back() {
    let (mut app, platform, operator) = with_platform(
        json!([
            {"kind": "event", "event_type": "conversation.message.created", "channel": "#general",
             "replies": "off"}
        ]),
        Options::default(),
    )
    .await;
    let parent = open_thread(&app, "chat_alerts").await;
    app.stop().await;
    app.emu
        .user_reply(&app.channels.general, &parent, &operator, "```Hello```");
    let before = app.emu.calls_to("conversations.replies").len();
    let stopped_at = now_ms();
    app.restart().await;
    sweep_settled(&app, stopped_at, &[]).await;
    assert_eq!(
        app.emu.calls_to("conversations.replies").len(),
        before,
        "an alerts-only thread is never read"
    );
    assert!(platform.received().is_empty());
}
