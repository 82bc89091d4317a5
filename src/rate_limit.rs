//! Per-connection ingest rate limits: one platform sending a flood cannot take the
//! ingest writer (shared by every workspace) for itself.
//!
//! A token bucket per connection id, in this process's memory: `rate` tokens a second up
//! to `burst`, one per accepted webhook request. Only requests with a valid signature
//! are counted, so nobody but the platform can spend its budget. The map's keys are
//! connection ids that exist (at most 64 bytes each), so it stays as small as the number
//! of connections. The bucket itself is a pure function of time, tested without a clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One connection's budget.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket: a quiet connection may send a burst at once.
    pub fn full(burst: u32, now: Instant) -> Self {
        Self {
            tokens: f64::from(burst),
            last: now,
        }
    }

    /// Takes one token; when there is none, how long until there is.
    pub fn take(&mut self, now: Instant, rate: u32, burst: u32) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * f64::from(rate)).min(f64::from(burst));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / f64::from(rate.max(1)),
            ))
        }
    }
}

/// The buckets of every connection seen by this process.
pub struct RateLimiter {
    rate: u32,
    burst: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// `rate` requests a second per connection, bursts of `2 × rate`.
    pub fn new(rate: u32) -> Self {
        Self {
            rate,
            burst: rate.saturating_mul(2).max(1),
            buckets: Mutex::default(),
        }
    }

    /// Counts one request of `connection`; `Err(wait)` when it is over its rate.
    pub fn check(&self, connection: &str) -> Result<(), Duration> {
        let now = Instant::now();
        // Held for a few arithmetic operations, never across an await.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        buckets
            .entry(connection.to_string())
            .or_insert_with(|| Bucket::full(self.burst, now))
            .take(now, self.rate, self.burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::full(4, start);
        for _ in 0..4 {
            assert_eq!(bucket.take(start, 2, 4), Ok(()));
        }
        let wait = bucket.take(start, 2, 4).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        // Half a second later, one more; a long pause refills only up to the burst.
        assert_eq!(
            bucket.take(start + Duration::from_millis(500), 2, 4),
            Ok(())
        );
        let later = start + Duration::from_secs(60);
        for _ in 0..4 {
            assert_eq!(bucket.take(later, 2, 4), Ok(()));
        }
        assert!(bucket.take(later, 2, 4).is_err());
    }

    #[test]
    fn connections_have_budgets_of_their_own() {
        let limiter = RateLimiter::new(1);
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_err());
        assert!(limiter.check("b").is_ok(), "b is not slowed down by a");
    }
}
