//! Who is acting, resolved once per request: the workspace, the user's Slack profile and
//! the language of answers to them. Changing anything needs an [`Admin`], which only
//! [`Actor::require_admin`] makes, so a handler that takes `&Admin` cannot be reached
//! without the check (the compiler holds it, not a list someone must keep up to date).

use std::ops::Deref;
use std::sync::Arc;

use crate::admin::AdminCtx;
use crate::admin::views::texts;
use crate::core::catalog::Lang;
use crate::slack::UserProfile;
use crate::store::StoreError;
use crate::workspace::Workspace;
use crate::workspace::people;

/// A user of a workspace Herald serves.
#[derive(Debug, Clone)]
pub struct Actor {
    pub workspace: Workspace,
    pub user: String,
    /// None when Slack could not tell (then the user is not an admin).
    pub profile: Option<Arc<UserProfile>>,
    /// The workspace's language (`/herald lang`), for notifications.
    pub workspace_lang: Lang,
}

/// Why no [`Actor`] could be resolved.
#[derive(Debug, thiserror::Error)]
pub enum Unresolved {
    #[error("Herald is not connected to this workspace")]
    NotConnected,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Proof that the actor may change Herald.
#[derive(Debug, Clone)]
pub struct Admin(Actor);

impl Deref for Admin {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.0
    }
}

/// Why a request that changes Herald was refused before it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    NotConnected,
    NotAdmin,
    /// The store could not tell (logged where it happened).
    Unavailable,
}

impl Refused {
    pub fn text(self, lang: Lang) -> &'static str {
        match self {
            Refused::NotConnected => texts::not_connected(lang),
            Refused::NotAdmin => texts::admins_only(lang),
            Refused::Unavailable => texts::failed(lang),
        }
    }
}

/// The user as an [`Admin`], for modal submissions and buttons that change Herald.
pub async fn admin(cx: &AdminCtx, team_id: &str, user: &str) -> Result<Admin, Refused> {
    match Actor::resolve(cx, team_id, user).await {
        Ok(actor) => actor.require_admin(cx).await.map_err(|_| Refused::NotAdmin),
        Err(Unresolved::NotConnected) => Err(Refused::NotConnected),
        Err(Unresolved::Store(err)) => {
            tracing::error!(error = %err, "could not load the workspace");
            Err(Refused::Unavailable)
        }
    }
}

impl Actor {
    /// Looks the workspace and the user's profile up (the profile through a short cache).
    pub async fn resolve(cx: &AdminCtx, team_id: &str, user: &str) -> Result<Self, Unresolved> {
        let workspace = cx
            .registry
            .workspace(team_id)
            .await?
            .ok_or(Unresolved::NotConnected)?;
        let workspace_lang = cx.workspace_state.lang(&workspace).await;
        let profile = people::profile(&cx.slack, &cx.profiles, &workspace, user).await;
        Ok(Self {
            workspace,
            user: user.to_string(),
            profile,
            workspace_lang,
        })
    }

    /// The language of answers to this user: their Slack locale, else the workspace's.
    pub fn lang(&self) -> Lang {
        people::locale_of(self.profile.as_deref()).unwrap_or(self.workspace_lang)
    }

    pub fn team_id(&self) -> &str {
        &self.workspace.team_id
    }

    /// An [`Admin`] when the user may change Herald (see `workspace::people::may_change`);
    /// else the actor back.
    pub async fn require_admin(self, cx: &AdminCtx) -> Result<Admin, Actor> {
        if self.may_change(cx).await {
            Ok(Admin(self))
        } else {
            Err(self)
        }
    }

    /// Whether the user may change Herald, as a fact to pass on (the operator claim
    /// records it); handlers that change Herald take an [`Admin`] instead.
    pub async fn may_change(&self, cx: &AdminCtx) -> bool {
        people::may_change(
            &cx.store,
            &self.workspace,
            &self.user,
            self.profile.as_deref(),
        )
        .await
    }

    /// Whether the user owns the workspace (only owners change the admin list).
    pub fn is_owner(&self) -> bool {
        self.profile
            .as_ref()
            .is_some_and(|p| p.is_owner_of(&self.workspace.team_id))
    }

    /// The user's email as Slack shows it, for the operator mapping.
    pub fn email(&self) -> Option<&str> {
        self.profile.as_ref().and_then(|p| p.email.as_deref())
    }
}

/// The language of answers to `profile`'s user in `workspace`, for code paths that have
/// a profile but no [`Actor`] (App Home drawn on an event).
pub async fn user_lang(
    cx: &AdminCtx,
    workspace: &Workspace,
    profile: Option<&UserProfile>,
) -> Lang {
    match people::locale_of(profile) {
        Some(lang) => lang,
        None => cx.workspace_state.lang(workspace).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_map_to_languages() {
        assert_eq!(Lang::from_locale("ja-JP"), Some(Lang::Ja));
        assert_eq!(Lang::from_locale("en-GB"), Some(Lang::En));
        assert_eq!(Lang::from_locale("en_US"), Some(Lang::En));
        assert_eq!(Lang::from_locale("fr-FR"), None);
        assert_eq!(Lang::from_locale(""), None);
    }
}
