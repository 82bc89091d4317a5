//! `GET /metrics`: what one event's way through Herald leaves in the counts, read back
//! with a Prometheus text-format parser that is not Herald's renderer.

use std::time::Duration;

use prometheus_parse::{LineInfo, Sample, Scrape, Value};
use serde_json::json;

use crate::helpers::{Options, TestApp, booking, eventually, json as answer_json, now};
use crate::slack_emulator::Fault;

fn rules() -> serde_json::Value {
    json!([{"kind": "event", "event_type": "booking.created", "channel": "#general"}])
}

/// One scrape: the answer's content type, and its samples, parsed.
pub async fn scrape(app: &TestApp) -> Vec<Sample> {
    let response = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    // The parser skips lines it cannot read: read each first, so none is skipped.
    for line in text.lines() {
        assert_ne!(
            LineInfo::parse(line),
            LineInfo::Ignored,
            "unreadable: {line}"
        );
    }
    assert!(text.ends_with('\n'), "the last line ends too");
    Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("parses")
        .samples
}

/// The value of the series `metric{labels}` (every label given must match).
pub fn value(samples: &[Sample], metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.metric == metric
                && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
                && s.labels.len() == labels.len()
        })
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            other => panic!("{metric} is not a single value: {other:?}"),
        })
}

#[tokio::test]
async fn an_event_delivered_after_a_rate_limit_shows_in_every_family() {
    let app = TestApp::start(rules()).await;
    app.emu.inject(
        "chat.postMessage",
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    let (status, body) = answer_json(app.send(&booking("booking.created", "mt_1")).await).await;
    assert_eq!(status, 202);
    let event_id = body["event_id"].as_str().unwrap().to_string();
    let forged = app
        .send_raw(
            "default",
            "msg_forged",
            now(),
            booking("booking.created", "mt_1").to_string().as_bytes(),
            Some("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        )
        .await;
    assert_eq!(forged.status(), 401);
    let job = app.settled(&event_id).await.remove(0);
    assert_eq!(job.status, "done");

    // The worker counts an attempt just after recording it.
    let samples = eventually(|| async {
        let samples = scrape(&app).await;
        let done = &[("kind", "slack.post"), ("outcome", "done")];
        value(&samples, "herald_jobs_total", done)
            .is_some()
            .then_some(samples)
    })
    .await;

    let webhook = |event_type, code| {
        value(
            &samples,
            "herald_webhook_requests_total",
            &[("event_type", event_type), ("code", code)],
        )
    };
    assert_eq!(webhook("booking.created", "202"), Some(1.0));
    assert_eq!(
        webhook("unknown", "401"),
        Some(1.0),
        "a forged request's claimed type is not trusted"
    );
    assert_eq!(webhook("booking.created", "401"), None);

    let jobs = |outcome| {
        value(
            &samples,
            "herald_jobs_total",
            &[("kind", "slack.post"), ("outcome", outcome)],
        )
    };
    assert_eq!(jobs("done"), Some(1.0));
    assert_eq!(jobs("rate_limited"), Some(1.0));

    let slack = |error| {
        value(
            &samples,
            "herald_slack_api_calls_total",
            &[("method", "chat.postMessage"), ("error", error)],
        )
    };
    assert_eq!(slack("ok"), Some(1.0));
    assert_eq!(slack("ratelimited"), Some(1.0));
    assert_eq!(
        value(
            &samples,
            "herald_slack_rate_limit_waits_total",
            &[("method", "chat.postMessage")]
        ),
        Some(1.0)
    );
    let waited = value(&samples, "herald_slack_rate_limit_wait_seconds_total", &[]).unwrap();
    assert!(waited >= 1.0, "Retry-After was 1 s: {waited}");
    let last_ok = value(&samples, "herald_slack_last_ok_timestamp_seconds", &[]).unwrap();
    assert!(last_ok > 0.0);

    let latency = samples
        .iter()
        .find(|s| s.metric == "herald_delivery_latency_seconds")
        .expect("the latency histogram");
    let Value::Histogram(buckets) = &latency.value else {
        panic!("not a histogram: {latency:?}");
    };
    assert!(buckets.windows(2).all(|w| w[0].less_than < w[1].less_than));
    assert!(
        buckets.windows(2).all(|w| w[0].count <= w[1].count),
        "buckets are cumulative: {buckets:?}"
    );
    let inf = buckets.last().unwrap();
    assert_eq!(inf.less_than, f64::INFINITY);
    let count = value(&samples, "herald_delivery_latency_seconds_count", &[]).unwrap();
    assert!(count >= 1.0);
    assert_eq!(inf.count, count, "+Inf holds every observation");
    let sum = value(&samples, "herald_delivery_latency_seconds_sum", &[]).unwrap();
    assert!(sum >= 1.0, "the post waited out a 1 s Retry-After: {sum}");

    assert_eq!(value(&samples, "herald_queue_depth", &[]), Some(0.0));
    assert_eq!(
        value(&samples, "herald_queue_oldest_due_age_seconds", &[]),
        Some(0.0)
    );
}

#[tokio::test]
async fn forged_requests_cannot_add_series() {
    let app = TestApp::start(rules()).await;
    for n in 0..40 {
        let event = booking(&format!("made.up.{n}"), &format!("mt_{n}"));
        let answer = app
            .send_raw(
                "default",
                &format!("msg_{n}"),
                now(),
                event.to_string().as_bytes(),
                Some("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            )
            .await;
        assert_eq!(answer.status(), 401);
        let answer = app
            .send_raw(&format!("conn{n}"), "msg_x", now(), b"{}", None)
            .await;
        assert_eq!(answer.status(), 404);
    }
    let samples = scrape(&app).await;
    let series: Vec<_> = samples
        .iter()
        .filter(|s| s.metric == "herald_webhook_requests_total")
        .map(|s| (s.labels.get("event_type"), s.labels.get("code"), &s.value))
        .collect();
    assert_eq!(
        series.len(),
        2,
        "one series per answer code, whatever was claimed: {series:?}"
    );
    let webhook = |code| {
        value(
            &samples,
            "herald_webhook_requests_total",
            &[("event_type", "unknown"), ("code", code)],
        )
    };
    assert_eq!((webhook("401"), webhook("404")), (Some(40.0), Some(40.0)));
}

#[tokio::test]
async fn a_due_job_waiting_for_the_one_busy_worker_is_queue_depth() {
    let mut options = Options::default();
    options.delivery.workers = 1;
    let app = TestApp::start_with(rules(), options).await;
    // The only worker is held in the first post while the second job falls due.
    app.emu
        .inject("chat.postMessage", Fault::Delay(Duration::from_secs(3)));
    for meeting in ["mt_1", "mt_2"] {
        let (status, _) = answer_json(app.send(&booking("booking.created", meeting)).await).await;
        assert_eq!(status, 202);
    }
    let samples = eventually(|| async {
        let samples = scrape(&app).await;
        (value(&samples, "herald_queue_depth", &[]) == Some(1.0)).then_some(samples)
    })
    .await;
    let age = value(&samples, "herald_queue_oldest_due_age_seconds", &[]).unwrap();
    assert!(age >= 0.0, "{age}");
    // Once the worker is free it takes the job, and the queue is empty again.
    eventually(|| async {
        let samples = scrape(&app).await;
        (value(&samples, "herald_queue_depth", &[]) == Some(0.0)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn readyz_over_http_is_ready_when_the_database_and_slack_answer() {
    let app = TestApp::start(rules()).await;
    let response = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ready\n");
}
