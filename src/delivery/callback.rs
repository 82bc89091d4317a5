//! Delivering a reply from Slack to the platform (a `platform.callback` job).
//!
//! Accepted (2xx): the Slack message gets a ✅ reaction, so its author sees it arrived.
//! 429, 5xx, timeouts: retried on the usual schedule. Any other answer, or retries run
//! out: the author is told in the thread (ephemeral) that the reply did not reach the
//! platform (not why: the reason stays in the job, for admins). A callback address the
//! policy refuses (see `platform::address`) is final at once.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::jobs::{Attempt, Job, JobError, Outcome};
use crate::platform::PlatformError;
use crate::store::JobStatus;

use super::Delivery;

/// Job kind of a callback to the platform.
pub const KIND: &str = <Callback as Job>::KIND;

/// What a callback job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Callback {
    pub connection_id: String,
    /// The JSON the platform receives.
    pub body: Value,
    /// The Slack message it came from: reacted to when accepted, its author told when not.
    pub channel: String,
    pub ts: String,
    pub thread_ts: String,
    pub user: String,
    /// Whether acceptance is shown with a reaction (a deleted message has none).
    pub react: bool,
    /// The Slack change this callback carries (a reply's channel, ts, change and event
    /// time): a redelivered Slack event queues it once. None for a callback about no
    /// message (a button, a status), which is queued each time it is asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub once_per: Option<String>,
}

impl Job for Callback {
    const KIND: &'static str = "platform.callback";
    type Ctx = Delivery;

    fn dedupe_key(&self, _event_id: &str) -> Option<String> {
        self.once_per.clone()
    }

    async fn run(&self, cx: &Delivery, attempt: &Attempt) -> Result<Outcome, JobError> {
        cx.run_callback(attempt, self).await
    }

    async fn exhausted(
        &self,
        cx: &Delivery,
        attempt: &Attempt,
        reason: String,
    ) -> Result<Outcome, JobError> {
        Ok(cx
            .callback_failed(attempt, self, &format!("{reason}; retries ran out"))
            .await)
    }
}

impl Delivery {
    async fn run_callback(&self, job: &Attempt, callback: &Callback) -> Result<Outcome, JobError> {
        let url = self
            .store
            .callback_url(&job.team_id, &callback.connection_id)
            .await?;
        let connection = self
            .registry
            .connection(&callback.connection_id)
            .await
            .map_err(|e| JobError::Corrupt(e.to_string()))?;
        let (Some(url), Some(key)) = (url, connection.and_then(|c| c.keys.into_iter().next()))
        else {
            return Ok(self.callback_failed(job, callback, "no_callback_url").await);
        };
        let body = callback.body.to_string();
        let key = crate::platform::callback_key(&key);
        let outcome = self.platform.post_signed(&url, &key, &job.id, &body).await;
        let retryable = match &outcome {
            Ok(status) if (200..300).contains(status) => {
                tracing::info!(status, "the platform accepted a reply");
                if callback.react
                    && let Ok(Some(workspace)) = self.registry.workspace(&job.team_id).await
                    && let Err(err) = self
                        .slack
                        .add_reaction(
                            workspace.bot_token.expose(),
                            &callback.channel,
                            &callback.ts,
                            "white_check_mark",
                        )
                        .await
                {
                    tracing::warn!(error = %err, "could not mark the reply as delivered");
                }
                return Ok(Outcome::done(None));
            }
            Ok(status) => *status == 429 || *status == 408 || *status >= 500,
            // The address policy will not change its mind on a retry.
            Err(PlatformError::Refused(_) | PlatformError::BadUrl(_)) => false,
            Err(_) => true,
        };
        let reason = match &outcome {
            Ok(status) => format!("platform_http_{status}"),
            Err(PlatformError::Refused(refusal)) => format!("callback_address_refused: {refusal}"),
            Err(err) => err.to_string(),
        };
        if !retryable {
            return Ok(self.callback_failed(job, callback, &reason).await);
        }
        Ok(Outcome::Retry {
            reason,
            maybe_posted: false,
        })
    }

    /// Ends the job, telling the reply's author in its thread, only to them. Telling is
    /// best effort and comes first: the worker records the failure after it.
    async fn callback_failed(&self, job: &Attempt, callback: &Callback, reason: &str) -> Outcome {
        tracing::warn!(reason, "a callback did not reach the platform");
        self.tell_author(job, callback, reason).await;
        Outcome::fail(JobStatus::Failed, reason)
    }

    async fn tell_author(&self, job: &Attempt, callback: &Callback, reason: &str) {
        // Only a reply has an author in a thread to tell.
        if callback.channel.is_empty() {
            return;
        }
        let Ok(Some(workspace)) = self.registry.workspace(&job.team_id).await else {
            return;
        };
        let lang = crate::workspace::people::lang_for(
            &self.slack,
            &self.profiles,
            &self.states,
            &workspace,
            &callback.user,
        )
        .await;
        let text = match (reason, lang) {
            ("no_callback_url", crate::core::catalog::Lang::Ja) => ":warning: この返信はプラットフォームに届いていません。返信先URLが未設定です。管理者が `/herald connect callback <URL>` で設定してください。".to_string(),
            ("no_callback_url", crate::core::catalog::Lang::En) => ":warning: This reply did not reach the platform: no callback URL is set. An admin sets it with `/herald connect callback <URL>`.".to_string(),
            // Deliberately without the platform's status or the connection error: the
            // author chose nothing about the URL, and details would make replies a probe
            // of what answers where. The job's last error keeps the reason for admins.
            (_, crate::core::catalog::Lang::Ja) => ":warning: この返信はプラットフォームに届きませんでした。顧客には送られていません。".to_string(),
            (_, crate::core::catalog::Lang::En) => ":warning: This reply did not reach the platform; the customer has not received it.".to_string(),
        };
        if let Err(err) = self
            .slack
            .post_ephemeral(
                workspace.bot_token.expose(),
                &callback.channel,
                &callback.user,
                &text,
                Some(&callback.thread_ts),
            )
            .await
        {
            tracing::warn!(error = %err, "could not tell the author their reply failed");
        }
    }
}
