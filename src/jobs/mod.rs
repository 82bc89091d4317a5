//! The durable job queue, generic over what its jobs do.
//!
//! A job kind is a serde struct implementing [`Job`]: its `KIND` is stored in
//! `jobs.kind` and the struct, as JSON, in `jobs.payload`. Jobs are queued with
//! [`enqueue`] inside the caller's transaction (so an event and its jobs, or a failed job
//! and its report, are durable together), or with [`Queue::push`] on a connection of
//! their own. The [`worker`] claims due jobs, runs their kind, and alone records the
//! [`Outcome`]: done, deferred, retried on the schedule, or failed. A kind never
//! completes or reschedules itself; it says what happened and the worker makes it so,
//! checking the lease, so a worker whose lease ran out cannot overwrite the work of the
//! one that took over.
//!
//! The runtime knows no Slack, no platform and no feature: `delivery` registers its
//! kinds with [`worker::Worker::register`].

pub mod handoff;
pub mod pacing;
pub mod retry;
pub mod wakeup;
pub mod worker;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::AnyConnection;
use tokio::sync::Notify;

pub use handoff::Handoff;
pub use pacing::{Pacer, Pacing, Slot};
pub use worker::{Worker, WorkerSettings};

use crate::store::{ClaimedJob, JobStatus, NewJob, Store, StoreError, insert_jobs, new_id};

/// One kind of work that leaves Herald, queued durably and run by the worker.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Stored in `jobs.kind`; never renamed once jobs of it exist.
    const KIND: &'static str;
    /// What the kind's runs are given (the delivery context).
    type Ctx: Clone + Send + Sync + 'static;

    /// What makes two enqueues one job (one post per event and channel, one callback
    /// per Slack change); None when every enqueue is a job of its own. `event_id` is the
    /// event the job is queued for.
    fn dedupe_key(&self, event_id: &str) -> Option<String>;

    /// The Slack channel the job posts to, when it posts to one (kept on the row for
    /// per-channel ordering and health).
    fn channel(&self) -> Option<&str> {
        None
    }

    /// One attempt. Store errors and unreadable input are `Err`; everything Slack or
    /// the platform answered is an [`Outcome`].
    fn run(
        &self,
        cx: &Self::Ctx,
        attempt: &Attempt,
    ) -> impl Future<Output = Result<Outcome, JobError>> + Send;

    /// The retry schedule ran out after `reason`: how the job ends. By default it is
    /// dead with that reason; a kind that tells someone overrides this.
    fn exhausted(
        &self,
        _cx: &Self::Ctx,
        attempt: &Attempt,
        reason: String,
    ) -> impl Future<Output = Result<Outcome, JobError>> + Send {
        let reason = format!("{reason} after {} attempts", attempt.attempts);
        async move { Ok(Outcome::fail(JobStatus::Dead, reason)) }
    }
}

/// What one attempt knows about its job, decoded from the claimed row.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: String,
    pub team_id: String,
    pub event_id: String,
    pub channel: Option<String>,
    /// Including this one.
    pub attempts: u32,
    /// An earlier attempt may have posted without Herald learning of it: look first.
    pub maybe_posted: bool,
    /// Herald's own report: its failure is not reported again.
    pub internal: bool,
    /// When the job was first claimed (ms): an interrupted attempt's post is no older.
    pub first_claimed_at: Option<i64>,
    /// When the job was queued (ms), for its delivery latency.
    pub queued_at: i64,
}

impl From<&ClaimedJob> for Attempt {
    fn from(job: &ClaimedJob) -> Self {
        Self {
            id: job.id.clone(),
            team_id: job.team_id.clone(),
            event_id: job.event_id.clone(),
            channel: job.channel.clone(),
            attempts: u32::try_from(job.attempts).unwrap_or(u32::MAX),
            maybe_posted: job.maybe_posted != 0,
            internal: job.internal != 0,
            first_claimed_at: job.first_claimed_at,
            queued_at: job.created_at,
        }
    }
}

/// What an attempt came to; the worker records it.
pub enum Outcome {
    /// Finished. `ts` is the Slack message it posted (so it is never posted again);
    /// `then` is written in the same transaction as the completion, and only if this
    /// worker still held the job.
    Done {
        ts: Option<String>,
        then: Option<Box<dyn Writes>>,
    },
    /// Not now, and not an attempt: its channel's slot or an earlier job of its
    /// conversation comes first. Unix ms.
    Defer { until: i64 },
    /// Slack said wait: not an attempt either, but the reason is kept. Unix ms.
    RateLimited { until: i64 },
    /// A transient failure: the worker waits the schedule's next delay (at least
    /// `WorkerSettings::after_post` when a post may have landed), or ends the job
    /// through [`Job::exhausted`] once the schedule ran out.
    Retry { reason: String, maybe_posted: bool },
    /// Ended for good (`Failed` or `Dead`); `then` (an error report, say) is written in
    /// the same transaction.
    Fail {
        status: JobStatus,
        reason: String,
        then: Option<Box<dyn Writes>>,
    },
}

impl Outcome {
    pub fn done(ts: Option<String>) -> Self {
        Outcome::Done { ts, then: None }
    }

    pub fn fail(status: JobStatus, reason: impl Into<String>) -> Self {
        Outcome::Fail {
            status,
            reason: reason.into(),
            then: None,
        }
    }
}

/// A future the worker awaits on its transaction's connection.
pub type WriteFuture<'a> = Pin<Box<dyn Future<Output = Result<bool, StoreError>> + Send + 'a>>;

/// Writes that belong to a job's end (what a post recorded, the report of a failure),
/// made inside the transaction that ends it.
pub trait Writes: Send + Sync {
    /// Returns whether it queued jobs, so the worker wakes the others after the commit.
    fn write<'a>(&'a self, conn: &'a mut AnyConnection) -> WriteFuture<'a>;
}

/// Several writes made in one job's end, in order (what a post recorded and the report
/// of a problem it found).
pub struct AllOf(pub Vec<Box<dyn Writes>>);

impl Writes for AllOf {
    fn write<'a>(&'a self, conn: &'a mut AnyConnection) -> WriteFuture<'a> {
        Box::pin(async move {
            let mut queued = false;
            for w in &self.0 {
                queued |= w.write(conn).await?;
            }
            Ok(queued)
        })
    }
}

/// Why an attempt could not even say what happened.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The store failed: the lease runs out and another attempt takes the job, until
    /// the attempt budget is spent.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Herald cannot read the job: retrying cannot help, so it fails at once.
    #[error("job is corrupt: {0}")]
    Corrupt(String),
}

/// When a queued job may first run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunAt {
    Now,
    /// Unix ms.
    At(i64),
    /// Not until released ([`crate::store::Store::release_job`]): a reply waiting for
    /// its author to claim an operator.
    Held,
}

/// What the caller knows about a job it queues.
#[derive(Debug, Clone, Copy)]
pub struct Enqueue<'a> {
    pub team_id: &'a str,
    /// The event the job is for (a platform event, or the Slack message a reply is).
    pub event_id: &'a str,
    /// Herald's own report, whose failure is not reported again.
    pub internal: bool,
    /// A conversation's id: its jobs in one channel run in order.
    pub thread_key: Option<&'a str>,
    pub run_at: RunAt,
}

/// A job serialized for its row, ready for [`enqueue_all`].
#[derive(Debug, Clone)]
pub struct Queued {
    pub id: String,
    pub team_id: String,
    pub kind: &'static str,
    pub event_id: String,
    pub dedupe_key: String,
    pub channel: Option<String>,
    pub payload: String,
    pub internal: bool,
    pub status: JobStatus,
    pub run_at: i64,
    pub thread_key: Option<String>,
    /// Leased to an idle worker as it is queued ([`Queued::hand_to`]).
    pub lease: Option<(String, i64)>,
}

impl Queued {
    /// Queues the job leased to the idle worker `taken`, as its first attempt: the
    /// worker gets it from [`Queued::claimed`] once the transaction commits.
    pub fn hand_to(&mut self, taken: &handoff::Taken) {
        self.status = JobStatus::Running;
        self.lease = Some((taken.owner.clone(), taken.lease_until));
    }

    /// The job as its worker's claim would have returned it.
    pub fn claimed(&self) -> ClaimedJob {
        ClaimedJob {
            id: self.id.clone(),
            team_id: self.team_id.clone(),
            kind: self.kind.to_string(),
            event_id: self.event_id.clone(),
            channel: self.channel.clone(),
            payload: self.payload.clone(),
            attempts: 1,
            maybe_posted: 0,
            internal: i64::from(self.internal),
            // The row's own values: a handed job is queued due now, and first
            // claimed as it is queued.
            first_claimed_at: Some(self.run_at),
            created_at: self.run_at,
        }
    }

    pub fn new<J: Job>(job: &J, on: &Enqueue<'_>) -> Result<Self, StoreError> {
        let payload = serde_json::to_string(job)
            .map_err(|e| StoreError::Corrupt(format!("{} does not serialize: {e}", J::KIND)))?;
        let id = new_id("job");
        let dedupe_key = match job.dedupe_key(on.event_id) {
            Some(key) => format!("{}:{key}", J::KIND),
            None => format!("{}:{id}", J::KIND),
        };
        let now = crate::store::now_ms();
        let (status, run_at) = match on.run_at {
            RunAt::Now => (JobStatus::Pending, now),
            RunAt::At(ms) => (JobStatus::Pending, ms),
            RunAt::Held => (JobStatus::Held, now),
        };
        Ok(Self {
            id,
            team_id: on.team_id.to_string(),
            kind: J::KIND,
            event_id: on.event_id.to_string(),
            dedupe_key,
            channel: job.channel().map(str::to_string),
            payload,
            internal: on.internal,
            status,
            run_at,
            thread_key: on.thread_key.map(str::to_string),
            lease: None,
        })
    }
}

/// Queues one job on the caller's connection (inside its transaction): the new job's id,
/// or None when a job with its dedupe key exists. The caller wakes the workers after
/// committing.
pub async fn enqueue<J: Job>(
    conn: &mut AnyConnection,
    job: &J,
    on: &Enqueue<'_>,
) -> Result<Option<String>, StoreError> {
    let queued = Queued::new(job, on)?;
    let inserted = enqueue_all(conn, std::slice::from_ref(&queued)).await? == 1;
    Ok(inserted.then_some(queued.id))
}

/// Queues many jobs in a few multi-row statements; returns how many were new.
pub async fn enqueue_all(conn: &mut AnyConnection, jobs: &[Queued]) -> Result<u64, StoreError> {
    let rows: Vec<NewJob<'_>> = jobs
        .iter()
        .map(|q| NewJob {
            id: &q.id,
            team_id: &q.team_id,
            kind: q.kind,
            event_id: &q.event_id,
            dedupe_key: &q.dedupe_key,
            channel: q.channel.as_deref(),
            payload: &q.payload,
            internal: q.internal,
            status: q.status,
            run_at: q.run_at,
            thread_key: q.thread_key.as_deref(),
            lease: q
                .lease
                .as_ref()
                .map(|(owner, until)| (owner.as_str(), *until)),
        })
        .collect();
    insert_jobs(conn, &rows).await
}

/// Queues jobs outside any transaction of the caller's and wakes the workers.
#[derive(Clone)]
pub struct Queue {
    store: Store,
    wake: Arc<Notify>,
}

impl Queue {
    pub fn new(store: Store, wake: Arc<Notify>) -> Self {
        Self { store, wake }
    }

    /// Queues one job on a connection of its own: the new job's id, or None when its
    /// dedupe key was queued before.
    pub async fn push<J: Job>(
        &self,
        job: &J,
        on: &Enqueue<'_>,
    ) -> Result<Option<String>, StoreError> {
        let inserted = {
            let _gate = self.store.write_gate().await;
            let mut conn = self.store.pool().acquire().await?;
            enqueue(&mut conn, job, on).await?
        };
        if inserted.is_some() && on.run_at != RunAt::Held {
            self.wake();
        }
        Ok(inserted)
    }

    /// Tells idle workers that jobs are due (after a release or "send now").
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }
}
