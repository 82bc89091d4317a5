//! The job worker, with a scripted job kind: it alone records what an attempt came to.
//! A retry runs again on the schedule, a deferral costs no attempt, a spent schedule
//! ends the job as its kind says, writes of an attempt that lost its lease are not made,
//! a kind nobody registered fails with the reason, and a held job is never claimed until
//! it is released. On SQLite and PostgreSQL alike.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald::jobs::{
    Attempt, Enqueue, Job, JobError, Outcome, RunAt, Worker, WorkerSettings, WriteFuture, Writes,
};
use herald::store::{JobRecord, JobStatus, Store};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::helpers::{eventually, fresh_database};

const TEAM: &str = "T0WORKER1";

/// What the scripted job does on each run (the last step repeats).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Step {
    Done,
    Retry,
    Defer,
    /// Waits until another worker took the job over and finished it, then says done.
    OutlastTheLease,
}

#[derive(Serialize, Deserialize)]
struct Scripted {
    steps: Vec<Step>,
}

/// A job that only marks that a write happened (queued held, so it never runs).
#[derive(Serialize, Deserialize)]
struct Marker;

#[derive(Clone)]
struct Cx {
    store: Store,
    /// Runs started so far: the next run takes that step.
    started: Arc<Mutex<usize>>,
    /// The attempt numbers of runs that finished, in order.
    ran: Arc<Mutex<Vec<u32>>>,
}

impl Job for Scripted {
    const KIND: &'static str = "test.scripted";
    type Ctx = Cx;

    fn dedupe_key(&self, _event_id: &str) -> Option<String> {
        None
    }

    async fn run(&self, cx: &Cx, attempt: &Attempt) -> Result<Outcome, JobError> {
        let n = {
            let mut started = cx.started.lock().unwrap();
            *started += 1;
            *started - 1
        };
        let step = self.steps[n.min(self.steps.len() - 1)];
        let outcome = match step {
            Step::Done => done(attempt),
            Step::Retry => Outcome::Retry {
                reason: format!("boom {}", attempt.attempts),
                maybe_posted: false,
            },
            Step::Defer => Outcome::Defer {
                until: herald::store::now_ms(),
            },
            Step::OutlastTheLease => {
                // The lease runs out while this attempt is busy; the next worker's
                // attempt finishes the job first.
                let id = attempt.id.clone();
                let store = cx.store.clone();
                eventually(|| {
                    let (store, id) = (store.clone(), id.clone());
                    async move { (status(&store, &id).await.status == "done").then_some(()) }
                })
                .await;
                done(attempt)
            }
        };
        cx.ran.lock().unwrap().push(attempt.attempts);
        Ok(outcome)
    }

    async fn exhausted(
        &self,
        _cx: &Cx,
        attempt: &Attempt,
        reason: String,
    ) -> Result<Outcome, JobError> {
        Ok(Outcome::Fail {
            status: JobStatus::Failed,
            reason: format!("told the author: {reason}"),
            then: Some(Box::new(Mark(format!("exhausted-{}", attempt.id)))),
        })
    }
}

impl Job for Marker {
    const KIND: &'static str = "test.marker";
    type Ctx = Cx;

    fn dedupe_key(&self, _event_id: &str) -> Option<String> {
        None
    }

    async fn run(&self, _cx: &Cx, _attempt: &Attempt) -> Result<Outcome, JobError> {
        Ok(Outcome::done(None))
    }
}

/// Writes a marker job (held) whose event id names what was written.
struct Mark(String);

impl Writes for Mark {
    fn write<'a>(&'a self, conn: &'a mut sqlx::AnyConnection) -> WriteFuture<'a> {
        Box::pin(async move {
            herald::jobs::enqueue(conn, &Marker, &on(&self.0, RunAt::Held)).await?;
            Ok(false)
        })
    }
}

fn done(attempt: &Attempt) -> Outcome {
    Outcome::Done {
        ts: Some(format!("ts{}", attempt.attempts)),
        then: Some(Box::new(Mark(format!(
            "done-{}-{}",
            attempt.id, attempt.attempts
        )))),
    }
}

fn on(event_id: &str, run_at: RunAt) -> Enqueue<'_> {
    Enqueue {
        team_id: TEAM,
        event_id,
        internal: true,
        thread_key: None,
        run_at,
    }
}

async fn status(store: &Store, id: &str) -> JobRecord {
    store
        .jobs_for_team(TEAM)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.id == id)
        .expect("the job exists")
}

/// Event ids of the markers written.
async fn marks(store: &Store) -> Vec<String> {
    let mut marks: Vec<String> = store
        .jobs_for_team(TEAM)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == Marker::KIND)
        .map(|j| j.event_id)
        .collect();
    marks.sort();
    marks
}

struct Running {
    store: Store,
    cx: Cx,
    tracker: TaskTracker,
    cancel: CancellationToken,
    _dir: Option<tempfile::TempDir>,
}

impl Running {
    async fn start(schedule: &[u64], lease: Duration) -> Self {
        let (url, dir) = fresh_database().await;
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let cx = Cx {
            store: store.clone(),
            started: Arc::default(),
            ran: Arc::default(),
        };
        let settings = WorkerSettings {
            workers: 2,
            lease,
            poll_interval: Duration::from_millis(20),
            retry_schedule: schedule
                .iter()
                .copied()
                .map(Duration::from_millis)
                .collect(),
            after_post: Duration::ZERO,
        };
        let (tracker, cancel) = (TaskTracker::new(), CancellationToken::new());
        Worker::new(store.clone(), Arc::default(), Default::default(), settings)
            .register::<Scripted>()
            .register::<Marker>()
            .spawn(cx.clone(), &tracker, &cancel);
        Self {
            store,
            cx,
            tracker,
            cancel,
            _dir: dir,
        }
    }

    async fn push(&self, steps: &[Step]) -> String {
        let queue = herald::jobs::Queue::new(self.store.clone(), Arc::default());
        let job = Scripted {
            steps: steps.to_vec(),
        };
        queue
            .push(&job, &on("evt_scripted", RunAt::Now))
            .await
            .unwrap()
            .expect("a new job")
    }

    /// Waits until the job left `pending` and `running` for good.
    async fn settled(&self, id: &str) -> JobRecord {
        eventually(|| async {
            let job = status(&self.store, id).await;
            matches!(job.status.as_str(), "done" | "failed" | "dead").then_some(job)
        })
        .await
    }

    /// Stops the workers once each finished what it was doing (recording included).
    async fn stop(self) -> (Store, Cx) {
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
        (self.store, self.cx)
    }
}

#[tokio::test]
async fn a_retried_job_runs_again_on_the_schedule_and_the_worker_records_its_completion() {
    let app = Running::start(&[0, 0], Duration::from_secs(60)).await;
    let id = app.push(&[Step::Retry, Step::Done]).await;
    let job = app.settled(&id).await;
    assert_eq!(
        (job.status.as_str(), job.attempts, job.result_ts.as_deref()),
        ("done", 2, Some("ts2"))
    );
    assert_eq!(
        job.last_error, None,
        "a completion clears the retry's reason"
    );
    let (store, _) = app.stop().await;
    assert_eq!(marks(&store).await, [format!("done-{id}-2")]);
}

#[tokio::test]
async fn a_deferral_costs_no_attempt_even_with_no_retries_left() {
    // No retry at all in the schedule: a deferral counted as an attempt would end it.
    let app = Running::start(&[], Duration::from_secs(60)).await;
    let id = app.push(&[Step::Defer, Step::Defer, Step::Done]).await;
    let job = app.settled(&id).await;
    assert_eq!((job.status.as_str(), job.attempts), ("done", 1));
    app.stop().await;
}

#[tokio::test]
async fn a_spent_schedule_ends_the_job_as_its_kind_says_with_its_writes() {
    let app = Running::start(&[0], Duration::from_secs(60)).await;
    let id = app.push(&[Step::Retry]).await;
    let job = app.settled(&id).await;
    assert_eq!(
        (job.status.as_str(), job.attempts, job.last_error.as_deref()),
        ("failed", 2, Some("told the author: boom 2"))
    );
    let (store, cx) = app.stop().await;
    assert_eq!(*cx.ran.lock().unwrap(), [1, 2]);
    assert_eq!(marks(&store).await, [format!("exhausted-{id}")]);
}

#[tokio::test]
async fn an_attempt_that_lost_its_lease_makes_none_of_its_writes() {
    // The first attempt outlives its lease; the second worker takes the job over and
    // completes it. The first attempt's completion and its writes must not land.
    let app = Running::start(&[0, 0], Duration::from_millis(200)).await;
    let id = app.push(&[Step::OutlastTheLease, Step::Done]).await;
    eventually(|| async { (app.cx.ran.lock().unwrap().len() == 2).then_some(()) }).await;
    let (store, cx) = app.stop().await;
    assert_eq!(
        *cx.ran.lock().unwrap(),
        [2, 1],
        "the takeover finished first"
    );
    let job = status(&store, &id).await;
    assert_eq!(
        (job.status.as_str(), job.result_ts.as_deref()),
        ("done", Some("ts2"))
    );
    assert_eq!(marks(&store).await, [format!("done-{id}-2")]);
}

#[tokio::test]
async fn a_job_of_a_kind_nobody_runs_fails_with_the_reason() {
    let app = Running::start(&[0, 0], Duration::from_secs(60)).await;
    let mut conn = app.store.pool().acquire().await.unwrap();
    let row = herald::store::NewJob {
        id: "job_nobody",
        team_id: TEAM,
        kind: "test.nobody",
        event_id: "evt_nobody",
        dedupe_key: "test.nobody:1",
        channel: None,
        payload: "{}",
        internal: true,
        status: JobStatus::Pending,
        run_at: 0,
        thread_key: None,
        lease: None,
    };
    herald::store::insert_jobs(&mut conn, &[row]).await.unwrap();
    drop(conn);
    let job = app.settled("job_nobody").await;
    assert_eq!(
        (job.status.as_str(), job.last_error.as_deref()),
        (
            "failed",
            Some("unreadable_job: unknown job kind test.nobody")
        )
    );
    app.stop().await;
}

#[tokio::test]
async fn a_held_job_is_never_claimed_until_it_is_released() {
    let (url, _dir) = fresh_database().await;
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let queue = herald::jobs::Queue::new(store.clone(), Arc::default());
    let job = Scripted {
        steps: vec![Step::Done],
    };
    let id = queue
        .push(&job, &on("evt_held", RunAt::Held))
        .await
        .unwrap()
        .unwrap();
    let lease = Duration::from_secs(60);
    assert!(store.claim_job("wrk_test", lease).await.unwrap().is_none());
    assert_eq!(status(&store, &id).await.status, "held");
    let held = store.held_callbacks(TEAM, Scripted::KIND).await.unwrap();
    assert_eq!(held.len(), 1);
    assert!(store.release_job(&id, &held[0].1).await.unwrap());
    let claimed = store.claim_job("wrk_test", lease).await.unwrap();
    assert_eq!(claimed.map(|j| j.id), Some(id));
}

#[tokio::test]
async fn an_upgrade_keeps_a_reply_held_in_the_old_way_held() {
    // Before the `held` status, a held job was pending with `run_at` in the year 2100.
    let (url, _dir) = fresh_database().await;
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    sqlx::query(
        "INSERT INTO jobs (id, team_id, kind, event_id, dedupe_key, channel, payload, internal, \
         status, attempts, run_at, maybe_posted, created_at, updated_at) \
         VALUES ('job_old_held', $1, 'platform.callback', 'e1', 'd1', NULL, '{}', 1, 'pending', \
         0, 4102444800000, 0, 5, 5)",
    )
    .bind(TEAM)
    .execute(store.pool())
    .await
    .unwrap();
    let migration = include_str!("../../migrations/20261202000100_held_status.sql");
    sqlx::raw_sql(migration)
        .execute(store.pool())
        .await
        .unwrap();
    let job = status(&store, "job_old_held").await;
    assert_eq!((job.status.as_str(), job.run_at), ("held", 5));
    let held = store
        .held_callbacks(TEAM, herald::delivery::callback::KIND)
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
}
