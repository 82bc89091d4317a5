//! Installs and tokens: the OAuth exchange of "Add to Slack", who a token belongs to,
//! and revoking one.

use serde::Deserialize;
use slack_morphism::prelude::*;

use super::{SlackApi, SlackError, api_token};
use crate::config::{OAuthSettings, Secret};

/// Who a bot token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    pub team_id: String,
    pub team_name: String,
    pub bot_user_id: String,
}

/// What `oauth.v2.access` granted.
#[derive(Debug, Clone)]
pub struct OAuthGrant {
    pub team_id: String,
    pub team_name: String,
    pub bot_user_id: String,
    pub bot_token: Secret,
    pub scopes: String,
    pub installer: String,
}

impl SlackApi {
    /// A Socket Mode WebSocket URL for the app-level token (`apps.connections.open`);
    /// each URL serves one connection.
    pub async fn open_socket_url(&self, app_token: &str) -> Result<String, SlackError> {
        let token = api_token(app_token);
        let session = self.client.open_session(&token);
        let res = self
            .timed(
                "apps.connections.open",
                session.apps_connections_open(&SlackApiAppsConnectionOpenRequest::new()),
            )
            .await?;
        Ok(res.url.0.to_string())
    }

    /// Whether Slack answers at all (`api.test`, which takes no token).
    pub async fn reachable(&self) -> Result<(), SlackError> {
        let token = api_token("");
        let session = self.client.open_session(&token);
        self.timed("api.test", session.api_test(&SlackApiTestRequest::new()))
            .await?;
        Ok(())
    }

    pub async fn auth_test(&self, token: &str) -> Result<BotIdentity, SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let res = self.timed("auth.test", session.auth_test()).await?;
        Ok(BotIdentity {
            team_id: res.team_id.to_string(),
            team_name: res.team,
            bot_user_id: res.user_id.to_string(),
        })
    }

    /// Trades an install's code for the workspace's bot token (`oauth.v2.access`).
    pub async fn oauth_access(
        &self,
        oauth: &OAuthSettings,
        code: &str,
        redirect_uri: &str,
    ) -> Result<OAuthGrant, SlackError> {
        let redirect = url::Url::parse(redirect_uri)
            .map_err(|e| SlackError::Protocol(format!("redirect URI: {e}")))?;
        let request = SlackOAuthV2AccessTokenRequest::new(
            oauth.client_id.clone().into(),
            oauth.client_secret.expose().to_string().into(),
            code.to_string().into(),
        )
        .with_redirect_uri(redirect);
        let res = self
            .timed("oauth.v2.access", self.client.oauth2_access(&request))
            .await?;
        let bot_user_id = res
            .bot_user_id
            .ok_or_else(|| SlackError::Protocol("no bot user in the install".into()))?;
        if !res.access_token.0.starts_with("xoxb-") {
            return Err(SlackError::Protocol("the install gave no bot token".into()));
        }
        Ok(OAuthGrant {
            team_name: res
                .team
                .name
                .clone()
                .unwrap_or_else(|| res.team.id.to_string()),
            team_id: res.team.id.to_string(),
            bot_user_id: bot_user_id.to_string(),
            bot_token: Secret::new(res.access_token.0),
            scopes: res.scope.0,
            installer: res.authed_user.id.to_string(),
        })
    }

    /// Revokes the token (`auth.revoke`): after it, Slack refuses it everywhere.
    pub async fn revoke(&self, token: &str) -> Result<(), SlackError> {
        // slack-morphism has no auth.revoke.
        #[derive(Deserialize)]
        struct Revoked {
            #[serde(default)]
            revoked: bool,
        }
        let res: Revoked = self.get(token, "auth.revoke", Vec::new()).await?;
        if !res.revoked {
            tracing::warn!("auth.revoke answered without revoking");
        }
        Ok(())
    }
}
