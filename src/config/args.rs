//! The raw settings, as flags and environment variables: everything a string, so that
//! reading them never fails here and every complaint comes from [`super::Settings::from_args`]
//! with the setting's name.

use clap::Args;

/// Raw settings as flags/env; [`super::Settings::from_args`] turns them into validated
/// settings. No `Debug`: these strings include the secrets, unwrapped.
#[derive(Args, Clone, Default)]
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
    /// Minutes between read-backs of recently active threads (replies whose events
    /// never reached Herald).
    #[arg(long, env = "HERALD_CATCH_UP_MINUTES")]
    pub catch_up_minutes: Option<String>,
    /// How the Slack app is distributed (internal, marketplace, outside-marketplace):
    /// the pace Slack allows for reading threads back.
    #[arg(long, env = "HERALD_SLACK_APP_DISTRIBUTION")]
    pub slack_app_distribution: Option<String>,
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
    /// The largest file a platform message may carry into Slack, in bytes (default 20 MiB).
    #[arg(long, env = "HERALD_ATTACHMENT_MAX_BYTES")]
    pub attachment_max_bytes: Option<String>,
    /// The largest file `/herald log` uploads, in bytes (a bigger log comes in parts).
    #[arg(long, env = "HERALD_LOG_PART_BYTES")]
    pub log_part_bytes: Option<String>,
}
