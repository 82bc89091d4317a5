//! The HTTP surface: every route and the state each one is served from.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};

use super::state::AppState;
use crate::bot::Bot;
use crate::{slack, webhook};

/// Every route, served from `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/hooks/{connection}",
            post(webhook::receive).layer(DefaultBodyLimit::max(webhook::MAX_BODY_BYTES)),
        )
        .route(
            "/slack/events",
            post(slack::http::events::<Bot>)
                .layer(DefaultBodyLimit::max(slack::http::MAX_BODY_BYTES)),
        )
        .route(
            "/slack/commands",
            post(slack::http::commands::<Bot>)
                .layer(DefaultBodyLimit::max(slack::http::MAX_BODY_BYTES)),
        )
        .route(
            "/slack/interactions",
            post(slack::http::interactions::<Bot>)
                .layer(DefaultBodyLimit::max(slack::http::MAX_BODY_BYTES)),
        )
        // Slack's "options load URL": the pickers' block_suggestion requests.
        .route(
            "/slack/options",
            post(slack::http::interactions::<Bot>)
                .layer(DefaultBodyLimit::max(slack::http::MAX_BODY_BYTES)),
        )
        // "Add to Slack" (the paths are install::INSTALL_PATH and CALLBACK_PATH).
        .route("/slack/install", get(crate::install::install))
        .route("/slack/oauth/callback", get(crate::install::callback))
        // A reply's file, for the platform (the link in its callback).
        .route(
            crate::conversations::files::DOWNLOAD_PATH,
            get(crate::conversations::files::download),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(super::ready::readyz))
        .route("/metrics", get(super::scrape::metrics))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> StatusCode {
    match sqlx::query("SELECT 1").execute(state.store.pool()).await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}
