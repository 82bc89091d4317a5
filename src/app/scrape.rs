//! `GET /metrics`: the registry's counts, plus the queue gauges read from the store at
//! scrape time (one query; the registry itself does no I/O). The endpoint has no
//! authentication, like `/healthz`: it shows counts, never ids or contents, and an
//! operator who wants it private keeps it off the public listener's path.

use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use super::state::AppState;
use crate::config::Transport;
use crate::metrics::{self, Family};
use crate::slack::socket::SocketStatus;
use crate::store::now_ms;

pub async fn metrics(State(state): State<AppState>) -> Response {
    let now = now_ms();
    // A store that cannot be read leaves the gauges out rather than failing the scrape:
    // the in-memory counts are still true, and the missing series show the outage.
    let queue = match state.store.due_backlog(now).await {
        Ok(backlog) => {
            let waited = backlog.oldest_due_at.map_or(0, |at| now - at);
            metrics::queue(
                u64::try_from(backlog.due).unwrap_or(0),
                Duration::from_millis(u64::try_from(waited).unwrap_or(0)),
            )
        }
        Err(err) => {
            tracing::warn!(error = %err, "could not read the queue for /metrics");
            Vec::new()
        }
    };
    let mut extra = queue;
    if matches!(state.settings.slack.transport, Transport::SocketMode { .. }) {
        extra.extend(socket_families(&state.socket));
    }
    (
        [(CONTENT_TYPE, metrics::CONTENT_TYPE)],
        state.metrics.render(&extra),
    )
        .into_response()
}

/// Socket Mode's state: what tells an operator Herald still hears Slack.
fn socket_families(socket: &SocketStatus) -> Vec<Family> {
    let mut reconnects = Family::counter(
        "herald_socket_reconnects_total",
        "Socket Mode connections replaced, by why the old one went (refresh_requested, warning, lifetime, stale, closed_by_slack, error, connect_failed, ...).",
    );
    for (reason, n) in socket.reconnects() {
        reconnects.push(&[("reason", reason)], n as f64);
    }
    let mut families = vec![
        Family::gauge(
            "herald_socket_connections_live",
            "Socket Mode connections that said hello and are open.",
        )
        .sample(&[], socket.live() as f64),
        reconnects,
    ];
    if let Some(seconds) = socket.seconds_since_envelope() {
        families.push(
            Family::gauge(
                "herald_socket_seconds_since_envelope",
                "Seconds since Slack last sent an envelope over Socket Mode (absent before the first).",
            )
            .sample(&[], seconds as f64),
        );
    }
    families
}
