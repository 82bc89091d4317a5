//! Hand-off: a job queued while a worker of this process waits idle is given to that
//! worker directly, already leased to it in the transaction that queues it.
//!
//! Without it, a new job costs a wake-up, a read to find it and a claim (an `UPDATE`,
//! on SQLite a commit with its fsync) before its post can start: on the webhook → Slack
//! path that is a second durable write after the event's own. With it the worker starts
//! as soon as the event's transaction commits. Durability is unchanged: the job is on
//! disk, leased, before the worker gets it, and a crash leaves it to be taken over when
//! the lease runs out, like any claimed job.
//!
//! The exchange is race-free: a waiting worker that wakes for another reason withdraws;
//! if a writer took it first, it waits for that writer's job, which comes after the
//! commit, or for the writer to give up (its transaction failed), and goes on.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::store::{ClaimedJob, duration_ms};

#[derive(Default)]
struct State {
    idle: Vec<(String, oneshot::Sender<ClaimedJob>)>,
    /// The workers' lease; None until workers run in this process.
    lease: Option<Duration>,
}

/// Idle workers, shared by the workers and the writers that queue jobs.
#[derive(Clone, Default)]
pub struct Handoff {
    state: Arc<Mutex<State>>,
}

/// An idle worker a writer took: the job it queues is leased to `owner`.
pub struct Taken {
    pub owner: String,
    /// Unix ms.
    pub lease_until: i64,
    tx: oneshot::Sender<ClaimedJob>,
}

impl Taken {
    /// Gives the worker its job, once the transaction that queued it has committed.
    pub fn give(self, job: ClaimedJob) {
        // A worker that stopped meanwhile leaves the job to its lease.
        let _ = self.tx.send(job);
    }
}

/// A worker's place in the idle list.
pub struct Waiting {
    owner: String,
    rx: oneshot::Receiver<ClaimedJob>,
    handoff: Handoff,
}

impl Waiting {
    /// The job a writer hands over (None: the writer gave up).
    pub async fn handed(&mut self) -> Option<ClaimedJob> {
        (&mut self.rx).await.ok()
    }

    /// Stops waiting. Still idle: None. Taken by a writer meanwhile: the job it hands
    /// over, once its transaction has committed (None if it failed).
    pub async fn withdraw(mut self) -> Option<ClaimedJob> {
        let still_idle = {
            let mut state = self.handoff.lock();
            let before = state.idle.len();
            state.idle.retain(|(owner, _)| *owner != self.owner);
            state.idle.len() < before
        };
        if still_idle {
            return None;
        }
        self.handed().await
    }
}

impl Handoff {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Workers run here with this lease: writers may hand them jobs from now on.
    pub fn enable(&self, lease: Duration) {
        self.lock().lease = Some(lease);
    }

    /// `owner` waits idle for a job.
    pub fn wait(&self, owner: &str) -> Waiting {
        let (tx, rx) = oneshot::channel();
        self.lock().idle.push((owner.to_string(), tx));
        Waiting {
            owner: owner.to_string(),
            rx,
            handoff: self.clone(),
        }
    }

    /// Takes an idle worker for a job due now, if one waits.
    pub fn take(&self, now_ms: i64) -> Option<Taken> {
        let mut state = self.lock();
        let lease = state.lease?;
        let (owner, tx) = state.idle.pop()?;
        Some(Taken {
            owner,
            lease_until: now_ms + duration_ms(lease),
            tx,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str) -> ClaimedJob {
        ClaimedJob {
            id: id.into(),
            team_id: "T1".into(),
            kind: "k".into(),
            event_id: "e".into(),
            channel: None,
            payload: "{}".into(),
            attempts: 1,
            maybe_posted: 0,
            internal: 0,
            first_claimed_at: Some(0),
            created_at: 0,
        }
    }

    #[tokio::test]
    async fn nobody_is_taken_before_workers_run_here() {
        let handoff = Handoff::default();
        let _waiting = handoff.wait("w1");
        assert!(handoff.take(0).is_none());
        handoff.enable(Duration::from_secs(60));
        let taken = handoff.take(1_000).expect("an idle worker");
        assert_eq!((taken.owner.as_str(), taken.lease_until), ("w1", 61_000));
        assert!(handoff.take(0).is_none(), "each worker is taken once");
    }

    #[tokio::test]
    async fn a_worker_that_withdraws_in_time_is_not_taken() {
        let handoff = Handoff::default();
        handoff.enable(Duration::from_secs(60));
        let waiting = handoff.wait("w1");
        assert!(waiting.withdraw().await.is_none());
        assert!(handoff.take(0).is_none());
    }

    #[tokio::test]
    async fn a_worker_taken_before_it_withdraws_gets_its_job() {
        let handoff = Handoff::default();
        handoff.enable(Duration::from_secs(60));
        let waiting = handoff.wait("w1");
        let taken = handoff.take(0).unwrap();
        let withdrawn = tokio::spawn(waiting.withdraw());
        taken.give(job("job_1"));
        assert_eq!(
            withdrawn.await.unwrap().map(|j| j.id).as_deref(),
            Some("job_1")
        );
    }

    #[tokio::test]
    async fn a_writer_that_gives_up_releases_its_worker() {
        let handoff = Handoff::default();
        handoff.enable(Duration::from_secs(60));
        let mut waiting = handoff.wait("w1");
        drop(handoff.take(0).unwrap());
        assert!(waiting.handed().await.is_none());
    }
}
