//! A notification of a grouped rule (`core::group`): the group's first event posts as
//! usual and becomes the parent; each later one is a reply in its thread, without
//! mentions (the parent's pinged once), and the parent is edited to the latest event
//! with the count. The group's jobs run in order, as a conversation's do.
//!
//! Failure: a reply whose answer was lost is found again before posting (`post_once`);
//! the parent's edit is repeatable, so a retry edits it again; a parent that never got
//! posted (its job failed) leaves the next member to post and become the parent.

use sqlx::AnyConnection;

use super::Delivery;
use crate::core::group::parent_line;
use crate::core::render::{self, Message};
use crate::core::router::{GroupMember, Route};
use crate::jobs::{AllOf, Attempt, JobError, Outcome, WriteFuture, Writes};
use crate::store::{duration_ms, now_ms, record_group_parent_in};

/// Records the group's parent, with the completion of the post that made it.
struct GroupParent {
    team_id: String,
    channel: String,
    group_id: String,
    ts: String,
}

impl Writes for GroupParent {
    fn write<'a>(&'a self, conn: &'a mut AnyConnection) -> WriteFuture<'a> {
        Box::pin(async move {
            record_group_parent_in(conn, &self.team_id, &self.channel, &self.group_id, &self.ts)
                .await?;
            Ok(false)
        })
    }
}

/// What one grouped post needs, rendered by the caller.
pub(super) struct Grouped<'a> {
    pub route: &'a Route,
    pub member: &'a GroupMember,
    pub token: &'a str,
    /// The full notification, with the rule's mentions: a new parent, or the parent's
    /// edit.
    pub full: &'a Message,
    /// The same without mentions: a reply.
    pub quiet: &'a Message,
    /// The event type's label in the workspace's language, for the parent's count line.
    pub label: &'a str,
    pub lang: crate::core::catalog::Lang,
    pub then: Option<Box<dyn Writes>>,
}

fn with(then: Option<Box<dyn Writes>>, mut more: Vec<Box<dyn Writes>>) -> Option<Box<dyn Writes>> {
    if let Some(then) = then {
        more.push(then);
    }
    match more.len() {
        0 => None,
        1 => more.pop(),
        _ => Some(Box::new(AllOf(more))),
    }
}

impl Delivery {
    pub(super) async fn post_grouped(
        &self,
        job: &Attempt,
        g: Grouped<'_>,
    ) -> Result<Outcome, JobError> {
        let channel = g.route.channel.as_str();
        let group_id = g.member.group_id.as_str();
        if g.member.position > 0
            && let Some(due) = self
                .store
                .earlier_thread_job_due(&job.team_id, channel, group_id, &job.id)
                .await?
        {
            // An earlier member has not reached Slack yet: it may be the parent.
            return Ok(Outcome::Defer {
                until: due.max(now_ms() + duration_ms(std::time::Duration::from_millis(250))),
            });
        }
        let parent = match g.member.position {
            0 => None,
            _ => self.store.group_parent(&job.team_id, group_id).await?,
        };
        if let Some(deferred) = self.wait_turn(job, channel).await {
            return Ok(deferred);
        }
        let Some(parent_ts) = parent else {
            // The first, or the first since the parent's post failed: the parent.
            return match self
                .post_once(job, g.token, channel, g.full, 0, None, false)
                .await
            {
                Ok(ts) => {
                    tracing::info!(%ts, group = group_id, "posted a group's parent");
                    let record = GroupParent {
                        team_id: job.team_id.clone(),
                        channel: channel.into(),
                        group_id: group_id.into(),
                        ts: ts.clone(),
                    };
                    Ok(Outcome::Done {
                        ts: Some(ts),
                        then: with(g.then, vec![Box::new(record)]),
                    })
                }
                Err(err) => self.after_error(job, g.route, &err, true).await,
            };
        };
        let ts = match self
            .post_once(job, g.token, channel, g.quiet, 0, Some(&parent_ts), false)
            .await
        {
            Ok(ts) => ts,
            Err(err) => return self.after_error(job, g.route, &err, true).await,
        };
        let span_s = (now_ms() - g.member.started_at) / 1000;
        let line = parent_line(g.member.position + 1, g.label, span_s, g.lang);
        let edited = render::group_parent(g.full, &line);
        if let Err(err) = self
            .slack
            .update_message(g.token, channel, &parent_ts, &edited)
            .await
        {
            // The reply is in the thread; only the count is behind. A transient error is
            // tried again (the retry finds the reply and edits once more); a permanent
            // one (the parent deleted) leaves the reply as it is.
            match self.after_error(job, g.route, &err, true).await? {
                Outcome::Fail { reason, .. } => {
                    tracing::warn!(%reason, "could not update the group's parent");
                }
                other => return Ok(other),
            }
        }
        tracing::info!(%ts, group = group_id, position = g.member.position, "replied in a group");
        Ok(Outcome::Done {
            ts: Some(ts),
            then: g.then,
        })
    }
}
