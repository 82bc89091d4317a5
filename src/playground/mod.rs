//! `herald try`: Herald with a local Slack and a business platform in one process, and a
//! page at `/` that works like a Slack client, so Herald can be tried on this machine
//! without a Slack workspace.
//!
//! Nothing here is a shortcut into Herald: what a person does on the page reaches Herald
//! the way Slack's and the platform's requests would, signed, at `/slack/events`,
//! `/slack/commands`, `/slack/interactions`, `/slack/options` and `/hooks/default`. The
//! local Slack is the emulator Herald's tests run against ([`emulator::slack`]); the
//! platform is the one that verifies Herald's callbacks ([`emulator::platform`]).
//!
//! What persists: Herald's own database (`herald-try.db`: rules, settings, the log) and
//! the local Slack's history beside it (`herald-try.slack.json`: messages, threads, DMs;
//! see `keep`). The workspace itself is seeded the same way on every run, with the same
//! ids. One sample booking is delivered at each start so the page is never empty.
//! `--fresh` removes both files first.

mod api;
mod client;
mod host;
mod keep;
mod page;
mod seed;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use emulator::platform::FakePlatform;
use emulator::slack::SlackEmulator;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::App;
use crate::config::{Settings, SettingsArgs};
use crate::store::Store;

/// `herald try`'s command line. It reads no Slack settings: its Slack is the local one.
#[derive(clap::Args, Debug)]
pub struct TryArgs {
    /// Where Herald and the page listen.
    #[arg(long, env = "HERALD_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: String,
    /// The workspace's language (the seeded people have their own: en and ja).
    #[arg(long, env = "HERALD_LANG", default_value = "en")]
    pub lang: String,
    /// Herald's database for the playground (SQLite).
    #[arg(long, default_value = "herald-try.db")]
    pub database: PathBuf,
    /// Start over: remove the playground's database and the local Slack's history first.
    #[arg(long)]
    pub fresh: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TryError {
    #[error("could not listen on {addr} (HERALD_LISTEN or --listen): {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("could not remove {path} for --fresh: {source}")]
    Fresh {
        path: String,
        source: std::io::Error,
    },
    #[error("the playground's database: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("the sample rules: {0}")]
    Rules(#[from] crate::admin::rules_file::RulesFileError),
    #[error("a secret: {0}")]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error(transparent)]
    Settings(#[from] crate::config::ConfigError),
    #[error(transparent)]
    App(#[from] crate::app::AppError),
    #[error("setting up the playground: {0}")]
    Setup(String),
}

/// Settings of a real deployment that `herald try` does not read; it says so when one
/// is set, so nobody believes their workspace is being used.
const IGNORED: &[&str] = &[
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "DATABASE_URL",
    "HERALD_WEBHOOK_SECRET",
    "HERALD_PUBLIC_URL",
];

/// Runs the playground until `shutdown`.
pub async fn run(args: TryArgs, shutdown: CancellationToken) -> Result<(), TryError> {
    for var in IGNORED.iter().filter(|v| std::env::var_os(v).is_some()) {
        println!("herald try: ignoring {var}: the playground has a Slack of its own");
    }
    let history = keep::path_for(&args.database);
    if args.fresh {
        remove_database(&args.database)?;
        remove(&history)?;
    }
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|source| TryError::Listen {
            addr: args.listen.clone(),
            source,
        })?;
    let local = listener.local_addr().map_err(|source| TryError::Listen {
        addr: args.listen.clone(),
        source,
    })?;
    if !local.ip().is_loopback() {
        println!(
            "herald try: listening on {local}, reachable from other machines; the page has no login"
        );
    }

    let slack = Arc::new(SlackEmulator::start().await);
    let world = seed::workspace(&slack);
    keep::restore(&slack, &history);
    let webhook_secret = crate::crypto::Sealer::new_webhook_secret()?;
    let signing_secret = crate::crypto::Sealer::new_webhook_secret()?;
    let platform = Arc::new(FakePlatform::start(&webhook_secret).await);

    let database_url = format!("sqlite://{}", args.database.display());
    let store = Store::connect(&database_url).await?;
    store.migrate().await?;
    let rules: serde_json::Value =
        serde_json::from_str(&crate::admin::rules_file::export(&store, seed::TEAM).await?)
            .unwrap_or_default();
    let first_run = rules.as_array().is_none_or(Vec::is_empty);
    if first_run {
        crate::admin::rules_file::import(
            &store,
            seed::TEAM,
            &seed::rules(&world).to_string(),
            "herald try",
        )
        .await?;
    }
    drop(store);

    let settings = Settings::from_args(SettingsArgs {
        slack_bot_token: Some(world.bot_token.clone()),
        slack_signing_secret: Some(signing_secret.clone()),
        slack_api_url: Some(slack.api_url()),
        database_url: Some(database_url),
        listen: Some(local.to_string()),
        webhook_secret: Some(webhook_secret.clone()),
        lang: Some(args.lang.clone()),
        // The platform of the playground listens on 127.0.0.1.
        callback_allow_private: Some("true".into()),
        ..SettingsArgs::default()
    })?;
    let herald_url = format!("http://{}", reachable(local));
    let saving = tokio::spawn(keep::save_periodically(
        slack.clone(),
        history,
        shutdown.clone(),
    ));
    let playground = api::Playground::new(api::Parts {
        slack,
        platform,
        world,
        herald: client::Herald::new(&herald_url, &signing_secret, &webhook_secret),
    });
    let app = App::build(settings)
        .await?
        .with_routes(api::routes(playground.clone(), local));
    let serving = tokio::spawn(app.run(listener, shutdown.clone()));

    playground
        .prepare(first_run)
        .await
        .map_err(|e| TryError::Setup(e.to_string()))?;
    println!("Herald's playground is at {herald_url}/ (Ctrl-C stops it; `--fresh` starts over)");
    let served = serving.await;
    // Herald has stopped; keep what the local Slack holds now.
    shutdown.cancel();
    let _ = saving.await;
    match served {
        Ok(result) => result.map_err(TryError::from),
        Err(join) => Err(TryError::Setup(format!("Herald stopped: {join}"))),
    }
}

/// The address the page and the playground's own requests use: a wildcard listen
/// address is reached through the loopback interface.
fn reachable(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
    } else {
        addr
    }
}

/// Removes the SQLite file and its WAL and shared-memory files (absent ones are fine).
fn remove_database(path: &std::path::Path) -> Result<(), TryError> {
    for suffix in ["", "-wal", "-shm"] {
        remove(&PathBuf::from(format!("{}{suffix}", path.display())))?;
    }
    Ok(())
}

fn remove(file: &std::path::Path) -> Result<(), TryError> {
    match std::fs::remove_file(file) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(TryError::Fresh {
            path: file.display().to_string(),
            source,
        }),
    }
}
