//! Single-workspace mode: the bot token from the settings, identified once at start, and
//! the default webhook connection it serves.

use std::time::Duration;

use crate::config::Secret;
use crate::slack::{BotIdentity, SlackApi, SlackError};

/// Why the pinned workspace could not be identified.
#[derive(Debug, thiserror::Error)]
pub enum IdentifyError {
    #[error(
        "Slack rejected SLACK_BOT_TOKEN ({0}): check the token on your app's OAuth & Permissions page"
    )]
    BadToken(String),
    #[error("could not reach Slack at {url}: {reason}")]
    Unreachable { url: String, reason: String },
}

/// Asks Slack whose token this is, retrying briefly if Slack cannot be reached.
pub async fn identify(
    slack: &SlackApi,
    token: &Secret,
    api_url: &str,
) -> Result<BotIdentity, IdentifyError> {
    let mut delay = Duration::from_millis(200);
    for attempt in 1.. {
        match slack.auth_test(token.expose()).await {
            Ok(identity) => return Ok(identity),
            Err(SlackError::Api { code }) => return Err(IdentifyError::BadToken(code)),
            Err(err) if attempt >= 5 => {
                return Err(IdentifyError::Unreachable {
                    url: api_url.to_string(),
                    reason: err.to_string(),
                });
            }
            Err(err) => {
                tracing::warn!(error = %err, attempt, "Slack not reachable yet; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    unreachable!("the loop returns")
}
