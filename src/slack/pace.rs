//! Calls to one rate-limited Slack method, spaced at the pace Slack allows and waiting
//! out Slack's `Retry-After` when it says so: the directory sync's list calls and
//! catch-up's `conversations.replies`.

use std::time::Duration;

use tokio::time::Instant;

use super::SlackError;
use crate::metrics::Metrics;

/// When a rate-limited answer does not say how long to wait.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Spaces calls to one method family at a fixed interval.
pub struct Pace {
    interval: Duration,
    next: Instant,
}

impl Pace {
    /// The first call goes at once.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            next: Instant::now(),
        }
    }

    /// Waits for the next call's turn and books the one after it.
    pub async fn wait(&mut self) {
        tokio::time::sleep_until(self.next).await;
        self.next = Instant::now() + self.interval;
    }

    /// Slack asked for `wait`: no call before it is over.
    fn hold(&mut self, wait: Duration) {
        self.next = Instant::now() + wait;
    }
}

/// What pacing cost: calls made (429s included) and time spent waiting as Slack asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waited {
    pub calls: usize,
    pub rate_limited: Duration,
}

/// Calls `call` at `pace` until Slack stops answering 429, waiting as told (and counting
/// the calls and the wait in `waited` and `herald_slack_rate_limit_wait_seconds`).
pub async fn patiently<T, F, Fut>(
    metrics: &Metrics,
    pace: &mut Pace,
    waited: &mut Waited,
    mut call: F,
) -> Result<T, SlackError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SlackError>>,
{
    loop {
        pace.wait().await;
        waited.calls += 1;
        match call().await {
            Err(SlackError::RateLimited {
                method,
                retry_after,
            }) => {
                let wait = retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
                tracing::info!(?wait, method, "rate limited by Slack; waiting as asked");
                metrics.rate_limit_wait(method, wait);
                waited.rate_limited += wait;
                pace.hold(wait);
            }
            other => return other,
        }
    }
}
