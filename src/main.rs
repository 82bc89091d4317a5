//! The `herald` command: parses the command line and calls the library.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use herald::App;
use herald::admin::rules_file;
use herald::config::{Settings, SettingsArgs};
use herald::store::Store;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "herald",
    version,
    about = "Platform webhooks become Slack notifications."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the webhook endpoint, the Slack transport and the delivery workers.
    Serve(Box<SettingsArgs>),
    /// Try Herald without a Slack workspace: Herald, a local Slack and a platform in one
    /// process, with a page at http://127.0.0.1:3000/ that works like Slack.
    Try(herald::playground::TryArgs),
    /// Apply database migrations and exit.
    Migrate {
        #[arg(
            long,
            env = "DATABASE_URL",
            default_value = "sqlite://herald.db",
            hide_env_values = true
        )]
        database_url: String,
    },
    /// Import or export notification rules as JSON.
    Rules {
        #[command(subcommand)]
        action: RulesAction,
    },
    /// The error log (deliveries, unrouted events, platform errors, callbacks) as CSV.
    Log {
        #[command(subcommand)]
        action: LogAction,
    },
    /// Print a new random webhook secret (whsec_…) for HERALD_WEBHOOK_SECRET, or with
    /// --encryption-key a key for HERALD_ENCRYPTION_KEY.
    Secret {
        #[arg(long)]
        encryption_key: bool,
    },
    /// Re-seal every stored token and webhook secret under HERALD_ENCRYPTION_KEY (after
    /// a key rotation, with the old key in HERALD_ENCRYPTION_KEY_PREVIOUS).
    Rekey {
        #[arg(
            long,
            env = "DATABASE_URL",
            default_value = "sqlite://herald.db",
            hide_env_values = true
        )]
        database_url: String,
        #[arg(long, env = "HERALD_ENCRYPTION_KEY", hide_env_values = true)]
        encryption_key: String,
        #[arg(long, env = "HERALD_ENCRYPTION_KEY_PREVIOUS", hide_env_values = true)]
        encryption_key_previous: Option<String>,
    },
}

#[derive(Subcommand)]
enum RulesAction {
    /// Replace the workspace's rules with the rules in FILE (all or nothing).
    Import {
        file: std::path::PathBuf,
        #[command(flatten)]
        target: Target,
    },
    /// Write the workspace's rules to FILE ("-" for standard output).
    Export {
        file: std::path::PathBuf,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Subcommand)]
enum LogAction {
    /// Write the log of the last days to FILE ("-" for standard output): UTF-8 with a
    /// BOM, RFC 4180, the columns `/herald log` sends.
    Export {
        /// How far back: `30d` (or `30`), from 1 to 365 days.
        #[arg(long, default_value = "30d")]
        since: String,
        #[arg(long)]
        out: std::path::PathBuf,
        /// Times are written at this offset from UTC, e.g. `+09:00`.
        #[arg(long, default_value = "+00:00", allow_hyphen_values = true)]
        utc_offset: String,
        /// The language of the fixes: ja or en.
        #[arg(long, default_value = "en")]
        lang: String,
        #[arg(
            long,
            env = "DATABASE_URL",
            default_value = "sqlite://herald.db",
            hide_env_values = true
        )]
        database_url: String,
        /// Workspace (T…); defaults to the one workspace registered.
        #[arg(long)]
        team: Option<String>,
    },
}

#[derive(clap::Args)]
struct Target {
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://herald.db",
        hide_env_values = true
    )]
    database_url: String,
    /// Workspace (T…); defaults to the bot token's workspace (single-workspace mode), else
    /// to the one workspace `herald serve` registered.
    #[arg(long)]
    team: Option<String>,
    /// Single-workspace mode: without --team, `auth.test` on this token names the workspace
    /// (and registers it, as `herald serve` does), so rules can be imported before serving.
    #[arg(long, env = "SLACK_BOT_TOKEN", hide_env_values = true)]
    slack_bot_token: Option<String>,
    #[arg(long, env = "SLACK_API_URL", default_value = herald::config::SLACK_API_URL)]
    slack_api_url: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "herald=info,warn".into()),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("herald: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let settings = Settings::from_args(*args)?;
            let listen = settings.listen;
            let app = App::build(settings).await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("could not listen on {listen} (HERALD_LISTEN)"))?;
            let shutdown = CancellationToken::new();
            let trigger = shutdown.clone();
            tokio::spawn(async move {
                wait_for_signal().await;
                tracing::info!("shutting down");
                trigger.cancel();
            });
            app.run(listener, shutdown).await?;
        }
        Command::Try(args) => {
            let shutdown = CancellationToken::new();
            let trigger = shutdown.clone();
            tokio::spawn(async move {
                wait_for_signal().await;
                trigger.cancel();
            });
            herald::playground::run(args, shutdown).await?;
        }
        Command::Migrate { database_url } => {
            let store = Store::connect(&database_url)
                .await
                .context("opening the database")?;
            store.migrate().await.context("migrating")?;
            println!("migrations applied to {}", redact_url(&database_url));
        }
        Command::Rules { action } => {
            let (file, target, import) = match action {
                RulesAction::Import { file, target } => (file, target, true),
                RulesAction::Export { file, target } => (file, target, false),
            };
            let store = Store::connect(&target.database_url)
                .await
                .context("opening the database")?;
            store.migrate().await.context("migrating")?;
            let token = target.slack_bot_token.filter(|t| !t.trim().is_empty());
            let team = match (target.team, token) {
                (Some(team), _) => team,
                (None, Some(token)) => {
                    register_token_workspace(&store, &target.slack_api_url, token.trim()).await?
                }
                (None, None) => only_workspace(&store).await?,
            };
            if import {
                let json = std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                let rules = rules_file::import(&store, &team, &json, "cli").await?;
                println!(
                    "imported {} rules into {team} (previous rules replaced)",
                    rules.len()
                );
            } else {
                let json = rules_file::export(&store, &team).await?;
                if file.as_os_str() == "-" {
                    println!("{json}");
                } else {
                    std::fs::write(&file, json + "\n")
                        .with_context(|| format!("writing {}", file.display()))?;
                    println!("exported rules of {team} to {}", file.display());
                }
            }
        }
        Command::Log {
            action:
                LogAction::Export {
                    since,
                    out,
                    utc_offset,
                    lang,
                    database_url,
                    team,
                },
        } => {
            let days = herald::log_export::parse_days(&since)
                .with_context(|| format!("--since {since}: give 1d to 365d"))?;
            let offset = herald::log_export::parse_offset(&utc_offset)
                .with_context(|| format!("--utc-offset {utc_offset}: give ±HH:MM, like +09:00"))?;
            let lang: herald::core::catalog::Lang = lang
                .parse()
                .map_err(|()| anyhow::anyhow!("--lang {lang}: give ja or en"))?;
            let store = Store::connect(&database_url)
                .await
                .with_context(|| format!("opening {}", redact_url(&database_url)))?;
            store.migrate().await.context("migrating")?;
            let team = match team {
                Some(team) => team,
                None => only_workspace(&store).await?,
            };
            let request = herald::log_export::Request::last_days(
                &team,
                days,
                herald::store::now_ms(),
                offset,
                lang,
            );
            if out.as_os_str() == "-" {
                let mut stdout = std::io::stdout().lock();
                herald::log_export::write_to(&store, &request, &mut stdout).await?;
            } else {
                let file = std::fs::File::create(&out)
                    .with_context(|| format!("creating {}", out.display()))?;
                let mut writer = std::io::BufWriter::new(file);
                let rows = herald::log_export::write_to(&store, &request, &mut writer).await?;
                println!(
                    "exported {rows} rows of {team}'s error log to {}",
                    out.display()
                );
            }
        }
        Command::Secret { encryption_key } => {
            let secret = if encryption_key {
                herald::crypto::Sealer::generate_key()?
            } else {
                herald::crypto::Sealer::new_webhook_secret()?
            };
            println!("{secret}");
        }
        Command::Rekey {
            database_url,
            encryption_key,
            encryption_key_previous,
        } => {
            let sealer =
                herald::crypto::Sealer::new(&encryption_key, encryption_key_previous.as_deref())?;
            let store = Store::connect(&database_url)
                .await
                .with_context(|| format!("opening {}", redact_url(&database_url)))?;
            store.migrate().await?;
            let (tokens, secrets) = herald::workspace::rekey(&store, &sealer).await?;
            println!(
                "re-sealed {tokens} bot tokens and {secrets} webhook secrets under the current key"
            );
        }
    }
    Ok(())
}

/// Asks Slack (`auth.test`) whose bot token this is and registers that workspace the way
/// `herald serve` does; returns its team id.
async fn register_token_workspace(
    store: &Store,
    api_url: &str,
    token: &str,
) -> anyhow::Result<String> {
    let slack = herald::slack::SlackApi::new(api_url, std::time::Duration::from_secs(10))
        .with_context(|| format!("SLACK_API_URL {api_url}"))?;
    let identity = match slack.auth_test(token).await {
        Ok(identity) => identity,
        Err(herald::slack::SlackError::Api { code }) => {
            anyhow::bail!(
                "Slack refused SLACK_BOT_TOKEN ({code}): check the token, or pass --team T…"
            )
        }
        Err(err) => {
            return Err(anyhow::anyhow!(err).context(format!(
                "asking Slack ({api_url}) which workspace SLACK_BOT_TOKEN belongs to"
            )));
        }
    };
    store
        .upsert_workspace(
            &identity.team_id,
            &identity.team_name,
            &identity.bot_user_id,
        )
        .await?;
    Ok(identity.team_id)
}

/// The one workspace `herald serve` registered (commands without --team).
async fn only_workspace(store: &Store) -> anyhow::Result<String> {
    match store.workspace_ids().await?.as_slice() {
        [one] => Ok(one.clone()),
        [] => {
            anyhow::bail!("no workspace registered yet: run `herald serve` once, or pass --team T…")
        }
        many => anyhow::bail!("several workspaces ({}): pass --team", many.join(", ")),
    }
}

fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_string(),
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
