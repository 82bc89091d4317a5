//! Delivery: the job kinds that leave Herald (`slack.post` in `slack_post.rs` and its
//! threads, `platform.callback` in `callback.rs`), run by the `jobs` worker.
//!
//! Per post: recover (a job whose previous worker died mid-post is first looked for in
//! the channel, by the job id in the message metadata), resolve the host, render, pace
//! (one post per channel per second), post, join public channels on `not_in_channel`,
//! and say what came of it as a `jobs::Outcome`, which the worker records. Rate limits
//! wait for `Retry-After`; transient failures retry on the worker's schedule; permanent
//! ones fail at once and are reported through the error rules, in the transaction that
//! fails the job, unless the failing job is itself a report.

pub mod assignment_dm;
pub mod attachment;
pub mod callback;
mod digest;
mod dm;
mod failure_report;
mod group_post;
mod mapping_report;
mod outcome;
mod slack_post;
mod thread;
mod thread_history;
mod thread_people;
mod thread_plan;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use outcome::{Decision, Permanent, decide};

use crate::config::DeliverySettings;
use crate::core::event::HostRef;
use crate::core::render::{self, Host};
use crate::core::router::Route;
use crate::ingest::SlackPost;
use crate::jobs::{Attempt, JobError, Outcome, Pacing, Slot, Worker, WorkerSettings};
use crate::slack::{SlackApi, SlackError};
use crate::store::{JobStatus, Store, duration_ms, now_ms};
use crate::workspace::RuleCache;
use crate::workspace::{Workspace, WorkspaceSettings, Workspaces};

/// How far before a job's first claim its interrupted post is looked for: covers a clock
/// difference between Herald and Slack.
const RECOVERY_MARGIN_MS: i64 = 60_000;

/// Longest a worker holds a job waiting for its channel's slot.
const MAX_PACING_WAIT: Duration = Duration::from_secs(2);

/// The context every delivery job runs with: what it was built from, plus the caches
/// of host lookups, people's DMs and Slack Connect checks.
#[derive(Clone)]
pub struct Delivery {
    parts: DeliveryParts,
    hosts: Cache<(String, String), Option<String>>,
    /// (team, person) → Herald's DM with them.
    dms: Cache<(String, String), crate::core::ids::ChannelId>,
    connect: crate::slack::connect::HostCheck,
}

/// What the workers are built from (`app` cuts it from its state).
#[derive(Clone)]
pub struct DeliveryParts {
    pub store: Store,
    pub slack: SlackApi,
    pub registry: Workspaces,
    pub rules: RuleCache,
    pub settings: DeliverySettings,
    pub pacing: Pacing,
    pub states: WorkspaceSettings,
    pub wake: Arc<Notify>,
    /// Jobs the ingest writer hands to idle workers as it queues them.
    pub handoff: crate::jobs::Handoff,
    pub platform: crate::platform::PlatformClient,
    /// The workers' counts, and the waits on Slack's rate limits.
    pub metrics: crate::metrics::Metrics,
    /// People's Slack profiles, for a notice in its recipient's language.
    pub profiles: crate::workspace::people::Profiles,
}

impl Deref for Delivery {
    type Target = DeliveryParts;

    fn deref(&self) -> &DeliveryParts {
        &self.parts
    }
}

impl Delivery {
    pub fn new(parts: DeliveryParts) -> Self {
        let hosts = Cache::builder()
            .max_capacity(50_000)
            .time_to_live(Duration::from_secs(3600))
            .build();
        let dms = Cache::builder()
            .max_capacity(50_000)
            .time_to_live(Duration::from_secs(3600))
            .build();
        Self {
            parts,
            hosts,
            dms,
            connect: crate::slack::connect::HostCheck::default(),
        }
    }

    /// Starts the workers with every kind of job that leaves Herald; they stop between
    /// jobs once `cancel` fires.
    pub fn spawn(&self, tracker: &TaskTracker, cancel: &CancellationToken) {
        let settings = &self.settings;
        let worker = WorkerSettings {
            workers: settings.workers,
            lease: settings.lease,
            poll_interval: settings.poll_interval,
            retry_schedule: settings.retry_schedule.clone(),
            // A post that timed out may still land: give it time to show in the
            // channel's history before the next attempt looks for it there.
            after_post: 2 * settings.request_timeout,
        };
        Worker::new(
            self.store.clone(),
            self.wake.clone(),
            self.handoff.clone(),
            worker,
        )
        .with_metrics(self.metrics.clone())
        .register::<SlackPost>()
        .register::<crate::ingest::Digest>()
        .register::<callback::Callback>()
        .register::<assignment_dm::AssignmentDm>()
        .register::<attachment::SlackAttachment>()
        .spawn(self.clone(), tracker, cancel);
    }

    /// Waits for the channel's pacing slot; a deferral instead when the slot is too far
    /// away to hold a worker for (the job runs again then, not counted as an attempt).
    async fn wait_turn(&self, job: &Attempt, channel: &str) -> Option<Outcome> {
        match self.pacing.pacer.reserve(
            &job.team_id,
            channel,
            &job.id,
            self.settings.channel_interval,
            MAX_PACING_WAIT,
        ) {
            Slot::After(wait) => {
                tokio::time::sleep(wait).await;
                None
            }
            Slot::Defer(wait) => Some(Outcome::Defer {
                until: now_ms() + duration_ms(wait),
            }),
        }
    }

    /// Posts part `part` of a job's messages once: when an earlier attempt may have
    /// posted it already (its answer was lost, or its worker died), the post is looked
    /// for in Slack first and, when found, taken as this attempt's post, so that the
    /// caller records exactly what a normal success records.
    #[allow(
        clippy::too_many_arguments,
        reason = "one post's parameters, named at the call"
    )]
    async fn post_once(
        &self,
        job: &Attempt,
        token: &str,
        channel: &str,
        message: &render::Message,
        part: u32,
        thread_ts: Option<&str>,
        broadcast: bool,
    ) -> Result<String, SlackError> {
        if job.maybe_posted {
            let oldest = job.first_claimed_at.unwrap_or(0) - RECOVERY_MARGIN_MS;
            match self
                .slack
                .find_job_message(token, channel, &job.id, part, thread_ts, oldest)
                .await
            {
                Ok(Some(ts)) => {
                    tracing::info!(%ts, part, "found the post of an interrupted attempt; not posting again");
                    return Ok(ts);
                }
                // Slack refusing to show the history (not a member, no such channel) means
                // the interrupted attempt cannot have posted there: post normally, and let
                // the post itself report what is wrong.
                Ok(None) | Err(SlackError::Api { .. }) => {}
                Err(err) => return Err(err),
            }
        }
        self.post_joining(token, channel, message, &job.id, part, thread_ts, broadcast)
            .await
    }

    /// Posts; on `not_in_channel` joins the (public) channel and posts once more.
    #[allow(
        clippy::too_many_arguments,
        reason = "one post's parameters, named at the call"
    )]
    async fn post_joining(
        &self,
        token: &str,
        channel: &str,
        message: &render::Message,
        job_id: &str,
        part: u32,
        thread_ts: Option<&str>,
        broadcast: bool,
    ) -> Result<String, SlackError> {
        match self
            .slack
            .post_message(token, channel, message, job_id, part, thread_ts, broadcast)
            .await
        {
            Err(SlackError::Api { code }) if code == "not_in_channel" => {
                match self.slack.join(token, channel).await {
                    Ok(()) => {
                        tracing::info!("joined the public channel to post");
                        self.slack
                            .post_message(
                                token, channel, message, job_id, part, thread_ts, broadcast,
                            )
                            .await
                    }
                    Err(SlackError::Api { code })
                        if code == "method_not_supported_for_channel_type" =>
                    {
                        Err(SlackError::Api {
                            code: "not_invited".into(),
                        })
                    }
                    Err(err) => Err(err),
                }
            }
            other => other,
        }
    }

    async fn resolve_host(
        &self,
        workspace: &Workspace,
        host: &HostRef,
    ) -> Result<Host, SlackError> {
        let email = match host {
            HostRef::User(_) => return Ok(Host::from_ref(host)),
            HostRef::Email(email) => email,
        };
        let key = (workspace.team_id.clone(), email.to_lowercase());
        if let Some(found) = self.hosts.get(&key).await {
            return Ok(found.map_or_else(|| Host::Unresolved(email.clone()), Host::Mentioned));
        }
        let found = self
            .slack
            .user_by_email(workspace.bot_token.expose(), email)
            .await?;
        self.hosts.insert(key, found.clone()).await;
        Ok(found.map_or_else(|| Host::Unresolved(email.clone()), Host::Mentioned))
    }

    /// What a failed Slack call makes of the attempt. `posting`: the call was the post,
    /// which may have landed even though its answer was lost.
    async fn after_error(
        &self,
        job: &Attempt,
        route: &Route,
        err: &SlackError,
        posting: bool,
    ) -> Result<Outcome, JobError> {
        let channel = route.channel.as_str();
        match decide(err, channel) {
            Decision::Wait(wait) => {
                let method = match err {
                    SlackError::RateLimited { method, .. } => method,
                    _ => crate::metrics::UNKNOWN,
                };
                tracing::warn!(?wait, method, "rate limited by Slack; waiting as asked");
                self.metrics.rate_limit_wait(method, wait);
                self.pacing.pacer.block(&job.team_id, channel, wait);
                Ok(Outcome::RateLimited {
                    until: now_ms() + duration_ms(wait),
                })
            }
            Decision::Retry(reason) => Ok(Outcome::Retry {
                reason,
                maybe_posted: posting,
            }),
            Decision::Fail(p) if outcome::is_token_refused(&p.code) => {
                // No report: Slack refuses every post of the workspace, the report's too.
                self.needs_reinstall(&job.team_id, &p.code).await?;
                Ok(Outcome::fail(
                    JobStatus::Failed,
                    format!("{}: {}", p.code, p.explain(crate::core::catalog::Lang::En)),
                ))
            }
            Decision::Fail(p) => self.fail(job, route, JobStatus::Failed, &p, None).await,
        }
    }

    /// Slack refused the workspace's token: every other queued job of the workspace stops
    /// with the reason, its webhooks get 410 saying Herald must be reinstalled, and the
    /// workspace is marked disconnected (a reinstall clears it). Slack cannot be told
    /// with a token it refuses, so the platform hears it through the 410.
    async fn needs_reinstall(&self, team_id: &str, code: &str) -> Result<(), JobError> {
        let reason = format!(
            "{code}: Slack no longer accepts Herald's token for this workspace; an admin must install Herald again"
        );
        let stopped = crate::workspace::lifecycle::disconnect(
            &self.store,
            &self.registry,
            &self.states,
            team_id,
            &reason,
            "slack",
        )
        .await?;
        tracing::error!(team_id, stopped, code, "workspace needs a reinstall");
        Ok(())
    }
}
