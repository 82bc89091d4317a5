//! Replayed Slack requests: a signed slash command or interaction is handled once.
//!
//! A signature only proves that Slack made the request within the last five minutes;
//! whoever saw it (a proxy's log, a captured request) could send it again inside that
//! window and have it applied twice. Slack never retries commands or interactions, so a
//! second request with the same signature is always a replay. (Events API retries are
//! a different thing, deduplicated by `event_id` in `bot::events`.)
//!
//! The signatures seen are kept in the database (`used_nonces`), not in a process's
//! memory: behind a load balancer the replay may reach another Herald process, and a
//! restart must not forget. The cost is one indexed insert per command or button press,
//! which are made by people and few. Picker searches (`block_suggestion`) only read and
//! are not guarded.

use sha2::{Digest, Sha256};

use crate::core::signature::TOLERANCE_SECS;
use crate::store::{Store, StoreError};

/// The `used_nonces` kind of Slack request signatures.
pub const KIND: &str = "slack_request";

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("this Slack request was already handled (replayed)")]
    Replayed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Until when (Unix ms) a request signed at `timestamp` (Unix s) could still pass the
/// signature check, with a minute to spare for clocks that differ between processes.
pub fn remember_until_ms(timestamp: i64) -> i64 {
    timestamp
        .saturating_add(TOLERANCE_SECS + 60)
        .saturating_mul(1000)
}

/// The key a signature is remembered by: its SHA-256, so every row has the same size.
pub fn key(signature: &str) -> String {
    Sha256::digest(signature.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Records a verified request's signature; `Replayed` when it was seen before.
pub async fn first_time(store: &Store, signature: &str, timestamp: i64) -> Result<(), ReplayError> {
    if store
        .use_nonce(KIND, &key(signature), remember_until_ms(timestamp))
        .await?
    {
        Ok(())
    } else {
        Err(ReplayError::Replayed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_remembered_as_long_as_it_could_verify() {
        assert_eq!(remember_until_ms(1_000), (1_000 + 300 + 60) * 1000);
        assert_eq!(remember_until_ms(i64::MAX), i64::MAX, "no overflow");
        assert_eq!(key("v0=ab"), key(" v0=ab "));
        assert_ne!(key("v0=ab"), key("v0=ac"));
        assert_eq!(key("v0=ab").len(), 64);
    }
}
