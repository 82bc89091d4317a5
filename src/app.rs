//! The application: one entry that builds every part from settings and runs it on a
//! given listener until a shutdown token fires. `main` and the tests both use it, so
//! what is tested is what runs.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Secret, Settings, Transport};
use crate::crypto::Sealer;
use crate::delivery::Delivery;
use crate::ingest::{Ingest, Pacing, RuleCache};
use crate::slack::{SlackApi, SlackError};
use crate::store::{Store, StoreError};
use crate::workspace::{Connection, Registry, StateCache, Workspace};
use crate::{slack, webhook};

/// The connection id of single-workspace mode.
pub const DEFAULT_CONNECTION: &str = "default";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "Slack rejected SLACK_BOT_TOKEN ({0}): check the token on your app's OAuth & Permissions page"
    )]
    BadToken(String),
    #[error("could not reach Slack at {url}: {reason}")]
    SlackUnreachable { url: String, reason: String },
    #[error("Socket Mode could not start: {0}")]
    SocketMode(String),
    #[error("HERALD_ENCRYPTION_KEY: {0}")]
    Key(crate::crypto::CryptoError),
    #[error("the HTTP server failed: {0}")]
    Serve(#[from] std::io::Error),
}

/// Cheap handles shared by every request handler and task.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub slack: SlackApi,
    pub registry: Registry,
    pub rules: RuleCache,
    pub workspace_state: StateCache,
    pub profiles: crate::admin::Profiles,
    pub directory: crate::directory::Directory,
    pub platform: crate::platform::PlatformClient,
    pub pacing: Pacing,
    pub ingest: Ingest,
    pub wake: Arc<Notify>,
    /// Per-connection webhook rate limits (`HERALD_INGEST_RATE`).
    pub ingest_rate: Arc<crate::rate_limit::RateLimiter>,
    /// Meeting types this process recorded lately: (team, id, name) → (), so an event
    /// writes its meeting type only when it is new or renamed.
    pub meeting_types_seen: moka::future::Cache<(String, String, Option<String>), ()>,
}

pub struct App {
    state: AppState,
    delivery: Delivery,
}

impl App {
    /// Connects storage (migrating it), identifies the bot's workspace and wires the parts.
    pub async fn build(settings: Settings) -> Result<Self, AppError> {
        let store = Store::connect(&settings.database_url).await?;
        store.migrate().await?;
        let slack = SlackApi::new(&settings.slack.api_url, settings.delivery.request_timeout)
            .map_err(|e| AppError::SlackUnreachable {
                url: settings.slack.api_url.clone(),
                reason: e.to_string(),
            })?;
        let sealer = match &settings.encryption {
            Some(keys) => Some(Arc::new(
                Sealer::new(
                    keys.current.expose(),
                    keys.previous.as_ref().map(Secret::expose),
                )
                .map_err(AppError::Key)?,
            )),
            None => None,
        };
        let pinned = match &settings.slack.bot_token {
            Some(token) => {
                let identity = identify(&slack, token, &settings.slack.api_url).await?;
                store
                    .upsert_workspace(
                        &identity.team_id,
                        &identity.team_name,
                        &identity.bot_user_id,
                    )
                    .await?;
                tracing::info!(team_id = %identity.team_id, team = %identity.team_name, "serving workspace");
                Some((
                    Workspace {
                        team_id: identity.team_id.clone(),
                        team_name: identity.team_name,
                        bot_user_id: identity.bot_user_id,
                        bot_token: token.clone(),
                        lang: settings.lang,
                    },
                    Connection {
                        id: DEFAULT_CONNECTION.into(),
                        team_id: identity.team_id,
                        keys: settings
                            .webhook_secret
                            .iter()
                            .map(|s| s.key().to_vec())
                            .collect(),
                    },
                ))
            }
            None => None,
        };
        let registry = Registry::new(store.clone(), sealer, settings.lang, pinned);
        let wake = Arc::new(Notify::new());
        let rules = RuleCache::new(store.clone());
        let workspace_state = StateCache::new(store.clone());
        let pacing = Pacing {
            pacer: Arc::default(),
            interval: settings.delivery.channel_interval,
        };
        let (ingest, _writer) = Ingest::start(store.clone(), wake.clone(), pacing.clone());

        let directory = crate::directory::Directory::new(store.clone());
        if settings.callback_allow_private {
            tracing::warn!(
                "HERALD_CALLBACK_ALLOW_PRIVATE is on: callbacks may go to loopback and private addresses"
            );
        }
        let platform = crate::platform::PlatformClient::new(
            settings.delivery.request_timeout,
            settings.callback_allow_private,
        )
        .map_err(|e| AppError::SlackUnreachable {
            url: "the platform callback client".into(),
            reason: e.to_string(),
        })?;
        let ingest_rate = Arc::new(crate::rate_limit::RateLimiter::new(settings.ingest_rate));
        let state = AppState {
            ingest_rate,
            // Keys are bounded (ids ≤ 128 bytes, names ≤ 256: see the event model).
            meeting_types_seen: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(3600))
                .build(),
            settings: Arc::new(settings),
            store,
            slack,
            registry,
            rules,
            workspace_state,
            profiles: crate::admin::Profiles::default(),
            directory,
            platform,
            pacing,
            ingest,
            wake,
        };
        let delivery = Delivery::new(&state);
        Ok(Self { state, delivery })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/hooks/{connection}",
                post(webhook::receive).layer(DefaultBodyLimit::max(webhook::MAX_BODY_BYTES)),
            )
            .route(
                "/slack/events",
                post(slack::http::events).layer(DefaultBodyLimit::max(slack::http::MAX_BODY_BYTES)),
            )
            .route(
                "/slack/commands",
                post(slack::http::commands)
                    .layer(DefaultBodyLimit::max(slack::http::MAX_BODY_BYTES)),
            )
            .route(
                "/slack/interactions",
                post(slack::http::interactions)
                    .layer(DefaultBodyLimit::max(slack::http::MAX_BODY_BYTES)),
            )
            // Slack's "options load URL": the pickers' block_suggestion requests.
            .route(
                "/slack/options",
                post(slack::http::interactions)
                    .layer(DefaultBodyLimit::max(slack::http::MAX_BODY_BYTES)),
            )
            // "Add to Slack" (the paths are install::INSTALL_PATH and CALLBACK_PATH).
            .route("/slack/install", get(crate::install::install))
            .route("/slack/oauth/callback", get(crate::install::callback))
            .route("/healthz", get(healthz))
            .with_state(self.state.clone())
    }

    /// Serves until `shutdown` fires; in-flight requests and jobs finish first.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> Result<(), AppError> {
        let tracker = TaskTracker::new();
        self.delivery.spawn(&tracker, &shutdown);
        tracker.spawn(checkpoint_periodically(
            self.state.store.clone(),
            shutdown.clone(),
        ));
        tracker.spawn(purge_periodically(
            self.state.store.clone(),
            shutdown.clone(),
        ));
        tracker.spawn(crate::directory::sync::periodically(
            self.state.clone(),
            shutdown.clone(),
        ));
        let socket = match &self.state.settings.slack.transport {
            Transport::SocketMode {
                app_token,
                connections,
            } => Some(
                slack::socket::start(&self.state, app_token.expose(), *connections)
                    .await
                    .map_err(|e| AppError::SocketMode(e.to_string()))?,
            ),
            Transport::Http => None,
        };
        tracing::info!(addr = %listener.local_addr()?, "Herald is listening");
        let router = self
            .router()
            .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                self.state.settings.http.request_timeout,
            ));
        let served = serve(
            listener,
            router,
            &self.state.settings.http,
            shutdown.clone(),
        )
        .await;
        if let Some(socket) = socket {
            socket.shutdown().await;
        }
        tracker.close();
        tracker.wait().await;
        tracing::info!("Herald stopped");
        served.map_err(AppError::from)
    }
}

/// Serves HTTP/1.1 connections until `shutdown`, then lets open ones finish their
/// request. Unlike `axum::serve`, a client must send its headers within the header
/// timeout (slowloris), and at most `max_connections` are open at once: one more is
/// closed on arrival, so well-formed requests keep being served while slow ones time out.
async fn serve(
    listener: TcpListener,
    router: Router,
    http: &crate::config::HttpSettings,
    shutdown: CancellationToken,
) -> Result<(), std::io::Error> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let permits = Arc::new(tokio::sync::Semaphore::new(http.max_connections));
    let connections = TaskTracker::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(http.header_timeout);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "too many open connections; closing a new one");
            drop(stream);
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let stop = shutdown.clone();
        connections.spawn(async move {
            let _permit = permit;
            let mut connection = std::pin::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(err) = result {
                tracing::debug!(%peer, error = %err, "connection ended with an error");
            }
        });
    }
    connections.close();
    connections.wait().await;
    Ok(())
}

/// Keeps SQLite's write-ahead log short, off the request path (see `Store::checkpoint`).
async fn checkpoint_periodically(store: Store, shutdown: CancellationToken) {
    if store.backend() != crate::store::Backend::Sqlite {
        return;
    }
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = shutdown.cancelled() => return,
        }
        if let Err(err) = store.checkpoint().await {
            tracing::warn!(error = %err, "WAL checkpoint failed");
        }
    }
}

/// Events and delivery outcomes are kept this long (the error log is exportable for a year).
pub const RETENTION: Duration = Duration::from_secs(365 * 24 * 3600);
/// Slack retries an event for minutes; a day of receipts is plenty to de-duplicate.
pub const RECEIPT_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Deletes what is past retention, a minute after start and then every six hours.
async fn purge_periodically(store: Store, shutdown: CancellationToken) {
    let mut wait = Duration::from_secs(60);
    loop {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shutdown.cancelled() => return,
        }
        let now = crate::store::now_ms();
        let before = now - crate::store::duration_ms(RETENTION);
        let receipts_before = now - crate::store::duration_ms(RECEIPT_RETENTION);
        match store.purge(before, receipts_before).await {
            Ok(purged) => tracing::info!(?purged, "retention purge done"),
            Err(err) => tracing::error!(error = %err, "retention purge failed"),
        }
        wait = Duration::from_secs(6 * 3600);
    }
}

async fn healthz(State(state): State<AppState>) -> StatusCode {
    match sqlx::query("SELECT 1").execute(state.store.pool()).await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Asks Slack whose token this is, retrying briefly if Slack cannot be reached.
async fn identify(
    slack: &SlackApi,
    token: &Secret,
    api_url: &str,
) -> Result<slack::BotIdentity, AppError> {
    let mut delay = Duration::from_millis(200);
    for attempt in 1.. {
        match slack.auth_test(token.expose()).await {
            Ok(identity) => return Ok(identity),
            Err(SlackError::Api { code }) => return Err(AppError::BadToken(code)),
            Err(err) if attempt >= 5 => {
                return Err(AppError::SlackUnreachable {
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
