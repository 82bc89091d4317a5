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
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> StatusCode {
    match sqlx::query("SELECT 1").execute(state.store.pool()).await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Ready to be sent traffic: storage answers and, in Socket Mode, at least one
/// connection hears Slack (a bot whose sockets are all down looks alive but hears
/// nothing). The body says what is missing.
async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    if sqlx::query("SELECT 1")
        .execute(state.store.pool())
        .await
        .is_err()
    {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the database does not answer\n".into(),
        );
    }
    if matches!(
        state.settings.slack.transport,
        crate::config::Transport::SocketMode { .. }
    ) && !state.socket.is_live()
    {
        let down_s = state.socket.down_for_ms().unwrap_or(0) / 1000;
        let cause = state.socket.last_cause();
        let cause = if cause.is_empty() {
            "connecting".to_string()
        } else {
            cause
        };
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: no Socket Mode connection is live for {down_s} s ({cause})\n"),
        );
    }
    let live = state.socket.live();
    let body = if live > 0 {
        format!("ready: {live} Socket Mode connections live\n")
    } else {
        "ready\n".into()
    };
    (StatusCode::OK, body)
}
