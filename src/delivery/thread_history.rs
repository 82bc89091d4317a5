//! A conversation's imported history in its thread: posted in chunks (Slack allows 50
//! blocks a message), each chunk redrawn when one of its messages is edited or deleted.

use crate::core::event::{ChatMessage, Origin, PlatformEvent};
use crate::core::render::conversation::{self, HISTORY_CHUNK};
use crate::core::router::Route;
use crate::jobs::{Attempt, JobError, Outcome};
use crate::slack::SlackError;
use crate::store::{Placed, PostRecord};

use super::Delivery;

impl Delivery {
    /// Redraws one history chunk from the history event and its messages' edits and
    /// deletions; a chunk whose every message was deleted is deleted.
    pub(super) async fn redraw_chunk(
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
                Some(r) if r.deleted => None,
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
    pub(super) async fn post_history(
        &self,
        job: &Attempt,
        route: &Route,
        token: &str,
        event: &PlatformEvent,
        conversation_id: &str,
        thread_ts: &str,
    ) -> Result<Outcome, JobError> {
        let team_id = &job.team_id;
        let channel = route.channel.as_str();
        let thread = self.store.thread(team_id, channel, conversation_id).await?;
        if thread.as_ref().is_some_and(|t| t.history_imported) {
            tracing::info!("history already imported into this thread");
            return Ok(Outcome::done(None));
        }
        // The language only words the history's header: English when it cannot be read.
        let lang = match self.registry.workspace(team_id).await {
            Ok(Some(w)) => self.states.lang(&w).await,
            Ok(None) | Err(_) => crate::core::catalog::Lang::En,
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
                Err(err) => return self.after_error(job, route, &err, true).await,
            };
            let placed = chunk
                .iter()
                .enumerate()
                .map(|(n, m)| Placed {
                    message_id: m.id.clone(),
                    history: Some((
                        job.event_id.clone(),
                        i64::try_from(i * HISTORY_CHUNK + n).unwrap_or(i64::MAX),
                    )),
                })
                .collect();
            let key = (team_id.as_str(), channel, conversation_id);
            self.store
                .record_post(&PostRecord {
                    placed,
                    ..PostRecord::of(key, &ts)
                })
                .await?;
            last = Some(ts);
        }
        let ts = last.unwrap_or_else(|| thread_ts.to_string());
        let key = (team_id.as_str(), channel, conversation_id);
        let record = PostRecord {
            history_imported: true,
            ..PostRecord::of(key, &ts)
        };
        Ok(super::thread::done(ts, record))
    }
}
