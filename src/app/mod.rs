//! The application: one entry that builds every part from settings and runs it on a
//! given listener until a shutdown token fires. `main` and the tests both use it, so
//! what is tested is what runs.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::http::StatusCode;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::bot::Bot;
use crate::config::{Secret, Settings, Transport};
use crate::core::ids::DEFAULT_CONNECTION;
use crate::crypto::Sealer;
use crate::delivery::{Delivery, DeliveryParts};
use crate::directory::DirectoryCtx;
use crate::ingest::Ingest;
use crate::jobs::Pacing;
use crate::slack::SlackApi;
use crate::slack::socket::SocketStatus;
use crate::store::{Store, StoreError};
use crate::workspace::pinned::{IdentifyError, identify};
use crate::workspace::{Connection, RuleCache, Workspace, WorkspaceSettings, Workspaces};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Identify(#[from] IdentifyError),
    #[error("could not set up an HTTP client for {what}: {reason}")]
    Client { what: String, reason: String },
    #[error("HERALD_ENCRYPTION_KEY: {0}")]
    Key(crate::crypto::CryptoError),
    #[error("the HTTP server failed: {0}")]
    Serve(#[from] std::io::Error),
}

mod maintenance;
mod ready;
mod routes;
mod scrape;
mod state;

pub use state::AppState;

pub struct App {
    state: AppState,
    delivery: Delivery,
    /// Routes served beside Herald's own (the playground's page); none in `serve`.
    extra: Router,
}

impl App {
    /// Connects storage (migrating it), identifies the bot's workspace and wires the parts.
    pub async fn build(settings: Settings) -> Result<Self, AppError> {
        let store = Store::connect(&settings.database_url).await?;
        store.migrate().await?;
        let metrics = crate::metrics::Metrics::default();
        let slack = SlackApi::new(&settings.slack.api_url, settings.delivery.request_timeout)
            .map_err(|e| AppError::Client {
                what: format!("Slack at {}", settings.slack.api_url),
                reason: e.to_string(),
            })?
            .with_metrics(metrics.clone());
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
        let registry = Workspaces::new(store.clone(), sealer, settings.lang, pinned);
        let wake = Arc::new(Notify::new());
        let rules = RuleCache::new(store.clone());
        let workspace_state = WorkspaceSettings::new(store.clone());
        let pacing = Pacing {
            pacer: Arc::default(),
            interval: settings.delivery.channel_interval,
        };
        let handoff = crate::jobs::Handoff::default();
        let (ingest, _writer) =
            Ingest::start(store.clone(), wake.clone(), pacing.clone(), handoff.clone());

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
        .map_err(|e| AppError::Client {
            what: "platform callbacks".into(),
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
            profiles: crate::workspace::people::Profiles::default(),
            directory,
            platform,
            pacing,
            ingest,
            wake,
            socket: SocketStatus::new(),
            metrics,
        };
        let delivery = Delivery::new(DeliveryParts {
            store: state.store.clone(),
            slack: state.slack.clone(),
            registry: state.registry.clone(),
            rules: state.rules.clone(),
            settings: state.settings.delivery.clone(),
            pacing: state.pacing.clone(),
            states: state.workspace_state.clone(),
            wake: state.wake.clone(),
            handoff,
            platform: state.platform.clone(),
            metrics: state.metrics.clone(),
            profiles: state.profiles.clone(),
        });
        Ok(Self {
            state,
            delivery,
            extra: Router::new(),
        })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn router(&self) -> Router {
        routes::router(self.state.clone()).merge(self.extra.clone())
    }

    /// Serves `routes` beside Herald's own, on the same listener (the playground's page
    /// and its API); a path Herald serves itself must not be among them (axum panics on
    /// an overlap when the router is built, before anything listens).
    pub fn with_routes(mut self, routes: Router) -> Self {
        self.extra = self.extra.merge(routes);
        self
    }

    /// Serves until `shutdown` fires; in-flight requests and jobs finish first.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> Result<(), AppError> {
        let tracker = TaskTracker::new();
        self.delivery.spawn(&tracker, &shutdown);
        tracker.spawn(maintenance::checkpoint_periodically(
            self.state.store.clone(),
            shutdown.clone(),
        ));
        tracker.spawn(maintenance::purge_periodically(
            self.state.store.clone(),
            shutdown.clone(),
        ));
        tracker.spawn(crate::directory::sync::periodically(
            DirectoryCtx::from_ref(&self.state),
            shutdown.clone(),
        ));
        tracker.spawn(crate::conversations::catch_up::periodically(
            crate::conversations::ConversationsCtx::from_ref(&self.state),
            shutdown.clone(),
        ));
        if let Transport::SocketMode {
            app_token,
            connections,
        } = &self.state.settings.slack.transport
        {
            crate::slack::socket::spawn(
                self.state.slack.clone(),
                Bot::from_ref(&self.state),
                crate::slack::socket::PoolSettings {
                    app_token: app_token.expose().to_string(),
                    connections: *connections,
                    timing: self.state.settings.slack.socket_timing,
                },
                self.state.socket.clone(),
                &tracker,
                shutdown.clone(),
            );
        }
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
