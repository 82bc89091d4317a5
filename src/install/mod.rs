//! "Add to Slack": Slack's OAuth v2 install flow, for any number of workspaces.
//!
//! `GET /slack/install` serves a page with the button; its link carries a `state` that
//! is signed, expires in ten minutes, is tied to the browser by a cookie and works
//! once, so a callback cannot be forged or replayed from elsewhere. The state is signed
//! with a key of its own, derived from `HERALD_ENCRYPTION_KEY` (which installs require
//! anyway), not with the client secret: the client secret is shared with Slack and
//! often with more people, and a key used for one purpose only cannot be confused with
//! another. Used states are remembered in the database (`used_nonces`) until they expire,
//! so "once" holds across restarts and for every process. `GET /slack/oauth/callback`
//! checks it, trades the code for a bot token (`oauth.v2.access`), stores the token
//! sealed, gives the workspace its webhook connection, and greets the installer by DM.
//! Every failure answers with a page that says what happened and how to start again.
//!
//! `state` signs and checks the link's state, `pages` writes the HTML, and
//! `flow` holds the callback's steps; this file has the two handlers.

mod flow;
mod pages;
mod state;

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::config::OAuthSettings;
use crate::crypto::Sealer;

pub use flow::CallbackParams;
pub use pages::{Outcome, install_page};
pub use state::{StateError, check_state, sign_state, state_key};

/// What the install pages and the OAuth callback need.
#[derive(Clone)]
pub struct InstallCtx {
    pub settings: std::sync::Arc<crate::config::Settings>,
    pub store: crate::store::Store,
    pub slack: crate::slack::SlackApi,
    pub registry: crate::workspace::Workspaces,
    pub workspace_state: crate::workspace::WorkspaceSettings,
}

/// The bot scopes Herald asks for: exactly those of `manifest.yml` (a contract test
/// keeps the two equal), each explained there.
pub const BOT_SCOPES: &[&str] = &[
    "chat:write",
    "channels:join",
    "channels:read",
    "groups:read",
    "users:read",
    "users:read.email",
    "usergroups:read",
    "channels:history",
    "groups:history",
    "commands",
    "im:write",
    "im:history",
    "reactions:read",
    "reactions:write",
    "files:write",
    "files:read",
];

pub const INSTALL_PATH: &str = "/slack/install";
pub const CALLBACK_PATH: &str = "/slack/oauth/callback";
const STATE_TTL: Duration = Duration::from_secs(600);
const COOKIE: &str = "herald_install";

/// Slack's authorize URL with Herald's scopes, redirect and state.
pub fn authorize_url(oauth: &OAuthSettings, redirect_uri: &str, state: &str) -> String {
    let query = serde_urlencoded::to_string([
        ("client_id", oauth.client_id.as_str()),
        ("scope", &BOT_SCOPES.join(",")),
        ("redirect_uri", redirect_uri),
        ("state", state),
    ])
    .unwrap_or_default();
    format!("{}?{query}", oauth.authorize_url)
}

fn public_url(state: &InstallCtx) -> String {
    state.settings.public_url.clone().unwrap_or_default()
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn cookie_nonce(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

/// `GET /slack/install`.
pub async fn install(State(state): State<InstallCtx>) -> Response {
    let Some(oauth) = &state.settings.slack.oauth else {
        return (StatusCode::NOT_FOUND, "installs are not enabled").into_response();
    };
    let nonce = match Sealer::random_token() {
        Ok(nonce) => nonce,
        Err(err) => {
            tracing::error!(error = %err, "no randomness for an install state");
            return html(
                StatusCode::SERVICE_UNAVAILABLE,
                Outcome::Unavailable.page(INSTALL_PATH),
            );
        }
    };
    let Some(keys) = &state.settings.encryption else {
        // Settings refuse installs without an encryption key; never sign with nothing.
        return html(
            StatusCode::SERVICE_UNAVAILABLE,
            Outcome::Unavailable.page(INSTALL_PATH),
        );
    };
    let expires = crate::store::now_ms() / 1000 + STATE_TTL.as_secs() as i64;
    let signed = sign_state(&state_key(keys.current.expose()), &nonce, expires);
    let redirect = format!("{}{CALLBACK_PATH}", public_url(&state));
    let mut response = html(
        StatusCode::OK,
        install_page(&authorize_url(oauth, &redirect, &signed)),
    );
    let secure = if public_url(&state).starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={nonce}; Path={CALLBACK_PATH}; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        STATE_TTL.as_secs()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `GET /slack/oauth/callback`.
#[tracing::instrument(skip_all)]
pub async fn callback(
    State(state): State<InstallCtx>,
    Query(params): Query<CallbackParams>,
    headers: HeaderMap,
) -> Response {
    let outcome = flow::finish(&state, &params, &headers).await;
    tracing::info!(?outcome, "install finished");
    let mut response = html(outcome.status(), outcome.page(INSTALL_PATH));
    // The state is single-use: the browser forgets its half.
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{COOKIE}=; Path={CALLBACK_PATH}; Max-Age=0; HttpOnly; SameSite=Lax"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorize_link_asks_for_the_manifest_scopes() {
        let oauth = OAuthSettings {
            client_id: "123.456".into(),
            client_secret: crate::config::Secret::new("s"),
            authorize_url: "https://slack.com/oauth/v2/authorize".into(),
        };
        let url = authorize_url(&oauth, "https://h.example/slack/oauth/callback", "st&ate");
        assert!(url.starts_with(
            "https://slack.com/oauth/v2/authorize?client_id=123.456&scope=chat%3Awrite%2C"
        ));
        assert!(url.contains("redirect_uri=https%3A%2F%2Fh.example%2Fslack%2Foauth%2Fcallback"));
        assert!(url.contains("state=st%26ate"));
    }
}
