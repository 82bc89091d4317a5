//! Pacing: at most one post per channel per interval, as Slack asks of `chat.postMessage`.
//!
//! Every job gets one slot, handed out in claim order, so posts to one channel keep their
//! order. A slot too far away to hold a worker for is still reserved for that job, and
//! the job is requeued for then: a burst of N jobs to one channel costs N deferrals, not
//! N² re-claims. The state is per process; with several processes on one queue the pace
//! is approximate and Slack's `ratelimited` answers (honoured through `Retry-After`)
//! cover the rest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Entries kept before stale ones are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Default)]
struct Channel {
    next_free: Option<Instant>,
    blocked_until: Option<Instant>,
}

#[derive(Default)]
struct State {
    channels: HashMap<(String, String), Channel>,
    /// Slots reserved for jobs queued until then.
    held: HashMap<String, Instant>,
    /// Size at which stale entries are next swept (doubles with a large backlog, so a
    /// sweep stays rare).
    next_sweep: usize,
}

impl State {
    fn sweep(&mut self, now: Instant) {
        if self.channels.len() + self.held.len() <= self.next_sweep.max(SWEEP_AT) {
            return;
        }
        let horizon = now.checked_sub(Duration::from_secs(3600)).unwrap_or(now);
        self.held.retain(|_, t| *t > horizon);
        self.channels
            .retain(|_, c| c.next_free.is_some_and(|t| t > now));
        self.next_sweep = 2 * (self.channels.len() + self.held.len());
    }

    /// The channel's next free slot, taken.
    fn take_slot(
        &mut self,
        team: &str,
        channel: &str,
        interval: Duration,
        now: Instant,
    ) -> Instant {
        let entry = self
            .channels
            .entry((team.to_string(), channel.to_string()))
            .or_default();
        let slot = entry.next_free.filter(|t| *t > now).unwrap_or(now);
        let slot = entry.blocked_until.filter(|b| *b > slot).unwrap_or(slot);
        entry.next_free = Some(slot + interval);
        slot
    }
}

#[derive(Default)]
pub struct Pacer {
    state: Mutex<State>,
}

/// The answer to "when may this job post here?".
#[derive(Debug, PartialEq, Eq)]
pub enum Slot {
    /// Post after waiting this long (zero: now).
    After(Duration),
    /// Requeue the job for this long; its slot is held for it.
    Defer(Duration),
}

impl Pacer {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the channel's next slot for a job about to be queued and holds it for that
    /// job; returns how long from now the job should wait. Ingest queues each job for its
    /// slot, so a burst to one channel is spread out before any worker claims it.
    pub fn hold(&self, team: &str, channel: &str, job_id: &str, interval: Duration) -> Duration {
        let now = Instant::now();
        let mut state = self.lock();
        state.sweep(now);
        let slot = state.take_slot(team, channel, interval, now);
        state.held.insert(job_id.to_string(), slot);
        slot.saturating_duration_since(now)
    }

    /// The job's slot: the one held for it, or the channel's next free one.
    pub fn reserve(
        &self,
        team: &str,
        channel: &str,
        job_id: &str,
        interval: Duration,
        max_wait: Duration,
    ) -> Slot {
        let now = Instant::now();
        let mut state = self.lock();
        state.sweep(now);
        let blocked = state
            .channels
            .get(&(team.to_string(), channel.to_string()))
            .and_then(|c| c.blocked_until)
            .filter(|t| *t > now);
        let slot = match state.held.remove(job_id) {
            Some(held) => blocked.map_or(held, |b| held.max(b)),
            None => state.take_slot(team, channel, interval, now),
        };
        let wait = slot.saturating_duration_since(now);
        if wait > max_wait {
            state.held.insert(job_id.to_string(), slot);
            Slot::Defer(wait)
        } else {
            Slot::After(wait)
        }
    }

    /// Slack rate-limited this channel: nothing goes there before `wait` has passed.
    pub fn block(&self, team: &str, channel: &str, wait: Duration) {
        let until = Instant::now() + wait;
        let mut state = self.lock();
        let entry = state
            .channels
            .entry((team.to_string(), channel.to_string()))
            .or_default();
        entry.blocked_until = Some(entry.blocked_until.map_or(until, |t| t.max(until)));
        entry.next_free = Some(entry.next_free.map_or(until, |t| t.max(until)));
    }
}

/// Per-channel pacing shared by ingest (which queues each job for its channel's next
/// slot) and delivery (which posts in that slot).
#[derive(Clone, Default)]
pub struct Pacing {
    pub pacer: Arc<Pacer>,
    pub interval: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(2);

    #[tokio::test(start_paused = true)]
    async fn slots_are_spaced_per_channel() {
        let p = Pacer::default();
        let at = |job: &str, channel: &str| p.reserve("T", channel, job, SEC, MAX);
        assert_eq!(at("j1", "C1"), Slot::After(Duration::ZERO));
        assert_eq!(at("j2", "C1"), Slot::After(SEC));
        assert_eq!(at("k1", "C2"), Slot::After(Duration::ZERO));
        assert_eq!(
            p.reserve("T2", "C1", "m1", SEC, MAX),
            Slot::After(Duration::ZERO)
        );
        assert_eq!(at("j3", "C1"), Slot::After(2 * SEC));
        assert_eq!(at("j4", "C1"), Slot::Defer(3 * SEC));
        assert_eq!(
            at("j5", "C1"),
            Slot::Defer(4 * SEC),
            "a deferred job keeps its place"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_deferred_job_gets_its_held_slot_when_it_comes_back() {
        let p = Pacer::default();
        for job in ["j1", "j2", "j3"] {
            p.reserve("T", "C1", job, SEC, MAX);
        }
        assert_eq!(p.reserve("T", "C1", "j4", SEC, MAX), Slot::Defer(3 * SEC));
        assert_eq!(p.reserve("T", "C1", "j5", SEC, MAX), Slot::Defer(4 * SEC));
        tokio::time::advance(3 * SEC).await;
        assert_eq!(
            p.reserve("T", "C1", "j4", SEC, MAX),
            Slot::After(Duration::ZERO)
        );
        assert_eq!(p.reserve("T", "C1", "j6", SEC, MAX), Slot::After(2 * SEC));
        tokio::time::advance(SEC).await;
        assert_eq!(
            p.reserve("T", "C1", "j5", SEC, MAX),
            Slot::After(Duration::ZERO)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limit_blocks_the_channel_even_for_held_slots() {
        let p = Pacer::default();
        p.reserve("T", "C1", "j1", SEC, MAX);
        p.reserve("T", "C1", "j2", SEC, MAX);
        p.reserve("T", "C1", "j3", SEC, MAX);
        assert_eq!(p.reserve("T", "C1", "j4", SEC, MAX), Slot::Defer(3 * SEC));
        p.block("T", "C1", Duration::from_secs(10));
        tokio::time::advance(3 * SEC).await;
        assert_eq!(
            p.reserve("T", "C1", "j4", SEC, MAX),
            Slot::Defer(Duration::from_secs(7))
        );
        assert_eq!(
            p.reserve("T", "C1", "j9", SEC, MAX),
            Slot::Defer(Duration::from_secs(7))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn jobs_held_at_ingest_are_spread_and_post_in_their_slot() {
        let p = Pacer::default();
        let waits: Vec<Duration> = ["a", "b", "c"]
            .iter()
            .map(|j| p.hold("T", "C1", j, SEC))
            .collect();
        assert_eq!(waits, [Duration::ZERO, SEC, 2 * SEC]);
        assert_eq!(
            p.hold("T", "C2", "x", SEC),
            Duration::ZERO,
            "channels are independent"
        );
        assert_eq!(
            p.reserve("T", "C1", "a", SEC, MAX),
            Slot::After(Duration::ZERO)
        );
        tokio::time::advance(2 * SEC).await;
        assert_eq!(
            p.reserve("T", "C1", "c", SEC, MAX),
            Slot::After(Duration::ZERO)
        );
        assert_eq!(
            p.reserve("T", "C1", "new", SEC, MAX),
            Slot::After(SEC),
            "after the held ones"
        );
    }
}
