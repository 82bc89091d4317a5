//! The signed `state` of an install link: `{expires}.{nonce}.{mac}`, signed with a key
//! of its own, expiring, and tied to the browser that started the install by a cookie
//! holding the nonce. That it works once is the callback's part (the store remembers
//! used nonces).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

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
}
