//! The `slack.assignment_dm` job: when a conversation is assigned to a platform operator
//! linked to a Slack user, that person gets a DM with the customer, the first message
//! and a link to the thread, in their own language, unless they said `/herald dm off`.
//!
//! It is queued in the transaction that records the assignment's post in the thread
//! ([`AssignmentDm::queue_with`]), once per assignment event and person (however many
//! channels' rules post that event), and posted once (`post_once` finds a DM an
//! interrupted attempt posted). A DM Slack refuses for good ends the job failed with
//! Slack's code; it is Herald's own message, so no error report follows.

use serde::{Deserialize, Serialize};

use crate::core::event::{Origin, PlatformEvent};
use crate::core::ids::ChannelId;
use crate::core::render::conversation;
use crate::jobs::{Attempt, Enqueue, Job, JobError, Outcome, RunAt, WriteFuture, Writes, enqueue};
use crate::store::JobStatus;

use super::Delivery;
use super::outcome::own_post_outcome;

/// What the DM is about.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssignmentDm {
    /// The Slack user the assignee operator is linked to.
    pub user: String,
    /// The conversation's thread.
    pub channel: String,
    pub thread_ts: String,
    /// The event the thread's parent shows: its customer and first message.
    pub parent_event_id: String,
}

impl Job for AssignmentDm {
    const KIND: &'static str = "slack.assignment_dm";
    type Ctx = Delivery;

    /// One DM per assignment event and person.
    fn dedupe_key(&self, event_id: &str) -> Option<String> {
        Some(format!("{event_id}:{}", self.user))
    }

    async fn run(&self, cx: &Delivery, attempt: &Attempt) -> Result<Outcome, JobError> {
        cx.assignment_dm(attempt, self).await
    }
}

/// Queues the DM in the transaction that ends the assignment's post.
pub(super) struct QueueDm {
    pub dm: AssignmentDm,
    pub team_id: String,
    pub event_id: String,
}

impl Writes for QueueDm {
    fn write<'a>(&'a self, conn: &'a mut sqlx::AnyConnection) -> WriteFuture<'a> {
        Box::pin(async move {
            let on = Enqueue {
                team_id: &self.team_id,
                event_id: &self.event_id,
                internal: true,
                thread_key: None,
                run_at: RunAt::Now,
            };
            Ok(enqueue(conn, &self.dm, &on).await?.is_some())
        })
    }
}

impl Delivery {
    /// The DM to queue for an assignment, if the assignee operator is linked to a
    /// Slack user.
    pub(super) async fn assignment_dm_for(
        &self,
        job: &Attempt,
        assignee_operator: Option<&str>,
        channel: &str,
        thread_ts: &str,
        parent_event_id: &str,
    ) -> Result<Option<QueueDm>, JobError> {
        let Some(operator) = assignee_operator else {
            return Ok(None);
        };
        let Some(user) = self
            .store
            .operator(&job.team_id, operator)
            .await?
            .and_then(|o| o.slack_user_id)
        else {
            return Ok(None);
        };
        Ok(Some(QueueDm {
            dm: AssignmentDm {
                user,
                channel: channel.to_string(),
                thread_ts: thread_ts.to_string(),
                parent_event_id: parent_event_id.to_string(),
            },
            team_id: job.team_id.clone(),
            event_id: job.event_id.clone(),
        }))
    }

    async fn assignment_dm(&self, job: &Attempt, dm: &AssignmentDm) -> Result<Outcome, JobError> {
        let Some(workspace) = self.registry.workspace(&job.team_id).await? else {
            return Ok(Outcome::fail(JobStatus::Failed, "workspace not connected"));
        };
        if !self.store.assignment_dm_on(&job.team_id, &dm.user).await? {
            tracing::debug!("the assignee turned assignment DMs off");
            return Ok(Outcome::done(None));
        }
        let person = ChannelId::parse_target(&dm.user)
            .map_err(|e| JobError::Corrupt(format!("assignment DM user: {e}")))?;
        let result = async {
            let channel = match self.dm_of(&workspace, &person).await? {
                Ok(channel) => channel,
                Err(code) => return Ok(Err(code)),
            };
            let lang = crate::workspace::people::lang_for(
                &self.slack,
                &self.profiles,
                &self.states,
                &workspace,
                &dm.user,
            )
            .await;
            Ok(Ok((channel, lang)))
        }
        .await;
        let (channel, lang) = match result {
            Ok(Ok(found)) => found,
            Ok(Err(code)) => return Ok(Outcome::fail(JobStatus::Failed, code)),
            Err(err) => return Ok(own_post_outcome(&err, &dm.user, false)),
        };
        let parent = self
            .store
            .event(&job.team_id, &dm.parent_event_id)
            .await?
            .ok_or_else(|| JobError::Corrupt(format!("event {} is missing", dm.parent_event_id)))?;
        let parent = PlatformEvent::parse_from(parent.body.as_bytes(), Origin::Herald)
            .map_err(|e| JobError::Corrupt(format!("stored event: {e}")))?;
        let link = conversation::archive_link(&dm.channel, &dm.thread_ts);
        let message = conversation::assignment_dm(lang, &parent, parent.message.as_ref(), &link);
        let token = workspace.bot_token.expose();
        match self
            .post_once(job, token, channel.as_str(), &message, 0, None, false)
            .await
        {
            Ok(ts) => Ok(Outcome::done(Some(ts))),
            Err(err) => Ok(own_post_outcome(&err, &dm.user, true)),
        }
    }
}
