//! Settings, parsed once at start from flags and the environment, then validated.
//!
//! Nothing else in Herald reads the environment: handlers get typed settings through
//! their context. Secrets are wrapped in [`Secret`] so that `Debug` (and so every log
//! line that formats settings) prints `***`; the database URL's password is hidden the
//! same way.
//!
//! One file per section: `args` (the raw flags), `slack`, `http`, `delivery`,
//! `directory`, `catch_up` and `secrets`, each with its settings type and the function that
//! reads it. [`Settings::from_args`] calls them in a fixed order, so the error always
//! names the first bad or missing setting.

mod args;
mod catch_up;
mod delivery;
mod directory;
mod http;
mod secrets;
mod slack;

use std::fmt;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

use crate::core::catalog::Lang;

pub use args::SettingsArgs;
pub use catch_up::{CatchUpSettings, Distribution};
pub use delivery::DeliverySettings;
pub use directory::DirectorySettings;
pub use http::HttpSettings;
pub use secrets::{EncryptionKeys, Secret, WebhookSecret};
pub use slack::{
    OAuthSettings, SLACK_API_URL, SLACK_OAUTH_AUTHORIZE_URL, SlackSettings, SocketTiming, Transport,
};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name} is not set: {hint}")]
    Missing {
        name: &'static str,
        hint: &'static str,
    },
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// How long a rotated webhook secret keeps working.
const ROTATION_GRACE: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
pub struct Settings {
    pub slack: SlackSettings,
    pub database_url: String,
    pub listen: SocketAddr,
    /// The `default` connection's secret (single-workspace mode).
    pub webhook_secret: Option<WebhookSecret>,
    pub lang: Lang,
    pub delivery: DeliverySettings,
    /// Without a trailing slash; None when Herald is not reachable from outside.
    pub public_url: Option<String>,
    pub encryption: Option<EncryptionKeys>,
    /// How long a rotated webhook secret keeps working.
    pub rotation_grace: Duration,
    pub directory: DirectorySettings,
    /// Reading back replies Slack's events did not bring.
    pub catch_up: CatchUpSettings,
    /// Callbacks may go to loopback and private addresses (off by default).
    pub callback_allow_private: bool,
    pub http: HttpSettings,
    /// Webhook requests a second per connection; bursts of twice that.
    pub ingest_rate: u32,
    /// The largest file `/herald log` uploads; a bigger log is split into parts.
    pub log_part_bytes: usize,
}

impl Settings {
    /// Validates raw settings; the error names the first bad or missing one. Installs
    /// (OAuth) come first: whether they are on decides what else is required.
    pub fn from_args(args: SettingsArgs) -> Result<Self, ConfigError> {
        let oauth = slack::oauth(
            args.slack_client_id,
            args.slack_client_secret,
            args.slack_oauth_authorize_url,
        )?;
        let installs = oauth.is_some();
        let bot_token = slack::bot_token(args.slack_bot_token, installs)?;
        let encryption =
            secrets::encryption(args.encryption_key, args.encryption_key_previous, installs)?;
        let public_url = http::public_url(args.public_url, installs)?;
        let transport = slack::transport(args.slack_app_token, args.socket_connections)?;
        let signing_secret = slack::signing_secret(args.slack_signing_secret, &transport)?;
        let api_url = slack::api_url(args.slack_api_url)?;
        let database_url = database_url(args.database_url)?;
        let listen = http::listen(args.listen)?;
        let webhook_secret = secrets::webhook_secret(args.webhook_secret, bot_token.is_some())?;
        let lang = lang(args.lang)?;
        let delivery =
            delivery::delivery(args.workers, args.job_lease_secs, args.attachment_max_bytes)?;
        let directory = directory::directory(args.directory_sync_hours)?;
        let catch_up =
            catch_up::catch_up(args.catch_up_minutes, args.slack_app_distribution, installs)?;
        let callback_allow_private = callback_allow_private(args.callback_allow_private)?;
        let http = http::http(
            args.header_timeout_secs,
            args.request_timeout_secs,
            args.max_connections,
        )?;
        let ingest_rate = http::ingest_rate(args.ingest_rate)?;
        let log_part_bytes = log_part_bytes(args.log_part_bytes)?;
        Ok(Self {
            slack: SlackSettings {
                bot_token,
                oauth,
                signing_secret,
                transport,
                api_url,
                socket_timing: SocketTiming::default(),
            },
            database_url,
            listen,
            webhook_secret,
            lang,
            delivery,
            public_url,
            encryption,
            rotation_grace: ROTATION_GRACE,
            directory,
            catch_up,
            callback_allow_private,
            http,
            ingest_rate,
            log_part_bytes,
        })
    }
}

/// Every field as derived, but the database URL without its password.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Taken apart, so a new field cannot be left out of this by mistake.
        let Settings {
            slack,
            database_url,
            listen,
            webhook_secret,
            lang,
            delivery,
            public_url,
            encryption,
            rotation_grace,
            directory,
            catch_up,
            callback_allow_private,
            http,
            ingest_rate,
            log_part_bytes,
        } = self;
        f.debug_struct("Settings")
            .field("slack", slack)
            .field("database_url", &secrets::redact_password(database_url))
            .field("listen", listen)
            .field("webhook_secret", webhook_secret)
            .field("lang", lang)
            .field("delivery", delivery)
            .field("public_url", public_url)
            .field("encryption", encryption)
            .field("rotation_grace", rotation_grace)
            .field("directory", directory)
            .field("catch_up", catch_up)
            .field("callback_allow_private", callback_allow_private)
            .field("http", http)
            .field("ingest_rate", ingest_rate)
            .field("log_part_bytes", log_part_bytes)
            .finish()
    }
}

/// `DATABASE_URL`: SQLite (the default) or PostgreSQL.
fn database_url(raw: Option<String>) -> Result<String, ConfigError> {
    let url = non_empty(raw).unwrap_or_else(|| "sqlite://herald.db".into());
    if !["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| url.starts_with(p))
    {
        return Err(invalid(
            "DATABASE_URL",
            "must start with sqlite: or postgres://",
        ));
    }
    Ok(url)
}

/// `HERALD_LANG`: Japanese unless told otherwise.
fn lang(raw: Option<String>) -> Result<Lang, ConfigError> {
    match non_empty(raw) {
        None => Ok(Lang::Ja),
        Some(raw) => raw
            .parse()
            .map_err(|()| invalid("HERALD_LANG", "must be ja or en")),
    }
}

/// The error log's part size when `HERALD_LOG_PART_BYTES` is unset: far below Slack's
/// 1 GB file limit, so a part uploads in one go and opens in a spreadsheet.
pub const LOG_PART_BYTES: usize = 50 * 1024 * 1024;

/// `HERALD_LOG_PART_BYTES`: from 1 KiB (tests split small logs) to Slack's 1 GB.
fn log_part_bytes(raw: Option<String>) -> Result<usize, ConfigError> {
    Ok(in_range(
        raw,
        1024..=1_000_000_000,
        "HERALD_LOG_PART_BYTES",
        "must be a whole number of bytes from 1024 to 1000000000",
    )?
    .unwrap_or(LOG_PART_BYTES))
}

/// `HERALD_CALLBACK_ALLOW_PRIVATE`: off unless set to true.
fn callback_allow_private(raw: Option<String>) -> Result<bool, ConfigError> {
    match non_empty(raw).as_deref() {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(invalid(
            "HERALD_CALLBACK_ALLOW_PRIVATE",
            "must be true or false",
        )),
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn invalid(name: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.into(),
    }
}

/// A whole number within `range`, or None when unset; `reason` says what is allowed.
fn in_range<T: FromStr + PartialOrd>(
    raw: Option<String>,
    range: RangeInclusive<T>,
    name: &'static str,
    reason: &str,
) -> Result<Option<T>, ConfigError> {
    let Some(raw) = non_empty(raw) else {
        return Ok(None);
    };
    match raw.parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(invalid(name, reason)),
    }
}

#[cfg(test)]
mod tests;
