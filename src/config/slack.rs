//! The Slack section: which app Herald is (OAuth client, signing secret), which
//! workspace it serves alone (bot token), and how Slack reaches it (HTTP or Socket Mode).

use std::time::Duration;

use super::secrets::Secret;
use super::{ConfigError, in_range, invalid, non_empty};

/// Slack's public Web API root; `SLACK_API_URL` overrides it for emulators.
pub const SLACK_API_URL: &str = "https://slack.com/api";

/// Slack's authorize page for OAuth v2 installs.
pub const SLACK_OAUTH_AUTHORIZE_URL: &str = "https://slack.com/oauth/v2/authorize";

/// "Add to Slack": installs into any number of workspaces.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    pub client_id: String,
    pub client_secret: Secret,
    pub authorize_url: String,
}

/// How Slack reaches Herald.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Socket Mode over the app-level token; no public URL needed.
    SocketMode { app_token: Secret, connections: u32 },
    /// Events API over HTTP; requests are checked with the signing secret.
    Http,
}

/// How Socket Mode connections are kept. Not settings a user tunes (the defaults follow
/// Slack's SDKs); tests shorten them to run Slack's hours in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketTiming {
    /// Herald pings Slack this often (a socket can stop delivering without closing,
    /// bolt-js #1906; Slack's SDKs ping every few seconds).
    pub ping_interval: Duration,
    /// No frame and no pong for this long: the connection is dead and is replaced.
    pub stale_after: Duration,
    /// A replacement is opened this long before the lifetime `hello` announced ends.
    pub refresh_margin: Duration,
    /// Opening a WebSocket that takes longer than this has failed.
    pub connect_timeout: Duration,
    /// Reconnects after failures wait about this long, doubling up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// No connection live for this long is logged as an error.
    pub outage_after: Duration,
    /// A line of Socket Mode's state is logged this often.
    pub report_every: Duration,
}

impl Default for SocketTiming {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(5),
            stale_after: Duration::from_secs(15),
            refresh_margin: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            outage_after: Duration::from_secs(60),
            report_every: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SlackSettings {
    /// Single-workspace mode's token; None when workspaces are installed with OAuth only.
    pub bot_token: Option<Secret>,
    pub oauth: Option<OAuthSettings>,
    pub signing_secret: Option<Secret>,
    pub transport: Transport,
    pub api_url: String,
    pub socket_timing: SocketTiming,
}

/// `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET`: both or neither.
pub(super) fn oauth(
    client_id: Option<String>,
    client_secret: Option<String>,
    authorize_url: Option<String>,
) -> Result<Option<OAuthSettings>, ConfigError> {
    match (non_empty(client_id), non_empty(client_secret)) {
        (Some(client_id), Some(secret)) => Ok(Some(OAuthSettings {
            client_id,
            client_secret: Secret::new(secret),
            authorize_url: non_empty(authorize_url)
                .unwrap_or_else(|| SLACK_OAUTH_AUTHORIZE_URL.into()),
        })),
        (Some(_), None) => Err(ConfigError::Missing {
            name: "SLACK_CLIENT_SECRET",
            hint: "the Client Secret from your Slack app's Basic Information page",
        }),
        (None, Some(_)) => Err(ConfigError::Missing {
            name: "SLACK_CLIENT_ID",
            hint: "the Client ID from your Slack app's Basic Information page",
        }),
        (None, None) => Ok(None),
    }
}

/// `SLACK_BOT_TOKEN`: Herald needs it, or installs, to have any workspace at all.
pub(super) fn bot_token(
    raw: Option<String>,
    installs: bool,
) -> Result<Option<Secret>, ConfigError> {
    let token = non_empty(raw);
    if token.is_none() && !installs {
        return Err(ConfigError::Missing {
            name: "SLACK_BOT_TOKEN",
            hint: "the bot token (xoxb-…) from your Slack app's OAuth & Permissions page \
                   for one workspace, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to \
                   install Herald into many",
        });
    }
    if token.as_ref().is_some_and(|t| !t.starts_with("xoxb-")) {
        return Err(invalid("SLACK_BOT_TOKEN", "a bot token starts with xoxb-"));
    }
    Ok(token.map(Secret::new))
}

/// `SLACK_APP_TOKEN` (Socket Mode, with `HERALD_SOCKET_CONNECTIONS`), else HTTP.
pub(super) fn transport(
    app_token: Option<String>,
    connections: Option<String>,
) -> Result<Transport, ConfigError> {
    // Checked even over HTTP, where it is unused: a bad value is a mistake either way.
    let connections = in_range(
        connections,
        1..=10,
        "HERALD_SOCKET_CONNECTIONS",
        "must be a whole number from 1 to 10 (Slack's limit per app)",
    )?
    .unwrap_or(2);
    match non_empty(app_token) {
        Some(token) if token.starts_with("xapp-") => Ok(Transport::SocketMode {
            app_token: Secret::new(token),
            connections,
        }),
        Some(_) => Err(invalid(
            "SLACK_APP_TOKEN",
            "an app-level token starts with xapp-",
        )),
        None => Ok(Transport::Http),
    }
}

/// `SLACK_SIGNING_SECRET`: required when Slack's requests arrive over HTTP.
pub(super) fn signing_secret(
    raw: Option<String>,
    transport: &Transport,
) -> Result<Option<Secret>, ConfigError> {
    let secret = non_empty(raw).map(Secret::new);
    if *transport == Transport::Http && secret.is_none() {
        return Err(ConfigError::Missing {
            name: "SLACK_SIGNING_SECRET",
            hint: "needed to verify Slack's HTTP requests (Basic Information → Signing \
                   Secret), or set SLACK_APP_TOKEN to use Socket Mode instead",
        });
    }
    Ok(secret)
}

/// `SLACK_API_URL`, without a trailing slash: slack-morphism joins `{base}/{method}`.
pub(super) fn api_url(raw: Option<String>) -> Result<String, ConfigError> {
    let api_url = non_empty(raw).unwrap_or_else(|| SLACK_API_URL.into());
    if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
        return Err(invalid(
            "SLACK_API_URL",
            "must be an http:// or https:// URL",
        ));
    }
    Ok(api_url.trim_end_matches('/').to_string())
}
