//! Secrets at rest: bot tokens and webhook secrets sealed with AES-256-GCM (ring).
//!
//! A sealed value is `v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`. The key id (the
//! start of the key's SHA-256) says which key opens it, so a new key can be introduced
//! while values sealed under the previous one still open (`HERALD_ENCRYPTION_KEY_PREVIOUS`)
//! until `herald rekey` has re-sealed them. Each value is bound to what it belongs to
//! (associated data such as `bot-token:T123`), so a sealed token copied onto another
//! workspace's row does not open.

use base64::Engine as _;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

const VERSION: &str = "v1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "the encryption key must be 32 bytes in base64 (generate one with `herald secret --encryption-key`)"
    )]
    BadKey,
    #[error("sealed with key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the sealed value is damaged or belongs to something else")]
    Unreadable,
    #[error("the OS random source failed")]
    Random,
}

struct Key {
    id: String,
    key: LessSafeKey,
}

impl Key {
    fn parse(encoded: &str) -> Result<Self, CryptoError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| CryptoError::BadKey)?;
        if bytes.len() != 32 {
            return Err(CryptoError::BadKey);
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        let id = digest.as_ref()[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| CryptoError::BadKey)?;
        Ok(Self {
            id,
            key: LessSafeKey::new(unbound),
        })
    }
}

/// Seals with the current key; opens with the current or the previous one.
pub struct Sealer {
    current: Key,
    previous: Option<Key>,
    random: SystemRandom,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("key_id", &self.current.id)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    pub fn new(current: &str, previous: Option<&str>) -> Result<Self, CryptoError> {
        Ok(Self {
            current: Key::parse(current)?,
            previous: previous.map(Key::parse).transpose()?,
            random: SystemRandom::new(),
        })
    }

    /// A fresh random key, base64: what `herald secret --encryption-key` prints.
    pub fn generate_key() -> Result<String, CryptoError> {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| CryptoError::Random)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(key))
    }

    /// 16 random bytes, base64url: nonces that go into URLs and cookies.
    pub fn random_token() -> Result<String, CryptoError> {
        let mut bytes = [0u8; 16];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| CryptoError::Random)?;
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A new Standard Webhooks secret (`whsec_` + base64 of 32 random bytes).
    pub fn new_webhook_secret() -> Result<String, CryptoError> {
        Ok(format!("whsec_{}", Self::generate_key()?))
    }

    pub fn seal(&self, plaintext: &str, context: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| CryptoError::Random)?;
        let mut data = plaintext.as_bytes().to_vec();
        self.current
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut data,
            )
            .map_err(|_| CryptoError::Unreadable)?;
        let mut out = nonce.to_vec();
        out.extend(data);
        Ok(format!(
            "{VERSION}:{}:{}",
            self.current.id,
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<String, CryptoError> {
        let mut parts = sealed.splitn(3, ':');
        let (Some(VERSION), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CryptoError::Unreadable);
        };
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id == key_id)
            .ok_or_else(|| CryptoError::UnknownKey(key_id.to_string()))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| CryptoError::Unreadable)?;
        if raw.len() < NONCE_LEN {
            return Err(CryptoError::Unreadable);
        }
        let (nonce, data) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Unreadable)?;
        let mut data = data.to_vec();
        let plain = key
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut data)
            .map_err(|_| CryptoError::Unreadable)?;
        String::from_utf8(plain.to_vec()).map_err(|_| CryptoError::Unreadable)
    }

    /// Whether a sealed value is under the current key (else `herald rekey` re-seals it).
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed
            .split(':')
            .nth(1)
            .is_some_and(|id| id == self.current.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> String {
        Sealer::generate_key().unwrap()
    }

    #[test]
    fn sealed_values_open_only_in_their_own_context() {
        let sealer = Sealer::new(&key(), None).unwrap();
        let sealed = sealer.seal("xoxb-secret-token", "bot-token:T1").unwrap();
        assert!(!sealed.contains("xoxb"), "{sealed}");
        assert_eq!(
            sealer.open(&sealed, "bot-token:T1").unwrap(),
            "xoxb-secret-token"
        );
        assert_eq!(
            sealer.open(&sealed, "bot-token:T2"),
            Err(CryptoError::Unreadable),
            "a token moved to another workspace does not open"
        );
        let a = sealer.seal("same", "c").unwrap();
        let b = sealer.seal("same", "c").unwrap();
        assert_ne!(a, b, "a fresh nonce every time");
    }

    #[test]
    fn tampering_and_unknown_keys_are_refused() {
        let sealer = Sealer::new(&key(), None).unwrap();
        let sealed = sealer.seal("value", "c").unwrap();
        let mut damaged = sealed.clone().into_bytes();
        let last = damaged.len() - 3;
        damaged[last] = if damaged[last] == b'A' { b'B' } else { b'A' };
        let damaged = String::from_utf8(damaged).unwrap();
        assert_eq!(sealer.open(&damaged, "c"), Err(CryptoError::Unreadable));
        let other = Sealer::new(&key(), None).unwrap();
        assert!(matches!(
            other.open(&sealed, "c"),
            Err(CryptoError::UnknownKey(_))
        ));
        assert_eq!(sealer.open("plain", "c"), Err(CryptoError::Unreadable));
        assert!(Sealer::new("c2hvcnQ=", None).is_err(), "a short key");
    }

    #[test]
    fn the_previous_key_opens_during_a_rotation() {
        let (old, new) = (key(), key());
        let before = Sealer::new(&old, None).unwrap();
        let sealed = before.seal("token", "c").unwrap();
        let after = Sealer::new(&new, Some(&old)).unwrap();
        assert!(!after.is_current(&sealed));
        assert_eq!(after.open(&sealed, "c").unwrap(), "token");
        let resealed = after.seal("token", "c").unwrap();
        assert!(after.is_current(&resealed));
        assert!(
            Sealer::new(&new, None)
                .unwrap()
                .open(&resealed, "c")
                .is_ok()
        );
    }
}
