//! The download links a reply's files get in their callback: Herald's own URL
//! (`/files/{token}`), which streams the file from Slack with the bot token, so the
//! platform never holds a Slack token and a link works only for the file it names.
//!
//! The token is `{payload}.{tag}`, both base64url without padding: the payload is the
//! JSON `{c, t, f, e}` (connection, workspace, Slack file id, expiry in Unix seconds) and
//! the tag is HMAC-SHA256 over the payload's text with a key derived from the
//! connection's secret for this use ([`link_key`]), so a link cannot be made or changed
//! without the secret, and rotating the secret ends the old links after the grace period.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How long a link works: the platform fetches the file when it gets the callback.
pub const LINK_TTL_SECS: i64 = 24 * 3600;

/// What the link key is derived with.
pub const LINK_KEY_LABEL: &[u8] = b"herald-file-link-v1";

/// The file a link names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Linked {
    #[serde(rename = "c")]
    pub connection_id: String,
    #[serde(rename = "t")]
    pub team_id: String,
    #[serde(rename = "f")]
    pub file_id: String,
    /// Unix seconds.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is not one of Herald's")]
    Malformed,
    #[error("the link's signature does not match")]
    Mismatch,
    #[error("the link expired")]
    Expired,
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The key links are signed with: HMAC-SHA256(connection key, label). Never the
/// connection key itself, which signs webhooks.
pub fn link_key(connection_key: &[u8]) -> Vec<u8> {
    mac(connection_key, LINK_KEY_LABEL)
}

/// The token of a link to `linked`, signed with `key` (a [`link_key`]).
pub fn sign(key: &[u8], linked: &Linked) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(linked).unwrap_or_default());
    let tag = URL_SAFE_NO_PAD.encode(mac(key, payload.as_bytes()));
    format!("{payload}.{tag}")
}

/// What a token says, unverified: the connection whose keys check it.
pub fn read(token: &str) -> Result<Linked, LinkError> {
    let (payload, _) = token.split_once('.').ok_or(LinkError::Malformed)?;
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| LinkError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| LinkError::Malformed)
}

/// Checks a token against the connection's link keys (several during a rotation) at
/// `now` (Unix seconds); the file it names when it holds.
pub fn verify(token: &str, keys: &[Vec<u8>], now: i64) -> Result<Linked, LinkError> {
    let linked = read(token)?;
    let (payload, tag) = token.split_once('.').ok_or(LinkError::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| LinkError::Malformed)?;
    let matches = keys
        .iter()
        .any(|key| bool::from(mac(key, payload.as_bytes()).ct_eq(&tag)));
    if !matches {
        return Err(LinkError::Mismatch);
    }
    if now >= linked.expires_at {
        return Err(LinkError::Expired);
    }
    Ok(linked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linked(expires_at: i64) -> Linked {
        Linked {
            connection_id: "default".into(),
            team_id: "T1".into(),
            file_id: "F1".into(),
            expires_at,
        }
    }

    #[test]
    fn a_link_holds_until_it_expires_and_only_as_signed() {
        let key = link_key(&[7; 32]);
        let token = sign(&key, &linked(1_000));
        assert_eq!(
            verify(&token, std::slice::from_ref(&key), 999),
            Ok(linked(1_000))
        );
        assert_eq!(
            verify(&token, std::slice::from_ref(&key), 1_000),
            Err(LinkError::Expired)
        );
        assert_eq!(
            verify(&token, &[link_key(&[8; 32])], 999),
            Err(LinkError::Mismatch),
            "another connection's key"
        );
        assert_eq!(
            verify(&token, &[link_key(&[8; 32]), key.clone()], 999),
            Ok(linked(1_000)),
            "either key during a rotation"
        );
        assert_ne!(key, vec![7; 32], "never the webhook key itself");
    }

    #[test]
    fn a_changed_link_is_refused() {
        let key = link_key(&[7; 32]);
        let token = sign(&key, &linked(1_000));
        let (payload, tag) = token.split_once('.').unwrap();
        // Another file, or a later expiry, under the old tag.
        for forged in [
            linked(9_999),
            Linked {
                file_id: "F2".into(),
                ..linked(1_000)
            },
        ] {
            let other = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
            assert_eq!(
                verify(&format!("{other}.{tag}"), std::slice::from_ref(&key), 999),
                Err(LinkError::Mismatch)
            );
        }
        assert_eq!(
            verify(payload, std::slice::from_ref(&key), 999),
            Err(LinkError::Malformed)
        );
        assert_eq!(
            verify("x.y", std::slice::from_ref(&key), 999),
            Err(LinkError::Malformed)
        );
        assert_eq!(verify("", &[key], 999), Err(LinkError::Malformed));
    }
}
