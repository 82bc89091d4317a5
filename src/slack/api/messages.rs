//! Posting: messages (with the job id in their metadata), edits, deletes, ephemeral
//! messages, DMs, reactions, and the search for a post whose answer was lost.

use serde::Deserialize;
use slack_morphism::prelude::*;

use super::{SlackApi, SlackError, SlackErrorCode, api_token, blocks_of, slack_next};
use crate::core::render::Message;

/// Metadata event type of Herald's posts; the payload holds the job id.
pub const METADATA_EVENT: &str = "herald_notification";

/// Pages of 200 messages searched for an interrupted attempt's post (10,000 messages:
/// far more than a channel receives during one lease and retry delay at Herald's pace).
const MAX_RECOVERY_PAGES: usize = 50;

/// Slack's `ts` form (`seconds.micros`) of a time in ms.
fn slack_ts_of_ms(ms: i64) -> String {
    let ms = ms.max(0);
    format!("{}.{:06}", ms / 1000, (ms % 1000) * 1000)
}

/// The `ts` of the message a job posted as its `part`, if it is among `messages`.
fn posted_by(messages: Vec<SlackHistoryMessage>, job_id: &str, part: u32) -> Option<String> {
    messages.into_iter().find_map(|m| {
        let metadata = m.content.metadata?;
        let payload = metadata.event_payload?;
        // Posts made before parts existed carry none: part 0.
        let posted_part = payload
            .get("part")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(0);
        (metadata.event_type == METADATA_EVENT
            && payload.get("job_id")? == job_id
            && posted_part == u64::from(part))
        .then(|| m.origin.ts.to_string())
    })
}

impl SlackApi {
    /// Posts a message carrying `job_id` in its metadata, in a thread when `thread_ts`
    /// is given; returns Slack's `ts`.
    #[allow(
        clippy::too_many_arguments,
        reason = "one post's parameters, named at the call"
    )]
    pub async fn post_message(
        &self,
        token: &str,
        channel: &str,
        message: &Message,
        job_id: &str,
        part: u32,
        thread_ts: Option<&str>,
        broadcast: bool,
    ) -> Result<String, SlackError> {
        let blocks = blocks_of(message)?;
        let content = SlackMessageContent::new()
            .with_text(message.text.clone())
            .with_blocks(blocks)
            .with_metadata(SlackMessageMetadata {
                event_type: METADATA_EVENT.into(),
                event_payload: Some(
                    [
                        ("job_id".to_string(), job_id.to_string()),
                        ("part".to_string(), part.to_string()),
                    ]
                    .into(),
                ),
            });
        let request = SlackApiChatPostMessageRequest::new(channel.into(), content)
            .with_unfurl_links(false)
            .with_unfurl_media(false)
            .opt_thread_ts(thread_ts.map(|ts| SlackTs(ts.to_string())))
            .opt_reply_broadcast((broadcast && thread_ts.is_some()).then_some(true));
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let res = self
            .timed("chat.postMessage", session.chat_post_message(&request))
            .await?;
        Ok(res.ts.to_string())
    }

    /// Replaces a message Herald posted (`chat.update`).
    pub async fn update_message(
        &self,
        token: &str,
        channel: &str,
        ts: &str,
        message: &Message,
    ) -> Result<(), SlackError> {
        let content = SlackMessageContent::new()
            .with_text(message.text.clone())
            .with_blocks(blocks_of(message)?);
        let request =
            SlackApiChatUpdateRequest::new(channel.into(), content, SlackTs(ts.to_string()));
        let token = api_token(token);
        let session = self.client.open_session(&token);
        self.timed("chat.update", session.chat_update(&request))
            .await?;
        Ok(())
    }

    /// Deletes a message Herald posted (`chat.delete`).
    pub async fn delete_message(
        &self,
        token: &str,
        channel: &str,
        ts: &str,
    ) -> Result<(), SlackError> {
        let request = SlackApiChatDeleteRequest::new(channel.into(), SlackTs(ts.to_string()));
        let token = api_token(token);
        let session = self.client.open_session(&token);
        match self
            .timed("chat.delete", session.chat_delete(&request))
            .await
        {
            // Already gone is what was wanted.
            Err(err) if err.is(&SlackErrorCode::MessageNotFound) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// A link to a message (`chat.getPermalink`), for an admin reading what happened.
    pub async fn permalink(
        &self,
        token: &str,
        channel: &str,
        ts: &str,
    ) -> Result<String, SlackError> {
        let request = SlackApiChatGetPermalinkRequest::new(channel.into(), SlackTs(ts.to_string()));
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let answer = self
            .timed("chat.getPermalink", session.chat_get_permalink(&request))
            .await?;
        Ok(answer.permalink.to_string())
    }

    /// Adds a reaction (`reactions.add`); one already there is fine.
    pub async fn add_reaction(
        &self,
        token: &str,
        channel: &str,
        ts: &str,
        name: &str,
    ) -> Result<(), SlackError> {
        let request = SlackApiReactionsAddRequest::new(
            channel.into(),
            SlackReactionName(name.to_string()),
            SlackTs(ts.to_string()),
        );
        let token = api_token(token);
        let session = self.client.open_session(&token);
        match self
            .timed("reactions.add", session.reactions_add(&request))
            .await
        {
            Err(err) if err.is(&SlackErrorCode::AlreadyReacted) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// A message only `user` sees (`chat.postEphemeral`), in a thread if given.
    pub async fn post_ephemeral(
        &self,
        token: &str,
        channel: &str,
        user: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Result<(), SlackError> {
        self.post_ephemeral_blocks(
            token,
            channel,
            user,
            &Message {
                text: text.into(),
                blocks: vec![],
            },
            thread_ts,
        )
        .await
    }

    /// [`SlackApi::post_ephemeral`] with Block Kit (buttons).
    pub async fn post_ephemeral_blocks(
        &self,
        token: &str,
        channel: &str,
        user: &str,
        message: &Message,
        thread_ts: Option<&str>,
    ) -> Result<(), SlackError> {
        let content = SlackMessageContent::new()
            .with_text(message.text.clone())
            .with_blocks(blocks_of(message)?);
        let request = SlackApiChatPostEphemeralRequest::new(channel.into(), user.into(), content)
            .opt_thread_ts(thread_ts.map(|ts| SlackTs(ts.to_string())));
        let token = api_token(token);
        let session = self.client.open_session(&token);
        self.timed("chat.postEphemeral", session.chat_post_ephemeral(&request))
            .await?;
        Ok(())
    }

    /// A plain message to a user, in their DM with Herald.
    pub async fn direct_message(
        &self,
        token: &str,
        user: &str,
        text: &str,
    ) -> Result<(), SlackError> {
        let channel = self.open_dm(token, user).await?;
        let api_token = api_token(token);
        let session = self.client.open_session(&api_token);
        let content = SlackMessageContent::new().with_text(text.to_string());
        let request = SlackApiChatPostMessageRequest::new(channel.into(), content);
        self.timed("chat.postMessage", session.chat_post_message(&request))
            .await?;
        Ok(())
    }

    /// The id of Herald's DM with a user (`conversations.open`; opened if need be).
    pub async fn open_dm(&self, token: &str, user: &str) -> Result<String, SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        // Slack documents `users` as a comma-separated string; slack-morphism's request
        // sends a JSON array, so the body is written here.
        #[derive(Deserialize)]
        struct Opened {
            channel: SlackBasicChannelInfo,
        }
        let opened: Opened = self
            .timed(
                "conversations.open",
                session.http_session_api.http_post(
                    "conversations.open",
                    &serde_json::json!({ "users": user }),
                    None,
                ),
            )
            .await?;
        Ok(opened.channel.id.to_string())
    }

    pub async fn join(&self, token: &str, channel: &str) -> Result<(), SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let request = SlackApiConversationsJoinRequest::new(channel.into());
        self.timed("conversations.join", session.conversations_join(&request))
            .await?;
        Ok(())
    }

    /// Looks for the message a job posted (its `part`: a history chunk's index, else 0),
    /// so a job whose answer from Slack was lost (a timeout, a worker that died between
    /// Slack's answer and the commit) is not posted twice. Pages through the channel's
    /// history (or the thread's replies) from `oldest_ms` on, until the message is found
    /// or the window is exhausted: in a busy channel the post may be far from the newest.
    pub async fn find_job_message(
        &self,
        token: &str,
        channel: &str,
        job_id: &str,
        part: u32,
        thread_ts: Option<&str>,
        oldest_ms: i64,
    ) -> Result<Option<String>, SlackError> {
        let oldest = slack_ts_of_ms(oldest_ms);
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_RECOVERY_PAGES {
            let (messages, next) = self
                .recent_page(token, channel, thread_ts, &oldest, cursor.as_deref())
                .await?;
            let found = posted_by(messages, job_id, part);
            if found.is_some() {
                return Ok(found);
            }
            match next {
                Some(c) => cursor = Some(c),
                None => return Ok(None),
            }
        }
        tracing::warn!(
            channel,
            job_id,
            "the post of an interrupted attempt was not found within the pages searched"
        );
        Ok(None)
    }

    /// One page of a thread's messages after `after` (the parent and everything when
    /// None), earliest first, as Slack's JSON (catch-up reads them as it reads
    /// `message` events). Slack's `oldest` excludes the message at `after` itself, as
    /// `inclusive` is false by default (conversations.replies reference).
    pub async fn thread_replies(
        &self,
        token: &str,
        channel: &str,
        thread_ts: &str,
        after: Option<&str>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<super::Page<serde_json::Value>, SlackError> {
        #[derive(Deserialize)]
        struct Replies {
            #[serde(default)]
            messages: Vec<serde_json::Value>,
            response_metadata: Option<SlackResponseMetadata>,
        }
        let limit = limit.to_string();
        let params = vec![
            ("channel", Some(channel)),
            ("ts", Some(thread_ts)),
            ("limit", Some(limit.as_str())),
            ("oldest", after),
            ("cursor", cursor),
        ];
        let res: Replies = self.get(token, "conversations.replies", params).await?;
        Ok((res.messages, slack_next(res.response_metadata)))
    }

    /// One page of 200 messages from `oldest` on, with their metadata: the thread's
    /// replies when `thread_ts` is given, else the channel's history.
    async fn recent_page(
        &self,
        token: &str,
        channel: &str,
        thread_ts: Option<&str>,
        oldest: &str,
        cursor: Option<&str>,
    ) -> Result<(Vec<SlackHistoryMessage>, Option<String>), SlackError> {
        match thread_ts {
            Some(ts) => {
                // slack-morphism's replies request has no include_all_metadata.
                let params = vec![
                    ("channel", Some(channel)),
                    ("ts", Some(ts)),
                    ("limit", Some("200")),
                    ("oldest", Some(oldest)),
                    ("include_all_metadata", Some("true")),
                    ("cursor", cursor),
                ];
                let res: SlackApiConversationsRepliesResponse =
                    self.get(token, "conversations.replies", params).await?;
                Ok((res.messages, slack_next(res.response_metadata)))
            }
            None => {
                let request = SlackApiConversationsHistoryRequest::new()
                    .with_channel(channel.into())
                    .with_limit(200)
                    .with_oldest(SlackTs(oldest.to_string()))
                    .with_include_all_metadata(true)
                    .opt_cursor(cursor.map(|c| SlackCursorId(c.to_string())));
                let token = api_token(token);
                let session = self.client.open_session(&token);
                let res = self
                    .timed(
                        "conversations.history",
                        session.conversations_history(&request),
                    )
                    .await?;
                Ok((res.messages, slack_next(res.response_metadata)))
            }
        }
    }
}
