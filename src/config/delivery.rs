//! The delivery section: how many workers post, how long a claimed job is theirs, and
//! the waits between attempts. Production uses the defaults; tests shorten the waits.

use std::time::Duration;

use super::{ConfigError, in_range};

/// Delivery tuning. Production uses [`DeliverySettings::default`]; tests shorten waits.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub workers: usize,
    /// How long a claimed job is reserved for its worker before another may take it.
    pub lease: Duration,
    /// Waits before each retry of a transient failure; its length is the attempt budget.
    pub retry_schedule: Vec<Duration>,
    /// Minimum spacing of posts to one channel (Slack allows about one per second).
    pub channel_interval: Duration,
    /// How often idle workers look for due jobs they were not woken for (retries,
    /// jobs written by other processes).
    pub poll_interval: Duration,
    /// Longest a single Slack call may take before it counts as a timeout.
    pub request_timeout: Duration,
    /// How long a reply to a customer waits, undoable, before it is sent.
    pub undo_window: Duration,
    /// The largest file a platform message may carry into Slack (bigger ones are shown
    /// as a link).
    pub attachment_max_bytes: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        // The webhook industry's schedule: about a day of retries in total.
        let retry_schedule = [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]
            .into_iter()
            .map(Duration::from_secs)
            .collect();
        Self {
            workers: 4,
            // Well above the longest attempt: pacing (2 s) + post, join, post (3 × 20 s).
            lease: Duration::from_secs(120),
            retry_schedule,
            channel_interval: Duration::from_secs(1),
            poll_interval: Duration::from_millis(500),
            request_timeout: Duration::from_secs(20),
            undo_window: Duration::from_secs(10),
            attachment_max_bytes: 20 * 1024 * 1024,
        }
    }
}

/// `HERALD_WORKERS`, `HERALD_JOB_LEASE_SECS` and `HERALD_ATTACHMENT_MAX_BYTES` over the
/// defaults.
pub(super) fn delivery(
    workers: Option<String>,
    lease_secs: Option<String>,
    attachment_max_bytes: Option<String>,
) -> Result<DeliverySettings, ConfigError> {
    let mut delivery = DeliverySettings::default();
    if let Some(n) = in_range(
        attachment_max_bytes,
        1024..=1_000_000_000,
        "HERALD_ATTACHMENT_MAX_BYTES",
        "must be a whole number of bytes from 1024 to 1000000000",
    )? {
        delivery.attachment_max_bytes = n;
    }
    if let Some(n) = in_range(
        workers,
        1..=64,
        "HERALD_WORKERS",
        "must be a whole number from 1 to 64",
    )? {
        delivery.workers = n;
    }
    if let Some(secs) = in_range(
        lease_secs,
        1..=3600,
        "HERALD_JOB_LEASE_SECS",
        "must be a whole number of seconds from 1 to 3600",
    )? {
        delivery.lease = Duration::from_secs(secs);
    }
    Ok(delivery)
}
