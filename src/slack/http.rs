//! Slack's HTTP transport: `/slack/events`, `/slack/commands`, `/slack/interactions`,
//! each request checked against the signing secret (v0, 5-minute window) before it is
//! parsed; commands and interactions are also handled only once (`replay`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use slack_morphism::prelude::*;

use super::handler::{EventAck, FirstUse, SlackHandler};
use crate::config::Secret;
use crate::core::signature::slack as slack_signature;

/// The transport's state: the signing secret (None when HTTP mode is off) and the
/// handler requests go to.
#[derive(Clone)]
pub struct SlackHttp<H> {
    pub signing_secret: Option<Secret>,
    pub handler: H,
}

/// Slack's own payloads are small; this bounds what an unsigned sender can make us read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A refused request: status, machine-readable code, and words for people.
struct Refusal(StatusCode, &'static str, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1, "message": self.2}))).into_response()
    }
}

fn error(status: StatusCode, code: &'static str, message: &str) -> Refusal {
    Refusal(status, code, message.to_string())
}

/// Verifies the request and returns its body.
fn verified<H>(
    state: &SlackHttp<H>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Bytes, Refusal> {
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "body is too large",
            )
        } else {
            error(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                "could not read the body",
            )
        }
    })?;
    let Some(secret) = &state.signing_secret else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "http_mode_off",
            "SLACK_SIGNING_SECRET is not set",
        ));
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    slack_signature::verify(
        secret.expose(),
        header(slack_signature::TIMESTAMP),
        header(slack_signature::SIGNATURE),
        &body,
        unix_now(),
    )
    .map_err(|e| {
        tracing::warn!(error = %e, "Slack request rejected");
        error(
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
            &e.to_string(),
        )
    })?;
    Ok(body)
}

/// Seconds since the Unix epoch, for the signature's freshness window.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Verifies the request, then parses its body; a body that does not parse is a 400 named
/// `code`.
fn verified_as<H, T>(
    state: &SlackHttp<H>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    code: &'static str,
    parse: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Result<T, Refusal> {
    let body = verified(state, headers, body)?;
    parse(&body).map_err(|e| error(StatusCode::BAD_REQUEST, code, &e))
}

/// Refuses a verified request seen before (see `bot::replay`): commands and
/// interactions change things, and Slack never sends one twice.
async fn not_replayed<H: SlackHandler>(
    state: &SlackHttp<H>,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // Both headers were checked by `verified` already.
    let (Some(signature), Some(timestamp)) = (
        header(slack_signature::SIGNATURE),
        header(slack_signature::TIMESTAMP).and_then(|t| t.trim().parse::<i64>().ok()),
    ) else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
            "missing signature",
        ));
    };
    match state.handler.first_use(signature, timestamp).await {
        FirstUse::Yes => Ok(()),
        FirstUse::Replayed => {
            tracing::warn!("a replayed Slack request was refused");
            Err(error(
                StatusCode::CONFLICT,
                "replayed_request",
                "this request was already handled",
            ))
        }
        FirstUse::Unavailable => Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "retry later",
        )),
    }
}

/// `POST /slack/events`.
pub async fn events<H: SlackHandler>(
    State(state): State<SlackHttp<H>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let parse = |b: &[u8]| serde_json::from_slice::<SlackPushEvent>(b).map_err(|e| e.to_string());
    let event = match verified_as(&state, &headers, body, "malformed_event", parse) {
        Ok(e) => e,
        Err(refusal) => return refusal.into_response(),
    };
    if let Some(retry) = headers
        .get("x-slack-retry-num")
        .and_then(|v| v.to_str().ok())
    {
        tracing::info!(retry, reason = ?headers.get("x-slack-retry-reason"), "Slack retried an event");
    }
    match event {
        SlackPushEvent::UrlVerification(v) => {
            Json(json!({"challenge": v.challenge})).into_response()
        }
        SlackPushEvent::EventCallback(callback) => {
            match state.handler.event(callback).await {
                EventAck::Done => StatusCode::OK.into_response(),
                // Another process is handling this delivery now: Slack retries a
                // non-2xx answer, and by then the delivery is done (a duplicate) or its
                // claim stale (taken over).
                EventAck::InProgress => error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "in_progress",
                    "retry later",
                )
                .into_response(),
                // Slack retries a non-2xx answer, which is what we want when storage failed.
                EventAck::Failed => error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "retry later",
                )
                .into_response(),
            }
        }
        SlackPushEvent::AppRateLimited(limited) => {
            tracing::warn!(
                ?limited,
                "Slack is rate-limiting event deliveries to Herald"
            );
            StatusCode::OK.into_response()
        }
    }
}

/// `POST /slack/commands`: a slash command, answered in the response body.
pub async fn commands<H: SlackHandler>(
    State(state): State<SlackHttp<H>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let parse =
        |b: &[u8]| serde_urlencoded::from_bytes::<SlackCommandEvent>(b).map_err(|e| e.to_string());
    let event = match verified_as(&state, &headers, body, "malformed_command", parse) {
        Ok(e) => e,
        Err(refusal) => return refusal.into_response(),
    };
    if let Err(refusal) = not_replayed(&state, &headers).await {
        return refusal.into_response();
    }
    Json(state.handler.command(event).await).into_response()
}

/// The form Slack posts interactions in: one field, `payload`, holding JSON.
#[derive(serde::Deserialize)]
struct InteractionForm {
    payload: String,
}

/// `POST /slack/interactions`: modal submissions and button presses.
pub async fn interactions<H: SlackHandler>(
    State(state): State<SlackHttp<H>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let parse = |b: &[u8]| {
        let form: InteractionForm = serde_urlencoded::from_bytes(b).map_err(|e| e.to_string())?;
        serde_json::from_str::<SlackInteractionEvent>(&form.payload).map_err(|e| e.to_string())
    };
    let event = match verified_as(&state, &headers, body, "malformed_interaction", parse) {
        Ok(e) => e,
        Err(refusal) => return refusal.into_response(),
    };
    // Picker searches only read: no need to remember them.
    if !matches!(event, SlackInteractionEvent::BlockSuggestion(_))
        && let Err(refusal) = not_replayed(&state, &headers).await
    {
        return refusal.into_response();
    }
    match state.handler.interaction(event).await {
        SlackInteractionResponse::Empty => StatusCode::OK.into_response(),
        response => Json(response).into_response(),
    }
}
