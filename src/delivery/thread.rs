//! Delivering a conversation's events: one Slack thread per (channel, conversation).
//!
//! The first event of a conversation in a channel posts the parent; later ones reply in
//! its thread. Jobs of one conversation in one channel run in order (a later job waits
//! while an earlier one has not finished), so two quick messages never open two
//! threads. A closed conversation ends its thread: the next message opens a new parent
//! that links back. Edits and deletions follow the posted message.

use std::time::Duration;

use crate::core::catalog::ConversationKind;
use crate::core::event::{ChatMessage, Conversation, HostRef, Origin, PlatformEvent};
use crate::core::render::conversation::{self, HISTORY_CHUNK};
use crate::core::render::{Audience, Host};
use crate::core::router::Route;
use crate::core::rule::Lifecycle;
use crate::slack::SlackError;
use crate::store::{ClaimedJob, Opened, Placed, PostRecord, Recorded, duration_ms, now_ms};
use crate::workspace::Workspace;

use super::{Delivery, JobError};

/// How long a job waits for an earlier job of its conversation to finish.
const TURN_WAIT: Duration = Duration::from_millis(250);

impl Delivery {
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
        if let Some(due) = self
            .store
            .earlier_thread_job_due(team_id, channel, &conversation.id, &job.id)
            .await?
        {
            // An earlier event of this conversation has not reached Slack yet (it may
            // open the thread, or post the message this one edits or deletes): events of
            // a conversation are applied in the order the platform sent them.
            let run_at = due.max(now_ms() + duration_ms(TURN_WAIT));
            self.store
                .reschedule_job(&job.id, owner, run_at, None, true, false)
                .await?;
            return Ok(());
        }
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
            let deleted = k == ConversationKind::MessageDeleted;
            if let Some(placed) = self.store.thread_message(team_id, channel, &m.id).await? {
                let result = if placed.history_event_id.is_some() {
                    // One message of a history chunk: only its part of the chunk changes.
                    let text = (!deleted).then_some(m.text.as_str());
                    self.store
                        .set_history_message(team_id, channel, &m.id, text, deleted)
                        .await?;
                    self.redraw_chunk(token, team_id, channel, &placed.ts, lang)
                        .await
                } else if deleted {
                    self.slack.delete_message(token, channel, &placed.ts).await
                } else {
                    // The message that opened a thread is its parent: it stays a parent.
                    let is_parent = self
                        .store
                        .thread_by_ts(team_id, channel, &placed.ts)
                        .await?
                        .is_some();
                    let redrawn = if is_parent {
                        conversation::parent(event, &audience, None, &[])
                    } else {
                        conversation::reply(event, &audience, &[])
                    };
                    self.slack
                        .update_message(token, channel, &placed.ts, &redrawn)
                        .await
                };
                return match result {
                    Ok(()) => {
                        self.store
                            .complete_job(&job.id, owner, Some(&placed.ts))
                            .await?;
                        Ok(())
                    }
                    Err(err) => self.after_error(owner, job, route, &err, false).await,
                };
            }
            if deleted {
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
        if !self.wait_turn(owner, job, channel).await? {
            return Ok(());
        }

        let thread_ts = match open {
            Some(t) => t.thread_ts.clone(),
            None => {
                // A new parent: the first event, or the first after the last was closed.
                let previous = thread
                    .as_ref()
                    .map(|t| conversation::archive_link(channel, &t.thread_ts));
                // The rule's mentions are in the notification; the assignee joins them.
                let rule_pings: Vec<String> = route
                    .mentions
                    .iter()
                    .map(crate::core::rule::Mention::to_mrkdwn)
                    .collect();
                let extra: Vec<String> = pings
                    .iter()
                    .filter(|p| !rule_pings.contains(p))
                    .cloned()
                    .collect();
                let parent = conversation::parent(event, &audience, previous.as_deref(), &extra);
                let ts = match self
                    .post_once(job, token, channel, &parent, 0, None, false)
                    .await
                {
                    Ok(ts) => ts,
                    Err(err) => return self.after_error(owner, job, route, &err, true).await,
                };
                let history = kind == Some(ConversationKind::History);
                let opened = Opened {
                    parent_event_id: &job.event_id,
                    connection_id,
                    previous_ts: thread.as_ref().map(|t| t.thread_ts.as_str()),
                };
                let assignee = conversation.assignee.as_ref().and_then(|a| a.id.as_deref());
                let record = PostRecord {
                    opened: Some(opened),
                    assignee,
                    ..self.post_record(job, owner, channel, conversation, kind, &ts, event)
                };
                if history {
                    // The chunks follow in the new thread; the job completes after them.
                    self.store
                        .record_post(&PostRecord {
                            complete: None,
                            closes: false,
                            ..record
                        })
                        .await?;
                    return self
                        .post_history(owner, job, route, token, event, &conversation.id, &ts)
                        .await;
                }
                let recorded = self.store.record_post(&record).await?;
                self.after_posting(
                    job,
                    token,
                    channel,
                    &conversation.id,
                    (&ts, &ts),
                    lang,
                    None,
                    recorded,
                )
                .await;
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
        let reply = conversation::reply(event, &audience, &pings);
        let ts = match self
            .post_once(job, token, channel, &reply, 0, Some(&thread_ts), broadcast)
            .await
        {
            Ok(ts) => ts,
            Err(err) => return self.after_error(owner, job, route, &err, true).await,
        };
        let recorded = self
            .store
            .record_post(&self.post_record(job, owner, channel, conversation, kind, &ts, event))
            .await?;
        let status = change.filter(|_| route.lifecycle == Lifecycle::EditParent);
        self.after_posting(
            job,
            token,
            channel,
            &conversation.id,
            (&ts, &thread_ts),
            lang,
            status.as_deref(),
            recorded,
        )
        .await;
        Ok(())
    }

    /// What a post of this job records when it is the job's only post: the platform
    /// message it shows, the conversation closing, and the job's completion.
    #[allow(
        clippy::too_many_arguments,
        reason = "one post's facts, named at the call"
    )]
    fn post_record<'a>(
        &self,
        job: &'a ClaimedJob,
        owner: &'a str,
        channel: &'a str,
        conversation: &'a Conversation,
        kind: Option<ConversationKind>,
        ts: &'a str,
        event: &'a PlatformEvent,
    ) -> PostRecord<'a> {
        PostRecord {
            placed: event
                .message
                .iter()
                .map(|m| Placed {
                    message_id: &m.id,
                    history: None,
                })
                .collect(),
            closes: kind == Some(ConversationKind::Closed) || conversation.is_closed(),
            complete: Some(Some(ts)),
            ..PostRecord::of(
                &job.id,
                owner,
                (&job.team_id, channel, &conversation.id),
                ts,
            )
        }
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

    /// After a post is recorded: `status` (when the rule edits the parent) goes on the
    /// parent, unless the conversation had closed already. A failure here loses only the
    /// status line.
    #[allow(
        clippy::too_many_arguments,
        reason = "one post's facts, named at the call"
    )]
    async fn after_posting(
        &self,
        job: &ClaimedJob,
        token: &str,
        channel: &str,
        conversation_id: &str,
        (ts, thread_ts): (&str, &str),
        lang: crate::core::catalog::Lang,
        status: Option<&str>,
        recorded: Recorded,
    ) {
        if !recorded.completed {
            tracing::warn!("lease lost before completion; the next attempt will find the post");
        }
        tracing::info!(%ts, %thread_ts, "posted in the conversation's thread");
        let Some(status) = status else { return };
        let Ok(Some(thread)) = self
            .store
            .thread(&job.team_id, channel, conversation_id)
            .await
        else {
            return;
        };
        // A closing post that found the thread closed already shows nothing new.
        if thread.closed == 1 && !recorded.newly_closed {
            return;
        }
        let Ok(Some(parent)) = self
            .store
            .event(&job.team_id, &thread.parent_event_id)
            .await
        else {
            return;
        };
        let Ok(parent) = PlatformEvent::parse_from(parent.body.as_bytes(), Origin::Herald) else {
            return;
        };
        let audience = Audience {
            mentions: &[],
            host: None,
            lang,
            event_id: &thread.parent_event_id,
        };
        let edited = conversation::parent_with_status(&parent, &audience, status);
        if let Err(err) = self
            .slack
            .update_message(token, channel, &thread.thread_ts, &edited)
            .await
        {
            tracing::warn!(error = %err, "could not show the state on the thread's parent");
        }
    }

    /// Redraws one history chunk from the history event and its messages' edits and
    /// deletions; a chunk whose every message was deleted is deleted.
    async fn redraw_chunk(
        &self,
        token: &str,
        team_id: &str,
        channel: &str,
        ts: &str,
        lang: crate::core::catalog::Lang,
    ) -> Result<(), SlackError> {
        let rows = match self.store.chunk_messages(team_id, channel, ts).await {
            Ok(rows) => rows,
            Err(err) => return Err(SlackError::Transport(err.to_string())),
        };
        let Some(event_id) = rows.iter().find_map(|r| r.history_event_id.clone()) else {
            return Ok(());
        };
        let event = match self.store.event(team_id, &event_id).await {
            Ok(Some(record)) => {
                PlatformEvent::parse_from(record.body.as_bytes(), Origin::Herald)
                    .map_err(|e| SlackError::Transport(format!("stored history event: {e}")))?
            }
            Ok(None) => return Ok(()),
            Err(err) => return Err(SlackError::Transport(err.to_string())),
        };
        let Some(first) = rows.iter().filter_map(|r| r.position).min() else {
            return Ok(());
        };
        let start = usize::try_from(first).unwrap_or(0) / HISTORY_CHUNK * HISTORY_CHUNK;
        let total = event.messages.len();
        let shown: Vec<ChatMessage> = event
            .messages
            .iter()
            .skip(start)
            .take(HISTORY_CHUNK)
            .filter_map(|m| match rows.iter().find(|r| r.message_id == m.id) {
                Some(r) if r.deleted == 1 => None,
                Some(r) => Some(ChatMessage {
                    text: r.current_text.clone().unwrap_or_else(|| m.text.clone()),
                    ..m.clone()
                }),
                None => Some(m.clone()),
            })
            .collect();
        if shown.is_empty() {
            return self.slack.delete_message(token, channel, ts).await;
        }
        let message = conversation::history(lang, &shown, start, total);
        self.slack
            .update_message(token, channel, ts, &message)
            .await
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
            None => crate::core::catalog::Lang::En,
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
            let message = conversation::history(lang, chunk, i * HISTORY_CHUNK, total);
            // Part 0 is a thread parent this job may have opened; chunks are 1, 2, …
            let part = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let ts = match self
                .post_once(job, token, channel, &message, part, Some(thread_ts), false)
                .await
            {
                Ok(ts) => ts,
                Err(err) => return self.after_error(owner, job, route, &err, true).await,
            };
            let placed = chunk
                .iter()
                .enumerate()
                .map(|(n, m)| Placed {
                    message_id: &m.id,
                    history: Some((
                        job.event_id.as_str(),
                        i64::try_from(i * HISTORY_CHUNK + n).unwrap_or(i64::MAX),
                    )),
                })
                .collect();
            let key = (team_id.as_str(), channel, conversation_id);
            self.store
                .record_post(&PostRecord {
                    placed,
                    ..PostRecord::of(&job.id, owner, key, &ts)
                })
                .await?;
            last = Some(ts);
        }
        let ts = last.unwrap_or_else(|| thread_ts.to_string());
        let key = (team_id.as_str(), channel, conversation_id);
        self.store
            .record_post(&PostRecord {
                history_imported: true,
                complete: Some(Some(&ts)),
                ..PostRecord::of(&job.id, owner, key, &ts)
            })
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
            .map(crate::core::rule::Mention::to_mrkdwn)
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
fn state_change(event: &PlatformEvent, lang: crate::core::catalog::Lang) -> Option<String> {
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
                crate::core::render::escape(&who)
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
