//! Delivery: workers that take due jobs from the queue and post them to Slack.
//!
//! Per job: recover (a job whose previous worker died mid-post is first looked for in
//! the channel, by the job id in the message metadata), resolve the host, render, pace
//! (one post per channel per second), post, join public channels on `not_in_channel`,
//! then record the outcome. Rate limits wait for `Retry-After`; transient failures
//! follow the retry schedule; permanent ones fail at once and are reported through the
//! error rules, in the same transaction, unless the failing job is itself a report.

pub mod callback;
mod failure_report;
mod outcome;
mod thread;
mod thread_history;
mod thread_plan;

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

pub use outcome::{Decision, Permanent, decide, retry_delay};

use crate::config::DeliverySettings;
use crate::core::event::{HostRef, Origin, PlatformEvent};
use crate::core::render::{self, Audience, Host};
use crate::core::router::{self, Route};
use crate::ingest::SLACK_POST;
use crate::jobs::{Pacing, Slot};
use crate::slack::{SlackApi, SlackError};
use crate::store::{ClaimedJob, JobStatus, Store, StoreError, duration_ms, now_ms};
use crate::workspace::RuleCache;
use crate::workspace::{Workspace, WorkspaceSettings, Workspaces};

/// How far before a job's first claim its interrupted post is looked for: covers a clock
/// difference between Herald and Slack.
const RECOVERY_MARGIN_MS: i64 = 60_000;

/// Longest a worker holds a job waiting for its channel's slot.
const MAX_PACING_WAIT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Delivery {
    pub store: Store,
    pub slack: SlackApi,
    pub registry: Workspaces,
    pub rules: RuleCache,
    pub settings: DeliverySettings,
    pub pacing: Pacing,
    pub states: WorkspaceSettings,
    pub wake: Arc<Notify>,
    pub platform: crate::platform::PlatformClient,
    hosts: Cache<(String, String), Option<String>>,
    connect: crate::slack::connect::HostCheck,
}

/// What the workers are built from (`app` cuts it from its state).
pub struct DeliveryParts {
    pub store: Store,
    pub slack: SlackApi,
    pub registry: Workspaces,
    pub rules: RuleCache,
    pub settings: DeliverySettings,
    pub pacing: Pacing,
    pub states: WorkspaceSettings,
    pub wake: Arc<Notify>,
    pub platform: crate::platform::PlatformClient,
}

/// Attempts past the retry schedule a job may spend failing to record its outcome.
const STORE_RETRIES: usize = 3;

#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("job is corrupt: {0}")]
    Corrupt(String),
}

impl Delivery {
    pub fn new(parts: DeliveryParts) -> Self {
        let hosts = Cache::builder()
            .max_capacity(50_000)
            .time_to_live(Duration::from_secs(3600))
            .build();
        let DeliveryParts {
            store,
            slack,
            registry,
            rules,
            settings,
            pacing,
            states,
            wake,
            platform,
        } = parts;
        Self {
            store,
            slack,
            registry,
            rules,
            settings,
            pacing,
            states,
            wake,
            platform,
            hosts,
            connect: crate::slack::connect::HostCheck::default(),
        }
    }

    /// Starts the workers; they stop between jobs once `cancel` fires.
    pub fn spawn(&self, tracker: &TaskTracker, cancel: &CancellationToken) {
        if let Some(url) = self.store.postgres_url() {
            tracker.spawn(crate::jobs::wakeup::listen(
                url.to_string(),
                self.wake.clone(),
                cancel.clone(),
            ));
        }
        for n in 0..self.settings.workers {
            let owner = format!("{}-{n}", crate::store::new_id("wrk"));
            tracker.spawn(self.clone().worker(owner, cancel.clone()));
        }
    }

    async fn worker(self, owner: String, cancel: CancellationToken) {
        while !cancel.is_cancelled() {
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.store.claim_job(&owner, self.settings.lease).await {
                Ok(Some(job)) => {
                    let span = tracing::info_span!("job", job_id = %job.id, team_id = %job.team_id,
                        event_id = %job.event_id, channel = job.channel.as_deref().unwrap_or(""),
                        attempt = job.attempts);
                    match self.run(&owner, &job).instrument(span).await {
                        Ok(()) => {}
                        // Retrying cannot fix a job Herald cannot read: end it, with why.
                        Err(JobError::Corrupt(reason)) => {
                            tracing::error!(job_id = %job.id, %reason, "unreadable job failed");
                            if let Err(err) = self.fail_unreadable(&owner, &job, &reason).await {
                                tracing::error!(job_id = %job.id, error = %err, "could not fail job");
                            }
                        }
                        // The lease expires and another attempt picks the job up, unless
                        // its writes kept failing past the attempt budget: a write that
                        // cannot succeed (a poison job) must not be reclaimed forever.
                        Err(JobError::Store(err)) => {
                            tracing::error!(job_id = %job.id, error = %err, "job could not be recorded");
                            let budget = self.settings.retry_schedule.len() + STORE_RETRIES;
                            if usize::try_from(job.attempts).unwrap_or(usize::MAX) >= budget {
                                let reason: String =
                                    format!("store_error: {err}").chars().take(500).collect();
                                if let Err(err) = self.fail_poisoned(&owner, &job, &reason).await {
                                    tracing::error!(job_id = %job.id, error = %err, "could not fail job");
                                }
                            }
                        }
                    }
                    continue;
                }
                Ok(None) => {}
                Err(err) => tracing::error!(error = %err, "could not claim a job"),
            }
            let idle = self.idle_wait().await;
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(idle) => {}
                () = cancel.cancelled() => {}
            }
        }
    }

    /// Ends a job for good with the reason: one whose outcome could not be recorded
    /// within its attempt budget, or one Herald cannot read.
    async fn fail_poisoned(
        &self,
        owner: &str,
        job: &ClaimedJob,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.store.pool().acquire().await?;
        Store::finish_job_failed(&mut conn, &job.id, owner, JobStatus::Failed, reason).await?;
        Ok(())
    }

    async fn fail_unreadable(
        &self,
        owner: &str,
        job: &ClaimedJob,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.fail_poisoned(owner, job, &format!("unreadable_job: {reason}"))
            .await
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

    async fn run(&self, owner: &str, job: &ClaimedJob) -> Result<(), JobError> {
        if job.kind == callback::KIND {
            return self.run_callback(owner, job).await;
        }
        if job.kind != SLACK_POST {
            return Err(JobError::Corrupt(format!("unknown job kind {}", job.kind)));
        }
        let mut route: Route = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Corrupt(format!("payload: {e}")))?;
        if !route.backups.is_empty() {
            // Whoever is away now gives way to the rules' backups.
            let users: Vec<String> = route
                .mentions
                .iter()
                .filter(|m| matches!(m, crate::core::rule::Mention::User(_)))
                .map(|m| m.id().to_string())
                .collect();
            let away = self.store.away_users(&job.team_id, &users).await?;
            route.mentions = router::cover_away(&route.mentions, &route.backups, &away);
        }
        let channel = route.channel.as_str();
        // A store that cannot be read is not "not connected": the lease expires and the
        // job is tried again.
        let Some(workspace) = self.registry.workspace(&job.team_id).await? else {
            let p = Permanent {
                code: "workspace_not_connected".into(),
                channel: channel.into(),
            };
            return self
                .fail(owner, job, &route, JobStatus::Failed, &p, None)
                .await;
        };
        let token = workspace.bot_token.expose();
        // Never into another organization's Slack Connect channel (src/slack_connect.rs).
        match (self.connect)
            .host_elsewhere(&self.slack, token, &job.team_id, channel)
            .await
        {
            Ok(None) => {}
            Ok(Some(host)) => {
                let p = Permanent {
                    code: crate::slack::connect::REFUSED_CODE.into(),
                    channel: channel.into(),
                };
                tracing::warn!(%host, "channel hosted by another organization; not posting");
                return self
                    .fail(owner, job, &route, JobStatus::Failed, &p, None)
                    .await;
            }
            Err(err) => return self.after_error(owner, job, &route, &err, false).await,
        }

        let record = self
            .store
            .event(&job.team_id, &job.event_id)
            .await?
            .ok_or_else(|| JobError::Corrupt(format!("event {} is missing", job.event_id)))?;
        let event = PlatformEvent::parse_from(record.body.as_bytes(), Origin::Herald)
            .map_err(|e| JobError::Corrupt(format!("stored event: {e}")))?;
        if event.conversation.is_some() {
            return self
                .run_threaded(
                    owner,
                    job,
                    &route,
                    &workspace,
                    &event,
                    &record.connection_id,
                )
                .await;
        }
        let host = match &route.host {
            None => None,
            Some(host) => match self.resolve_host(&workspace, host).await {
                Ok(h) => Some(h),
                Err(err) => return self.after_error(owner, job, &route, &err, false).await,
            },
        };
        let message = render::notification(
            &event,
            &Audience {
                mentions: &route.mentions,
                host,
                lang: self.states.lang(&workspace).await,
                event_id: &job.event_id,
            },
        );

        if !self.wait_turn(owner, job, channel).await? {
            return Ok(());
        }

        match self
            .post_once(job, token, channel, &message, 0, None, false)
            .await
        {
            Ok(ts) => {
                if !self.store.complete_job(&job.id, owner, Some(&ts)).await? {
                    tracing::warn!(
                        "lease lost before completion; the next attempt will find the post"
                    );
                }
                tracing::info!(%ts, "posted");
                Ok(())
            }
            Err(err) => self.after_error(owner, job, &route, &err, true).await,
        }
    }

    /// Waits for the channel's pacing slot; false when the job was deferred instead
    /// (rescheduled for its slot, not counted as an attempt).
    async fn wait_turn(
        &self,
        owner: &str,
        job: &ClaimedJob,
        channel: &str,
    ) -> Result<bool, JobError> {
        match self.pacing.pacer.reserve(
            &job.team_id,
            channel,
            &job.id,
            self.settings.channel_interval,
            MAX_PACING_WAIT,
        ) {
            Slot::After(wait) => {
                tokio::time::sleep(wait).await;
                Ok(true)
            }
            Slot::Defer(wait) => {
                self.store
                    .reschedule_job(
                        &job.id,
                        owner,
                        now_ms() + duration_ms(wait),
                        None,
                        true,
                        false,
                    )
                    .await?;
                Ok(false)
            }
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
        job: &ClaimedJob,
        token: &str,
        channel: &str,
        message: &render::Message,
        part: u32,
        thread_ts: Option<&str>,
        broadcast: bool,
    ) -> Result<String, SlackError> {
        if job.maybe_posted == 1 {
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

    async fn after_error(
        &self,
        owner: &str,
        job: &ClaimedJob,
        route: &Route,
        err: &SlackError,
        posting: bool,
    ) -> Result<(), JobError> {
        let channel = route.channel.as_str();
        match decide(err, channel) {
            Decision::Wait(wait) => {
                tracing::warn!(?wait, "rate limited by Slack; waiting as asked");
                self.pacing.pacer.block(&job.team_id, channel, wait);
                let run_at = now_ms() + duration_ms(wait);
                self.store
                    .reschedule_job(&job.id, owner, run_at, Some("ratelimited"), true, false)
                    .await?;
            }
            Decision::Retry(reason) => {
                let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
                match retry_delay(&self.settings.retry_schedule, attempts, fastrand::f64()) {
                    Some(delay) => {
                        // A failed post may still have reached Slack (a timeout, a lost
                        // answer): give it time to land, then look for it before posting.
                        let delay = if posting {
                            delay.max(2 * self.settings.request_timeout)
                        } else {
                            delay
                        };
                        tracing::warn!(%reason, ?delay, "transient failure; will retry");
                        let run_at = now_ms() + duration_ms(delay);
                        self.store
                            .reschedule_job(&job.id, owner, run_at, Some(&reason), false, posting)
                            .await?;
                    }
                    None => {
                        let p = Permanent {
                            code: "retries_exhausted".into(),
                            channel: channel.into(),
                        };
                        let detail = format!("{reason} after {attempts} attempts");
                        return self
                            .fail(owner, job, route, JobStatus::Dead, &p, Some(&detail))
                            .await;
                    }
                }
            }
            Decision::Fail(p) => {
                self.fail(owner, job, route, JobStatus::Failed, &p, None)
                    .await?;
                if outcome::is_token_refused(&p.code) {
                    self.needs_reinstall(&job.team_id, &p.code).await?;
                }
            }
        }
        Ok(())
    }

    /// Slack refused the workspace's token: every queued job of the workspace stops with
    /// the reason, its webhooks get 410 saying Herald must be reinstalled, and the
    /// workspace is marked disconnected (a reinstall clears it). Slack cannot be told
    /// with a token it refuses, so the platform hears it through the 410.
    async fn needs_reinstall(&self, team_id: &str, code: &str) -> Result<(), JobError> {
        let reason = format!(
            "{code}: Slack no longer accepts Herald's token for this workspace; an admin must install Herald again"
        );
        let stopped = self
            .store
            .disconnect_workspace(team_id, &reason, "slack")
            .await?;
        self.states.invalidate(team_id).await;
        self.registry.invalidate(team_id).await;
        tracing::error!(team_id, stopped, code, "workspace needs a reinstall");
        Ok(())
    }
}
