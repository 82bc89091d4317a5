//! `GET /slack/oauth/callback`'s steps: check the state, use it up, trade the code for
//! a bot token, store the workspace (token sealed, a webhook connection), greet the
//! installer. Each step that fails ends in the [`Outcome`] the installer is shown.

use axum::http::HeaderMap;
use serde::Deserialize;

use super::pages::Outcome;
use super::state::{StateError, check_state, state_key};
use super::{CALLBACK_PATH, InstallCtx, cookie_nonce, public_url};
use crate::config::OAuthSettings;
use crate::core::catalog::Lang;
use crate::crypto::Sealer;
use crate::slack::{OAuthGrant, SlackError};
use crate::store::{InstalledWorkspace, new_id};
use crate::workspace::{secret_context, token_context};

/// The `used_nonces` kind of install states.
const STATE_NONCE_KIND: &str = "oauth_state";

#[derive(Debug, Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
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

pub(super) async fn finish(
    cx: &InstallCtx,
    params: &CallbackParams,
    headers: &HeaderMap,
) -> Outcome {
    match install(cx, params, headers).await {
        Ok(team_name) => Outcome::Installed { team_name },
        Err(outcome) => outcome,
    }
}

/// The steps in order; the team's name once installed.
async fn install(
    cx: &InstallCtx,
    params: &CallbackParams,
    headers: &HeaderMap,
) -> Result<String, Outcome> {
    let oauth = cx
        .settings
        .slack
        .oauth
        .as_ref()
        .ok_or(Outcome::Unavailable)?;
    if params.error.is_some() {
        return Err(Outcome::Cancelled);
    }
    let (Some(code), Some(signed)) = (&params.code, &params.state) else {
        return Err(Outcome::BadState(StateError::Malformed));
    };
    let (nonce, expires) = checked_state(cx, signed, headers)?;
    // Used up before the code is traded: a state works once, whatever happens next.
    use_once(cx, nonce, expires).await?;
    let granted = trade(cx, oauth, code).await?;
    store_install(cx, &granted).await.map_err(|err| {
        tracing::error!(error = %err, "could not store the install");
        Outcome::Unavailable
    })?;
    let (greet, team_name) = (cx.clone(), granted.team_name.clone());
    tokio::spawn(async move { welcome(&greet, &granted).await });
    Ok(team_name)
}

/// The state's nonce and expiry, if it is this Herald's, in time, and from the browser
/// that started the install.
fn checked_state<'s>(
    cx: &InstallCtx,
    signed: &'s str,
    headers: &HeaderMap,
) -> Result<(&'s str, i64), Outcome> {
    let keys = cx
        .settings
        .encryption
        .as_ref()
        .ok_or(Outcome::Unavailable)?;
    let cookie = cookie_nonce(headers);
    let now = crate::store::now_ms() / 1000;
    let check = |key: &str| check_state(&state_key(key), signed, cookie.as_deref(), now);
    // A state made just before a key rotation still checks out with the previous key.
    let checked = match (check(keys.current.expose()), &keys.previous) {
        (Err(StateError::Forged), Some(previous)) => check(previous.expose()),
        (checked, _) => checked,
    };
    checked.map_err(Outcome::BadState)
}

async fn use_once(cx: &InstallCtx, nonce: &str, expires: i64) -> Result<(), Outcome> {
    match cx
        .store
        .use_nonce(STATE_NONCE_KIND, nonce, expires.saturating_mul(1000))
        .await
    {
        Ok(true) => Ok(()),
        Ok(false) => Err(Outcome::BadState(StateError::Used)),
        Err(err) => {
            tracing::error!(error = %err, "could not record the install state");
            Err(Outcome::Unavailable)
        }
    }
}

/// `oauth.v2.access`: the code for the workspace's bot token.
async fn trade(cx: &InstallCtx, oauth: &OAuthSettings, code: &str) -> Result<OAuthGrant, Outcome> {
    let redirect = format!("{}{CALLBACK_PATH}", public_url(cx));
    match cx.slack.oauth_access(oauth, code, &redirect).await {
        Ok(granted) => Ok(granted),
        Err(SlackError::Api { code }) => Err(Outcome::SlackRefused(code)),
        Err(err) => {
            tracing::warn!(error = %err, "oauth.v2.access failed");
            Err(Outcome::Unavailable)
        }
    }
}

async fn store_install(cx: &InstallCtx, granted: &OAuthGrant) -> Result<(), InstallError> {
    let sealer = cx.registry.sealer().ok_or(InstallError::NoKey)?;
    let sealed = sealer.seal(granted.bot_token.expose(), &token_context(&granted.team_id))?;
    cx.store
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
    if cx.store.connections_of(&granted.team_id).await?.is_empty() {
        let id = new_id("conn");
        let secret = Sealer::new_webhook_secret()?;
        let sealed = sealer.seal(&secret, &secret_context(&id))?;
        cx.store
            .create_connection(&id, &granted.team_id, &sealed)
            .await?;
    }
    cx.registry.invalidate(&granted.team_id).await;
    cx.workspace_state.invalidate(&granted.team_id).await;
    Ok(())
}

/// The confirmation DM to the installer (the seed: a message in the connected
/// workspace), in their Slack language.
async fn welcome(cx: &InstallCtx, granted: &OAuthGrant) {
    let token = granted.bot_token.expose();
    let lang = match cx.slack.user_profile(token, &granted.installer).await {
        Ok(profile) => profile
            .locale
            .as_deref()
            .and_then(Lang::from_locale)
            .unwrap_or(cx.settings.lang),
        Err(_) => cx.settings.lang,
    };
    let text = welcome_text(lang, &granted.team_name);
    if let Err(err) = cx
        .slack
        .direct_message(token, &granted.installer, &text)
        .await
    {
        tracing::warn!(error = %err, "could not send the welcome DM");
    }
}

fn welcome_text(lang: Lang, team_name: &str) -> String {
    let team = crate::core::render::escape(team_name);
    match lang {
        Lang::Ja => format!(
            "Heraldを *{team}* にインストールしました。次にすること:\n\
             1. Heraldの *ホーム* タブを開く(通知のダッシュボード)\n\
             2. `/herald add` で通知ルールを追加\n\
             3. `/herald connect` でWebhookのURLとシークレットを受け取り、プラットフォームに設定"
        ),
        Lang::En => format!(
            "Herald is installed in *{team}*. Next:\n\
             1. Open Herald's *Home* tab (the notification dashboard)\n\
             2. Add a notification rule with `/herald add`\n\
             3. Get the webhook URL and secret with `/herald connect` and enter them in your platform"
        ),
    }
}
