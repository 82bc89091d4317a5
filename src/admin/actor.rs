use std::sync::Arc;

use crate::admin::AdminCtx;
use crate::core::catalog::Lang;
use crate::slack::UserProfile;
use crate::workspace::Workspace;
use crate::workspace::people;

/// The user's profile, through the shared cache (see `workspace::people`).
pub(crate) async fn profile(
    state: &AdminCtx,
    workspace: &Workspace,
    user: &str,
) -> Option<Arc<UserProfile>> {
    people::profile(&state.slack, &state.profiles, workspace, user).await
}

/// Whether the user may change Herald (see `workspace::people::may_change`).
pub(crate) async fn may_change(
    state: &AdminCtx,
    workspace: &Workspace,
    user: &str,
    profile: Option<&UserProfile>,
) -> bool {
    people::may_change(&state.store, workspace, user, profile).await
}

/// The language of the user's Slack locale, when it is ja or en.
pub(crate) fn locale_of(profile: Option<&UserProfile>) -> Option<Lang> {
    profile
        .and_then(|p| p.locale.as_deref())
        .and_then(Lang::from_locale)
}

/// The language of replies to this user: their Slack locale, else the workspace's.
pub(crate) async fn user_lang(
    state: &AdminCtx,
    workspace: &Workspace,
    profile: Option<&UserProfile>,
) -> Lang {
    match locale_of(profile) {
        Some(lang) => lang,
        None => state.workspace_state.lang(workspace).await,
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
