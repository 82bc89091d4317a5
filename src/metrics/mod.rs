//! Herald's metrics: counters, a latency histogram and gauges kept in memory, rendered
//! for `GET /metrics` in the Prometheus text format. `docs/metrics.md` documents every
//! metric.
//!
//! One [`Metrics`] handle (an `Arc`, cheap to clone) is made by `app` and given to the
//! parts that record: the webhook, the job worker, the Slack client, delivery and the
//! directory sync. Recording takes a short lock or an atomic add and never awaits.
//! Label values are bounded ([`series`]): event types come from the catalog, job kinds
//! and Slack methods from the code, and the open-ended ones (Slack's error codes) are
//! capped, so no client can grow this registry's memory.
//!
//! It does no I/O and names no other module: the queue gauges, which need the store,
//! are read by the `/metrics` handler and passed in as [`queue`] families. Code that
//! keeps counts of its own (Socket Mode's connections) does the same: it builds
//! [`Family`] values at scrape time and the handler hands them to
//! [`Metrics::render`], which appends them after Herald's own.

mod family;
mod histogram;
mod series;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use family::{Buckets, Family, Kind, render};
pub use series::{MAX_VALUES, OTHER};

use histogram::Histogram;
use series::Counters;

/// The `Content-Type` of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The webhook's event type label when no event was read (refused before its body was
/// parsed, or a body that is not an event).
pub const UNKNOWN: &str = "unknown";

/// Upper bounds of the delivery latency buckets, in seconds: a post normally lands
/// within a second; pacing, retries and Slack's rate limits make the long tail.
pub const LATENCY_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// What a Slack call came to, as `herald_slack_api_calls_total`'s `error` label says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlackResult<'a> {
    Ok,
    /// Slack's error code (`channel_not_found`, …).
    Api(&'a str),
    RateLimited,
    /// No answer: connection failure, timeout, or an HTTP error status.
    Transport,
    /// An answer Herald could not read.
    Protocol,
}

impl SlackResult<'_> {
    fn label(&self) -> &str {
        match self {
            SlackResult::Ok => "ok",
            SlackResult::Api(code) => code,
            SlackResult::RateLimited => "ratelimited",
            SlackResult::Transport => "transport",
            SlackResult::Protocol => "protocol",
        }
    }

    /// Whether Slack answered: an error code proves it is reachable as much as `ok`.
    fn answered(&self) -> bool {
        !matches!(self, SlackResult::Transport | SlackResult::Protocol)
    }
}

/// The shared registry; clones record into the same counts.
#[derive(Clone)]
pub struct Metrics(Arc<Registry>);

struct Registry {
    webhooks: Counters,
    jobs: Counters,
    latency: Histogram,
    slack_calls: Counters,
    rate_limit_waits: Counters,
    rate_limit_wait_micros: AtomicU64,
    /// Replies catch-up forwarded that no Slack event had brought.
    caught_up: AtomicU64,
    /// When this registry was made: the monotonic clock's origin for `last_answer`.
    started: Instant,
    /// Milliseconds after `started` of Slack's last answer, plus one (0: never).
    last_answer: AtomicU64,
    /// The same moment in Unix milliseconds, for the gauge.
    last_answer_unix_ms: AtomicI64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self(Arc::new(Registry {
            webhooks: Counters::new(&["event_type", "code"]),
            jobs: Counters::new(&["kind", "outcome"]),
            latency: Histogram::new(LATENCY_BUCKETS),
            slack_calls: Counters::new(&["method", "error"]),
            rate_limit_waits: Counters::new(&["method"]),
            rate_limit_wait_micros: AtomicU64::new(0),
            caught_up: AtomicU64::new(0),
            started: Instant::now(),
            last_answer: AtomicU64::new(0),
            last_answer_unix_ms: AtomicI64::new(0),
        }))
    }
}

impl Metrics {
    /// The webhook answered a request with `code`; `event_type` is the catalog's name of
    /// the event it read, or [`UNKNOWN`].
    pub fn webhook_answered(&self, event_type: &'static str, code: u16) {
        self.0.webhooks.inc(&[event_type, &code.to_string()]);
    }

    /// A job attempt of `kind` came to `outcome` (`done`, `retry`, `failed`, …).
    pub fn job_finished(&self, kind: &'static str, outcome: &'static str) {
        self.0.jobs.inc(&[kind, outcome]);
    }

    /// A job's post landed in Slack `latency` after the job was queued.
    pub fn delivered(&self, latency: Duration) {
        self.0.latency.observe(latency);
    }

    /// A Slack Web API call of `method` ended in `result`.
    pub fn slack_call(&self, method: &'static str, result: SlackResult<'_>) {
        self.0.slack_calls.inc(&[method, result.label()]);
        if result.answered() {
            let since = self.0.started.elapsed();
            let ms = u64::try_from(since.as_millis()).unwrap_or(u64::MAX - 1);
            self.0.last_answer.store(ms + 1, Ordering::Relaxed);
            self.0
                .last_answer_unix_ms
                .store(unix_ms(SystemTime::now()), Ordering::Relaxed);
        }
    }

    /// Herald waits `wait` before calling Slack again, as a rate-limited answer to
    /// `method` asked.
    pub fn rate_limit_wait(&self, method: &'static str, wait: Duration) {
        self.0.rate_limit_waits.inc(&[method]);
        let micros = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
        self.0
            .rate_limit_wait_micros
            .fetch_add(micros, Ordering::Relaxed);
    }

    /// Catch-up forwarded a reply no Slack event had brought (events are being lost, or
    /// Herald was down while people wrote).
    pub fn caught_up(&self) {
        self.0.caught_up.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether Slack answered a call within the last `d` (any answer, an error code
    /// included: it proves Slack is reachable). Measured on the monotonic clock, so a
    /// change of the system time cannot make Slack look reachable or not.
    pub fn slack_ok_within(&self, d: Duration) -> bool {
        match self.0.last_answer.load(Ordering::Relaxed) {
            0 => false,
            at => {
                let at = Duration::from_millis(at - 1);
                self.0.started.elapsed().saturating_sub(at) <= d
            }
        }
    }

    /// The exposition: Herald's own families, then `extra` (the queue gauges, and what
    /// other parts keep themselves), in order.
    pub fn render(&self, extra: &[Family]) -> String {
        let mut families = self.families();
        families.extend_from_slice(extra);
        render(&families)
    }

    fn families(&self) -> Vec<Family> {
        let r = &self.0;
        let mut latency = Family::histogram(
            "herald_delivery_latency_seconds",
            "Time from a job being queued (a platform event being accepted) to its post landing in Slack.",
        );
        latency.push_buckets(&[], &r.latency.snapshot());
        let last_answer = r.last_answer_unix_ms.load(Ordering::Relaxed);
        #[allow(clippy::cast_precision_loss, reason = "milliseconds since 1970 fit")]
        let last_answer = last_answer as f64 / 1000.0;
        vec![
            counters(
                Family::counter(
                    "herald_webhook_requests_total",
                    "Platform webhook requests by event type (unknown when none was read) and HTTP answer code.",
                ),
                &r.webhooks,
            ),
            counters(
                Family::counter(
                    "herald_jobs_total",
                    "Job attempts by kind and what they came to.",
                ),
                &r.jobs,
            ),
            latency,
            counters(
                Family::counter(
                    "herald_slack_api_calls_total",
                    "Slack Web API calls by method and result: ok, Slack's error code, ratelimited, transport or protocol.",
                ),
                &r.slack_calls,
            ),
            counters(
                Family::counter(
                    "herald_slack_rate_limit_waits_total",
                    "Waits Herald made because Slack rate-limited a call of this method.",
                ),
                &r.rate_limit_waits,
            ),
            Family::counter(
                "herald_slack_rate_limit_wait_seconds_total",
                "Seconds Herald was asked to wait by Slack's rate limits (Retry-After), summed.",
            )
            .sample(
                &[],
                micros_to_secs(r.rate_limit_wait_micros.load(Ordering::Relaxed)),
            ),
            Family::counter(
                "herald_catch_up_replies_total",
                "Replies in Herald's threads that catch-up read back from Slack and forwarded because no event had brought them.",
            )
            .sample(&[], {
                #[allow(clippy::cast_precision_loss, reason = "a count of replies")]
                let n = r.caught_up.load(Ordering::Relaxed) as f64;
                n
            }),
            Family::gauge(
                "herald_slack_last_ok_timestamp_seconds",
                "When Slack last answered a call (ok or with an error code), in Unix seconds; 0 before the first answer.",
            )
            .sample(&[], last_answer),
        ]
    }
}

/// The queue gauges, read from the store at scrape time: `depth` due jobs wait for a
/// worker, the oldest of them for `oldest_due`.
pub fn queue(depth: u64, oldest_due: Duration) -> Vec<Family> {
    #[allow(clippy::cast_precision_loss, reason = "a queue length")]
    let depth = depth as f64;
    vec![
        Family::gauge(
            "herald_queue_depth",
            "Jobs due now and waiting for a worker.",
        )
        .sample(&[], depth),
        Family::gauge(
            "herald_queue_oldest_due_age_seconds",
            "How long the longest-waiting due job has been due; 0 when none is.",
        )
        .sample(&[], oldest_due.as_secs_f64()),
    ]
}

fn counters(mut family: Family, counters: &Counters) -> Family {
    let names = counters.labels();
    for (values, n) in counters.snapshot() {
        let labels: Vec<(&str, &str)> = names
            .iter()
            .copied()
            .zip(values.iter().map(String::as_str))
            .collect();
        #[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
        family.push(&labels, n as f64);
    }
    family
}

#[allow(clippy::cast_precision_loss, reason = "seconds of waiting, not money")]
fn micros_to_secs(micros: u64) -> f64 {
    micros as f64 / 1e6
}

fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, start: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(start))
    }

    #[test]
    fn recorded_events_show_in_the_exposition() {
        let m = Metrics::default();
        m.webhook_answered("booking.created", 202);
        m.webhook_answered(UNKNOWN, 401);
        m.job_finished("slack.post", "done");
        m.delivered(Duration::from_millis(300));
        m.slack_call("chat.postMessage", SlackResult::Ok);
        m.slack_call("chat.postMessage", SlackResult::Api("channel_not_found"));
        m.rate_limit_wait("chat.postMessage", Duration::from_millis(1500));
        let text = m.render(&[]);
        for expected in [
            "herald_webhook_requests_total{event_type=\"booking.created\",code=\"202\"} 1",
            "herald_webhook_requests_total{event_type=\"unknown\",code=\"401\"} 1",
            "herald_jobs_total{kind=\"slack.post\",outcome=\"done\"} 1",
            "herald_delivery_latency_seconds_bucket{le=\"0.25\"} 0",
            "herald_delivery_latency_seconds_bucket{le=\"0.5\"} 1",
            "herald_delivery_latency_seconds_bucket{le=\"+Inf\"} 1",
            "herald_delivery_latency_seconds_count 1",
            "herald_slack_api_calls_total{method=\"chat.postMessage\",error=\"ok\"} 1",
            "herald_slack_api_calls_total{method=\"chat.postMessage\",error=\"channel_not_found\"} 1",
            "herald_slack_rate_limit_waits_total{method=\"chat.postMessage\"} 1",
            "herald_slack_rate_limit_wait_seconds_total 1.5",
        ] {
            assert!(text.lines().any(|l| l == expected), "{expected}\n{text}");
        }
        let last = line(&text, "herald_slack_last_ok_timestamp_seconds ").unwrap();
        let secs: f64 = last.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(secs > 1.7e9, "{last}");
    }

    #[test]
    fn every_family_has_help_and_type_before_its_samples() {
        let m = Metrics::default();
        m.job_finished("slack.post", "retry");
        let text = m.render(&queue(3, Duration::from_secs(2)));
        let mut typed = std::collections::BTreeSet::new();
        let mut helped = std::collections::BTreeSet::new();
        for l in text.lines() {
            if let Some(rest) = l.strip_prefix("# HELP ") {
                helped.insert(rest.split(' ').next().unwrap().to_string());
            } else if let Some(rest) = l.strip_prefix("# TYPE ") {
                typed.insert(rest.split(' ').next().unwrap().to_string());
            } else {
                let name = l.split(['{', ' ']).next().unwrap();
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s).filter(|f| typed.contains(*f)))
                    .unwrap_or(name);
                assert!(typed.contains(family), "{l}: no TYPE before it");
                assert!(helped.contains(family), "{l}: no HELP before it");
            }
        }
        assert!(text.contains("herald_queue_depth 3\n"));
        assert!(text.contains("herald_queue_oldest_due_age_seconds 2\n"));
    }

    #[test]
    fn extra_families_come_after_heralds_own() {
        let m = Metrics::default();
        let extra = Family::gauge("herald_socket_connections", "Open.").sample(&[], 2.0);
        let text = m.render(&[extra]);
        assert!(text.ends_with(
            "# HELP herald_socket_connections Open.\n# TYPE herald_socket_connections gauge\nherald_socket_connections 2\n"
        ));
    }

    #[test]
    fn slack_is_ok_within_a_window_only_after_an_answer() {
        let m = Metrics::default();
        assert!(
            !m.slack_ok_within(Duration::from_secs(60)),
            "never answered"
        );
        m.slack_call("auth.test", SlackResult::Transport);
        assert!(!m.slack_ok_within(Duration::from_secs(60)), "no answer yet");
        m.slack_call("auth.test", SlackResult::Api("invalid_auth"));
        assert!(m.slack_ok_within(Duration::from_secs(60)));
        let text = m.render(&[]);
        assert!(
            !text.contains("herald_slack_last_ok_timestamp_seconds 0\n"),
            "{text}"
        );
    }

    #[test]
    fn clones_record_into_one_registry() {
        let m = Metrics::default();
        m.clone().job_finished("slack.post", "done");
        assert!(
            m.render(&[])
                .contains("herald_jobs_total{kind=\"slack.post\",outcome=\"done\"} 1\n")
        );
    }
}
