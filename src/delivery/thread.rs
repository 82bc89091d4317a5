//! Delivering a conversation's events: one Slack thread per (channel, conversation).
//!
//! The first event of a conversation in a channel posts the parent; later ones reply in
//! its thread. Jobs of one conversation in one channel run in order (a later job waits
//! while an earlier one has not finished), so two quick messages never open two
//! threads. A closed conversation ends its thread: the next message opens a new parent
//! that links back. Edits and deletions follow the posted message.

use std::time::Duration;

use crate::catalog::ConversationKind;
use crate::conversations::{self, HISTORY_CHUNK};
use crate::model::{Conversation, HostRef, Lifecycle, Origin, PlatformEvent};
use crate::render::{Audience, Host};
use crate::router::Route;
use crate::slack::SlackError;
use crate::store::{ClaimedJob, Thread, duration_ms, now_ms};
use crate::workspace::Workspace;

use super::{Delivery, JobError};

/// How long a job waits for an earlier job of its conversation to finish.
const TURN_WAIT: Duration = Duration::from_millis(250);

impl Delivery {
    /// The open thread a job of a conversation posts into (for crash recovery).
    pub(super) async fn thread_of(
        &self,
        job: &ClaimedJob,
        channel: &str,
    ) -> Result<Option<String>, JobError> {
        let Some(record) = self.store.event(&job.team_id, &job.event_id).await? else {
            return Ok(None);
        };
        let Ok(event) = PlatformEvent::parse_from(record.body.as_bytes(), Origin::Herald) else {
            return Ok(None);
        };
        let Some(conversation) = event.conversation else {
            return Ok(None);
        };
        Ok(self
            .store
            .thread(&job.team_id, channel, &conversation.id)
            .await?
            .filter(|t| t.closed == 0)
            .map(|t| t.thread_ts))
    }

    pub(super) async fn run_threaded(
        &self,
        owner: &str,
        job: &ClaimedJob,
        route: &Route,
        workspace: &Workspace,
        event: &PlatformEvent,
        connection_id: &str,
    ) -> Result<(), JobError> {
        let Some(conversation) = event.conversation.as_ref() else {
            return Ok(());
        };
        let team_id = &job.team_id;
        let channel = route.channel.as_str();
        let token = workspace.bot_token.expose();
        let kind = event.event_type.conversation();
        let lang = self.states.lang(workspace).await;
        if let Some(assignee) = &conversation.assignee
            && let Some(id) = &assignee.id
        {
            // The platform's operators, for sending replies under the right name.
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
        }
        let pings = match self.pings(workspace, route, conversation, kind).await {
            Ok(p) => p,
            Err(err) => return self.after_error(owner, job, route, &err, false).await,
        };
        let audience = Audience {
            mentions: &route.mentions,
            host: None,
            lang,
            event_id: &job.event_id,
        };

        // An edit or deletion follows the message Herald posted.
        if let (
            Some(k @ (ConversationKind::MessageUpdated | ConversationKind::MessageDeleted)),
            Some(m),
        ) = (kind, event.message.as_ref())
        {
            if let Some(ts) = self
                .store
                .thread_message_ts(team_id, channel, &m.id)
                .await?
            {
                let result = if k == ConversationKind::MessageDeleted {
                    self.slack.delete_message(token, channel, &ts).await
                } else {
                    let reply = conversations::reply(event, &audience, &[]);
                    self.slack.update_message(token, channel, &ts, &reply).await
                };
                return match result {
                    Ok(()) => {
                        self.store.complete_job(&job.id, owner, Some(&ts)).await?;
                        Ok(())
                    }
                    Err(err) => self.after_error(owner, job, route, &err, false).await,
                };
            }
            if k == ConversationKind::MessageDeleted {
                // Never posted here: nothing to delete.
                self.store.complete_job(&job.id, owner, None).await?;
                return Ok(());
            }
        }

        let thread = self
            .store
            .thread(team_id, channel, &conversation.id)
            .await?;
        let open = thread.as_ref().filter(|t| t.closed == 0);
        if open.is_none()
            && self
                .store
                .earlier_thread_job_pending(team_id, channel, &conversation.id, &job.id)
                .await?
        {
            // An earlier event of this conversation may be opening the thread.
            self.store
                .reschedule_job(
                    &job.id,
                    owner,
                    now_ms() + duration_ms(TURN_WAIT),
                    None,
                    true,
                    false,
                )
                .await?;
            return Ok(());
        }
        if !self.wait_turn(owner, job, channel).await? {
            return Ok(());
        }

        let thread_ts = match open {
            Some(t) => t.thread_ts.clone(),
            None => {
                // A new parent: the first event, or the first after the last was closed.
                let previous = thread
                    .as_ref()
                    .map(|t| conversations::archive_link(channel, &t.thread_ts));
                // The rule's mentions are in the notification; the assignee joins them.
                let rule_pings: Vec<String> = route
                    .mentions
                    .iter()
                    .map(crate::model::Mention::to_mrkdwn)
                    .collect();
                let extra: Vec<String> = pings
                    .iter()
                    .filter(|p| !rule_pings.contains(p))
                    .cloned()
                    .collect();
                let parent = conversations::parent(event, &audience, previous.as_deref(), &extra);
                let ts = match self
                    .post_joining(token, channel, &parent, &job.id, None, false)
                    .await
                {
                    Ok(ts) => ts,
                    Err(err) => return self.after_error(owner, job, route, &err, true).await,
                };
                self.store
                    .open_thread(&Thread {
                        team_id: team_id.clone(),
                        channel: channel.to_string(),
                        conversation_id: conversation.id.clone(),
                        thread_ts: ts.clone(),
                        parent_event_id: job.event_id.clone(),
                        connection_id: connection_id.to_string(),
                        closed: 0,
                        previous_ts: thread.map(|t| t.thread_ts),
                        history_imported: 0,
                    })
                    .await?;
                if let Some(id) = conversation.assignee.as_ref().and_then(|a| a.id.as_ref()) {
                    self.store
                        .set_thread_assignee(team_id, &conversation.id, id)
                        .await?;
                }
                if let Some(m) = &event.message {
                    self.store
                        .record_thread_message(team_id, channel, &m.id, &conversation.id, &ts)
                        .await?;
                }
                if kind == Some(ConversationKind::History) {
                    return self
                        .post_history(owner, job, route, token, event, &conversation.id, &ts)
                        .await;
                }
                self.after_posting(
                    job,
                    owner,
                    token,
                    channel,
                    conversation,
                    kind,
                    &ts,
                    &ts,
                    lang,
                    None,
                )
                .await?;
                return Ok(());
            }
        };

        if kind == Some(ConversationKind::History) {
            return self
                .post_history(
                    owner,
                    job,
                    route,
                    token,
                    event,
                    &conversation.id,
                    &thread_ts,
                )
                .await;
        }
        // A state change (assigned, closed, reopened, a booking cancelled…) shows as the
        // rule chose: in the thread, also in the channel, or with the parent edited.
        let change = state_change(event, lang);
        let mut pings = pings;
        if change.is_some() && route.lifecycle == Lifecycle::ThreadOnly {
            // Only in the thread: the conversation's owner is mentioned so someone sees it.
            match self.owner_ping(workspace, conversation).await {
                Ok(Some(mention)) if !pings.contains(&mention) => pings.push(mention),
                Ok(_) => {}
                Err(err) => return self.after_error(owner, job, route, &err, false).await,
            }
        }
        let broadcast = change.is_some() && route.lifecycle == Lifecycle::Broadcast;
        let reply = conversations::reply(event, &audience, &pings);
        let ts = match self
            .post_joining(token, channel, &reply, &job.id, Some(&thread_ts), broadcast)
            .await
        {
            Ok(ts) => ts,
            Err(err) => return self.after_error(owner, job, route, &err, true).await,
        };
        if let Some(m) = &event.message {
            self.store
                .record_thread_message(team_id, channel, &m.id, &conversation.id, &ts)
                .await?;
        }
        let status = change.filter(|_| route.lifecycle == Lifecycle::EditParent);
        self.after_posting(
            job,
            owner,
            token,
            channel,
            conversation,
            kind,
            &ts,
            &thread_ts,
            lang,
            status.as_deref(),
        )
        .await
    }

    /// The conversation owner's mention, looked up by email.
    async fn owner_ping(
        &self,
        workspace: &Workspace,
        conversation: &Conversation,
    ) -> Result<Option<String>, SlackError> {
        let Some(email) = conversation.owner.as_ref().and_then(|o| o.email.clone()) else {
            return Ok(None);
        };
        Ok(
            match self.resolve_host(workspace, &HostRef::Email(email)).await? {
                Host::Mentioned(id) => Some(format!("<@{id}>")),
                Host::Unresolved(_) => None,
            },
        )
    }

    /// Records the post; a closing event ends the thread; `status` (when the rule edits
    /// the parent) goes on the parent.
    #[allow(clippy::too_many_arguments)]
    async fn after_posting(
        &self,
        job: &ClaimedJob,
        owner: &str,
        token: &str,
        channel: &str,
        conversation: &Conversation,
        kind: Option<ConversationKind>,
        ts: &str,
        thread_ts: &str,
        lang: crate::catalog::Lang,
        status: Option<&str>,
    ) -> Result<(), JobError> {
        if !self.store.complete_job(&job.id, owner, Some(ts)).await? {
            tracing::warn!("lease lost before completion; the next attempt will find the post");
        }
        tracing::info!(%ts, %thread_ts, "posted in the conversation's thread");
        let closes = kind == Some(ConversationKind::Closed) || conversation.is_closed();
        let newly_closed = closes
            && self
                .store
                .set_thread_closed(&job.team_id, channel, &conversation.id, true)
                .await?;
        if (newly_closed || !closes)
            && let Some(status) = status
            && let Some(thread) = self
                .store
                .thread(&job.team_id, channel, &conversation.id)
                .await?
            && let Some(parent) = self
                .store
                .event(&job.team_id, &thread.parent_event_id)
                .await?
            && let Ok(parent) = PlatformEvent::parse_from(parent.body.as_bytes(), Origin::Herald)
        {
            // The parent shows the state; a failure here loses only the status line.
            let audience = Audience {
                mentions: &[],
                host: None,
                lang,
                event_id: &thread.parent_event_id,
            };
            let edited = conversations::parent_with_status(&parent, &audience, status);
            if let Err(err) = self
                .slack
                .update_message(token, channel, &thread.thread_ts, &edited)
                .await
            {
                tracing::warn!(error = %err, "could not show the state on the thread's parent");
            }
        }
        Ok(())
    }

    /// conversation.history: the messages, oldest first, in chunks, once per thread. A
    /// chunk already posted (its first message recorded) is not posted again on retry.
    #[allow(clippy::too_many_arguments)]
    async fn post_history(
        &self,
        owner: &str,
        job: &ClaimedJob,
        route: &Route,
        token: &str,
        event: &PlatformEvent,
        conversation_id: &str,
        thread_ts: &str,
    ) -> Result<(), JobError> {
        let team_id = &job.team_id;
        let channel = route.channel.as_str();
        let thread = self.store.thread(team_id, channel, conversation_id).await?;
        if thread.as_ref().is_some_and(|t| t.history_imported == 1) {
            tracing::info!("history already imported into this thread");
            self.store.complete_job(&job.id, owner, None).await?;
            return Ok(());
        }
        let lang = match self.registry.workspace(team_id).await {
            Some(w) => self.states.lang(&w).await,
            None => crate::catalog::Lang::En,
        };
        let total = event.messages.len();
        let mut last = None;
        for (i, chunk) in event.messages.chunks(HISTORY_CHUNK).enumerate() {
            let first = &chunk[0];
            if let Some(ts) = self
                .store
                .thread_message_ts(team_id, channel, &first.id)
                .await?
            {
                last = Some(ts);
                continue;
            }
            let message = conversations::history(lang, chunk, i * HISTORY_CHUNK, total);
            let ts = match self
                .post_joining(token, channel, &message, &job.id, Some(thread_ts), false)
                .await
            {
                Ok(ts) => ts,
                Err(err) => return self.after_error(owner, job, route, &err, true).await,
            };
            for m in chunk {
                self.store
                    .record_thread_message(team_id, channel, &m.id, conversation_id, &ts)
                    .await?;
            }
            last = Some(ts);
        }
        self.store
            .mark_history_imported(team_id, channel, conversation_id)
            .await?;
        self.store
            .complete_job(&job.id, owner, last.as_deref())
            .await?;
        Ok(())
    }

    /// Who a conversation's event notifies: the assignee (by email, looked up in Slack)
    /// when a customer writes or the conversation is assigned.
    async fn pings(
        &self,
        workspace: &Workspace,
        route: &Route,
        conversation: &Conversation,
        kind: Option<ConversationKind>,
    ) -> Result<Vec<String>, SlackError> {
        let mut pings: Vec<String> = route
            .mentions
            .iter()
            .map(crate::model::Mention::to_mrkdwn)
            .collect();
        let wants_assignee = matches!(
            kind,
            Some(ConversationKind::MessageCreated | ConversationKind::Assigned)
        );
        if wants_assignee
            && let Some(email) = conversation.assignee.as_ref().and_then(|a| a.email.clone())
            && let Host::Mentioned(id) =
                self.resolve_host(workspace, &HostRef::Email(email)).await?
        {
            let mention = format!("<@{id}>");
            if !pings.contains(&mention) {
                pings.push(mention);
            }
        }
        Ok(pings)
    }
}

/// The status line of a state change, or None for a chat message (not a change of state).
fn state_change(event: &PlatformEvent, lang: crate::catalog::Lang) -> Option<String> {
    let conversation = event.conversation.as_ref();
    if conversation.is_some_and(Conversation::is_closed) {
        return Some(lang.pick(":lock: *終了*", ":lock: *Closed*").into());
    }
    match event.event_type.conversation() {
        Some(ConversationKind::Assigned) => {
            let who = conversation
                .and_then(|c| c.assignee.as_ref())
                .and_then(|a| a.name.clone().or_else(|| a.email.clone()))
                .unwrap_or_else(|| "-".into());
            Some(format!(
                ":bust_in_silhouette: *{}* {}",
                lang.pick("担当者:", "Assigned to"),
                crate::render::escape(&who)
            ))
        }
        Some(ConversationKind::Closed) => {
            Some(lang.pick(":lock: *終了*", ":lock: *Closed*").into())
        }
        Some(ConversationKind::Reopened) => {
            Some(lang.pick(":unlock: *再開*", ":unlock: *Reopened*").into())
        }
        Some(_) => None,
        // Another event of a booking's thread (cancelled, rescheduled…).
        None => Some(format!(
            "{} *{}*",
            event.event_type.emoji(),
            event.event_type.label(lang)
        )),
    }
}
