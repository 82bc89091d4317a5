//! The playground's requests to Herald, signed as Slack and the platform sign theirs:
//! Slack's `v0` signature with the app's signing secret, and Standard Webhooks with the
//! connection's `whsec_…` secret. The signatures are the emulator's own
//! (`emulator::slack::sign_slack_request`, `emulator::platform::sign`), never Herald's,
//! so the page exercises Herald's verification like any sender would.

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// What Herald answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON; `Null` when it is empty or not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("Herald did not answer {path}: {reason}")]
pub struct ClientError {
    path: String,
    reason: String,
}

/// Herald at `base`, and the secrets its senders hold.
#[derive(Clone)]
pub struct Herald {
    base: String,
    signing_secret: String,
    webhook_key: Vec<u8>,
    http: Client<HttpConnector, Full<Bytes>>,
}

impl Herald {
    pub fn new(base: &str, signing_secret: &str, webhook_secret: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            signing_secret: signing_secret.to_string(),
            webhook_key: emulator::platform::secret_key(webhook_secret),
            http: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// A Slack request (`/slack/events`, `/slack/commands`, …) as Slack sends it.
    pub async fn slack(
        &self,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Result<Answer, ClientError> {
        let now = now_secs();
        let signature = emulator::slack::sign_slack_request(&self.signing_secret, now, &body);
        self.post(
            path,
            &[
                ("content-type", content_type.to_string()),
                ("x-slack-request-timestamp", now.to_string()),
                ("x-slack-signature", signature),
            ],
            body.into(),
        )
        .await
    }

    /// An Events API `event_callback` (JSON).
    pub async fn event(&self, payload: &serde_json::Value) -> Result<Answer, ClientError> {
        self.slack("/slack/events", "application/json", payload.to_string())
            .await
    }

    /// A form Slack posts (a slash command; an interaction as its `payload` field).
    pub async fn form(
        &self,
        path: &str,
        fields: &[(String, String)],
    ) -> Result<Answer, ClientError> {
        let body = serde_urlencoded::to_string(fields).map_err(|e| ClientError {
            path: path.to_string(),
            reason: e.to_string(),
        })?;
        self.slack(path, "application/x-www-form-urlencoded", body)
            .await
    }

    /// An interaction payload (`block_actions`, `view_submission`, `block_suggestion`, …)
    /// to `/slack/interactions` or `/slack/options`.
    pub async fn interaction(
        &self,
        path: &str,
        payload: &serde_json::Value,
    ) -> Result<Answer, ClientError> {
        self.form(path, &[("payload".into(), payload.to_string())])
            .await
    }

    /// A platform event to the default connection's webhook, signed with a new id.
    pub async fn platform_event(&self, body: &[u8]) -> Result<Answer, ClientError> {
        let id = format!("msg_try_{:016x}", fastrand::u64(..));
        let now = now_secs();
        let signature = emulator::platform::sign(&self.webhook_key, &id, now, body);
        self.post(
            "/hooks/default",
            &[
                ("content-type", "application/json".to_string()),
                ("webhook-id", id),
                ("webhook-timestamp", now.to_string()),
                ("webhook-signature", signature),
            ],
            Bytes::copy_from_slice(body),
        )
        .await
    }

    async fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<Answer, ClientError> {
        let failed = |reason: String| ClientError {
            path: path.to_string(),
            reason,
        };
        let mut request = hyper::Request::post(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| failed(e.to_string()))?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| failed(e.to_string()))?
            .to_bytes();
        Ok(Answer { status, body })
    }
}

fn now_secs() -> i64 {
    crate::store::now_ms() / 1000
}
