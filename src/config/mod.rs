//! Settings, parsed once at start from flags and the environment, then validated.
//!
//! Nothing else in Herald reads the environment: handlers get typed settings through
//! `AppState`. Secrets are wrapped in [`Secret`] so that `Debug` (and so every log line
//! that formats settings) prints `***`.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use crate::core::catalog::Lang;

/// Slack's public Web API root; `SLACK_API_URL` overrides it for emulators.
pub const SLACK_API_URL: &str = "https://slack.com/api";

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

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

/// Raw settings as flags/env; [`Settings::from_args`] turns them into validated settings.
#[derive(Args, Debug, Clone, Default)]
pub struct SettingsArgs {
    /// Bot token (xoxb-…) of the one workspace Herald posts to (single-workspace mode).
    #[arg(long, env = "SLACK_BOT_TOKEN", hide_env_values = true)]
    pub slack_bot_token: Option<String>,
    /// Signing secret of the Slack app; verifies HTTP requests from Slack.
    #[arg(long, env = "SLACK_SIGNING_SECRET", hide_env_values = true)]
    pub slack_signing_secret: Option<String>,
    /// App-level token (xapp-…); when set, Herald talks to Slack over Socket Mode.
    #[arg(long, env = "SLACK_APP_TOKEN", hide_env_values = true)]
    pub slack_app_token: Option<String>,
    /// Slack Web API root (emulators set it; plain http:// works).
    #[arg(long, env = "SLACK_API_URL")]
    pub slack_api_url: Option<String>,
    /// sqlite://herald.db (default) or postgres://…
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Address the HTTP server binds to.
    #[arg(long, env = "HERALD_LISTEN")]
    pub listen: Option<String>,
    /// Standard Webhooks secret (whsec_…) of the `default` connection.
    #[arg(long, env = "HERALD_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Language of notifications: ja or en.
    #[arg(long, env = "HERALD_LANG")]
    pub lang: Option<String>,
    /// Socket Mode connections to keep open (1–10).
    #[arg(long, env = "HERALD_SOCKET_CONNECTIONS")]
    pub socket_connections: Option<String>,
    /// Delivery workers in this process.
    #[arg(long, env = "HERALD_WORKERS")]
    pub workers: Option<String>,
    /// Seconds a claimed job stays reserved for its worker (default 120): after a crash,
    /// how long before another process takes the job over.
    #[arg(long, env = "HERALD_JOB_LEASE_SECS")]
    pub job_lease_secs: Option<String>,
    /// OAuth client id of the Slack app: enables "Add to Slack" installs.
    #[arg(long, env = "SLACK_CLIENT_ID")]
    pub slack_client_id: Option<String>,
    /// OAuth client secret of the Slack app.
    #[arg(long, env = "SLACK_CLIENT_SECRET", hide_env_values = true)]
    pub slack_client_secret: Option<String>,
    /// Slack's authorize page (emulators set it).
    #[arg(long, env = "SLACK_OAUTH_AUTHORIZE_URL")]
    pub slack_oauth_authorize_url: Option<String>,
    /// The URL Herald is reached at from outside (install redirect, webhook URLs).
    #[arg(long, env = "HERALD_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Base64 of 32 random bytes: encrypts bot tokens and webhook secrets at rest.
    #[arg(long, env = "HERALD_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<String>,
    /// Hours between full directory syncs (channels, users, user groups).
    #[arg(long, env = "HERALD_DIRECTORY_SYNC_HOURS")]
    pub directory_sync_hours: Option<String>,
    /// The key before a rotation: still opens values until `herald rekey` re-seals them.
    #[arg(long, env = "HERALD_ENCRYPTION_KEY_PREVIOUS", hide_env_values = true)]
    pub encryption_key_previous: Option<String>,
    /// true: callbacks may go to loopback and private addresses (development, tests).
    #[arg(long, env = "HERALD_CALLBACK_ALLOW_PRIVATE")]
    pub callback_allow_private: Option<String>,
    /// Seconds a client has to send a request's headers.
    #[arg(long, env = "HERALD_HEADER_TIMEOUT_SECS")]
    pub header_timeout_secs: Option<String>,
    /// Seconds a request (its body and Herald's answer) may take.
    #[arg(long, env = "HERALD_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<String>,
    /// Open HTTP connections served at once; more are closed on arrival.
    #[arg(long, env = "HERALD_MAX_CONNECTIONS")]
    pub max_connections: Option<String>,
    /// Webhook requests a second per connection (bursts of twice that).
    #[arg(long, env = "HERALD_INGEST_RATE")]
    pub ingest_rate: Option<String>,
}

/// Limits of the HTTP server: a slow or idle client cannot hold a connection for long,
/// nor can many of them take every connection.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub max_connections: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            // Slack and platforms send a request at once; 10 s is generous for them.
            header_timeout: Duration::from_secs(10),
            // Above Slack's 3 s and the longest handler (a slash command's Slack calls).
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// Slack's authorize page for OAuth v2 installs.
pub const SLACK_OAUTH_AUTHORIZE_URL: &str = "https://slack.com/oauth/v2/authorize";

/// "Add to Slack": installs into any number of workspaces.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    pub client_id: String,
    pub client_secret: Secret,
    pub authorize_url: String,
}

/// The keys that seal secrets at rest.
#[derive(Debug, Clone)]
pub struct EncryptionKeys {
    pub current: Secret,
    pub previous: Option<Secret>,
}

/// How Slack reaches Herald.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Socket Mode over the app-level token; no public URL needed.
    SocketMode { app_token: Secret, connections: u32 },
    /// Events API over HTTP; requests are checked with the signing secret.
    Http,
}

#[derive(Debug, Clone)]
pub struct SlackSettings {
    /// Single-workspace mode's token; None when workspaces are installed with OAuth only.
    pub bot_token: Option<Secret>,
    pub oauth: Option<OAuthSettings>,
    pub signing_secret: Option<Secret>,
    pub transport: Transport,
    pub api_url: String,
}

/// Delivery tuning. Production uses [`DeliverySettings::default`]; tests shorten waits.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub workers: usize,
    /// How long a claimed job is reserved for its worker before another may take it.
    pub lease: Duration,
    /// Waits before each retry of a transient failure; its length is the attempt budget.
    pub retry_schedule: Vec<Duration>,
    /// Minimum spacing of posts to one channel (Slack allows about one per second).
    pub channel_interval: Duration,
    /// How often idle workers look for due jobs they were not woken for (retries,
    /// jobs written by other processes).
    pub poll_interval: Duration,
    /// Longest a single Slack call may take before it counts as a timeout.
    pub request_timeout: Duration,
    /// How long a reply to a customer waits, undoable, before it is sent.
    pub undo_window: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        // The webhook industry's schedule: about a day of retries in total.
        let retry_schedule = [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]
            .into_iter()
            .map(Duration::from_secs)
            .collect();
        Self {
            workers: 4,
            // Well above the longest attempt: pacing (2 s) + post, join, post (3 × 20 s).
            lease: Duration::from_secs(120),
            retry_schedule,
            channel_interval: Duration::from_secs(1),
            poll_interval: Duration::from_millis(500),
            request_timeout: Duration::from_secs(20),
            undo_window: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone)]
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
    /// Callbacks may go to loopback and private addresses (off by default).
    pub callback_allow_private: bool,
    pub http: HttpSettings,
    /// Webhook requests a second per connection; bursts of twice that.
    pub ingest_rate: u32,
}

/// Directory sync tuning.
#[derive(Debug, Clone)]
pub struct DirectorySettings {
    /// How often each workspace is synced in full (events keep it fresh in between).
    pub every: Duration,
    /// Spacing of list calls: Slack's Tier 2 (`conversations.list`, `users.list`) allows
    /// about 20 calls a minute, so one every 3 s is as fast as Slack allows.
    pub page_interval: Duration,
    /// Items per page: Slack's maximum for `conversations.list` (fewer round trips).
    pub page_size: u32,
}

impl Default for DirectorySettings {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(6 * 3600),
            page_interval: Duration::from_secs(3),
            page_size: 999,
        }
    }
}

/// A Standard Webhooks secret: `whsec_` followed by base64 of the key bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    pub fn parse(value: &str) -> Result<Self, String> {
        use base64::Engine as _;
        let encoded = value
            .strip_prefix("whsec_")
            .ok_or_else(|| "must start with whsec_".to_string())?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| "the part after whsec_ must be base64".to_string())?;
        if key.len() < 16 {
            return Err("the key must be at least 16 bytes (24 base64 characters)".into());
        }
        Ok(Self(key))
    }

    pub fn key(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("whsec_***")
    }
}

impl Settings {
    /// Validates raw settings; the error names the first bad or missing one.
    pub fn from_args(args: SettingsArgs) -> Result<Self, ConfigError> {
        let oauth = match (
            non_empty(args.slack_client_id),
            non_empty(args.slack_client_secret),
        ) {
            (Some(client_id), Some(secret)) => Some(OAuthSettings {
                client_id,
                client_secret: Secret::new(secret),
                authorize_url: non_empty(args.slack_oauth_authorize_url)
                    .unwrap_or_else(|| SLACK_OAUTH_AUTHORIZE_URL.into()),
            }),
            (Some(_), None) => {
                return Err(ConfigError::Missing {
                    name: "SLACK_CLIENT_SECRET",
                    hint: "the Client Secret from your Slack app's Basic Information page",
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Missing {
                    name: "SLACK_CLIENT_ID",
                    hint: "the Client ID from your Slack app's Basic Information page",
                });
            }
            (None, None) => None,
        };
        let bot_token = non_empty(args.slack_bot_token);
        if bot_token.is_none() && oauth.is_none() {
            return Err(ConfigError::Missing {
                name: "SLACK_BOT_TOKEN",
                hint: "the bot token (xoxb-…) from your Slack app's OAuth & Permissions page \
                       for one workspace, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to \
                       install Herald into many",
            });
        }
        if bot_token.as_ref().is_some_and(|t| !t.starts_with("xoxb-")) {
            return Err(invalid("SLACK_BOT_TOKEN", "a bot token starts with xoxb-"));
        }
        let encryption = match non_empty(args.encryption_key) {
            Some(current) => {
                let previous = non_empty(args.encryption_key_previous);
                crate::crypto::Sealer::new(&current, previous.as_deref())
                    .map_err(|e| invalid("HERALD_ENCRYPTION_KEY", &e.to_string()))?;
                Some(EncryptionKeys {
                    current: Secret::new(current),
                    previous: previous.map(Secret::new),
                })
            }
            None if oauth.is_some() => {
                return Err(ConfigError::Missing {
                    name: "HERALD_ENCRYPTION_KEY",
                    hint: "installs store each workspace's bot token and webhook secret \
                           encrypted; generate a key with `herald secret --encryption-key` \
                           and keep it safe (without it the stored tokens cannot be read)",
                });
            }
            None => None,
        };
        let public_url = non_empty(args.public_url).map(|u| u.trim_end_matches('/').to_string());
        if let Some(url) = &public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(invalid(
                "HERALD_PUBLIC_URL",
                "must be an http:// or https:// URL",
            ));
        }
        if oauth.is_some() && public_url.is_none() {
            return Err(ConfigError::Missing {
                name: "HERALD_PUBLIC_URL",
                hint: "the https:// address Slack redirects installs to and platforms post \
                       webhooks to, e.g. https://herald.example.com",
            });
        }
        let connections = match non_empty(args.socket_connections) {
            None => 2,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n @ 1..=10) => n,
                _ => {
                    return Err(invalid(
                        "HERALD_SOCKET_CONNECTIONS",
                        "must be a whole number from 1 to 10 (Slack's limit per app)",
                    ));
                }
            },
        };
        let transport = match non_empty(args.slack_app_token) {
            Some(token) if token.starts_with("xapp-") => Transport::SocketMode {
                app_token: Secret::new(token),
                connections,
            },
            Some(_) => {
                return Err(invalid(
                    "SLACK_APP_TOKEN",
                    "an app-level token starts with xapp-",
                ));
            }
            None => Transport::Http,
        };
        let signing_secret = non_empty(args.slack_signing_secret).map(Secret::new);
        if transport == Transport::Http && signing_secret.is_none() {
            return Err(ConfigError::Missing {
                name: "SLACK_SIGNING_SECRET",
                hint: "needed to verify Slack's HTTP requests (Basic Information → Signing \
                       Secret), or set SLACK_APP_TOKEN to use Socket Mode instead",
            });
        }
        let api_url = non_empty(args.slack_api_url).unwrap_or_else(|| SLACK_API_URL.into());
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(invalid(
                "SLACK_API_URL",
                "must be an http:// or https:// URL",
            ));
        }
        // slack-morphism joins `{base}/{method}`: keep the base without a trailing slash.
        let api_url = api_url.trim_end_matches('/').to_string();

        let database_url =
            non_empty(args.database_url).unwrap_or_else(|| "sqlite://herald.db".into());
        if !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|p| database_url.starts_with(p))
        {
            return Err(invalid(
                "DATABASE_URL",
                "must start with sqlite: or postgres://",
            ));
        }
        let listen = non_empty(args.listen)
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|_| invalid("HERALD_LISTEN", "must be an address like 127.0.0.1:3000"))?;
        let webhook_secret = match non_empty(args.webhook_secret) {
            Some(secret) => {
                Some(
                    WebhookSecret::parse(&secret).map_err(|reason| ConfigError::Invalid {
                        name: "HERALD_WEBHOOK_SECRET",
                        reason,
                    })?,
                )
            }
            None if bot_token.is_some() => {
                return Err(ConfigError::Missing {
                    name: "HERALD_WEBHOOK_SECRET",
                    hint: "the whsec_… secret your platform signs webhooks with (generate \
                           one with `herald secret`)",
                });
            }
            None => None,
        };
        let lang = match non_empty(args.lang) {
            None => Lang::Ja,
            Some(raw) => raw
                .parse()
                .map_err(|()| invalid("HERALD_LANG", "must be ja or en"))?,
        };
        let mut delivery = DeliverySettings::default();
        if let Some(raw) = non_empty(args.workers) {
            delivery.workers = match raw.parse::<usize>() {
                Ok(n @ 1..=64) => n,
                _ => {
                    return Err(invalid(
                        "HERALD_WORKERS",
                        "must be a whole number from 1 to 64",
                    ));
                }
            };
        }
        if let Some(raw) = non_empty(args.job_lease_secs) {
            delivery.lease = match raw.parse::<u64>() {
                Ok(n @ 1..=3600) => Duration::from_secs(n),
                _ => {
                    return Err(invalid(
                        "HERALD_JOB_LEASE_SECS",
                        "must be a whole number of seconds from 1 to 3600",
                    ));
                }
            };
        }
        Ok(Self {
            slack: SlackSettings {
                bot_token: bot_token.map(Secret::new),
                oauth,
                signing_secret,
                transport,
                api_url,
            },
            database_url,
            listen,
            webhook_secret,
            lang,
            delivery,
            public_url,
            encryption,
            rotation_grace: Duration::from_secs(24 * 3600),
            directory: {
                let mut d = DirectorySettings::default();
                if let Some(raw) = non_empty(args.directory_sync_hours) {
                    d.every = match raw.parse::<u64>() {
                        Ok(h @ 1..=168) => Duration::from_secs(h * 3600),
                        _ => {
                            return Err(invalid(
                                "HERALD_DIRECTORY_SYNC_HOURS",
                                "must be a whole number of hours from 1 to 168",
                            ));
                        }
                    };
                }
                d
            },
            callback_allow_private: match non_empty(args.callback_allow_private).as_deref() {
                None | Some("false" | "0") => false,
                Some("true" | "1") => true,
                Some(_) => {
                    return Err(invalid(
                        "HERALD_CALLBACK_ALLOW_PRIVATE",
                        "must be true or false",
                    ));
                }
            },
            http: {
                let mut http = HttpSettings::default();
                let secs = |raw: Option<String>, name: &'static str| match non_empty(raw) {
                    None => Ok(None),
                    Some(raw) => match raw.parse::<u64>() {
                        Ok(n @ 1..=3600) => Ok(Some(Duration::from_secs(n))),
                        _ => Err(invalid(
                            name,
                            "must be a whole number of seconds from 1 to 3600",
                        )),
                    },
                };
                if let Some(d) = secs(args.header_timeout_secs, "HERALD_HEADER_TIMEOUT_SECS")? {
                    http.header_timeout = d;
                }
                if let Some(d) = secs(args.request_timeout_secs, "HERALD_REQUEST_TIMEOUT_SECS")? {
                    http.request_timeout = d;
                }
                if let Some(raw) = non_empty(args.max_connections) {
                    http.max_connections = match raw.parse::<usize>() {
                        Ok(n @ 1..=100_000) => n,
                        _ => {
                            return Err(invalid(
                                "HERALD_MAX_CONNECTIONS",
                                "must be a whole number from 1 to 100000",
                            ));
                        }
                    };
                }
                http
            },
            ingest_rate: match non_empty(args.ingest_rate) {
                // About a sixth of what one process ingests on this project's 2-core
                // machine (README, Benchmarks): a platform's bursts pass, one connection
                // cannot take it all.
                None => 1_000,
                Some(raw) => match raw.parse::<u32>() {
                    Ok(n @ 1..=1_000_000) => n,
                    _ => {
                        return Err(invalid(
                            "HERALD_INGEST_RATE",
                            "must be a whole number of requests a second, from 1",
                        ));
                    }
                },
            },
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> SettingsArgs {
        SettingsArgs {
            slack_bot_token: Some("xoxb-1-secret".into()),
            slack_signing_secret: Some("s1gn1ngs3cr3t".into()),
            webhook_secret: Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
            ..SettingsArgs::default()
        }
    }

    #[test]
    fn defaults_apply_when_only_required_settings_are_given() {
        let s = Settings::from_args(valid()).unwrap();
        assert_eq!(s.database_url, "sqlite://herald.db");
        assert_eq!(s.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(s.lang, Lang::Ja);
        assert_eq!(s.slack.api_url, SLACK_API_URL);
        assert_eq!(s.slack.transport, Transport::Http);
        assert!(
            !s.callback_allow_private,
            "private callback targets are off by default"
        );
    }

    #[test]
    fn errors_name_the_bad_or_missing_setting() {
        type Case = (fn(&mut SettingsArgs), &'static str);
        let cases: Vec<Case> = vec![
            (|a| a.slack_bot_token = None, "SLACK_BOT_TOKEN is not set"),
            (
                |a| a.slack_bot_token = Some("xoxp-user".into()),
                "SLACK_BOT_TOKEN is invalid",
            ),
            (
                |a| a.slack_signing_secret = None,
                "SLACK_SIGNING_SECRET is not set",
            ),
            (
                |a| a.webhook_secret = None,
                "HERALD_WEBHOOK_SECRET is not set",
            ),
            (
                |a| a.webhook_secret = Some("abc".into()),
                "HERALD_WEBHOOK_SECRET is invalid",
            ),
            (|a| a.lang = Some("fr".into()), "HERALD_LANG is invalid"),
            (
                |a| a.listen = Some("nowhere".into()),
                "HERALD_LISTEN is invalid",
            ),
            (
                |a| a.database_url = Some("mysql://x".into()),
                "DATABASE_URL is invalid",
            ),
            (
                |a| a.slack_api_url = Some("ftp://x".into()),
                "SLACK_API_URL is invalid",
            ),
            (
                |a| a.slack_app_token = Some("xoxb-no".into()),
                "SLACK_APP_TOKEN is invalid",
            ),
            (
                |a| a.callback_allow_private = Some("yes please".into()),
                "HERALD_CALLBACK_ALLOW_PRIVATE is invalid",
            ),
            (
                |a| a.header_timeout_secs = Some("0".into()),
                "HERALD_HEADER_TIMEOUT_SECS is invalid",
            ),
            (
                |a| a.request_timeout_secs = Some("soon".into()),
                "HERALD_REQUEST_TIMEOUT_SECS is invalid",
            ),
            (
                |a| a.max_connections = Some("-1".into()),
                "HERALD_MAX_CONNECTIONS is invalid",
            ),
            (
                |a| a.ingest_rate = Some("0".into()),
                "HERALD_INGEST_RATE is invalid",
            ),
            (
                |a| {
                    a.slack_app_token = Some("xapp-1".into());
                    a.socket_connections = Some("11".into());
                },
                "HERALD_SOCKET_CONNECTIONS is invalid",
            ),
        ];
        for (mutate, expected) in cases {
            let mut args = valid();
            mutate(&mut args);
            let err = Settings::from_args(args).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
        }
    }

    #[test]
    fn installs_need_a_key_and_a_public_url_but_no_bot_token() {
        let key = crate::crypto::Sealer::generate_key().unwrap();
        let installs = || SettingsArgs {
            slack_signing_secret: Some("s1gn1ngs3cr3t".into()),
            slack_client_id: Some("123.456".into()),
            slack_client_secret: Some("cl1ents3cret".into()),
            public_url: Some("https://herald.example.com/".into()),
            encryption_key: Some(key.clone()),
            ..SettingsArgs::default()
        };
        let s = Settings::from_args(installs()).unwrap();
        assert!(s.slack.bot_token.is_none() && s.webhook_secret.is_none());
        assert_eq!(s.public_url.as_deref(), Some("https://herald.example.com"));
        assert!(!format!("{s:?}").contains(&key), "the key is never printed");
        for (mutate, expected) in [
            (
                (|a: &mut SettingsArgs| a.encryption_key = None) as fn(&mut SettingsArgs),
                "HERALD_ENCRYPTION_KEY is not set",
            ),
            (
                |a| a.encryption_key = Some("short".into()),
                "HERALD_ENCRYPTION_KEY is invalid",
            ),
            (|a| a.public_url = None, "HERALD_PUBLIC_URL is not set"),
            (
                |a| a.slack_client_secret = None,
                "SLACK_CLIENT_SECRET is not set",
            ),
            (
                |a| {
                    a.slack_client_id = None;
                    a.slack_client_secret = None;
                },
                "SLACK_BOT_TOKEN is not set",
            ),
        ] {
            let mut args = installs();
            mutate(&mut args);
            let err = Settings::from_args(args).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
        }
    }

    #[test]
    fn socket_mode_needs_no_signing_secret() {
        let mut args = valid();
        args.slack_signing_secret = None;
        args.slack_app_token = Some("xapp-1-abc".into());
        let s = Settings::from_args(args).unwrap();
        assert!(matches!(
            s.slack.transport,
            Transport::SocketMode { connections: 2, .. }
        ));
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let mut args = valid();
        args.slack_app_token = Some("xapp-1-appsecret".into());
        let s = Settings::from_args(args).unwrap();
        let printed = format!("{s:?}");
        for secret in [
            "xoxb-1-secret",
            "s1gn1ngs3cr3t",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "appsecret",
        ] {
            assert!(!printed.contains(secret), "{secret} leaked into {printed}");
        }
    }
}
