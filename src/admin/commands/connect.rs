use slack_morphism::prelude::*;

use crate::admin::AdminCtx;
use crate::admin::reply::ephemeral;
use crate::admin::reply::failure;
use crate::admin::reply::section;
use crate::admin::views::texts;
use crate::core::catalog::Lang;
use crate::workspace::Workspace;

/// `/herald connect callback <url>`: where the platform receives replies from Slack.
pub(crate) async fn connect_callback(
    state: &AdminCtx,
    workspace: &Workspace,
    url: &str,
    lang: Lang,
) -> SlackCommandEventResponse {
    let reply = |text: String| ephemeral(text.clone(), vec![section(&text)]);
    let url = match crate::platform::check_callback_url(url, state.settings.callback_allow_private)
        .await
    {
        Ok(normalised) => normalised,
        Err(why) => return reply(texts::callback_invalid(lang, url, &why.to_string())),
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
        Ok(()) => reply(texts::callback_set(lang, url)),
        Err(err) => failure(lang, &err),
    }
}

/// `/herald connect [rotate]`: the webhook URL, and a secret only when it is new.
pub(crate) async fn connect(
    state: &AdminCtx,
    workspace: &Workspace,
    rotate: bool,
    user: &str,
    lang: Lang,
) -> SlackCommandEventResponse {
    let reply = |text: String| ephemeral(text.clone(), vec![section(&text)]);
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
            return reply(texts::rotation_unavailable(lang).into());
        }
        let url = format!("{base}/hooks/{}", crate::core::ids::DEFAULT_CONNECTION);
        return reply(format!(
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
                reply(format!(
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
            Ok(true) => reply(format!(
                "{url}\n{}",
                texts::webhook_secret_once(lang, &secret)
            )),
            Ok(false) => reply(format!("{url}\n{}", texts::webhook_secret_hidden(lang))),
            Err(err) => failure(lang, &err),
        }
    }
}
