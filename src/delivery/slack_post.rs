//! The `slack.post` job: one event's notification in one channel, routed by a rule.
//!
//! An event of a conversation goes on in its thread (`thread.rs`); any other is one
//! message. Before posting: the away cover (backups stand in for whoever is away now),
//! the workspace (a store that cannot be read is not "not connected"), and the channel's
//! host (never into another organization's Slack Connect channel).

use crate::core::event::{Origin, PlatformEvent};
use crate::core::render::{self, Audience};
use crate::core::router::{self, Route};
use crate::ingest::SlackPost;
use crate::jobs::{Attempt, Job, JobError, Outcome};
use crate::store::JobStatus;
use crate::workspace::Workspace;

use super::{Delivery, Permanent};

impl Job for SlackPost {
    const KIND: &'static str = "slack.post";
    type Ctx = Delivery;

    /// One post per event and channel, whatever else happens.
    fn dedupe_key(&self, event_id: &str) -> Option<String> {
        Some(format!("{event_id}:{}", self.route.channel))
    }

    fn channel(&self) -> Option<&str> {
        Some(self.route.channel.as_str())
    }

    async fn run(&self, cx: &Delivery, attempt: &Attempt) -> Result<Outcome, JobError> {
        cx.post(attempt, self.route.clone()).await
    }

    /// Dead, and reported through the error rules like any permanent failure.
    async fn exhausted(
        &self,
        cx: &Delivery,
        attempt: &Attempt,
        reason: String,
    ) -> Result<Outcome, JobError> {
        let p = Permanent {
            code: "retries_exhausted".into(),
            channel: self.route.channel.as_str().into(),
        };
        let detail = format!("{reason} after {} attempts", attempt.attempts);
        cx.fail(attempt, &self.route, JobStatus::Dead, &p, Some(&detail))
            .await
    }
}

impl Delivery {
    async fn post(&self, job: &Attempt, mut route: Route) -> Result<Outcome, JobError> {
        self.cover_away(job, &mut route).await?;
        let workspace = match self.preflight(job, &mut route).await? {
            Ok(workspace) => workspace,
            Err(ended) => return Ok(ended),
        };
        let token = workspace.bot_token.expose();
        let channel = route.channel.as_str();

        let record = self
            .store
            .event(&job.team_id, &job.event_id)
            .await?
            .ok_or_else(|| JobError::Corrupt(format!("event {} is missing", job.event_id)))?;
        let event = PlatformEvent::parse_from(record.body.as_bytes(), Origin::Herald)
            .map_err(|e| JobError::Corrupt(format!("stored event: {e}")))?;
        if event.conversation.is_some() {
            return self
                .run_threaded(job, &route, &workspace, &event, &record.connection_id)
                .await;
        }
        let host = match &route.host {
            None => None,
            Some(host) => match self.resolve_host(&workspace, host).await {
                Ok(h) => Some(h),
                Err(err) => return self.after_error(job, &route, &err, false).await,
            },
        };
        let lang = self.states.lang(&workspace).await;
        let audience = Audience {
            mentions: &route.mentions,
            host,
            lang,
            event_id: &job.event_id,
            template: route.template.as_ref().map(|t| &t.template),
        };
        let message = render::notification(&event, &audience);
        let mapping = self.mapping_report(job, &route, &event).await?;
        if let Some(member) = route.group.as_ref().and_then(|g| g.member.as_ref()) {
            // A reply in a group pings nobody: the parent did, once.
            let quiet = render::notification(
                &event,
                &Audience {
                    mentions: &[],
                    host: None,
                    ..audience.clone()
                },
            );
            return self
                .post_grouped(
                    job,
                    super::group_post::Grouped {
                        route: &route,
                        member,
                        token,
                        full: &message,
                        quiet: &quiet,
                        label: event.event_type.label(lang),
                        lang,
                        then: mapping,
                    },
                )
                .await;
        }

        if let Some(deferred) = self.wait_turn(job, channel).await {
            return Ok(deferred);
        }
        match self
            .post_once(job, token, channel, &message, 0, None, false)
            .await
        {
            Ok(ts) => {
                tracing::info!(%ts, "posted");
                Ok(Outcome::Done {
                    ts: Some(ts),
                    then: mapping,
                })
            }
            Err(err) => self.after_error(job, &route, &err, true).await,
        }
    }

    /// Whoever is away now gives way to the rules' backups.
    pub(super) async fn cover_away(
        &self,
        job: &Attempt,
        route: &mut Route,
    ) -> Result<(), JobError> {
        if route.backups.is_empty() {
            return Ok(());
        }
        let users: Vec<String> = route
            .mentions
            .iter()
            .filter(|m| matches!(m, crate::core::rule::Mention::User(_)))
            .map(|m| m.id().to_string())
            .collect();
        let away = self.store.away_users(&job.team_id, &users).await?;
        route.mentions = router::cover_away(&route.mentions, &route.backups, &away);
        Ok(())
    }

    /// Where a post goes, and whether it may: the workspace must be connected (a store
    /// that cannot be read is not "not connected"), a person is swapped for their DM if
    /// they are one of the workspace (`dm.rs`), and a channel must not be another
    /// organization's Slack Connect channel. `Err` is the job's end when it may not.
    pub(super) async fn preflight(
        &self,
        job: &Attempt,
        route: &mut Route,
    ) -> Result<Result<Workspace, Outcome>, JobError> {
        // A store that cannot be read is not "not connected": the lease expires and the
        // job is tried again.
        let Some(workspace) = self.registry.workspace(&job.team_id).await? else {
            let p = Permanent {
                code: "workspace_not_connected".into(),
                channel: route.channel.to_string(),
            };
            return self
                .fail(job, route, JobStatus::Failed, &p, None)
                .await
                .map(Err);
        };
        let token = workspace.bot_token.expose();
        if route.channel.is_person() {
            // A person: their DM with Herald, if they are one of the workspace (dm.rs).
            match self.dm_of(&workspace, &route.channel).await {
                Ok(Ok(dm)) => route.channel = dm,
                Ok(Err(code)) => {
                    let p = Permanent {
                        code: code.into(),
                        channel: route.channel.to_string(),
                    };
                    return self
                        .fail(job, route, JobStatus::Failed, &p, None)
                        .await
                        .map(Err);
                }
                Err(err) => return self.after_error(job, route, &err, false).await.map(Err),
            }
        } else {
            // Never into another organization's Slack Connect channel (slack/connect.rs).
            match (self.connect)
                .host_elsewhere(&self.slack, token, &job.team_id, route.channel.as_str())
                .await
            {
                Ok(None) => {}
                Ok(Some(host)) => {
                    let p = Permanent {
                        code: crate::slack::connect::REFUSED_CODE.into(),
                        channel: route.channel.to_string(),
                    };
                    tracing::warn!(%host, "channel hosted by another organization; not posting");
                    return self
                        .fail(job, route, JobStatus::Failed, &p, None)
                        .await
                        .map(Err);
                }
                Err(err) => return self.after_error(job, route, &err, false).await.map(Err),
            }
        }
        Ok(Ok(workspace))
    }
}
