//! Pacing: at most one post per channel per interval, as Slack asks of `chat.postMessage`.
//!
//! Slots are handed out in claim order, so posts to one channel keep their order. The
//! map is per process; with several processes on one queue the pace is approximate and
//! Slack's `ratelimited` answers (honoured through `Retry-After`) cover the rest.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Default)]
pub struct Pacer {
    next_free: Mutex<HashMap<(String, String), Instant>>,
}

/// The answer to "when may I post here?".
#[derive(Debug, PartialEq, Eq)]
pub enum Slot {
    /// Post after waiting this long (zero: now). The slot is reserved.
    After(Duration),
    /// Too far away to hold a worker for; requeue the job for then. Nothing reserved.
    Defer(Duration),
}

impl Pacer {
    /// Reserves the channel's next slot unless it is further away than `max_wait`.
    pub fn reserve(
        &self,
        team: &str,
        channel: &str,
        interval: Duration,
        max_wait: Duration,
    ) -> Slot {
        let now = Instant::now();
        let mut map = self
            .next_free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 10_000 {
            map.retain(|_, t| *t > now);
        }
        let key = (team.to_string(), channel.to_string());
        let slot = map.get(&key).copied().filter(|t| *t > now).unwrap_or(now);
        let wait = slot - now;
        if wait > max_wait {
            return Slot::Defer(wait);
        }
        map.insert(key, slot + interval);
        Slot::After(wait)
    }

    /// Slack rate-limited this channel: nothing goes there before `wait` has passed.
    pub fn block(&self, team: &str, channel: &str, wait: Duration) {
        let until = Instant::now() + wait;
        let mut map = self
            .next_free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = map
            .entry((team.to_string(), channel.to_string()))
            .or_insert(until);
        *entry = (*entry).max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[tokio::test(start_paused = true)]
    async fn slots_are_spaced_per_channel() {
        let p = Pacer::default();
        let max = Duration::from_secs(2);
        assert_eq!(p.reserve("T", "C1", SEC, max), Slot::After(Duration::ZERO));
        assert_eq!(p.reserve("T", "C1", SEC, max), Slot::After(SEC));
        assert_eq!(p.reserve("T", "C2", SEC, max), Slot::After(Duration::ZERO));
        assert_eq!(p.reserve("T2", "C1", SEC, max), Slot::After(Duration::ZERO));
        assert_eq!(p.reserve("T", "C1", SEC, max), Slot::After(2 * SEC));
        assert_eq!(p.reserve("T", "C1", SEC, max), Slot::Defer(3 * SEC));
        tokio::time::advance(3 * SEC).await;
        assert_eq!(p.reserve("T", "C1", SEC, max), Slot::After(Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limit_blocks_the_channel() {
        let p = Pacer::default();
        p.block("T", "C1", Duration::from_secs(10));
        assert_eq!(
            p.reserve("T", "C1", SEC, SEC),
            Slot::Defer(Duration::from_secs(10))
        );
    }
}
