//! Delivering a conversation's events: one Slack thread per (channel, conversation).
//!
//! The first event of a conversation in a channel posts the parent; later ones reply in
//! its thread. Jobs of one conversation in one channel run in order (a later job waits
//! while an earlier one has not finished), so two quick messages never open two
//! threads. A closed conversation ends its thread: the next message opens a new parent
//! that links back. Edits and deletions follow the posted message.

use std::time::Duration;

use crate::core::catalog::{ConversationKind, Lang};
use crate::core::event::{Conversation, Origin, PlatformEvent};
use crate::core::render::Audience;
use crate::core::render::conversation::{self};
use crate::core::render::story::{Shown, Story};
use crate::core::router::Route;
use crate::jobs::{Attempt, JobError, Outcome, WriteFuture, Writes};
use crate::store::{Opened, Placed, PostRecord, Store, Thread, ThreadMessage, duration_ms, now_ms};
use crate::workspace::Workspace;

use super::Delivery;
use super::thread_plan::{EditStep, PostStep, edit_step, post_step, reply_style};

/// How long a job waits for an earlier job of its conversation to finish.
const TURN_WAIT: Duration = Duration::from_millis(250);

/// One conversation job's facts, read once and passed to each step.
struct ThreadJob<'a> {
    job: &'a Attempt,
    route: &'a Route,
    workspace: &'a Workspace,
    event: &'a PlatformEvent,
    conversation: &'a Conversation,
    connection_id: &'a str,
    token: &'a str,
    channel: &'a str,
    kind: Option<ConversationKind>,
    lang: Lang,
    audience: Audience<'a>,
}

impl Delivery {
    pub(super) async fn run_threaded(
        &self,
        job: &Attempt,
        route: &Route,
        workspace: &Workspace,
        event: &PlatformEvent,
        connection_id: &str,
    ) -> Result<Outcome, JobError> {
        let Some(conversation) = event.conversation.as_ref() else {
            return Ok(Outcome::done(None));
        };
        let team_id = &job.team_id;
        let channel = route.channel.as_str();
        if let Some(due) = self
            .store
            .earlier_thread_job_due(team_id, channel, &conversation.id, &job.id)
            .await?
        {
            // An earlier event of this conversation has not reached Slack yet (it may
            // open the thread, or post the message this one edits or deletes): events of
            // a conversation are applied in the order the platform sent them.
            return Ok(Outcome::Defer {
                until: due.max(now_ms() + duration_ms(TURN_WAIT)),
            });
        }
        let kind = event.event_type.conversation();
        let lang = self.states.lang(workspace).await;
        self.note_assignee(team_id, conversation).await?;
        let pings = match self.pings(workspace, route, conversation, kind).await {
            Ok(p) => p,
            Err(err) => return self.after_error(job, route, &err, false).await,
        };
        let t = ThreadJob {
            job,
            route,
            workspace,
            event,
            conversation,
            connection_id,
            token: workspace.bot_token.expose(),
            channel,
            kind,
            lang,
            audience: Audience {
                template: None,
                mentions: &route.mentions,
                host: None,
                lang,
                event_id: &job.event_id,
            },
        };

        let placed = match &event.message {
            Some(m) if edit_step(kind, Some(true)) == EditStep::Follow => {
                self.store.thread_message(team_id, channel, &m.id).await?
            }
            _ => None,
        };
        let known = event.message.as_ref().map(|_| placed.is_some());
        match (edit_step(kind, known), placed) {
            (EditStep::Follow, Some(placed)) => return self.follow_edit(&t, &placed).await,
            (EditStep::NothingToDelete, _) => return Ok(Outcome::done(None)),
            _ => {}
        }

        let thread = self
            .store
            .thread(team_id, channel, &conversation.id)
            .await?;
        let open = thread.as_ref().filter(|t| !t.closed);
        if let Some(deferred) = self.wait_turn(job, channel).await {
            return Ok(deferred);
        }
        match (post_step(kind, open.is_some()), open) {
            (PostStep::ImportHistory, Some(open)) => {
                self.post_history(
                    job,
                    route,
                    t.token,
                    event,
                    &conversation.id,
                    &open.thread_ts,
                )
                .await
            }
            (PostStep::Reply, Some(open)) => self.reply_in_thread(&t, open, pings).await,
            (PostStep::OpenParent { history }, _) => {
                self.open_parent(&t, thread.as_ref(), &pings, history).await
            }
            // `post_step` opens a parent whenever no thread is open.
            (_, None) => Ok(Outcome::done(None)),
        }
    }

    /// The platform's operators, for sending replies under the right name.
    async fn note_assignee(
        &self,
        team_id: &str,
        conversation: &Conversation,
    ) -> Result<(), JobError> {
        let Some(assignee) = &conversation.assignee else {
            return Ok(());
        };
        let Some(id) = &assignee.id else {
            return Ok(());
        };
        self.store
            .note_operator(
                team_id,
                id,
                assignee.email.as_deref(),
                assignee.name.as_deref(),
            )
            .await?;
        self.store
            .set_thread_assignee(team_id, &conversation.id, id)
            .await?;
        Ok(())
    }

    /// An edit or deletion follows the message Herald posted.
    async fn follow_edit(
        &self,
        t: &ThreadJob<'_>,
        placed: &ThreadMessage,
    ) -> Result<Outcome, JobError> {
        let (team_id, channel, token) = (&t.job.team_id, t.channel, t.token);
        let deleted = t.kind == Some(ConversationKind::MessageDeleted);
        let Some(m) = t.event.message.as_ref() else {
            return Ok(Outcome::done(None));
        };
        let result = if placed.history_event_id.is_some() {
            // One message of a history chunk: only its part of the chunk changes.
            let text = (!deleted).then_some(m.text.as_str());
            self.store
                .set_history_message(team_id, channel, &m.id, text, deleted)
                .await?;
            self.redraw_chunk(token, team_id, channel, &placed.ts, t.lang)
                .await
        } else if deleted {
            self.slack.delete_message(token, channel, &placed.ts).await
        } else {
            // The message that opened a thread is its parent: it stays a parent, with
            // what it showed of the conversation.
            let parent = self
                .store
                .thread_by_ts(team_id, channel, &placed.ts)
                .await?;
            let redrawn = if let Some(parent) = parent {
                let shown = match Story::parse(parent.story.as_deref()) {
                    Some(story) => Some(self.shown(t.workspace, story).await),
                    None => None,
                };
                conversation::parent(t.event, &t.audience, None, &[], shown.as_ref())
            } else {
                conversation::reply(t.event, &t.audience, &[])
            };
            self.slack
                .update_message(token, channel, &placed.ts, &redrawn)
                .await
        };
        match result {
            Ok(()) => Ok(Outcome::done(Some(placed.ts.clone()))),
            Err(err) => self.after_error(t.job, t.route, &err, false).await,
        }
    }

    /// A new parent: the first event, or the first after the last thread was closed
    /// (linked from the new one).
    async fn open_parent(
        &self,
        t: &ThreadJob<'_>,
        closed: Option<&Thread>,
        pings: &[String],
        history: bool,
    ) -> Result<Outcome, JobError> {
        let (job, channel) = (t.job, t.channel);
        let previous = closed.map(|c| conversation::archive_link(channel, &c.thread_ts));
        // The rule's mentions are in the notification; the assignee joins them.
        let rule_pings: Vec<String> = t
            .route
            .mentions
            .iter()
            .map(crate::core::rule::Mention::to_mrkdwn)
            .collect();
        let extra: Vec<String> = pings
            .iter()
            .filter(|p| !rule_pings.contains(p))
            .cloned()
            .collect();
        let story = Story::merged(None, t.conversation);
        let shown = self.shown(t.workspace, story.clone()).await;
        let parent = conversation::parent(
            t.event,
            &t.audience,
            previous.as_deref(),
            &extra,
            Some(&shown),
        );
        let ts = match self
            .post_once(job, t.token, channel, &parent, 0, None, false)
            .await
        {
            Ok(ts) => ts,
            Err(err) => return self.after_error(job, t.route, &err, true).await,
        };
        let record = PostRecord {
            opened: Some(Opened {
                parent_event_id: job.event_id.clone(),
                connection_id: t.connection_id.to_string(),
                previous_ts: closed.map(|c| c.thread_ts.clone()),
                replies_off: !t.route.replies.is_forward(),
            }),
            assignee: t.conversation.assignee.as_ref().and_then(|a| a.id.clone()),
            story: Some(story.to_json()),
            ..post_record(job, channel, t.conversation, t.kind, &ts, t.event)
        };
        if history {
            // The chunks follow in the new thread; the job completes after them.
            self.store
                .record_post(&PostRecord {
                    closes: false,
                    ..record
                })
                .await?;
            return self
                .post_history(job, t.route, t.token, t.event, &t.conversation.id, &ts)
                .await;
        }
        tracing::info!(%ts, "opened the conversation's thread");
        let dm = self.dm_if_assigned(t, &ts, &job.event_id).await?;
        let files = files_of(t, &ts)?;
        Ok(done_with(ts, record, dm, files))
    }

    /// The assignee's DM, for an assignment whose thread is `thread_ts` (its parent
    /// showing `parent_event_id`).
    async fn dm_if_assigned(
        &self,
        t: &ThreadJob<'_>,
        thread_ts: &str,
        parent_event_id: &str,
    ) -> Result<Option<super::assignment_dm::QueueDm>, JobError> {
        if t.kind != Some(ConversationKind::Assigned) {
            return Ok(None);
        }
        let assignee = t
            .conversation
            .assignee
            .as_ref()
            .and_then(|a| a.id.as_deref());
        self.assignment_dm_for(t.job, assignee, t.channel, thread_ts, parent_event_id)
            .await
    }

    /// A reply in the open thread; a state change shows as the rule chose (in the
    /// thread, also in the channel, or with the parent edited).
    async fn reply_in_thread(
        &self,
        t: &ThreadJob<'_>,
        open: &Thread,
        mut pings: Vec<String>,
    ) -> Result<Outcome, JobError> {
        let (job, channel) = (t.job, t.channel);
        let change = conversation::state_change(t.event, t.lang);
        let style = reply_style(change.is_some(), t.route.lifecycle);
        if style.ping_owner {
            // Only in the thread: the conversation's owner is mentioned so someone sees it.
            match self.owner_ping(t.workspace, t.conversation).await {
                Ok(Some(mention)) if !pings.contains(&mention) => pings.push(mention),
                Ok(_) => {}
                Err(err) => return self.after_error(job, t.route, &err, false).await,
            }
        }
        let reply = conversation::reply(t.event, &t.audience, &pings);
        let ts = match self
            .post_once(
                job,
                t.token,
                channel,
                &reply,
                0,
                Some(&open.thread_ts),
                style.broadcast,
            )
            .await
        {
            Ok(ts) => ts,
            Err(err) => return self.after_error(job, t.route, &err, true).await,
        };
        tracing::info!(%ts, thread_ts = %open.thread_ts, "posted in the conversation's thread");
        let stored = Story::parse(open.story.as_deref());
        let story = Story::merged(stored.as_ref(), t.conversation);
        let status = change.filter(|_| style.edit_parent);
        let mut retold = stored.as_ref() != Some(&story);
        if retold || status.is_some() {
            let shown = self.shown(t.workspace, story.clone()).await;
            // A parent that could not be edited keeps its old story on record, so the
            // next event of the conversation tries again.
            retold &= self
                .refresh_parent(t, open, status.as_deref(), &shown)
                .await;
        }
        let record = PostRecord {
            story: retold.then(|| story.to_json()),
            ..post_record(job, channel, t.conversation, t.kind, &ts, t.event)
        };
        let dm = self
            .dm_if_assigned(t, &open.thread_ts, &open.parent_event_id)
            .await?;
        let files = files_of(t, &open.thread_ts)?;
        Ok(done_with(ts, record, dm, files))
    }

    /// The open thread's parent redrawn with the conversation's story, and a state
    /// change's status line on top when the rule edits the parent; whether it was. The
    /// edit comes before the reply is recorded and repeats the same text if the attempt
    /// runs again; a failure here leaves the parent as it was.
    async fn refresh_parent(
        &self,
        t: &ThreadJob<'_>,
        open: &Thread,
        status: Option<&str>,
        shown: &Shown,
    ) -> bool {
        let Ok(Some(parent)) = self
            .store
            .event(&t.job.team_id, &open.parent_event_id)
            .await
        else {
            return false;
        };
        let Ok(parent) = PlatformEvent::parse_from(parent.body.as_bytes(), Origin::Herald) else {
            return false;
        };
        let audience = Audience {
            template: None,
            mentions: &[],
            host: None,
            lang: t.lang,
            event_id: &open.parent_event_id,
        };
        let edited = conversation::parent_with_status(&parent, &audience, status, Some(shown));
        match self
            .slack
            .update_message(t.token, t.channel, &open.thread_ts, &edited)
            .await
        {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(error = %err, "could not update the thread's parent");
                false
            }
        }
    }
}

/// A post that ends its job: done with its `ts`, and what it means recorded with the
/// completion.
pub(super) fn done(ts: String, record: PostRecord) -> Outcome {
    Outcome::Done {
        ts: Some(ts),
        then: Some(Box::new(record)),
    }
}

/// [`done`], with the jobs the post leads to queued in the same transaction: the
/// assignee's DM and the message's files, when there are any.
fn done_with(
    ts: String,
    record: PostRecord,
    dm: Option<super::assignment_dm::QueueDm>,
    files: Option<super::attachment::QueueFiles>,
) -> Outcome {
    let mut writes: Vec<Box<dyn Writes>> = vec![Box::new(record)];
    if let Some(dm) = dm {
        writes.push(Box::new(dm));
    }
    if let Some(files) = files {
        writes.push(Box::new(files));
    }
    if writes.len() == 1 {
        return Outcome::Done {
            ts: Some(ts),
            then: writes.pop(),
        };
    }
    Outcome::Done {
        ts: Some(ts),
        then: Some(Box::new(crate::jobs::AllOf(writes))),
    }
}

/// The files of the event's message, to upload into `thread_ts`.
fn files_of(
    t: &ThreadJob<'_>,
    thread_ts: &str,
) -> Result<Option<super::attachment::QueueFiles>, JobError> {
    let attachments = t
        .event
        .message
        .as_ref()
        .map_or(&[][..], |m| m.attachments.as_slice());
    // Only a new message brings files; an edit's are already in the thread.
    if t.kind != Some(ConversationKind::MessageCreated) {
        return Ok(None);
    }
    super::attachment::QueueFiles::of(t.job, t.channel, thread_ts, attachments)
}

impl Writes for PostRecord {
    fn write<'a>(&'a self, conn: &'a mut sqlx::AnyConnection) -> WriteFuture<'a> {
        Box::pin(async move {
            Store::record_post_in(conn, self).await?;
            Ok(false)
        })
    }
}

/// What a post of this job records when it is the job's only post: the platform message
/// it shows and the conversation closing.
fn post_record(
    job: &Attempt,
    channel: &str,
    conversation: &Conversation,
    kind: Option<ConversationKind>,
    ts: &str,
    event: &PlatformEvent,
) -> PostRecord {
    PostRecord {
        placed: event
            .message
            .iter()
            .map(|m| Placed {
                message_id: m.id.clone(),
                history: None,
            })
            .collect(),
        closes: kind == Some(ConversationKind::Closed) || conversation.is_closed(),
        ..PostRecord::of((&job.team_id, channel, &conversation.id), ts)
    }
}
