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

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::config::OAuthSettings;
use crate::core::catalog::Lang;
use crate::crypto::Sealer;
use crate::slack::{OAuthGrant as Granted, SlackError};
use crate::store::{InstalledWorkspace, new_id};
use crate::workspace::{secret_context, token_context};

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
    "reactions:write",
];

pub const INSTALL_PATH: &str = "/slack/install";
pub const CALLBACK_PATH: &str = "/slack/oauth/callback";
const STATE_TTL: Duration = Duration::from_secs(600);
const COOKIE: &str = "herald_install";
/// The `used_nonces` kind of install states.
const STATE_NONCE_KIND: &str = "oauth_state";
/// The label the state key is derived under (HMAC of the encryption key).
const STATE_KEY_LABEL: &str = "herald/v1/oauth-state";

/// The key install states are signed with: HMAC-SHA256 of a fixed label under the
/// encryption key, so no new setting is needed and no other key is reused.
pub fn state_key(encryption_key: &str) -> Vec<u8> {
    mac(encryption_key.as_bytes(), STATE_KEY_LABEL)
}

/// Why a callback's `state` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("the state is missing or malformed")]
    Malformed,
    #[error("the state was not made by this Herald")]
    Forged,
    #[error("the install link expired")]
    Expired,
    #[error("the install was started in another browser")]
    OtherBrowser,
    #[error("the install link was already used")]
    Used,
}

fn mac(key: &[u8], message: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `{expires}.{nonce}.{mac}`: the nonce is also set as a cookie in the browser that
/// started the install.
pub fn sign_state(key: &[u8], nonce: &str, expires: i64) -> String {
    let body = format!("{expires}.{nonce}");
    format!("{body}.{}", b64(&mac(key, &body)))
}

/// Checks a state's signature, expiry and browser; returns its nonce and expiry (the
/// caller makes sure it is used once).
pub fn check_state<'s>(
    key: &[u8],
    state: &'s str,
    cookie_nonce: Option<&str>,
    now: i64,
) -> Result<(&'s str, i64), StateError> {
    let mut parts = state.splitn(3, '.');
    let (Some(expires), Some(nonce), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(StateError::Malformed);
    };
    let expires: i64 = expires.parse().map_err(|_| StateError::Malformed)?;
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| StateError::Malformed)?;
    let expected = mac(key, &format!("{expires}.{nonce}"));
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        expected.as_slice(),
        tag.as_slice(),
    )) {
        return Err(StateError::Forged);
    }
    if now > expires {
        return Err(StateError::Expired);
    }
    if cookie_nonce != Some(nonce) {
        return Err(StateError::OtherBrowser);
    }
    Ok((nonce, expires))
}

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

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A small page in Japanese and English; `body` is already HTML.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,-apple-system,\"Hiragino Sans\",sans-serif;max-width:40rem;\
         margin:3rem auto;padding:0 1rem;line-height:1.6;color:#1d1c1d}}\
         h1{{font-size:1.5rem}} .en{{color:#616061}} code{{background:#f4f4f4;padding:0 .2em}}\
         a.button{{display:inline-block;background:#4a154b;color:#fff;padding:.6rem 1.2rem;\
         border-radius:.3rem;text-decoration:none;font-weight:600}}</style></head>\
         <body><main>{body}</main></body></html>\n",
        title = escape_html(title),
    )
}

/// The page with the "Add to Slack" button.
pub fn install_page(authorize: &str) -> String {
    page(
        "Herald — Add to Slack",
        &format!(
            "<h1>Herald</h1>\
             <p>業務プラットフォームのイベントを、Slackで管理するルールに従って通知します。</p>\
             <p class=\"en\">Herald turns your business platform's events into Slack \
             notifications, routed by rules you manage in Slack.</p>\
             <p><a class=\"button\" id=\"add-to-slack\" href=\"{}\">Slackに追加 / Add to Slack</a></p>\
             <p class=\"en\">このリンクの有効期限は10分です。/ This link is valid for 10 minutes.</p>",
            escape_html(authorize)
        ),
    )
}

/// What the callback ended in, as the page that tells the installer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Installed { team_name: String },
    Cancelled,
    BadState(StateError),
    SlackRefused(String),
    Unavailable,
}

impl Outcome {
    fn status(&self) -> StatusCode {
        match self {
            Outcome::Installed { .. } | Outcome::Cancelled => StatusCode::OK,
            Outcome::BadState(_) => StatusCode::BAD_REQUEST,
            Outcome::SlackRefused(_) => StatusCode::BAD_GATEWAY,
            Outcome::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The result page; `install` is where to start again.
    pub fn page(&self, install: &str) -> String {
        let again = format!(
            "<p><a class=\"button\" id=\"retry\" href=\"{}\">もう一度インストール / Install again</a></p>",
            escape_html(install)
        );
        match self {
            Outcome::Installed { team_name } => page(
                "Herald — installed",
                &format!(
                    "<h1 id=\"installed\">{team} にHeraldをインストールしました</h1>\
                     <p class=\"en\">Herald is installed in {team}.</p>\
                     <h2>次にすること / Next steps</h2><ol>\
                     <li>SlackでHeraldの <b>ホーム</b> タブを開く(ダッシュボード)<br>\
                     <span class=\"en\">Open Herald's <b>Home</b> tab in Slack (the dashboard).</span></li>\
                     <li><code>/herald add</code> で通知ルールを追加<br>\
                     <span class=\"en\">Add a notification rule with <code>/herald add</code>.</span></li>\
                     <li><code>/herald connect</code> でWebhookのURLとシークレットを受け取り、プラットフォームに設定<br>\
                     <span class=\"en\">Get the webhook URL and secret with <code>/herald connect</code> \
                     and enter them in your platform.</span></li></ol>\
                     <p>インストールした方にSlackのDMでも同じ案内を送りました。\
                     <span class=\"en\">The installer also got these steps by DM in Slack.</span></p>",
                    team = escape_html(team_name)
                ),
            ),
            Outcome::Cancelled => page(
                "Herald — not installed",
                &format!(
                    "<h1 id=\"cancelled\">インストールはキャンセルされました</h1>\
                     <p class=\"en\">The install was cancelled in Slack; nothing was changed.</p>{again}"
                ),
            ),
            Outcome::BadState(why) => {
                let (ja, en) = match why {
                    StateError::Expired => (
                        "インストールのリンクの有効期限(10分)が切れました。",
                        "The install link expired (it is valid for 10 minutes).",
                    ),
                    StateError::OtherBrowser => (
                        "インストールは別のブラウザで開始されました。同じブラウザで最初からやり直してください。",
                        "The install was started in another browser. Start again in this one.",
                    ),
                    StateError::Used => (
                        "このインストールのリンクは使用済みです。最初からやり直してください。",
                        "This install link was already used. Start again.",
                    ),
                    StateError::Malformed | StateError::Forged => (
                        "このインストールのリンクは正しくありません。",
                        "This install link is not valid.",
                    ),
                };
                page(
                    "Herald — install link not valid",
                    &format!(
                        "<h1 id=\"bad-state\">{ja}</h1><p class=\"en\">{en} \
                         Nothing was installed.</p>{again}"
                    ),
                )
            }
            Outcome::SlackRefused(code) => page(
                "Herald — Slack refused the install",
                &format!(
                    "<h1 id=\"slack-refused\">Slackがインストールを受け付けませんでした</h1>\
                     <p>Slackの応答: <code>{code}</code></p>\
                     <p class=\"en\">Slack refused the install (<code>{code}</code>). \
                     An install code works once and for 10 minutes: start again.</p>{again}",
                    code = escape_html(code)
                ),
            ),
            Outcome::Unavailable => page(
                "Herald — try again",
                &format!(
                    "<h1 id=\"unavailable\">Heraldが一時的に利用できません</h1>\
                     <p class=\"en\">Herald could not finish the install (Slack or its database \
                     did not answer). Nothing is half-done: start again in a moment.</p>{again}"
                ),
            ),
        }
    }
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

#[derive(Debug, Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
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

/// `GET /slack/oauth/callback`.
#[tracing::instrument(skip_all)]
pub async fn callback(
    State(state): State<InstallCtx>,
    Query(params): Query<CallbackParams>,
    headers: HeaderMap,
) -> Response {
    let outcome = finish(&state, &params, &headers).await;
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

async fn finish(state: &InstallCtx, params: &CallbackParams, headers: &HeaderMap) -> Outcome {
    let Some(oauth) = &state.settings.slack.oauth else {
        return Outcome::Unavailable;
    };
    if params.error.is_some() {
        return Outcome::Cancelled;
    }
    let (Some(code), Some(signed)) = (&params.code, &params.state) else {
        return Outcome::BadState(StateError::Malformed);
    };
    let Some(keys) = &state.settings.encryption else {
        return Outcome::Unavailable;
    };
    let cookie = cookie_nonce(headers);
    let now = crate::store::now_ms() / 1000;
    let check = |key: &str| check_state(&state_key(key), signed, cookie.as_deref(), now);
    // A state made just before a key rotation still checks out with the previous key.
    let checked = match (check(keys.current.expose()), &keys.previous) {
        (Err(StateError::Forged), Some(previous)) => check(previous.expose()),
        (checked, _) => checked,
    };
    let (nonce, expires) = match checked {
        Ok(checked) => checked,
        Err(why) => return Outcome::BadState(why),
    };
    // Used up before the code is traded: a state works once, whatever happens next.
    match state
        .store
        .use_nonce(STATE_NONCE_KIND, nonce, expires.saturating_mul(1000))
        .await
    {
        Ok(true) => {}
        Ok(false) => return Outcome::BadState(StateError::Used),
        Err(err) => {
            tracing::error!(error = %err, "could not record the install state");
            return Outcome::Unavailable;
        }
    }
    let redirect = format!("{}{CALLBACK_PATH}", public_url(state));
    let granted = match state.slack.oauth_access(oauth, code, &redirect).await {
        Ok(granted) => granted,
        Err(SlackError::Api { code }) => return Outcome::SlackRefused(code),
        Err(err) => {
            tracing::warn!(error = %err, "oauth.v2.access failed");
            return Outcome::Unavailable;
        }
    };
    match store_install(state, &granted).await {
        Ok(()) => {}
        Err(err) => {
            tracing::error!(error = %err, "could not store the install");
            return Outcome::Unavailable;
        }
    }
    let (greet, team_name) = (state.clone(), granted.team_name.clone());
    tokio::spawn(async move { welcome(&greet, &granted).await });
    Outcome::Installed { team_name }
}

#[derive(Debug, thiserror::Error)]
enum InstallError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("no encryption key is configured")]
    NoKey,
}

async fn store_install(state: &InstallCtx, granted: &Granted) -> Result<(), InstallError> {
    let sealer = state.registry.sealer().ok_or(InstallError::NoKey)?;
    let sealed = sealer.seal(granted.bot_token.expose(), &token_context(&granted.team_id))?;
    state
        .store
        .save_installation(
            &InstalledWorkspace {
                team_id: granted.team_id.clone(),
                team_name: granted.team_name.clone(),
                bot_user_id: granted.bot_user_id.clone(),
                bot_token_sealed: Some(sealed),
                installed_by: Some(granted.installer.clone()),
            },
            &granted.scopes,
        )
        .await?;
    // A reinstall keeps the workspace's connection (and so its URL and secret).
    if state
        .store
        .connections_of(&granted.team_id)
        .await?
        .is_empty()
    {
        let id = new_id("conn");
        let secret = Sealer::new_webhook_secret()?;
        let sealed = sealer.seal(&secret, &secret_context(&id))?;
        state
            .store
            .create_connection(&id, &granted.team_id, &sealed)
            .await?;
    }
    state.registry.invalidate(&granted.team_id).await;
    state.workspace_state.invalidate(&granted.team_id).await;
    Ok(())
}

/// The confirmation DM to the installer (the seed: a message in the connected
/// workspace), in their Slack language.
async fn welcome(state: &InstallCtx, granted: &Granted) {
    let token = granted.bot_token.expose();
    let lang = match state.slack.user_profile(token, &granted.installer).await {
        Ok(profile) => profile
            .locale
            .as_deref()
            .and_then(Lang::from_locale)
            .unwrap_or(state.settings.lang),
        Err(_) => state.settings.lang,
    };
    let text = match lang {
        Lang::Ja => format!(
            "Heraldを *{}* にインストールしました。次にすること:\n\
             1. Heraldの *ホーム* タブを開く(通知のダッシュボード)\n\
             2. `/herald add` で通知ルールを追加\n\
             3. `/herald connect` でWebhookのURLとシークレットを受け取り、プラットフォームに設定",
            crate::core::render::escape(&granted.team_name)
        ),
        Lang::En => format!(
            "Herald is installed in *{}*. Next:\n\
             1. Open Herald's *Home* tab (the notification dashboard)\n\
             2. Add a notification rule with `/herald add`\n\
             3. Get the webhook URL and secret with `/herald connect` and enter them in your platform",
            crate::core::render::escape(&granted.team_name)
        ),
    };
    if let Err(err) = state
        .slack
        .direct_message(token, &granted.installer, &text)
        .await
    {
        tracing::warn!(error = %err, "could not send the welcome DM");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"client-secret";

    #[test]
    fn a_state_checks_out_once_in_its_own_browser_and_time() {
        let state = sign_state(KEY, "n0nce", 1_000);
        assert_eq!(
            check_state(KEY, &state, Some("n0nce"), 999),
            Ok(("n0nce", 1_000))
        );
        assert_eq!(
            check_state(KEY, &state, Some("n0nce"), 1_001),
            Err(StateError::Expired)
        );
        assert_eq!(
            check_state(KEY, &state, Some("other"), 999),
            Err(StateError::OtherBrowser)
        );
        assert_eq!(
            check_state(KEY, &state, None, 999),
            Err(StateError::OtherBrowser)
        );
        assert_eq!(
            check_state(b"another-app", &state, Some("n0nce"), 999),
            Err(StateError::Forged)
        );
        let later = state.replacen("1000", "9999", 1);
        assert_eq!(
            check_state(KEY, &later, Some("n0nce"), 999),
            Err(StateError::Forged),
            "the expiry cannot be stretched"
        );
        assert_eq!(
            check_state(KEY, "garbage", Some("n0nce"), 999),
            Err(StateError::Malformed)
        );
    }

    #[test]
    fn the_state_key_is_its_own_not_the_encryption_key_or_client_secret() {
        let key = state_key("encryption-key");
        assert_eq!(key.len(), 32);
        assert_eq!(key, state_key("encryption-key"), "stable across processes");
        assert_ne!(key, state_key("another-key"));
        assert_ne!(key.as_slice(), b"encryption-key".as_slice());
    }

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

    #[test]
    fn pages_escape_what_they_show() {
        let page = Outcome::Installed {
            team_name: "<script>alert(1)</script>".into(),
        }
        .page(INSTALL_PATH);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        let page = Outcome::SlackRefused("invalid_code".into()).page(INSTALL_PATH);
        assert!(page.contains("invalid_code") && page.contains("href=\"/slack/install\""));
    }
}
