//! The worker: claims due jobs, runs their kind, and records what each attempt came to.
//!
//! This is the only code that completes, reschedules or fails a job, each time checking
//! that this worker still holds the job's lease. A kind's [`Outcome`] says what
//! happened; the retry schedule, the attempt budget of a job whose outcome cannot be
//! recorded, and the end of a job Herald cannot read are decided here, once for every
//! kind. So is their count: `herald_jobs_total` by kind and outcome, and the delivery
//! latency of every job that ends with a Slack post.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::retry::retry_delay;
use super::{Attempt, Job, JobError, Outcome, Writes};
use crate::metrics::Metrics;
use crate::store::{ClaimedJob, JobStatus, Store, StoreError, duration_ms, now_ms};

/// Attempts past the retry schedule a job may spend failing to record its outcome.
const STORE_RETRIES: usize = 3;

/// How the workers run; `delivery` cuts it from its settings.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub workers: usize,
    /// How long a claimed job is reserved for its worker before another may take it.
    pub lease: Duration,
    /// How often idle workers look for due jobs they were not woken for.
    pub poll_interval: Duration,
    /// Waits before each retry of a transient failure; its length is the attempt budget.
    pub retry_schedule: Vec<Duration>,
    /// The least wait before retrying an attempt whose post may have landed anyway (a
    /// timeout, a lost answer): time for it to show, so the next attempt finds it.
    pub after_post: Duration,
}

/// What the worker writes for one attempt.
enum Settled {
    Done {
        ts: Option<String>,
        then: Option<Box<dyn Writes>>,
    },
    Reschedule {
        run_at: i64,
        error: Option<String>,
        /// Not an attempt: a wait is not a failure.
        refund: bool,
        maybe_posted: bool,
        /// Why, as `herald_jobs_total` counts it: `deferred`, `rate_limited`, `retry`.
        why: &'static str,
    },
    Fail {
        status: JobStatus,
        reason: String,
        then: Option<Box<dyn Writes>>,
    },
}

impl Settled {
    /// The `outcome` label of `herald_jobs_total`.
    fn outcome(&self) -> &'static str {
        match self {
            Settled::Done { .. } => "done",
            Settled::Reschedule { why, .. } => why,
            Settled::Fail { status, .. } => status.as_str(),
        }
    }

    /// Whether the job ended with a Slack post (Slack's `ts` of it): its delivery latency
    /// is measured.
    fn posted(&self) -> bool {
        matches!(self, Settled::Done { ts: Some(_), .. })
    }
}

/// How [`Worker::end_with`] ends a job.
enum End<'a> {
    Done(Option<&'a str>),
    Failed(JobStatus, &'a str),
}

type Settling = Pin<Box<dyn Future<Output = Result<Settled, JobError>> + Send>>;
type Runner<Cx> = Arc<dyn Fn(Cx, Attempt, String, Arc<WorkerSettings>) -> Settling + Send + Sync>;

/// The queue's workers, with the job kinds they run.
pub struct Worker<Cx> {
    store: Store,
    wake: Arc<Notify>,
    handoff: super::Handoff,
    settings: Arc<WorkerSettings>,
    kinds: HashMap<&'static str, Runner<Cx>>,
    metrics: Metrics,
}

impl<Cx: Clone + Send + Sync + 'static> Worker<Cx> {
    /// Workers on `store`'s queue, woken by `wake` and handed jobs through `handoff` by
    /// the writers of this process.
    pub fn new(
        store: Store,
        wake: Arc<Notify>,
        handoff: super::Handoff,
        settings: WorkerSettings,
    ) -> Self {
        Self {
            store,
            wake,
            handoff,
            settings: Arc::new(settings),
            kinds: HashMap::new(),
            metrics: Metrics::default(),
        }
    }

    /// Counts the workers' attempts in `metrics` (by default, in a registry of their own).
    #[must_use]
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Runs jobs of kind `J` from now on.
    pub fn register<J: Job<Ctx = Cx>>(mut self) -> Self {
        let runner: Runner<Cx> = Arc::new(|cx, attempt, payload, settings| {
            Box::pin(async move {
                let job: J = serde_json::from_str(&payload)
                    .map_err(|e| JobError::Corrupt(format!("{} payload: {e}", J::KIND)))?;
                let outcome = job.run(&cx, &attempt).await?;
                settle(&job, &cx, &attempt, &settings, outcome).await
            })
        });
        self.kinds.insert(J::KIND, runner);
        self
    }

    /// Starts the workers (and, on PostgreSQL, the wake-up listener); they stop between
    /// jobs once `cancel` fires.
    pub fn spawn(self, cx: Cx, tracker: &TaskTracker, cancel: &CancellationToken) {
        if let Some(url) = self.store.postgres_url() {
            tracker.spawn(super::wakeup::listen(
                url.to_string(),
                self.wake.clone(),
                cancel.clone(),
            ));
        }
        self.handoff.enable(self.settings.lease);
        let this = Arc::new(self);
        for n in 0..this.settings.workers {
            let owner = format!("{}-{n}", crate::store::new_id("wrk"));
            tracker.spawn(this.clone().work(cx.clone(), owner, cancel.clone()));
        }
    }

    async fn work(self: Arc<Self>, cx: Cx, owner: String, cancel: CancellationToken) {
        let mut handed = None;
        while !cancel.is_cancelled() {
            if let Some(job) = handed.take() {
                self.run(&cx, &owner, job).await;
                continue;
            }
            // Interest in a wake-up is registered before looking for work, so a job
            // queued while this worker looks is not missed.
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.store.claim_job(&owner, self.settings.lease).await {
                Ok(Some(job)) => {
                    self.run(&cx, &owner, job).await;
                    continue;
                }
                Ok(None) => {}
                Err(err) => tracing::error!(error = %err, "could not claim a job"),
            }
            let idle = self.idle_wait().await;
            let mut waiting = self.handoff.wait(&owner);
            tokio::select! {
                job = waiting.handed() => {
                    handed = job;
                    continue;
                }
                () = &mut notified => {}
                () = tokio::time::sleep(idle) => {}
                () = cancel.cancelled() => {}
            }
            // A writer may have taken this worker just now: its job comes after its
            // commit, and this worker owns its lease.
            handed = waiting.withdraw().await;
        }
    }

    async fn run(&self, cx: &Cx, owner: &str, job: ClaimedJob) {
        let span = tracing::info_span!("job", job_id = %job.id, kind = %job.kind,
            team_id = %job.team_id, event_id = %job.event_id,
            channel = job.channel.as_deref().unwrap_or(""), attempt = job.attempts);
        self.attempt(cx, owner, job).instrument(span).await;
    }

    /// Runs one claimed job and records its outcome.
    async fn attempt(&self, cx: &Cx, owner: &str, job: ClaimedJob) {
        let attempt = Attempt::from(&job);
        // The registered name, not the row's: a label takes only values the code knows.
        let kind = self
            .kinds
            .get_key_value(job.kind.as_str())
            .map_or(crate::metrics::UNKNOWN, |(kind, _)| *kind);
        let settled = match self.kinds.get(job.kind.as_str()) {
            Some(run) => {
                run(
                    cx.clone(),
                    attempt.clone(),
                    job.payload,
                    self.settings.clone(),
                )
                .await
            }
            None => Err(JobError::Corrupt(format!("unknown job kind {}", job.kind))),
        };
        let recorded = match settled {
            Ok(settled) => {
                let (outcome, posted) = (settled.outcome(), settled.posted());
                let held = self.record(owner, &attempt, settled).await;
                if posted && matches!(held, Ok(true)) {
                    let ms = u64::try_from(now_ms() - attempt.queued_at).unwrap_or(0);
                    self.metrics.delivered(Duration::from_millis(ms));
                }
                held.map(|held| if held { outcome } else { "lease_lost" })
            }
            Err(err) => Err(err),
        };
        let outcome = match &recorded {
            Ok(outcome) => outcome,
            Err(JobError::Corrupt(_)) => "unreadable",
            Err(JobError::Store(_)) => "store_error",
        };
        self.metrics.job_finished(kind, outcome);
        match recorded {
            Ok(_) => {}
            // Retrying cannot fix a job Herald cannot read: end it, with why.
            Err(JobError::Corrupt(reason)) => {
                tracing::error!(%reason, "unreadable job failed");
                let reason = format!("unreadable_job: {reason}");
                self.end_unrecordable(owner, &attempt, &reason).await;
            }
            // The lease runs out and another attempt takes the job, unless its writes
            // kept failing past the attempt budget: a write that cannot succeed (a
            // poison job) must not be reclaimed forever.
            Err(JobError::Store(err)) => {
                tracing::error!(error = %err, "job could not be recorded");
                let budget = self.settings.retry_schedule.len() + STORE_RETRIES;
                if usize::try_from(attempt.attempts).unwrap_or(usize::MAX) >= budget {
                    let reason: String = format!("store_error: {err}").chars().take(500).collect();
                    self.end_unrecordable(owner, &attempt, &reason).await;
                }
            }
        }
    }

    /// Writes what one attempt came to, if this worker still holds the job; returns
    /// whether it did.
    async fn record(&self, owner: &str, job: &Attempt, settled: Settled) -> Result<bool, JobError> {
        let held = match settled {
            Settled::Done { ts, then: None } => {
                self.store
                    .complete_job(&job.id, owner, ts.as_deref())
                    .await?
            }
            Settled::Done {
                ts,
                then: Some(then),
            } => {
                let end = End::Done(ts.as_deref());
                self.end_with(owner, job, end, Some(then.as_ref())).await?
            }
            Settled::Reschedule {
                run_at,
                error,
                refund,
                maybe_posted,
                why: _,
            } => {
                self.store
                    .reschedule_job(
                        &job.id,
                        owner,
                        run_at,
                        error.as_deref(),
                        refund,
                        maybe_posted,
                    )
                    .await?
            }
            Settled::Fail {
                status,
                reason,
                then,
            } => {
                tracing::warn!(status = status.as_str(), %reason, "job failed");
                let end = End::Failed(status, &reason);
                self.end_with(owner, job, end, then.as_deref()).await?
            }
        };
        if !held {
            // Another worker took the job over; it finds this attempt's post by the job
            // id in the message metadata and records it.
            tracing::warn!("lease lost before the outcome was recorded");
        }
        Ok(held)
    }

    /// Ends the job and makes `then`'s writes in one transaction, the writes only if
    /// this worker still held the job; wakes the other workers when they queued jobs.
    async fn end_with(
        &self,
        owner: &str,
        job: &Attempt,
        end: End<'_>,
        then: Option<&dyn Writes>,
    ) -> Result<bool, JobError> {
        let (held, queued) = {
            let _gate = self.store.write_gate().await;
            let mut tx = self.store.begin().await?;
            let held = match end {
                End::Done(ts) => Store::complete_job_in(&mut tx, &job.id, owner, ts).await?,
                End::Failed(status, reason) => {
                    Store::finish_job_failed(&mut tx, &job.id, owner, status, reason).await?
                }
            };
            let queued = match then {
                Some(then) if held => then.write(&mut tx).await?,
                _ => false,
            };
            tx.commit().await.map_err(StoreError::from)?;
            (held, queued)
        };
        if queued {
            self.wake.notify_waiters();
        }
        Ok(held)
    }

    /// Ends a job for good with the reason: one whose outcome could not be recorded
    /// within its attempt budget, or one Herald cannot read.
    async fn end_unrecordable(&self, owner: &str, job: &Attempt, reason: &str) {
        let ended = async {
            let _gate = self.store.write_gate().await;
            let mut conn = self.store.pool().acquire().await?;
            Store::finish_job_failed(&mut conn, &job.id, owner, JobStatus::Failed, reason).await
        };
        if let Err(err) = ended.await {
            tracing::error!(error = %err, "could not fail job");
        }
    }

    /// Until the next retry falls due, but never longer than the poll interval.
    async fn idle_wait(&self) -> Duration {
        let poll = self.settings.poll_interval;
        match self.store.next_job_due().await {
            Ok(Some(due)) => {
                let ms = u64::try_from((due - now_ms()).max(5)).unwrap_or(u64::MAX);
                poll.min(Duration::from_millis(ms))
            }
            _ => poll,
        }
    }
}

/// What the worker writes for an outcome: the schedule decides a retry's wait, and a
/// spent schedule ends the job the way its kind says.
async fn settle<J: Job>(
    job: &J,
    cx: &J::Ctx,
    attempt: &Attempt,
    settings: &WorkerSettings,
    outcome: Outcome,
) -> Result<Settled, JobError> {
    let outcome = match outcome {
        Outcome::Retry {
            reason,
            maybe_posted,
        } => match retry_delay(&settings.retry_schedule, attempt.attempts, fastrand::f64()) {
            Some(delay) => {
                let delay = if maybe_posted {
                    delay.max(settings.after_post)
                } else {
                    delay
                };
                tracing::warn!(%reason, ?delay, "transient failure; will retry");
                return Ok(Settled::Reschedule {
                    run_at: now_ms() + duration_ms(delay),
                    error: Some(reason),
                    refund: false,
                    maybe_posted,
                    why: "retry",
                });
            }
            None => job.exhausted(cx, attempt, reason).await?,
        },
        other => other,
    };
    Ok(match outcome {
        Outcome::Done { ts, then } => Settled::Done { ts, then },
        Outcome::Defer { until } => Settled::Reschedule {
            run_at: until,
            error: None,
            refund: true,
            maybe_posted: false,
            why: "deferred",
        },
        Outcome::RateLimited { until } => Settled::Reschedule {
            run_at: until,
            error: Some("ratelimited".into()),
            refund: true,
            maybe_posted: false,
            why: "rate_limited",
        },
        Outcome::Fail {
            status,
            reason,
            then,
        } => Settled::Fail {
            status,
            reason,
            then,
        },
        // A kind whose `exhausted` asks for yet another retry has no schedule left.
        Outcome::Retry { reason, .. } => Settled::Fail {
            status: JobStatus::Dead,
            reason,
            then: None,
        },
    })
}
