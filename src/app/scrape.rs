//! `GET /metrics`: the registry's counts, plus the queue gauges read from the store at
//! scrape time (one query; the registry itself does no I/O). The endpoint has no
//! authentication, like `/healthz`: it shows counts, never ids or contents, and an
//! operator who wants it private keeps it off the public listener's path.

use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use super::state::AppState;
use crate::metrics;
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
    (
        [(CONTENT_TYPE, metrics::CONTENT_TYPE)],
        state.metrics.render(&queue),
    )
        .into_response()
}
