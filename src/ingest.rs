//! Ingest: an event and its delivery jobs become durable together, in one transaction.
//!
//! Concurrent webhook requests are committed in groups: one writer task takes every
//! request waiting at that moment, writes them in one transaction and answers each only
//! after the commit. Under load this turns N fsyncs into one without delaying a lone
//! request. A batch that fails is written again one request at a time, so a request
//! that cannot be stored fails alone. Herald's own error reports go through [`stage`] too, inside the transaction
//! that fails the job they report on.

use std::sync::Arc;

use sqlx::AnyConnection;
use tokio::sync::{Notify, mpsc, oneshot};

use serde::{Deserialize, Serialize};

use crate::core::ids::ChannelId;
use crate::core::router::{Route, RouteDigest};
use crate::jobs::handoff::Taken;
use crate::jobs::{Enqueue, Handoff, Pacing, Queued, RunAt, enqueue_all};
use crate::store::{
    ClaimedJob, NewEvent, Precedence, Store, StoreError, duration_ms, find_by_webhook_id,
    insert_events, new_id, now_ms,
};

/// Jobs handed to idle workers in a transaction, given to them once it commits.
type Handed = Vec<(Taken, ClaimedJob)>;

/// The job of one routed notification: an event in one channel. Stored as its route
/// (the event is read from `events` when it runs); run by `delivery::slack_post`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SlackPost {
    pub route: Route,
}

/// The digest of one channel's notifications kept outside business hours, due when the
/// hours open (`opens_at`); its items are in `digest_items`. Run by `delivery::digest`.
/// `round` counts the further digests queued for items kept while one was posting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Digest {
    pub team_id: String,
    pub channel: ChannelId,
    pub opens_at: i64,
    /// The zone of the hours that opened, to say when in people's own time.
    pub tz: String,
    #[serde(default)]
    pub round: u32,
}

/// The most requests one transaction takes.
const MAX_BATCH: usize = 256;

/// An event ready to store, already routed.
#[derive(Debug, Clone)]
pub struct Staged {
    pub team_id: String,
    pub connection_id: String,
    /// The idempotency key: `webhook-id` for platform events.
    pub webhook_id: String,
    pub event_type: String,
    pub body: String,
    pub routes: Vec<Route>,
    /// Herald's own report: its delivery failures are not reported again.
    pub internal: bool,
    /// The conversation the event belongs to: its jobs per channel run in order.
    pub thread_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    pub event_id: String,
    pub routes: usize,
    /// The webhook id was seen before; nothing new was stored or sent.
    pub duplicate: bool,
}

/// Writes one event and its jobs on the caller's connection (inside its transaction).
pub async fn stage(
    conn: &mut AnyConnection,
    staged: &Staged,
    pacing: &Pacing,
) -> Result<Ingested, StoreError> {
    let (mut results, _) = stage_all(conn, &[staged], pacing, None).await?;
    Ok(results.remove(0))
}

/// Writes events and their jobs with a few multi-row statements: the events (skipping
/// known webhook ids), then the jobs of the events actually inserted. Results are in
/// the order given; a repeated webhook id answers with the first event's id. With
/// `handoff`, a job due now goes to an idle worker, leased to it in this transaction; the
/// caller gives the workers their jobs ([`Taken::give`]) once it has committed.
pub async fn stage_all(
    conn: &mut AnyConnection,
    staged: &[&Staged],
    pacing: &Pacing,
    handoff: Option<&Handoff>,
) -> Result<(Vec<Ingested>, Handed), StoreError> {
    let now = now_ms();
    let event_ids: Vec<String> = staged.iter().map(|_| new_id("evt")).collect();
    let events: Vec<NewEvent<'_>> = staged
        .iter()
        .zip(&event_ids)
        .map(|(s, id)| NewEvent {
            id,
            team_id: &s.team_id,
            connection_id: &s.connection_id,
            webhook_id: &s.webhook_id,
            event_type: &s.event_type,
            body: &s.body,
            route_count: i64::try_from(s.routes.len()).unwrap_or(i64::MAX),
            received_at: now,
        })
        .collect();
    let inserted = insert_events(conn, &events).await?;

    let mut jobs: Vec<Queued> = Vec::new();
    let mut taken = Vec::new();
    for (s, event_id) in staged.iter().zip(&event_ids) {
        if !inserted.contains(event_id) {
            continue;
        }
        let first = jobs.len();
        for route in &s.routes {
            let mut route = route.clone();
            // Outside its rules' hours a notification is kept for the opening's digest:
            // held, in no thread or group, and listed by the digest due then.
            route.digest = route
                .opening
                .deferred_until(now)
                .map(|(opens_at, hours)| RouteDigest {
                    opens_at,
                    tz: hours.tz.clone(),
                });
            if route.digest.is_some() {
                route.group = None;
            }
            // A grouped event takes its place in its group here, in the transaction
            // that stores it; the group's jobs then run in order, as a thread's do.
            let mut thread_key = s.thread_key.clone();
            if let Some(group) = route.group.as_mut() {
                let member =
                    crate::store::join_group(conn, &s.team_id, route.channel.as_str(), group, now)
                        .await?;
                thread_key = Some(member.group_id.clone());
                group.member = Some(member);
            }
            let post = SlackPost { route };
            let route = &post.route;
            let on = Enqueue {
                team_id: &s.team_id,
                event_id,
                internal: s.internal,
                thread_key: thread_key.as_deref().filter(|_| route.digest.is_none()),
                run_at: if route.digest.is_some() {
                    RunAt::Held
                } else {
                    RunAt::Now
                },
            };
            let mut job = Queued::new(&post, &on)?;
            // Two rules sending an event to one channel make one post; dropped here
            // rather than by the insert's conflict, because a job handed to a worker
            // must be one the insert writes.
            if jobs[first..].iter().any(|j| j.dedupe_key == job.dedupe_key) {
                continue;
            }
            if let Some(kept) = &route.digest {
                let channel = route.channel.as_str();
                crate::store::keep_for_digest(
                    conn,
                    &s.team_id,
                    channel,
                    kept.opens_at,
                    &job.id,
                    event_id,
                )
                .await?;
                let digest = Digest {
                    team_id: s.team_id.clone(),
                    channel: route.channel.clone(),
                    opens_at: kept.opens_at,
                    tz: kept.tz.clone(),
                    round: 0,
                };
                let due = Enqueue {
                    team_id: &s.team_id,
                    event_id,
                    internal: s.internal,
                    thread_key: None,
                    run_at: RunAt::At(kept.opens_at),
                };
                // One digest per channel and opening: the first kept event queues it
                // (the insert skips a key queued by an earlier transaction).
                let digest = Queued::new(&digest, &due)?;
                if !jobs.iter().any(|j| j.dedupe_key == digest.dedupe_key) {
                    jobs.push(digest);
                }
                jobs.push(job);
                continue;
            }
            // Each job is given its channel's next slot as it is queued, so a burst to
            // one channel is spread out in the order it arrived.
            let wait =
                pacing
                    .pacer
                    .hold(&s.team_id, route.channel.as_str(), &job.id, pacing.interval);
            job.run_at = now + duration_ms(wait);
            if wait.is_zero()
                && let Some(worker) = handoff.and_then(|h| h.take(now))
            {
                job.hand_to(&worker);
                taken.push((worker, jobs.len()));
            }
            jobs.push(job);
        }
    }
    enqueue_all(conn, &jobs).await?;
    let handed = taken
        .into_iter()
        .map(|(worker, at)| (worker, jobs[at].claimed()))
        .collect();

    let mut results = Vec::with_capacity(staged.len());
    for (s, event_id) in staged.iter().zip(event_ids) {
        if inserted.contains(&event_id) {
            results.push(Ingested {
                event_id,
                routes: s.routes.len(),
                duplicate: false,
            });
        } else {
            let (event_id, routes) =
                find_by_webhook_id(conn, &s.connection_id, &s.webhook_id).await?;
            let routes = usize::try_from(routes).unwrap_or(0);
            results.push(Ingested {
                event_id,
                routes,
                duplicate: true,
            });
        }
    }
    Ok((results, handed))
}

struct Request {
    staged: Staged,
    reply: oneshot::Sender<Result<Ingested, Arc<StoreError>>>,
}

/// The handle webhook handlers submit to.
#[derive(Clone)]
pub struct Ingest {
    requests: mpsc::Sender<Request>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("storage failed: {0}")]
    Store(Arc<StoreError>),
    #[error("Herald is shutting down")]
    Closed,
}

impl Ingest {
    /// Starts the writer task; it ends when every handle is dropped.
    pub fn start(
        store: Store,
        wake: Arc<Notify>,
        pacing: Pacing,
        handoff: Handoff,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (requests, rx) = mpsc::channel(4 * MAX_BATCH);
        let writer = Writer {
            store,
            wake,
            pacing,
            handoff,
        };
        let task = tokio::spawn(writer.run(rx));
        (Self { requests }, task)
    }

    /// Stores the event and its jobs; returns once they are committed.
    pub async fn submit(&self, staged: Staged) -> Result<Ingested, IngestError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request { staged, reply })
            .await
            .map_err(|_| IngestError::Closed)?;
        answer
            .await
            .map_err(|_| IngestError::Closed)?
            .map_err(IngestError::Store)
    }
}

/// The one task that writes webhook events, group-committed.
struct Writer {
    store: Store,
    wake: Arc<Notify>,
    pacing: Pacing,
    handoff: Handoff,
}

impl Writer {
    async fn run(self, mut rx: mpsc::Receiver<Request>) {
        let mut batch: Vec<Request> = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            match self.write(&batch).await {
                Ok((results, handed)) => {
                    let new_jobs = new_jobs(&results).saturating_sub(handed);
                    for (request, result) in batch.drain(..).zip(results) {
                        let _ = request.reply.send(Ok(result));
                    }
                    wake_workers(&self.wake, new_jobs);
                }
                // One bad request must not fail the others: write each alone, so only the
                // requests that fail by themselves are answered with the error.
                Err(err) if batch.len() > 1 => {
                    tracing::warn!(error = %err, size = batch.len(), "ingest batch failed; writing its requests one by one");
                    let mut jobs = 0;
                    for request in batch.drain(..) {
                        let result = self
                            .write(std::slice::from_ref(&request))
                            .await
                            .map(|(mut r, handed)| (r.remove(0), handed));
                        if let Err(err) = &result {
                            tracing::error!(error = %err, "ingest transaction failed");
                        }
                        if let Ok((r, handed)) = &result {
                            jobs += new_jobs(std::slice::from_ref(r)).saturating_sub(*handed);
                        }
                        let result = result.map(|(r, _)| r);
                        let _ = request.reply.send(result.map_err(Arc::new));
                    }
                    wake_workers(&self.wake, jobs);
                }
                Err(err) => {
                    tracing::error!(error = %err, size = batch.len(), "ingest transaction failed");
                    let err = Arc::new(err);
                    for request in batch.drain(..) {
                        let _ = request.reply.send(Err(err.clone()));
                    }
                }
            }
        }
    }

    /// One transaction; after its commit the idle workers get the jobs handed to them
    /// (a failed one releases them, and its jobs were never written). Also returns how
    /// many were handed over: those need no wake-up.
    async fn write(&self, batch: &[Request]) -> Result<(Vec<Ingested>, usize), StoreError> {
        let (results, handed) = {
            let _gate = self.store.write_turn(Precedence::First).await;
            let mut tx = self.store.begin().await?;
            let staged: Vec<&Staged> = batch.iter().map(|r| &r.staged).collect();
            let written = stage_all(&mut tx, &staged, &self.pacing, Some(&self.handoff)).await?;
            tx.commit().await?;
            written
        };
        let count = handed.len();
        for (worker, job) in handed {
            worker.give(job);
        }
        Ok((results, count))
    }
}

/// Jobs a batch queued: its new events' routes.
fn new_jobs(results: &[Ingested]) -> usize {
    results
        .iter()
        .filter(|r| !r.duplicate)
        .map(|r| r.routes)
        .sum()
}

/// Most idle workers one commit wakes; more than a process runs is pointless.
const MAX_WAKE: usize = 64;

/// Wakes one idle worker per new job rather than every idle worker for any job: with
/// one route per event the others would only race the first to the claim. A wake
/// that finds no idle worker is kept for the next worker to wait (`Notify` permits),
/// so none is lost.
fn wake_workers(wake: &Notify, jobs: usize) {
    for _ in 0..jobs.min(MAX_WAKE) {
        wake.notify_one();
    }
}
