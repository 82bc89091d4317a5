//! Webhook → Slack: routing, rendering, auto-join, error reports, retries, pacing.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Options, TEAM, TestApp, booking, eventually, json};
use crate::slack_emulator::Fault;

async fn accepted(app: &TestApp, event: &Value) -> String {
    let (status, body) = json(app.send(event).await).await;
    assert_eq!(status, 202, "{body}");
    body["event_id"].as_str().unwrap().to_string()
}

fn text_of(message: &Value) -> String {
    message["text"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn booking_reaches_its_channel_with_rule_mentions_and_the_host() {
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "meeting_type": "mt_1",
         "channel": "#general", "mentions": ["U0AAA111", "S0GRP001"]},
        {"kind": "event", "event_type": "booking.created", "meeting_type": "mt_2",
         "channel": "#secret-ops", "mentions": []}
    ]))
    .await;
    let event_id = accepted(&app, &booking("booking.created", "mt_1")).await;
    let jobs = app.settled(&event_id).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, "done");

    let posts = app.posts(&app.channels.general);
    assert_eq!(posts.len(), 1);
    let text = text_of(&posts[0]);
    for mention in ["<@U0AAA111>", "<!subteam^S0GRP001>", "<@U0HOST01>"] {
        assert!(
            text.contains(mention),
            "fallback text must carry {mention}: {text}"
        );
    }
    let blocks = posts[0]["blocks"].to_string();
    for fact in [
        "面談予約",
        "山田 太郎",
        "ACME株式会社",
        "初回面談",
        "100万円",
        "https://platform.example/bookings/42",
    ] {
        assert!(blocks.contains(fact), "{fact} missing from {blocks}");
    }
    assert_eq!(
        posts[0]["metadata"]["event_payload"]["job_id"],
        jobs[0].id.as_str()
    );
    assert_eq!(jobs[0].result_ts.as_deref(), posts[0]["ts"].as_str());
    assert!(
        app.posts(&app.channels.private_member).is_empty(),
        "mt_2 rule must not fire"
    );
}

#[tokio::test]
async fn english_workspace_gets_english_notifications() {
    let options = Options {
        lang: "en",
        ..Options::default()
    };
    let app = TestApp::start_with(
        json!([{"kind": "event", "event_type": "booking.cancelled", "channel": "#general"}]),
        options,
    )
    .await;
    let event_id = accepted(&app, &booking("booking.cancelled", "mt_1")).await;
    app.settled(&event_id).await;
    let post = &app.posts(&app.channels.general)[0];
    assert!(text_of(post).contains("Meeting cancelled"), "{post}");
    assert!(post["blocks"].to_string().contains("Open details"));
}

#[tokio::test]
async fn host_given_by_email_is_looked_up_once_and_mentioned() {
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general"}
    ]))
    .await;
    let host = app.emu.add_user(TEAM, "sato", "Sato@Example.com");
    let mut event = booking("booking.created", "mt_1");
    event["host"] = json!({"email": "sato@example.com"});
    for _ in 0..2 {
        let event_id = accepted(&app, &event).await;
        app.settled(&event_id).await;
    }
    let posts = app.posts(&app.channels.general);
    assert_eq!(posts.len(), 2);
    assert!(
        posts
            .iter()
            .all(|p| text_of(p).contains(&format!("<@{host}>")))
    );
    assert_eq!(
        app.emu.calls_to("users.lookupByEmail").len(),
        1,
        "the answer is cached"
    );

    // An email Slack does not know is shown, not mentioned, and does not block the post.
    event["host"] = json!({"email": "nobody@example.com"});
    let event_id = accepted(&app, &event).await;
    assert_eq!(app.settled(&event_id).await[0].status, "done");
    let last = app.posts(&app.channels.general).pop().unwrap();
    assert!(last["blocks"].to_string().contains("nobody@example.com"));
}

#[tokio::test]
async fn public_channel_is_joined_before_posting() {
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "phone.requested", "channel": "#sales"}
    ]))
    .await;
    let event_id = accepted(&app, &booking("phone.requested", "mt_1")).await;
    assert_eq!(app.settled(&event_id).await[0].status, "done");
    assert_eq!(app.posts(&app.channels.public_not_member).len(), 1);
    let sequence: Vec<(String, Value)> = app
        .emu
        .calls()
        .into_iter()
        // conversations.info: the Slack Connect check before the first post.
        .filter(|c| c.method != "auth.test" && c.method != "conversations.info")
        .map(|c| (c.method, c.response["error"].clone()))
        .collect();
    assert_eq!(
        sequence,
        vec![
            ("chat.postMessage".to_string(), json!("not_in_channel")),
            ("conversations.join".to_string(), Value::Null),
            ("chat.postMessage".to_string(), Value::Null),
        ]
    );
}

#[tokio::test]
async fn private_channel_without_invite_reports_error_to_error_channel() {
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#board"},
        {"kind": "error", "categories": ["delivery"], "channel": "#herald-errors", "mentions": ["U0OPS001"]}
    ]))
    .await;
    let event_id = accepted(&app, &booking("booking.created", "mt_1")).await;
    let jobs = app.settled(&event_id).await;
    assert_eq!(jobs[0].status, "failed");
    assert_eq!(jobs[0].attempts, 1, "a permanent failure is not retried");
    let reason = jobs[0].last_error.clone().unwrap();
    assert!(reason.contains("invite @Herald"), "{reason}");
    assert!(app.posts(&app.channels.private_not_member).is_empty());

    let report = eventually(|| async { app.posts(&app.channels.errors).pop() }).await;
    let text = text_of(&report);
    assert!(text.contains("<@U0OPS001>"), "{text}");
    let blocks = report["blocks"].to_string();
    assert!(blocks.contains("/invite @Herald"), "{blocks}");
    assert!(
        blocks.contains(&format!("<#{}>", app.channels.private_not_member)),
        "{blocks}"
    );
}

#[tokio::test]
async fn a_failing_error_report_is_not_reported_again() {
    let mut app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#board"},
        {"kind": "error", "categories": ["delivery"], "channel": "#old-news"}
    ]))
    .await;
    let event_id = accepted(&app, &booking("booking.created", "mt_1")).await;
    app.settled(&event_id).await;
    let all = eventually(|| async {
        let jobs = app.store.jobs_for_team(TEAM).await.unwrap();
        (jobs.len() == 2 && jobs.iter().all(|j| j.status == "failed")).then_some(jobs)
    })
    .await;
    let report = all.iter().find(|j| j.internal).unwrap();
    assert!(
        report
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("is_archived")
    );
    // A graceful stop lets every worker finish: a recursive report would be queued by now.
    app.stop().await;
    assert_eq!(app.store.jobs_for_team(TEAM).await.unwrap().len(), 2);
}

#[tokio::test]
async fn permanent_slack_errors_fail_at_once_with_the_reason() {
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#old-news"},
        {"kind": "event", "event_type": "booking.cancelled", "channel": "#general"}
    ]))
    .await;
    let archived = accepted(&app, &booking("booking.created", "mt_1")).await;
    app.settled(&archived).await;
    app.emu.inject(
        "chat.postMessage",
        Fault::ApiError("channel_not_found".into()),
    );
    let missing = accepted(&app, &booking("booking.cancelled", "mt_1")).await;
    for (event_id, code) in [(archived, "is_archived"), (missing, "channel_not_found")] {
        let job = app.settled(&event_id).await.remove(0);
        assert_eq!((job.status.as_str(), job.attempts), ("failed", 1), "{code}");
        assert!(
            job.last_error.as_deref().unwrap().starts_with(code),
            "{:?}",
            job.last_error
        );
    }
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after() {
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general"}
    ]))
    .await;
    app.emu.inject(
        "chat.postMessage",
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    let event_id = accepted(&app, &booking("booking.created", "mt_1")).await;
    let job = app.settled(&event_id).await.remove(0);
    assert_eq!(job.status, "done");
    assert_eq!(job.attempts, 1, "a rate limit is not a failed attempt");
    let calls = app.emu.calls_to("chat.postMessage");
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        vec![429, 200]
    );
    let waited = calls[1].at - calls[0].at;
    assert!(
        waited >= Duration::from_secs(1),
        "posted again after {waited:?}, before Retry-After"
    );
    assert_eq!(app.posts(&app.channels.general).len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_when_retries_run_out() {
    let mut options = Options::default();
    // A failed post waits twice the timeout before its retry looks for it: keep it short.
    options.delivery.request_timeout = Duration::from_millis(200);
    let app = TestApp::start_with(
        json!([
            {"kind": "event", "event_type": "booking.created", "channel": "#general"},
            {"kind": "event", "event_type": "booking.cancelled", "channel": "#sales"},
            {"kind": "error", "categories": ["delivery"], "channel": "#herald-errors"}
        ]),
        options,
    )
    .await;
    // One failure, then success: retried at once.
    app.emu.inject("chat.postMessage", Fault::ServerError(500));
    let recovered = accepted(&app, &booking("booking.created", "mt_1")).await;
    let job = app.settled(&recovered).await.remove(0);
    assert_eq!((job.status.as_str(), job.attempts), ("done", 2));

    // Three failures with a two-retry schedule: the job dies and is reported.
    for _ in 0..3 {
        app.emu.inject("chat.postMessage", Fault::ServerError(503));
    }
    let dead = accepted(&app, &booking("booking.cancelled", "mt_1")).await;
    let job = app.settled(&dead).await.remove(0);
    assert_eq!((job.status.as_str(), job.attempts), ("dead", 3));
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .starts_with("retries_exhausted")
    );
    let report = eventually(|| async { app.posts(&app.channels.errors).pop() }).await;
    assert!(report["blocks"].to_string().contains("Slack"));
}

#[tokio::test]
async fn posts_to_one_channel_are_paced() {
    // An interval far longer than anything this test waits for: the schedule Herald
    // gives the jobs is checked, not how fast a loaded machine runs them.
    let interval_ms: i64 = 60_000;
    let mut options = Options::default();
    options.delivery.channel_interval = Duration::from_millis(interval_ms as u64);
    let app = TestApp::start_with(
        json!([{"kind": "event", "event_type": "booking.created", "channel": "#general"}]),
        options,
    )
    .await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(accepted(&app, &booking("booking.created", "mt_1")).await);
    }
    app.settled(&ids[0]).await;
    let mut run_at = Vec::new();
    for id in &ids {
        let jobs = app.jobs(id).await;
        assert_eq!(jobs.len(), 1);
        run_at.push(jobs[0].run_at);
    }
    for pair in run_at.windows(2) {
        // Each job is given the channel's next slot, an interval after the one before
        // (less only the few milliseconds between the two events' ingest).
        assert!(
            pair[1] - pair[0] >= interval_ms - 1_000,
            "slots only {} ms apart",
            pair[1] - pair[0]
        );
    }
    // The later two wait for their slots: only the first reached Slack.
    assert_eq!(app.emu.calls_to("chat.postMessage").len(), 1);
    for id in &ids[1..] {
        assert_eq!(app.jobs(id).await[0].status, "pending");
    }
}

#[tokio::test]
async fn two_rules_for_one_channel_post_once_with_both_mentions() {
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "meeting_type": null, "channel": "#general", "mentions": ["U0AAA111"]},
        {"kind": "event", "event_type": "booking.created", "meeting_type": "mt_1", "channel": "#general", "mentions": ["U0BBB222"]}
    ]))
    .await;
    let event_id = accepted(&app, &booking("booking.created", "mt_1")).await;
    app.settled(&event_id).await;
    let posts = app.posts(&app.channels.general);
    assert_eq!(posts.len(), 1);
    assert!(text_of(&posts[0]).contains("<@U0AAA111> <@U0BBB222>"));
}

#[tokio::test]
async fn a_timed_out_post_that_reached_slack_is_found_instead_of_posted_again() {
    let mut options = Options::default();
    options.delivery.request_timeout = Duration::from_millis(300);
    let app = TestApp::start_with(
        json!([{"kind": "event", "event_type": "booking.created", "channel": "#general"}]),
        options,
    )
    .await;
    // Slack answers after Herald stopped waiting, but the message is posted all the same.
    app.emu
        .inject("chat.postMessage", Fault::Delay(Duration::from_millis(500)));
    let event_id = accepted(&app, &booking("booking.created", "mt_1")).await;
    let job = app.settled(&event_id).await.remove(0);
    assert_eq!((job.status.as_str(), job.attempts), ("done", 2));
    let posts = app.posts(&app.channels.general);
    assert_eq!(
        posts.len(),
        1,
        "the retry must find the post, not make a second one"
    );
    assert_eq!(job.result_ts.as_deref(), posts[0]["ts"].as_str());
    assert_eq!(app.emu.calls_to("conversations.history").len(), 1);
}

#[tokio::test]
async fn an_oversized_event_is_cut_to_fit_and_slack_accepts_it() {
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "research.completed", "channel": "#general"}
    ]))
    .await;
    let mut event = booking("research.completed", "mt_1");
    // Under the 256 KiB body limit, but far over Slack's block limits.
    event["title"] = json!("調査結果".repeat(1_000));
    event["customer"]["name"] = json!("名".repeat(3_000));
    event["fields"] = (0..40)
        .map(|i| (format!("項目{i}"), json!("値".repeat(1_200))))
        .collect();
    let event_id = accepted(&app, &event).await;
    let job = app.settled(&event_id).await.remove(0);
    assert_eq!(job.status, "done", "{:?}", job.last_error);
    let post = &app.posts(&app.channels.general)[0];
    let blocks = post["blocks"].to_string();
    assert!(blocks.contains('…'), "cut values are marked");
    assert!(
        blocks.contains("項目は省略しました"),
        "dropped fields are counted"
    );
}
