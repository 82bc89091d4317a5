//! Socket Mode: Slack pushes events, commands and interactions over WebSockets opened
//! with the app-level token, so Herald needs no public URL.
//!
//! A pool keeps `HERALD_SOCKET_CONNECTIONS` connections (Slack allows 10 per app) and
//! never waits for a socket to fail loudly: each one is pinged and replaced when it goes
//! silent (bolt-js #1906, slack-morphism #125), and one Slack asks to refresh, or whose
//! announced lifetime (`hello`'s `approximate_connection_time`) is nearly over, is
//! replaced by a new one that is live *before* the old one is closed. Failed opens back
//! off with jitter, honouring `Retry-After`. [`SocketStatus`] tells readiness and the
//! logs the truth: live connections, reconnects by reason, time since the last envelope.
//!
//! `frames` reads Slack's frames (pure); `connection` runs one socket; this file is the
//! pool, whose decisions live in [`Pool`] so they are tested without a network.

mod connection;
mod frames;
mod status;

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::connection::{Report, Shared};
use crate::config::SocketTiming;
use crate::slack::{SlackApi, SlackError, SlackErrorCode, SlackHandler};

pub use status::SocketStatus;

/// What the pool is asked to keep.
pub struct PoolSettings {
    /// `xapp-…`, for `apps.connections.open`.
    pub app_token: String,
    /// Connections kept open (Slack allows 10 per app).
    pub connections: u32,
    pub timing: SocketTiming,
}

/// Starts the pool under `tracker`; it closes every connection when `shutdown` fires.
/// `status` is the one readiness reads.
pub fn spawn<H: SlackHandler>(
    slack: SlackApi,
    handler: H,
    settings: PoolSettings,
    status: SocketStatus,
    tracker: &TaskTracker,
    shutdown: CancellationToken,
) {
    let PoolSettings {
        app_token,
        connections,
        timing,
    } = settings;
    let (reports_tx, reports) = mpsc::unbounded_channel();
    let shared = Shared {
        handler,
        timing,
        status,
        reports: reports_tx,
        tracker: tracker.clone(),
    };
    let wanted = usize::try_from(connections).unwrap_or(1).max(1);
    tracker.spawn(supervise(
        slack, app_token, wanted, shared, reports, shutdown,
    ));
}

/// One connection as the pool sees it.
struct Conn {
    close: watch::Sender<bool>,
    /// Since when it is live (said `hello`); None while it opens.
    live_since: Option<Instant>,
    /// A replacement is wanted: it no longer counts toward the pool's size, and it is
    /// closed once a newer connection is live.
    replacing: bool,
}

/// The pool's bookkeeping and decisions, without I/O.
struct Pool {
    wanted: usize,
    timing: SocketTiming,
    conns: BTreeMap<u64, Conn>,
    next_id: u64,
    /// Opens that failed in a row (or connections that died young).
    failures: u32,
    /// No open before this (backoff).
    retry_at: Instant,
    /// An outage long enough to be an error has been logged.
    outage_logged: bool,
}

impl Pool {
    fn new(wanted: usize, timing: SocketTiming) -> Self {
        Self {
            wanted,
            timing,
            conns: BTreeMap::new(),
            next_id: 0,
            failures: 0,
            retry_at: Instant::now(),
            outage_logged: false,
        }
    }

    /// Connections counting toward the pool's size (open or opening, not being replaced).
    fn active(&self) -> usize {
        self.conns.values().filter(|c| !c.replacing).count()
    }

    fn opening(&self) -> usize {
        self.conns
            .values()
            .filter(|c| c.live_since.is_none())
            .count()
    }

    /// How many connections to open now: all that are missing while things work; one at
    /// a time, after the backoff, while they fail.
    fn to_open(&self, now: Instant) -> usize {
        let missing = self.wanted.saturating_sub(self.active());
        if missing == 0 {
            0
        } else if self.failures == 0 {
            missing
        } else if now < self.retry_at || self.opening() > 0 {
            0
        } else {
            1
        }
    }

    /// When to look again for connections to open (None: nothing is waiting on time).
    fn wake_at(&self) -> Option<Instant> {
        (self.active() < self.wanted && self.failures > 0 && self.opening() == 0)
            .then_some(self.retry_at)
    }

    fn add(&mut self) -> (u64, watch::Receiver<bool>) {
        self.next_id += 1;
        let (close, closed) = watch::channel(false);
        self.conns.insert(
            self.next_id,
            Conn {
                close,
                live_since: None,
                replacing: false,
            },
        );
        (self.next_id, closed)
    }

    /// A connection is live: failures are over, and the oldest connection being replaced
    /// can go now that this one hears Slack.
    fn went_live(&mut self, id: u64, now: Instant) {
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.live_since = Some(now);
        }
        self.failures = 0;
        if let Some(old) = self.conns.values().find(|c| c.replacing) {
            let _ = old.close.send(true);
        }
    }

    /// Slack or the lifetime asks for a replacement. True the first time for a
    /// connection (so a reconnect is counted once).
    fn replace(&mut self, id: u64) -> bool {
        match self.conns.get_mut(&id) {
            // Refused before `hello` (too_many_websockets): it ends as a failure instead.
            Some(conn) if !conn.replacing && conn.live_since.is_some() => {
                conn.replacing = true;
                true
            }
            _ => false,
        }
    }

    /// A connection ended. True when it was unexpected (not replaced, not closed by
    /// Herald); one that never went live, or died young, counts as a failure.
    fn ended(&mut self, id: u64, now: Instant, jitter: f64) -> bool {
        let Some(conn) = self.conns.remove(&id) else {
            return false;
        };
        if conn.replacing {
            return false;
        }
        let young = conn
            .live_since
            .is_none_or(|since| now.duration_since(since) < self.timing.stale_after);
        if young {
            self.failed(now, None, jitter);
        }
        true
    }

    /// An open failed; the next waits out the backoff or Slack's `Retry-After`.
    fn failed(&mut self, now: Instant, retry_after: Option<Duration>, jitter: f64) {
        self.failures = self.failures.saturating_add(1);
        let wait =
            backoff(self.failures, &self.timing, jitter).max(retry_after.unwrap_or_default());
        self.retry_at = now + wait;
    }

    fn close_all(&self) {
        for conn in self.conns.values() {
            let _ = conn.close.send(true);
        }
    }
}

/// The wait before the next open after `failures` in a row: doubling from the base up to
/// the cap, and drawn from its upper half (`jitter` in 0..1) so that many Heralds, or
/// many connections, do not retry in step.
fn backoff(failures: u32, timing: &SocketTiming, jitter: f64) -> Duration {
    let doubled = timing
        .backoff_base
        .saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    let cap = doubled.min(timing.backoff_max);
    cap.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
}

async fn supervise<H: SlackHandler>(
    slack: SlackApi,
    app_token: String,
    wanted: usize,
    shared: Shared<H>,
    mut reports: mpsc::UnboundedReceiver<Report>,
    shutdown: CancellationToken,
) {
    let timing = shared.timing;
    let status = shared.status.clone();
    let mut pool = Pool::new(wanted, timing);
    let mut check = tokio::time::interval(timing.ping_interval);
    let mut report =
        tokio::time::interval_at(Instant::now() + timing.report_every, timing.report_every);
    loop {
        for _ in 0..pool.to_open(Instant::now()) {
            let (id, closed) = pool.add();
            shared.tracker.spawn(open_and_run(
                id,
                slack.clone(),
                app_token.clone(),
                shared.clone(),
                closed,
            ));
        }
        let retry = async {
            match pool.wake_at() {
                Some(at) => sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => break,
            Some(report) = reports.recv() => handle(&mut pool, &status, report),
            () = retry => {}
            _ = check.tick() => log_outage(&mut pool, &status),
            _ = report.tick() => log_state(&pool, &status),
        }
    }
    pool.close_all();
}

fn handle(pool: &mut Pool, status: &SocketStatus, report: Report) {
    let now = Instant::now();
    match report {
        Report::Live { id } => {
            if pool.outage_logged {
                tracing::info!(connection = id, "Socket Mode hears Slack again");
            }
            pool.outage_logged = false;
            pool.went_live(id, now);
        }
        Report::Replace { id, why } => {
            if pool.replace(id) {
                status.reconnect(why);
                tracing::info!(connection = id, why, "replacing a Socket Mode connection");
            }
            if why == "link_disabled" {
                tracing::warn!(
                    "Slack says Socket Mode is turned off for this app (link_disabled); \
                     turn it on in the app's settings"
                );
            }
        }
        Report::OpenFailed { id, error } => {
            pool.conns.remove(&id);
            let retry_after = match &error {
                SlackError::RateLimited { retry_after, .. } => *retry_after,
                _ => None,
            };
            pool.failed(now, retry_after, fastrand::f64());
            let cause = format!("apps.connections.open failed: {error}");
            // A token refusal, or a code such as `not_allowed_token_type`; not Slack's
            // own trouble, a rate limit or the network.
            let refused = matches!(
                error.code(),
                Some(SlackErrorCode::TokenRefused(_) | SlackErrorCode::Other(_))
            );
            if refused {
                // Retried all the same (a rotated token may be fixed in Slack's settings),
                // but said loudly: it will not fix itself.
                tracing::error!(
                    error = %error,
                    failures = pool.failures,
                    "Slack refuses SLACK_APP_TOKEN for Socket Mode: check the app-level token \
                     and its connections:write scope, and that Socket Mode is on"
                );
            } else {
                tracing::warn!(error = %error, failures = pool.failures, "could not open a Socket Mode connection");
            }
            status.cause(cause);
        }
        Report::Ended { id, why, detail } => {
            if pool.ended(id, now, fastrand::f64()) {
                status.reconnect(why);
                status.cause(format!("a connection ended ({why}): {detail}"));
                tracing::warn!(
                    connection = id,
                    why,
                    detail,
                    "a Socket Mode connection ended; opening another"
                );
            }
        }
    }
}

/// A minute (by default) with no live connection is an error, logged once per outage.
fn log_outage(pool: &mut Pool, status: &SocketStatus) {
    let Some(down_ms) = status.down_for_ms() else {
        return;
    };
    let limit = i64::try_from(pool.timing.outage_after.as_millis()).unwrap_or(i64::MAX);
    if down_ms >= limit && !pool.outage_logged {
        pool.outage_logged = true;
        tracing::error!(
            down_s = down_ms / 1000,
            cause = status.last_cause(),
            "no Socket Mode connection is live: Herald hears nothing from Slack"
        );
    }
}

/// The state, each minute (until a metrics endpoint shows it).
fn log_state(pool: &Pool, status: &SocketStatus) {
    let reconnects = status
        .reconnects()
        .iter()
        .map(|(why, n)| format!("{why}={n}"))
        .collect::<Vec<_>>()
        .join(",");
    let since = status
        .seconds_since_envelope()
        .map_or_else(|| "never".to_string(), |s| s.to_string());
    if status.is_live() {
        tracing::info!(
            live = status.live(),
            wanted = pool.wanted,
            reconnects,
            seconds_since_envelope = since,
            "Socket Mode"
        );
    } else {
        tracing::warn!(
            live = 0,
            wanted = pool.wanted,
            reconnects,
            seconds_since_envelope = since,
            cause = status.last_cause(),
            "Socket Mode: no connection is live"
        );
    }
}

/// Asks Slack for a WebSocket URL and runs a connection on it.
async fn open_and_run<H: SlackHandler>(
    id: u64,
    slack: SlackApi,
    app_token: String,
    shared: Shared<H>,
    closed: watch::Receiver<bool>,
) {
    match slack.open_socket_url(&app_token).await {
        Ok(url) => connection::run(id, url, shared, closed).await,
        Err(error) => {
            let _ = shared.reports.send(Report::OpenFailed { id, error });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing() -> SocketTiming {
        SocketTiming::default()
    }

    #[test]
    fn backoff_doubles_from_the_base_to_the_cap_within_the_upper_half() {
        let t = timing();
        let cases = [
            (1, 0.0, 500),
            (1, 1.0, 1_000),
            (2, 0.0, 1_000),
            (3, 1.0, 4_000),
            (7, 1.0, 60_000),
            (40, 0.0, 30_000),
            (u32::MAX, 1.0, 60_000),
        ];
        for (failures, jitter, ms) in cases {
            assert_eq!(
                backoff(failures, &t, jitter),
                Duration::from_millis(ms),
                "{failures} failures, jitter {jitter}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn opens_every_missing_connection_while_things_work() {
        let mut pool = Pool::new(2, timing());
        let now = Instant::now();
        assert_eq!(pool.to_open(now), 2);
        pool.add();
        pool.add();
        assert_eq!(pool.to_open(now), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_replacement_is_opened_first_and_the_old_one_closed_once_it_is_live() {
        let mut pool = Pool::new(1, timing());
        let now = Instant::now();
        let (old, old_closed) = pool.add();
        pool.went_live(old, now);
        assert!(pool.replace(old));
        assert!(!pool.replace(old), "a second ask counts once");
        assert!(
            !*old_closed.borrow(),
            "kept open while there is no replacement"
        );
        assert_eq!(pool.to_open(now), 1, "the replacement opens at once");
        let (new, _) = pool.add();
        pool.went_live(new, now);
        assert!(*old_closed.borrow(), "closed once the replacement is live");
        assert!(
            !pool.ended(old, now, 0.5),
            "a replaced connection ending is expected"
        );
        assert_eq!(pool.to_open(now), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_opens_back_off_one_at_a_time_and_honour_retry_after() {
        let mut pool = Pool::new(2, timing());
        let now = Instant::now();
        let (a, _) = pool.add();
        let (b, _) = pool.add();
        pool.conns.remove(&a);
        pool.failed(now, None, 1.0);
        assert_eq!(pool.to_open(now), 0, "b is still opening");
        pool.conns.remove(&b);
        pool.failed(now, Some(Duration::from_secs(30)), 0.0);
        assert_eq!(pool.wake_at(), Some(now + Duration::from_secs(30)));
        assert_eq!(pool.to_open(now + Duration::from_secs(29)), 0);
        assert_eq!(pool.to_open(now + Duration::from_secs(30)), 1, "one probe");
        let (c, _) = pool.add();
        assert_eq!(pool.to_open(now + Duration::from_secs(31)), 0);
        pool.went_live(c, now + Duration::from_secs(31));
        assert_eq!(pool.failures, 0);
        assert_eq!(
            pool.to_open(now + Duration::from_secs(31)),
            1,
            "the rest at once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_dies_young_counts_as_a_failure_and_an_old_one_does_not() {
        let mut pool = Pool::new(2, timing());
        let now = Instant::now();
        let (young, _) = pool.add();
        let (old, _) = pool.add();
        pool.went_live(young, now);
        pool.went_live(old, now);
        let later = now + Duration::from_secs(600);
        assert!(pool.ended(old, later, 0.5));
        assert_eq!(
            pool.failures, 0,
            "a long-lived connection ending is reopened at once"
        );
        assert_eq!(pool.to_open(later), 1);
        pool.conns.get_mut(&young).unwrap().live_since = Some(later);
        assert!(pool.ended(young, later + Duration::from_secs(1), 0.5));
        assert_eq!(pool.failures, 1);
    }
}
