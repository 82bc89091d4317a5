//! `GET /readyz`: whether this process should be sent traffic. Ready means storage
//! answers and Slack is reachable: in Socket Mode, at least one connection is live (a
//! bot whose sockets are all down looks alive but hears nothing); over HTTP, Slack
//! answered a call within the last minute, or answers `api.test` now (an idle Herald
//! makes no calls, and must not look unready for it). The body says what is missing.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;

use super::state::AppState;
use crate::config::Transport;

/// How recent an answer from Slack counts as "reachable".
const SLACK_SEEN_WITHIN: Duration = Duration::from_secs(60);

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    let unready = |why: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        )
    };
    if sqlx::query("SELECT 1")
        .execute(state.store.pool())
        .await
        .is_err()
    {
        return unready("the database does not answer".into());
    }
    if matches!(state.settings.slack.transport, Transport::SocketMode { .. }) {
        let live = state.socket.live();
        if live == 0 {
            let down_s = state.socket.down_for_ms().unwrap_or(0) / 1000;
            let cause = state.socket.last_cause();
            let cause = if cause.is_empty() {
                "connecting".into()
            } else {
                cause
            };
            return unready(format!(
                "no Socket Mode connection is live for {down_s} s ({cause})"
            ));
        }
        return (
            StatusCode::OK,
            format!("ready: {live} Socket Mode connections live\n"),
        );
    }
    if !state.metrics.slack_ok_within(SLACK_SEEN_WITHIN)
        && let Err(err) = state.slack.reachable().await
    {
        return unready(format!("Slack does not answer ({err})"));
    }
    (StatusCode::OK, "ready\n".into())
}
