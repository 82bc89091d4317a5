//! The retry schedule: pure, tested with a table.

use std::time::Duration;

/// The wait before the next attempt after `attempts` failed ones, with ±20% jitter so
/// retries of many jobs do not arrive at Slack together; None when the budget is spent.
pub fn retry_delay(schedule: &[Duration], attempts: u32, jitter: f64) -> Option<Duration> {
    let base = *schedule.get(usize::try_from(attempts).ok()?.checked_sub(1)?)?;
    Some(base.mul_f64(1.0 + 0.4 * (jitter.clamp(0.0, 1.0) - 0.5)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_follow_the_schedule_with_bounded_jitter() {
        let schedule: Vec<Duration> = [0, 5, 300].map(Duration::from_secs).to_vec();
        let secs = |s| Some(Duration::from_secs(s));
        let cases = [
            (1, 0.5, Some(Duration::ZERO)),
            (2, 0.5, secs(5)),
            (3, 1.0, secs(360)),
            (3, 0.0, secs(240)),
            (4, 0.5, None),
            (0, 0.5, None),
        ];
        for (attempts, jitter, expected) in cases {
            assert_eq!(
                retry_delay(&schedule, attempts, jitter),
                expected,
                "attempts {attempts}, jitter {jitter}"
            );
        }
    }
}
