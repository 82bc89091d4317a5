//! A histogram of durations with fixed buckets, recorded with atomics so a worker
//! finishing a job never waits for a scrape.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::family::Buckets;

/// Durations counted into buckets by their upper bound in seconds.
pub struct Histogram {
    bounds: &'static [f64],
    /// Per bound, observations in (previous bound, bound]; not cumulative, so an
    /// observation touches one bucket.
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    /// Sum of observations, in microseconds (an f64 cannot be added to atomically).
    sum_micros: AtomicU64,
}

impl Histogram {
    /// `bounds` ascending.
    pub fn new(bounds: &'static [f64]) -> Self {
        debug_assert!(bounds.windows(2).all(|w| w[0] < w[1]), "bounds ascend");
        Self {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = self.bounds.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The cumulative counts, as the text format wants them. Read without a lock, so
    /// a scrape during an observation may see its bucket and not yet its count; the
    /// count is then raised to keep `+Inf` the largest bucket.
    pub fn snapshot(&self) -> Buckets {
        let mut running = 0;
        let cumulative: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| {
                running += b.load(Ordering::Relaxed);
                running
            })
            .collect();
        let count = self.count.load(Ordering::Relaxed).max(running);
        #[allow(clippy::cast_precision_loss, reason = "a sum of latencies, not money")]
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        Buckets {
            bounds: self.bounds.to_vec(),
            cumulative,
            count,
            sum,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_cumulative_buckets_with_sum_and_count() {
        let h = Histogram::new(&[0.1, 1.0, 10.0]);
        for ms in [50, 100, 700, 5_000, 90_000] {
            h.observe(Duration::from_millis(ms));
        }
        let s = h.snapshot();
        assert_eq!(s.cumulative, [2, 3, 4], "a bound includes its own value");
        assert_eq!(s.count, 5, "+Inf holds the one beyond every bound");
        assert!((s.sum - 95.85).abs() < 1e-9, "{}", s.sum);
    }

    #[test]
    fn an_empty_histogram_is_all_zero() {
        let s = Histogram::new(&[1.0]).snapshot();
        assert_eq!((s.cumulative, s.count, s.sum), (vec![0], 0, 0.0));
    }
}
