//! The platform endpoint: `POST /hooks/{connection}`.
//!
//! Order of checks: the connection exists (404), the body fits (413), the Standard
//! Webhooks signature is valid and fresh (401), the connection is within its rate
//! (429 with `Retry-After`), the `webhook-id` is at most 256 bytes
//! (400), no string holds what a database cannot store (NUL, lone surrogates: 422), the
//! JSON parses (400) and is a valid event (422). Only then is anything stored; the answer (202, or 200 for a repeated
//! `webhook-id`) comes after the commit. Every answer is counted by its code and the
//! event's type (`unknown` until the body has been read as an event: an unauthenticated
//! sender's claims name no series).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::core::event::{EventError, PlatformEvent};
use crate::core::router;
use crate::core::signature::{SignatureError, standard_webhooks};
use crate::ingest::{IngestError, Staged};

/// What the webhook endpoint needs: who is connected, their rules, and the writer.
#[derive(Clone)]
pub struct WebhookCtx {
    pub store: crate::store::Store,
    pub registry: crate::workspace::Workspaces,
    pub workspace_state: crate::workspace::WorkspaceSettings,
    pub rules: crate::workspace::RuleCache,
    pub ingest: crate::ingest::Ingest,
    /// Per-connection webhook rate limits (`HERALD_INGEST_RATE`).
    pub ingest_rate: std::sync::Arc<crate::rate_limit::RateLimiter>,
    /// Meeting types this process recorded lately: (team, id, name) → (), so an event
    /// writes its meeting type only when it is new or renamed.
    pub meeting_types_seen: moka::future::Cache<(String, String, Option<String>), ()>,
    /// Counts every answer (`herald_webhook_requests_total`).
    pub metrics: crate::metrics::Metrics,
}

/// Longest accepted `webhook-id`: ids are short (`msg_…`), and the unique index on
/// (connection, webhook id) cannot hold long ones on PostgreSQL.
pub const MAX_WEBHOOK_ID_BYTES: usize = 256;

/// Largest accepted body: events are small; this keeps a hostile sender cheap to refuse.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("unknown connection {0:?}")]
    UnknownConnection(String),
    #[error("body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("could not read the body")]
    Unreadable,
    #[error("signature rejected: {0}")]
    Signature(#[from] SignatureError),
    #[error("{0}")]
    Event(#[from] EventError),
    #[error("{header} is invalid: {reason}")]
    BadHeader {
        header: &'static str,
        reason: String,
    },
    #[error("the Slack workspace of this connection is disconnected ({0}); reinstall Herald")]
    Disconnected(String),
    #[error("too many requests for this connection; retry after {0:?}")]
    RateLimited(std::time::Duration),
    #[error("Herald could not store the event; retry later")]
    Unavailable,
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            WebhookError::UnknownConnection(_) => (StatusCode::NOT_FOUND, "unknown_connection"),
            WebhookError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            WebhookError::Unreadable => (StatusCode::BAD_REQUEST, "unreadable_body"),
            WebhookError::Signature(_) => (StatusCode::UNAUTHORIZED, "invalid_signature"),
            WebhookError::Event(EventError::Malformed(_)) => {
                (StatusCode::BAD_REQUEST, "malformed_json")
            }
            WebhookError::Event(EventError::UnknownType(_)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unknown_event_type")
            }
            WebhookError::Event(EventError::Invalid(_)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
            }
            WebhookError::BadHeader { .. } => (StatusCode::BAD_REQUEST, "invalid_header"),
            WebhookError::Disconnected(_) => (StatusCode::GONE, "workspace_disconnected"),
            WebhookError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            WebhookError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        };
        let mut body = json!({"error": code, "message": self.to_string()});
        if let WebhookError::Event(EventError::Invalid(field)) = &self {
            body["field"] = json!(field.field);
        }
        if let WebhookError::BadHeader { header, .. } = &self {
            body["field"] = json!(header);
        }
        let mut response = (status, Json(body)).into_response();
        if let WebhookError::RateLimited(wait) = &self {
            // Whole seconds, rounded up (RFC 9110 delay-seconds).
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(value) = axum::http::HeaderValue::from_str(&secs.max(1).to_string()) {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// Receives one platform event, and counts the answer.
#[tracing::instrument(skip_all, fields(connection = %connection, event_id, event_type))]
pub async fn receive(
    State(state): State<WebhookCtx>,
    Path(connection): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut event_type = crate::metrics::UNKNOWN;
    let response = accept(&state, connection, &headers, body, &mut event_type)
        .await
        .into_response();
    state
        .metrics
        .webhook_answered(event_type, response.status().as_u16());
    response
}

/// The checks and the commit; sets `event_type` once the body has been read as an event.
async fn accept(
    state: &WebhookCtx,
    connection: String,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    event_type: &mut &'static str,
) -> Result<(StatusCode, Json<serde_json::Value>), WebhookError> {
    // A path that cannot be a connection id is unknown: no store, no cache, no echo.
    if !crate::workspace::is_connection_id(&connection) {
        return Err(WebhookError::UnknownConnection(
            "(not a connection id)".into(),
        ));
    }
    let conn = state
        .registry
        .connection(&connection)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "could not load the connection");
            WebhookError::Unavailable
        })?
        .ok_or_else(|| WebhookError::UnknownConnection(connection.clone()))?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            WebhookError::TooLarge
        } else {
            WebhookError::Unreadable
        }
    })?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let keys: Vec<&[u8]> = conn.keys.iter().map(Vec::as_slice).collect();
    standard_webhooks::verify(
        &keys,
        header(standard_webhooks::ID),
        header(standard_webhooks::TIMESTAMP),
        header(standard_webhooks::SIGNATURE),
        &body,
        crate::store::now_ms() / 1000,
    )?;
    state
        .ingest_rate
        .check(&conn.id)
        .map_err(WebhookError::RateLimited)?;
    let webhook_id = header(standard_webhooks::ID)
        .unwrap_or_default()
        .to_string();
    if webhook_id.len() > MAX_WEBHOOK_ID_BYTES {
        return Err(WebhookError::BadHeader {
            header: standard_webhooks::ID,
            reason: format!("longer than {MAX_WEBHOOK_ID_BYTES} bytes"),
        });
    }
    if let Some(found) = crate::core::storable::find(&body) {
        return Err(WebhookError::Event(EventError::Invalid(
            crate::core::rule::FieldError::new(found.path, found.reason),
        )));
    }
    let disconnected = state
        .workspace_state
        .disconnected(&conn.team_id)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "could not read the workspace's status");
            WebhookError::Unavailable
        })?;
    if let Some(reason) = disconnected {
        return Err(WebhookError::Disconnected(reason));
    }
    let event = PlatformEvent::parse(&body)?;
    *event_type = event.event_type.as_str();
    tracing::Span::current().record("event_type", *event_type);

    let rules = state.rules.rules(&conn.team_id).await.map_err(|err| {
        tracing::error!(error = %err, "could not load rules");
        WebhookError::Unavailable
    })?;
    let routes = router::route_set(&event, &rules);
    let body = String::from_utf8(body.to_vec()).map_err(|_| WebhookError::Unreadable)?;
    let ingested = state
        .ingest
        .submit(Staged {
            team_id: conn.team_id.clone(),
            connection_id: connection,
            webhook_id,
            event_type: event.event_type.as_str().to_string(),
            body,
            thread_key: event.conversation.as_ref().map(|c| c.id.clone()),
            routes,
            internal: false,
        })
        .await
        .map_err(|err| {
            if let IngestError::Store(e) = &err {
                tracing::error!(error = %e, "could not store event");
            }
            WebhookError::Unavailable
        })?;
    tracing::Span::current().record("event_id", ingested.event_id.as_str());
    if let Some(meeting_type) = &event.meeting_type {
        remember_meeting_type(
            state,
            &conn.team_id,
            &meeting_type.id,
            meeting_type.name.as_deref(),
        )
        .await;
    }
    let status = if ingested.duplicate {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    tracing::info!(
        routes = ingested.routes,
        duplicate = ingested.duplicate,
        "event accepted"
    );
    Ok((
        status,
        Json(json!({
            "event_id": ingested.event_id,
            "routes": ingested.routes,
            "duplicate": ingested.duplicate,
        })),
    ))
}

/// Records a meeting type for the rule modal's picker, once per process while it is
/// unchanged. Not part of the event's transaction: a failure only costs the picker an
/// entry, and is logged.
async fn remember_meeting_type(state: &WebhookCtx, team_id: &str, id: &str, name: Option<&str>) {
    let key = (
        team_id.to_string(),
        id.to_string(),
        name.map(str::to_string),
    );
    if state.meeting_types_seen.contains_key(&key) {
        return;
    }
    match state.store.saw_meeting_type(team_id, id, name).await {
        Ok(()) => state.meeting_types_seen.insert(key, ()).await,
        Err(err) => tracing::warn!(error = %err, "could not record the meeting type"),
    }
}
