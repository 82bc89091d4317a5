//! The Slack Web API as Herald uses it, over slack-morphism's real HTTP client.
//!
//! The base URL is a setting (`SLACK_API_URL`) so tests and local emulators work, with
//! plain `http://` allowed. Errors are reduced to what delivery must decide on: rate
//! limited (wait), Slack's error code (classify), or transport trouble (retry). Tokens
//! go only into the `Authorization` header; slack-morphism redacts them in `Debug`.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use crate::core::render::Message;

pub type Connector = SlackClientHyperHttpsConnector;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    #[error("rate limited by Slack")]
    RateLimited { retry_after: Option<Duration> },
    #[error("Slack answered {code}")]
    Api { code: String },
    #[error("Slack could not be reached: {0}")]
    Transport(String),
    #[error("Slack's answer could not be read: {0}")]
    Protocol(String),
}

impl SlackError {
    pub fn code(&self) -> Option<&str> {
        match self {
            SlackError::Api { code } => Some(code),
            _ => None,
        }
    }
}

impl From<SlackClientError> for SlackError {
    fn from(err: SlackClientError) -> Self {
        match err {
            SlackClientError::ApiError(e) => SlackError::Api { code: e.code },
            SlackClientError::RateLimitError(e) => SlackError::RateLimited {
                retry_after: e.retry_after,
            },
            SlackClientError::HttpError(e) => {
                SlackError::Transport(format!("HTTP {}", e.status_code.as_u16()))
            }
            SlackClientError::ProtocolError(e) => SlackError::Protocol(e.to_string()),
            other => SlackError::Transport(other.to_string()),
        }
    }
}

/// Who a bot token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    pub team_id: String,
    pub team_name: String,
    pub bot_user_id: String,
}

/// The parts of a conversation Herald needs, including the Slack Connect flags that
/// slack-morphism's model lacks.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ChannelInfo {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub is_private: bool,
    #[serde(default)]
    pub is_archived: bool,
    #[serde(default)]
    pub is_member: bool,
    #[serde(default)]
    pub is_ext_shared: bool,
    /// The workspace that asked (Slack's `context_team_id`): not the channel's owner.
    #[serde(default)]
    pub context_team_id: Option<String>,
    /// The workspace hosting the channel (Slack Connect: the organization that shared it).
    #[serde(default)]
    pub conversation_host_id: Option<String>,
    #[serde(default)]
    pub shared_team_ids: Vec<String>,
}

#[derive(Deserialize)]
struct ChannelInfoResponse {
    channel: ChannelInfo,
}

/// What Herald needs to know about a person using its commands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserProfile {
    /// A workspace admin or owner, as Slack flags them (see [`Self::is_admin_of`]).
    pub is_admin: bool,
    /// A workspace owner: may name Herald admins (see [`Self::is_owner_of`]).
    pub is_owner: bool,
    /// Slack's locale for the user, e.g. `ja-JP`.
    pub locale: Option<String>,
    /// A multi- or single-channel guest (`is_restricted` / `is_ultra_restricted`).
    pub is_guest: bool,
    /// The workspaces the user belongs to: `team_id`, and on Enterprise Grid every
    /// workspace of `enterprise_user.teams`. An external user of a Slack Connect channel
    /// has their own organisation's team here.
    pub teams: Vec<String>,
    /// The profile's email (with `users:read.email`).
    pub email: Option<String>,
}

impl UserProfile {
    /// A full member of `team_id`: not a guest, and not someone from another team (whose
    /// admin flags speak of their own organisation).
    pub fn is_member_of(&self, team_id: &str) -> bool {
        !self.is_guest && self.teams.iter().any(|t| t == team_id)
    }

    /// An admin or owner of `team_id` itself.
    pub fn is_admin_of(&self, team_id: &str) -> bool {
        self.is_admin && self.is_member_of(team_id)
    }

    /// An owner of `team_id` itself.
    pub fn is_owner_of(&self, team_id: &str) -> bool {
        self.is_owner && self.is_member_of(team_id)
    }
}

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

#[derive(Clone)]
pub struct SlackApi {
    client: Arc<SlackClient<Connector>>,
    timeout: Duration,
}

impl SlackApi {
    pub fn new(api_url: &str, timeout: Duration) -> Result<Self, SlackError> {
        let https = https_connector()?;
        let connector = SlackClientHyperConnector::from(https).with_slack_api_url(api_url);
        Ok(Self {
            client: Arc::new(SlackClient::new(connector)),
            timeout,
        })
    }

    pub fn client(&self) -> Arc<SlackClient<Connector>> {
        self.client.clone()
    }

    async fn timed<T>(
        &self,
        call: impl Future<Output = Result<T, SlackClientError>>,
    ) -> Result<T, SlackError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result.map_err(SlackError::from),
            Err(_) => Err(SlackError::Transport(format!(
                "no answer within {:?}",
                self.timeout
            ))),
        }
    }

    pub async fn auth_test(&self, token: &str) -> Result<BotIdentity, SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let res = self.timed(session.auth_test()).await?;
        Ok(BotIdentity {
            team_id: res.team_id.to_string(),
            team_name: res.team,
            bot_user_id: res.user_id.to_string(),
        })
    }

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
        let res = self.timed(session.chat_post_message(&request)).await?;
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
        self.timed(session.chat_update(&request)).await?;
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
        match self.timed(session.chat_delete(&request)).await {
            // Already gone is what was wanted.
            Err(SlackError::Api { code }) if code == "message_not_found" => Ok(()),
            other => other.map(|_| ()),
        }
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
        match self.timed(session.reactions_add(&request)).await {
            Err(SlackError::Api { code }) if code == "already_reacted" => Ok(()),
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
        self.timed(session.chat_post_ephemeral(&request)).await?;
        Ok(())
    }

    pub async fn join(&self, token: &str, channel: &str) -> Result<(), SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let request = SlackApiConversationsJoinRequest::new(channel.into());
        self.timed(session.conversations_join(&request)).await?;
        Ok(())
    }

    pub async fn channel_info(
        &self,
        token: &str,
        channel: &str,
    ) -> Result<ChannelInfo, SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let params = vec![("channel", Some(channel))];
        let res: ChannelInfoResponse = self
            .timed(
                session
                    .http_session_api
                    .http_get("conversations.info", &params, None),
            )
            .await?;
        Ok(res.channel)
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
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let oldest = slack_ts_of_ms(oldest_ms);
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_RECOVERY_PAGES {
            let (messages, next) = match thread_ts {
                Some(ts) => {
                    // slack-morphism's replies request has no include_all_metadata.
                    let params = vec![
                        ("channel", Some(channel)),
                        ("ts", Some(ts)),
                        ("limit", Some("200")),
                        ("oldest", Some(oldest.as_str())),
                        ("include_all_metadata", Some("true")),
                        ("cursor", cursor.as_deref()),
                    ];
                    let res: SlackApiConversationsRepliesResponse = self
                        .timed(session.http_session_api.http_get(
                            "conversations.replies",
                            &params,
                            None,
                        ))
                        .await?;
                    (res.messages, slack_next(res.response_metadata))
                }
                None => {
                    let request = SlackApiConversationsHistoryRequest::new()
                        .with_channel(channel.into())
                        .with_limit(200)
                        .with_oldest(SlackTs(oldest.clone()))
                        .with_include_all_metadata(true)
                        .opt_cursor(cursor.clone().map(SlackCursorId));
                    let res = self.timed(session.conversations_history(&request)).await?;
                    (res.messages, slack_next(res.response_metadata))
                }
            };
            let found = messages.into_iter().find_map(|m| {
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
            });
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

    /// Whether a user may administer Herald, and their Slack locale.
    pub async fn user_profile(&self, token: &str, user: &str) -> Result<UserProfile, SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let request = SlackApiUsersInfoRequest::new(user.into()).with_include_locale(true);
        let res = self.timed(session.users_info(&request)).await?;
        let user = res.user;
        let flags = user.flags;
        let mut teams: Vec<String> = user.team_id.iter().map(ToString::to_string).collect();
        if let Some(grid) = &user.enterprise_user {
            teams.extend(grid.teams.iter().flatten().map(ToString::to_string));
        }
        Ok(UserProfile {
            is_admin: flags.is_admin.unwrap_or(false) || flags.is_owner.unwrap_or(false),
            is_owner: flags.is_owner.unwrap_or(false) || flags.is_primary_owner.unwrap_or(false),
            locale: user.locale.map(|l| l.to_string()),
            is_guest: flags.is_restricted.unwrap_or(false)
                || flags.is_ultra_restricted.unwrap_or(false),
            teams,
            email: user.profile.and_then(|p| p.email).map(|e| e.to_string()),
        })
    }

    /// Opens a modal with a trigger id (single-use, valid for 3 seconds); returns the
    /// view's id for later updates.
    pub async fn open_view(
        &self,
        token: &str,
        trigger_id: &str,
        view: serde_json::Value,
    ) -> Result<String, SlackError> {
        let view = parse_view(view)?;
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let request = SlackApiViewsOpenRequest::new(trigger_id.into(), view);
        let res = self.timed(session.views_open(&request)).await?;
        Ok(res.view.state_params.id.to_string())
    }

    /// Replaces an open modal's content (input blocks with the same ids keep what the
    /// user entered).
    pub async fn update_view(
        &self,
        token: &str,
        view_id: &str,
        view: serde_json::Value,
    ) -> Result<(), SlackError> {
        let view = parse_view(view)?;
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let request = SlackApiViewsUpdateRequest::new(view).with_view_id(view_id.into());
        self.timed(session.views_update(&request)).await?;
        Ok(())
    }

    /// Answers a slash command later, through its `response_url` (ephemeral by default;
    /// valid for 30 minutes, up to 5 times).
    pub async fn respond(
        &self,
        response_url: &SlackResponseUrl,
        text: String,
    ) -> Result<(), SlackError> {
        self.respond_with(response_url, text, false).await
    }

    /// [`SlackApi::respond`], optionally replacing the command's earlier answer (a
    /// progress message that updates in place).
    pub async fn respond_with(
        &self,
        response_url: &SlackResponseUrl,
        text: String,
        replace_original: bool,
    ) -> Result<(), SlackError> {
        let content = SlackMessageContent::new()
            .with_text(text.clone())
            .with_blocks(vec![
                SlackSectionBlock::new()
                    .with_text(md!(crate::core::render::cut(&text, 3000)))
                    .into(),
            ]);
        let request = SlackApiPostWebhookMessageRequest::new(content)
            .opt_replace_original(replace_original.then_some(true));
        self.timed(self.client.respond_to_event(response_url, &request))
            .await?;
        Ok(())
    }

    /// Publishes a user's App Home view.
    pub async fn publish_home(
        &self,
        token: &str,
        user: &str,
        view: serde_json::Value,
    ) -> Result<(), SlackError> {
        let view = parse_view(view)?;
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let request = SlackApiViewsPublishRequest::new(user.into(), view);
        self.timed(session.views_publish(&request)).await?;
        Ok(())
    }

    /// The Slack user with this email, if any.
    pub async fn user_by_email(
        &self,
        token: &str,
        email: &str,
    ) -> Result<Option<String>, SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let request = SlackApiUsersLookupByEmailRequest::new(EmailAddress(email.to_string()));
        match self.timed(session.users_lookup_by_email(&request)).await {
            Ok(res) => Ok(Some(res.user.id.to_string())),
            Err(SlackError::Api { code }) if code == "users_not_found" => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl SlackApi {
    /// Trades an install's code for the workspace's bot token (`oauth.v2.access`).
    pub async fn oauth_access(
        &self,
        oauth: &crate::config::OAuthSettings,
        code: &str,
        redirect_uri: &str,
    ) -> Result<OAuthGrant, SlackError> {
        let redirect = url::Url::parse(redirect_uri)
            .map_err(|e| SlackError::Protocol(format!("redirect URI: {e}")))?;
        let request = SlackOAuthV2AccessTokenRequest::new(
            oauth.client_id.clone().into(),
            oauth.client_secret.expose().to_string().into(),
            code.to_string().into(),
        )
        .with_redirect_uri(redirect);
        let res = self.timed(self.client.oauth2_access(&request)).await?;
        let bot_user_id = res
            .bot_user_id
            .ok_or_else(|| SlackError::Protocol("no bot user in the install".into()))?;
        if !res.access_token.0.starts_with("xoxb-") {
            return Err(SlackError::Protocol("the install gave no bot token".into()));
        }
        Ok(OAuthGrant {
            team_name: res
                .team
                .name
                .clone()
                .unwrap_or_else(|| res.team.id.to_string()),
            team_id: res.team.id.to_string(),
            bot_user_id: bot_user_id.to_string(),
            bot_token: crate::config::Secret::new(res.access_token.0),
            scopes: res.scope.0,
            installer: res.authed_user.id.to_string(),
        })
    }

    /// A plain message to a user, in their DM with Herald.
    pub async fn direct_message(
        &self,
        token: &str,
        user: &str,
        text: &str,
    ) -> Result<(), SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        // Slack documents `users` as a comma-separated string; slack-morphism's request
        // sends a JSON array, so the body is written here.
        #[derive(Deserialize)]
        struct Opened {
            channel: SlackBasicChannelInfo,
        }
        let opened: Opened = self
            .timed(session.http_session_api.http_post(
                "conversations.open",
                &serde_json::json!({ "users": user }),
                None,
            ))
            .await?;
        let channel = opened.channel.id;
        let content = SlackMessageContent::new().with_text(text.to_string());
        let request = SlackApiChatPostMessageRequest::new(channel, content);
        self.timed(session.chat_post_message(&request)).await?;
        Ok(())
    }

    /// Revokes the token (`auth.revoke`): after it, Slack refuses it everywhere.
    pub async fn revoke(&self, token: &str) -> Result<(), SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        // slack-morphism has no auth.revoke; its HTTP layer still does the envelope checks.
        #[derive(Deserialize)]
        struct Revoked {
            #[serde(default)]
            revoked: bool,
        }
        let params: Vec<(&str, Option<&str>)> = Vec::new();
        let res: Revoked = self
            .timed(
                session
                    .http_session_api
                    .http_get("auth.revoke", &params, None),
            )
            .await?;
        if !res.revoked {
            tracing::warn!("auth.revoke answered without revoking");
        }
        Ok(())
    }
}

/// A user as `users.list` / `users.info` describe them, reduced to what the directory keeps.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct UserInfo {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub profile: UserNames,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct UserNames {
    #[serde(default)]
    pub real_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// With `users:read.email`.
    #[serde(default)]
    pub email: Option<String>,
}

/// A user group as `usergroups.list` describes it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct GroupInfo {
    pub id: String,
    #[serde(default)]
    pub handle: String,
    #[serde(default)]
    pub name: String,
    /// Non-zero once the group is disabled.
    #[serde(default)]
    pub date_delete: i64,
}

#[derive(Deserialize, Default)]
struct ResponseMetadata {
    #[serde(default)]
    next_cursor: String,
}

/// One page of a cursor-paged list and the cursor of the next (None at the end).
pub type Page<T> = (Vec<T>, Option<String>);

fn slack_next(meta: Option<SlackResponseMetadata>) -> Option<String> {
    meta.and_then(|m| m.next_cursor)
        .map(|c| c.0)
        .filter(|c| !c.is_empty())
}

fn next(meta: Option<ResponseMetadata>) -> Option<String> {
    meta.map(|m| m.next_cursor).filter(|c| !c.is_empty())
}

impl SlackApi {
    /// A page of `conversations.list`: public channels and the private ones Herald is in,
    /// archived ones included (the directory flags them).
    pub async fn list_channels(
        &self,
        token: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<ChannelInfo>, SlackError> {
        #[derive(Deserialize)]
        struct Res {
            #[serde(default)]
            channels: Vec<ChannelInfo>,
            response_metadata: Option<ResponseMetadata>,
        }
        let limit = limit.to_string();
        let params = vec![
            ("types", Some("public_channel,private_channel")),
            ("exclude_archived", Some("false")),
            ("limit", Some(limit.as_str())),
            ("cursor", cursor),
        ];
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let res: Res = self
            .timed(
                session
                    .http_session_api
                    .http_get("conversations.list", &params, None),
            )
            .await?;
        Ok((res.channels, next(res.response_metadata)))
    }

    /// A page of `users.list`.
    pub async fn list_users(
        &self,
        token: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserInfo>, SlackError> {
        #[derive(Deserialize)]
        struct Res {
            #[serde(default)]
            members: Vec<UserInfo>,
            response_metadata: Option<ResponseMetadata>,
        }
        let limit = limit.to_string();
        let params = vec![("limit", Some(limit.as_str())), ("cursor", cursor)];
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let res: Res = self
            .timed(
                session
                    .http_session_api
                    .http_get("users.list", &params, None),
            )
            .await?;
        Ok((res.members, next(res.response_metadata)))
    }

    /// Every user group, disabled ones included (`usergroups.list` is not paged).
    pub async fn list_groups(&self, token: &str) -> Result<Vec<GroupInfo>, SlackError> {
        #[derive(Deserialize)]
        struct Res {
            #[serde(default)]
            usergroups: Vec<GroupInfo>,
        }
        let params = vec![("include_disabled", Some("true"))];
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let res: Res = self
            .timed(
                session
                    .http_session_api
                    .http_get("usergroups.list", &params, None),
            )
            .await?;
        Ok(res.usergroups)
    }

    /// One user (`users.info`), for a pasted id.
    pub async fn user_info(&self, token: &str, user: &str) -> Result<UserInfo, SlackError> {
        #[derive(Deserialize)]
        struct Res {
            user: UserInfo,
        }
        let params = vec![("user", Some(user))];
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let res: Res = self
            .timed(
                session
                    .http_session_api
                    .http_get("users.info", &params, None),
            )
            .await?;
        Ok(res.user)
    }
}

fn blocks_of(message: &Message) -> Result<Vec<SlackBlock>, SlackError> {
    message
        .blocks
        .iter()
        .map(|b| serde_json::from_value(b.clone()))
        .collect::<Result<_, _>>()
        .map_err(|e| SlackError::Protocol(format!("rendered block does not parse: {e}")))
}

/// An HTTP(S) connector with the OS's CA roots (or none, for plain-http emulators):
/// Slack's client and the platform callback client share it.
pub fn https_connector() -> Result<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    SlackError,
> {
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    let builder = match builder.with_native_roots() {
        Ok(b) => b,
        Err(err) => {
            // Without CA roots, https to Slack cannot work; http emulators still do.
            tracing::warn!(%err, "no native CA certificates; only http:// Slack URLs will work");
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| SlackError::Transport(e.to_string()))?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
        }
    };
    let https = builder
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    Ok(https)
}

/// Herald builds views as JSON (pure, testable); slack-morphism's model checks the shape.
fn parse_view(view: serde_json::Value) -> Result<SlackView, SlackError> {
    serde_json::from_value(view)
        .map_err(|e| SlackError::Protocol(format!("view does not parse: {e}")))
}

pub fn api_token(token: &str) -> SlackApiToken {
    SlackApiToken::new(SlackApiTokenValue(token.to_string()))
}
/// What `oauth.v2.access` granted.
#[derive(Debug, Clone)]
pub struct OAuthGrant {
    pub team_id: String,
    pub team_name: String,
    pub bot_user_id: String,
    pub bot_token: crate::config::Secret,
    pub scopes: String,
    pub installer: String,
}
