//! `/herald connect [rotate]` and `/herald connect callback <url>`: where the platform
//! posts events, its secret, and where it receives replies.

use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::actor::Admin;
use crate::admin::reply::failure;
use crate::admin::reply::say;
use crate::admin::views::texts;

/// `/herald connect callback <url>`: where the platform receives replies from Slack.
pub(crate) async fn callback(
    state: &AdminCtx,
    admin: &Admin,
    url: &str,
) -> SlackCommandEventResponse {
    let (workspace, lang) = (&admin.workspace, admin.lang());
    let url = match crate::platform::check_callback_url(url, state.settings.callback_allow_private)
        .await
    {
        Ok(normalised) => normalised,
        Err(why) => return say(texts::callback_invalid(lang, url, &why.to_string())),
    };
    let url = url.as_str();
    // The connection of the workspace: its own, or `default` in single-workspace mode.
    let connection = match state.store.connections_of(&workspace.team_id).await {
        Ok(c) => c.first().map_or_else(
            || crate::core::ids::DEFAULT_CONNECTION.to_string(),
            |c| c.id.clone(),
        ),
        Err(err) => return failure(lang, &err),
    };
    match state
        .store
        .set_callback_url(&workspace.team_id, &connection, url)
        .await
    {
        Ok(()) => say(texts::callback_set(lang, url)),
        Err(err) => failure(lang, &err),
    }
}

/// `/herald connect [rotate]`: the webhook URL, and a secret only when it is new.
pub(crate) async fn show(
    state: &AdminCtx,
    admin: &Admin,
    rotate: bool,
) -> SlackCommandEventResponse {
    let (workspace, user, lang) = (&admin.workspace, admin.user.as_str(), admin.lang());
    let base = state
        .settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", state.settings.listen));
    let team_id = &workspace.team_id;
    let connections = match state.store.connections_of(team_id).await {
        Ok(c) => c,
        Err(err) => return failure(lang, &err),
    };
    let (Some(connection), Some(sealer)) = (connections.first(), state.registry.sealer()) else {
        // Single-workspace mode: the `default` connection, its secret in the settings.
        if rotate {
            return say(texts::rotation_unavailable(lang).into());
        }
        let url = format!("{base}/hooks/{}", crate::core::ids::DEFAULT_CONNECTION);
        return say(format!(
            "{}\n{}",
            texts::webhook_url(lang, &url),
            texts::webhook_secret_from_env(lang)
        ));
    };
    let url = texts::webhook_url(lang, &format!("{base}/hooks/{}", connection.id));
    let context = crate::workspace::secret_context(&connection.id);
    if rotate {
        let fresh = match crate::crypto::Sealer::new_webhook_secret()
            .and_then(|s| sealer.seal(&s, &context).map(|sealed| (s, sealed)))
        {
            Ok(fresh) => fresh,
            Err(err) => return failure(lang, &err),
        };
        let until =
            crate::store::now_ms() + crate::store::duration_ms(state.settings.rotation_grace);
        match state
            .store
            .rotate_connection(team_id, &connection.id, &fresh.1, until, user)
            .await
        {
            Ok(_) => {
                state.registry.invalidate(team_id).await;
                tracing::info!(connection = %connection.id, %user, "webhook secret rotated");
                say(format!(
                    "{url}\n{}",
                    texts::webhook_rotated(lang, &fresh.0, until / 1000)
                ))
            }
            Err(err) => failure(lang, &err),
        }
    } else {
        // Opened before it is marked shown, so a secret is never marked but not seen.
        let secret = match sealer.open(&connection.secret_sealed, &context) {
            Ok(secret) => secret,
            Err(err) => return failure(lang, &err),
        };
        match state.store.mark_secret_shown(team_id, &connection.id).await {
            Ok(true) => say(format!(
                "{url}\n{}",
                texts::webhook_secret_once(lang, &secret)
            )),
            Ok(false) => say(format!("{url}\n{}", texts::webhook_secret_hidden(lang))),
            Err(err) => failure(lang, &err),
        }
    }
}
