//! The Slack Web API as Herald uses it, over slack-morphism's real HTTP client.
//!
//! The base URL is a setting (`SLACK_API_URL`) so tests and local emulators work, with
//! plain `http://` allowed. Errors are reduced to what delivery must decide on (see
//! [`SlackError`]). Tokens go only into the `Authorization` header; slack-morphism
//! redacts them in `Debug`.
//!
//! One file per family of methods: `messages` (posts, reactions, the lost-post
//! search), `views` (modals, App Home, command responses), `directory` (channels,
//! users, groups), `oauth` (installs, token checks), `files` (uploads), `download` (a
//! file's bytes, with the bot token, from Slack only). This file holds
//! the client and the plumbing they share: the timeout, the count of every call by
//! method and result (`herald_slack_api_calls_total`), and the parsing of Herald's JSON into
//! slack-morphism's model.

mod directory;
mod download;
mod error;
mod files;
mod messages;
mod oauth;
mod views;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use crate::core::render::Message;
use crate::metrics::{Metrics, SlackResult};

pub use directory::{ChannelInfo, GroupInfo, UserInfo, UserNames, UserProfile};
pub use download::FileFacts;
pub use error::{SlackError, SlackErrorCode, SlackTrouble, TokenRefusal};
pub use files::UploadedFile;
pub use messages::METADATA_EVENT;
pub use oauth::{BotIdentity, OAuthGrant};

pub type Connector = SlackClientHyperHttpsConnector;

/// One page of a cursor-paged list and the cursor of the next (None at the end).
pub type Page<T> = (Vec<T>, Option<String>);

#[derive(Clone)]
pub struct SlackApi {
    client: Arc<SlackClient<Connector>>,
    timeout: Duration,
    metrics: Metrics,
    /// Fetches files' private URLs with the bot token (`download`).
    files: download::FileClient,
}

impl SlackApi {
    pub fn new(api_url: &str, timeout: Duration) -> Result<Self, SlackError> {
        let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
        http.enforce_http(false);
        let https = crate::tls::https_connector(http, "Slack URLs")
            .map_err(|e| SlackError::Transport(e.to_string()))?;
        let connector = SlackClientHyperConnector::from(https).with_slack_api_url(api_url);
        Ok(Self {
            client: Arc::new(SlackClient::new(connector)),
            timeout,
            metrics: Metrics::default(),
            files: download::FileClient::new(api_url)?,
        })
    }

    /// Counts this client's calls in `metrics` (by default, in a registry of its own).
    #[must_use]
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    pub fn client(&self) -> Arc<SlackClient<Connector>> {
        self.client.clone()
    }

    /// Every call goes through here: it is bounded by the timeout, its error is reduced
    /// to a [`SlackError`] that names `method` when Slack asks to wait, and it is counted.
    async fn timed<T>(
        &self,
        method: &'static str,
        call: impl Future<Output = Result<T, SlackClientError>>,
    ) -> Result<T, SlackError> {
        let result = match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result.map_err(|e| SlackError::from_client(e, method)),
            Err(_) => Err(SlackError::Transport(format!(
                "no answer within {:?}",
                self.timeout
            ))),
        };
        self.metrics.slack_call(method, result_of(&result));
        result
    }

    /// A GET of a method slack-morphism has no request type for (or one that lacks a
    /// parameter Herald needs); its HTTP layer still checks Slack's envelope.
    async fn get<T: DeserializeOwned + Send>(
        &self,
        token: &str,
        method: &'static str,
        params: Vec<(&str, Option<&str>)>,
    ) -> Result<T, SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        self.timed(
            method,
            session.http_session_api.http_get(method, &params, None),
        )
        .await
    }
}

/// What a call came to, for its count.
fn result_of<T>(result: &Result<T, SlackError>) -> SlackResult<'_> {
    match result {
        Ok(_) => SlackResult::Ok,
        Err(SlackError::Api { code }) => SlackResult::Api(code),
        Err(SlackError::RateLimited { .. }) => SlackResult::RateLimited,
        Err(SlackError::Transport(_)) => SlackResult::Transport,
        Err(SlackError::Protocol(_)) => SlackResult::Protocol,
    }
}

/// The cursor part of a list answer, for the methods read with [`SlackApi::get`].
#[derive(Deserialize, Default)]
struct ResponseMetadata {
    #[serde(default)]
    next_cursor: String,
}

fn next(meta: Option<ResponseMetadata>) -> Option<String> {
    meta.map(|m| m.next_cursor).filter(|c| !c.is_empty())
}

fn slack_next(meta: Option<SlackResponseMetadata>) -> Option<String> {
    meta.and_then(|m| m.next_cursor)
        .map(|c| c.0)
        .filter(|c| !c.is_empty())
}

fn blocks_of(message: &Message) -> Result<Vec<SlackBlock>, SlackError> {
    message
        .blocks
        .iter()
        .map(|b| serde_json::from_value(b.clone()))
        .collect::<Result<_, _>>()
        .map_err(|e| SlackError::Protocol(format!("rendered block does not parse: {e}")))
}

/// Herald builds views as JSON (pure, testable); slack-morphism's model checks the shape.
fn parse_view(view: serde_json::Value) -> Result<SlackView, SlackError> {
    serde_json::from_value(view)
        .map_err(|e| SlackError::Protocol(format!("view does not parse: {e}")))
}

pub fn api_token(token: &str) -> SlackApiToken {
    SlackApiToken::new(SlackApiTokenValue(token.to_string()))
}
