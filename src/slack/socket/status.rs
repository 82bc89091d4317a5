//! What Socket Mode is doing, for readiness, metrics and the logs: live connections,
//! reconnects by reason, and when Slack last sent anything.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Shared by the connections (which record) and whoever reports (which reads).
#[derive(Clone, Default)]
pub struct SocketStatus {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    live: AtomicUsize,
    /// Unix ms of the last envelope; 0 before the first.
    last_envelope_ms: AtomicI64,
    /// Unix ms since when no connection has been live; 0 while one is.
    down_since_ms: AtomicI64,
    reconnects: Mutex<BTreeMap<&'static str, u64>>,
    /// Why the last connection ended or could not open, for the outage's error log.
    last_cause: Mutex<String>,
}

impl SocketStatus {
    /// A new status: nothing live yet, down since now.
    pub fn new() -> Self {
        let status = Self::default();
        status
            .inner
            .down_since_ms
            .store(now_ms(), Ordering::Relaxed);
        status
    }

    /// Connections that have said `hello` and are not closed.
    pub fn live(&self) -> usize {
        self.inner.live.load(Ordering::Relaxed)
    }

    pub fn is_live(&self) -> bool {
        self.live() > 0
    }

    /// Replacements opened, by why the connection they replace went.
    pub fn reconnects(&self) -> BTreeMap<&'static str, u64> {
        self.inner
            .reconnects
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Seconds since the last envelope (None before the first).
    pub fn seconds_since_envelope(&self) -> Option<i64> {
        match self.inner.last_envelope_ms.load(Ordering::Relaxed) {
            0 => None,
            at => Some((now_ms() - at).max(0) / 1000),
        }
    }

    /// How long no connection has been live (ms; None while one is).
    pub fn down_for_ms(&self) -> Option<i64> {
        match self.inner.down_since_ms.load(Ordering::Relaxed) {
            0 => None,
            since => Some((now_ms() - since).max(0)),
        }
    }

    pub fn last_cause(&self) -> String {
        self.inner
            .last_cause
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    pub(super) fn went_live(&self) {
        if self.inner.live.fetch_add(1, Ordering::Relaxed) == 0 {
            self.inner.down_since_ms.store(0, Ordering::Relaxed);
        }
    }

    pub(super) fn went_down(&self) {
        let before = self
            .inner
            .live
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .unwrap_or(0);
        if before == 1 {
            self.inner.down_since_ms.store(now_ms(), Ordering::Relaxed);
        }
    }

    pub(super) fn envelope(&self) {
        self.inner
            .last_envelope_ms
            .store(now_ms(), Ordering::Relaxed);
    }

    pub(super) fn reconnect(&self, reason: &'static str) {
        if let Ok(mut r) = self.inner.reconnects.lock() {
            *r.entry(reason).or_default() += 1;
        }
    }

    pub(super) fn cause(&self, cause: String) {
        if let Ok(mut c) = self.inner.last_cause.lock() {
            *c = cause;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_is_measured_from_the_last_live_connection_going() {
        let status = SocketStatus::new();
        assert!(!status.is_live());
        assert!(status.down_for_ms().is_some());
        status.went_live();
        status.went_live();
        assert_eq!(status.live(), 2);
        assert_eq!(status.down_for_ms(), None);
        status.went_down();
        assert_eq!(status.down_for_ms(), None, "one is still live");
        status.went_down();
        assert!(status.down_for_ms().is_some());
        status.went_down();
        assert_eq!(status.live(), 0, "never below zero");
        status.reconnect("stale");
        status.reconnect("stale");
        status.reconnect("refresh_requested");
        assert_eq!(status.reconnects()["stale"], 2);
        assert_eq!(status.seconds_since_envelope(), None);
        status.envelope();
        assert_eq!(status.seconds_since_envelope(), Some(0));
    }
}
