//! `herald rekey`: every stored token and webhook secret re-sealed under the current
//! key after a key rotation, refusing (and changing nothing further) if a value does not
//! open with either key.

use crate::crypto::Sealer;
use crate::store::{Store, StoreError};
use crate::workspace::registry::{secret_context, token_context};

#[derive(Debug, thiserror::Error)]
pub enum RekeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "{what} does not open ({err}): is HERALD_ENCRYPTION_KEY_PREVIOUS the key it was sealed with?"
    )]
    Unreadable {
        what: String,
        err: crate::crypto::CryptoError,
    },
}

/// Re-seals every stored token and webhook secret under the current key (after a key
/// rotation); returns how many tokens and secrets were re-sealed. Values already under
/// the current key are left alone, so running it twice is harmless.
pub async fn rekey(store: &Store, sealer: &Sealer) -> Result<(usize, usize), RekeyError> {
    let reseal = |sealed: &str, context: &str, what: String| {
        sealer
            .open(sealed, context)
            .and_then(|plain| sealer.seal(&plain, context))
            .map_err(|err| RekeyError::Unreadable { what, err })
    };
    let mut tokens = 0;
    for workspace in store.installed_workspaces().await? {
        let Some(sealed) = workspace.bot_token_sealed.as_deref() else {
            continue;
        };
        if sealer.is_current(sealed) {
            continue;
        }
        let context = token_context(&workspace.team_id);
        let fresh = reseal(
            sealed,
            &context,
            format!("the bot token of {}", workspace.team_id),
        )?;
        store.reseal_bot_token(&workspace.team_id, &fresh).await?;
        tokens += 1;
    }
    let mut secrets = 0;
    for row in store.all_connections().await? {
        let previous_stale = row
            .previous_secret_sealed
            .as_deref()
            .is_some_and(|p| !sealer.is_current(p));
        if sealer.is_current(&row.secret_sealed) && !previous_stale {
            continue;
        }
        let context = secret_context(&row.id);
        let what = format!("the webhook secret of connection {}", row.id);
        let current = reseal(&row.secret_sealed, &context, what.clone())?;
        let previous = match row.previous_secret_sealed.as_deref() {
            // A previous secret past its grace period is no loss if it no longer opens.
            Some(p) => reseal(p, &context, what).ok(),
            None => None,
        };
        store
            .reseal_connection(&row.id, &current, previous.as_deref())
            .await?;
        secrets += 1;
    }
    Ok((tokens, secrets))
}
