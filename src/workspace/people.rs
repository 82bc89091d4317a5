//! Who may change Herald in a workspace: the user's Slack profile (kept briefly) and the
//! Herald admin list. Shared by the admin surface and the conversations (an admin may
//! claim an operator), so it lives below both.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::slack::{SlackApi, UserProfile};
use crate::store::Store;
use crate::workspace::Workspace;

/// Profiles of users running commands, kept briefly: a command is often followed by
/// another, and an admin's role rarely changes within a minute. A role taken away (or a
/// member made a guest) is seen within [`PROFILE_TTL`].
#[derive(Clone)]
pub struct Profiles {
    cache: Cache<(String, String), Arc<UserProfile>>,
}

impl Default for Profiles {
    fn default() -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(PROFILE_TTL)
                .build(),
        }
    }
}

/// How long a user's Slack role is trusted before `users.info` is asked again.
pub const PROFILE_TTL: Duration = Duration::from_secs(60);

/// The user's profile; None when Slack cannot tell (then they are not an admin).
pub async fn profile(
    slack: &SlackApi,
    profiles: &Profiles,
    workspace: &Workspace,
    user: &str,
) -> Option<Arc<UserProfile>> {
    let key = (workspace.team_id.clone(), user.to_string());
    if let Some(found) = profiles.cache.get(&key).await {
        return Some(found);
    }
    match slack.user_profile(workspace.bot_token.expose(), user).await {
        Ok(profile) => {
            let profile = Arc::new(profile);
            profiles.cache.insert(key, profile.clone()).await;
            Some(profile)
        }
        Err(err) => {
            tracing::warn!(error = %err, "could not read the user's profile; treating as non-admin");
            None
        }
    }
}

/// Whether a user may change Herald: a full member of the workspace (no guest, nobody
/// from another team) who is its admin or owner per Slack (`users.info`, cached at most
/// 60 s), or whom an owner made a Herald admin.
pub async fn may_change(
    store: &Store,
    workspace: &Workspace,
    user: &str,
    profile: Option<&UserProfile>,
) -> bool {
    // Slack must vouch for the user: a guest, or someone from another organisation in a
    // Slack Connect channel (whose admin flags are about their own workspace), never
    // changes Herald, even if listed as a Herald admin.
    let Some(profile) = profile else {
        return false;
    };
    if !profile.is_member_of(&workspace.team_id) {
        return false;
    }
    if profile.is_admin {
        return true;
    }
    store
        .is_listed_admin(&workspace.team_id, user)
        .await
        .unwrap_or_else(|err| {
            tracing::error!(error = %err, "could not read the Herald admin list");
            false
        })
}

/// Whether `user` is a Herald admin (see [`may_change`]): for other parts of Herald
/// that let admins do more, such as claiming an operator.
pub async fn is_herald_admin(
    slack: &SlackApi,
    store: &Store,
    profiles: &Profiles,
    workspace: &Workspace,
    user: &str,
) -> bool {
    let profile = profile(slack, profiles, workspace, user).await;
    may_change(store, workspace, user, profile.as_deref()).await
}

/// The language of the user's Slack locale, when it is ja or en.
pub fn locale_of(profile: Option<&UserProfile>) -> Option<crate::core::catalog::Lang> {
    profile
        .and_then(|p| p.locale.as_deref())
        .and_then(crate::core::catalog::Lang::from_locale)
}

/// The language to tell `user` something in, only them: their Slack locale when it is
/// ja or en, else the workspace's. A profile Slack does not give falls back too, so a
/// notice is never held up by the lookup.
pub async fn lang_for(
    slack: &SlackApi,
    profiles: &Profiles,
    states: &crate::workspace::WorkspaceSettings,
    workspace: &Workspace,
    user: &str,
) -> crate::core::catalog::Lang {
    let profile = profile(slack, profiles, workspace, user).await;
    match locale_of(profile.as_deref()) {
        Some(lang) => lang,
        None => states.lang(workspace).await,
    }
}
