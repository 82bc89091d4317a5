//! Request signatures: Standard Webhooks (platform → Herald, Herald → platform) and
//! Slack's v0 scheme (Slack → Herald). Both are HMAC-SHA256 over a timestamped body with
//! a 5-minute window, so they share one implementation; the clock is a parameter so
//! expiry is testable without waiting.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a signed timestamp may be from now, either way, in seconds.
pub const TOLERANCE_SECS: i64 = 5 * 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("header {0} is malformed")]
    Malformed(&'static str),
    #[error("timestamp is more than 5 minutes from now (replayed or clock skew)")]
    Expired,
    #[error("signature does not match")]
    Mismatch,
}

/// HMAC-SHA256 of the concatenated parts.
fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

fn check_time(timestamp: i64, now: i64) -> Result<(), SignatureError> {
    // `abs_diff` cannot overflow: a sender controls `timestamp` and may send i64::MIN.
    if now.abs_diff(timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Expired);
    }
    Ok(())
}

/// Standard Webhooks (<https://www.standardwebhooks.com>): `webhook-id`,
/// `webhook-timestamp`, `webhook-signature: v1,<base64>` (several, space-separated, during
/// secret rotation), signed content `{id}.{timestamp}.{body}`.
pub mod standard_webhooks {
    use base64::Engine as _;

    use super::{ConstantTimeEq, SignatureError, check_time, mac};

    pub const ID: &str = "webhook-id";
    pub const TIMESTAMP: &str = "webhook-timestamp";
    pub const SIGNATURE: &str = "webhook-signature";

    /// The `webhook-signature` value for a message.
    pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
        let ts = timestamp.to_string();
        let tag = mac(key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(tag)
        )
    }

    /// Verifies a message against any of `keys` (the current and, during a rotation's
    /// grace period, the previous secret).
    pub fn verify(
        keys: &[&[u8]],
        id: Option<&str>,
        timestamp: Option<&str>,
        signatures: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        let id = id
            .filter(|s| !s.is_empty())
            .ok_or(SignatureError::MissingHeader(ID))?;
        let timestamp = timestamp.ok_or(SignatureError::MissingHeader(TIMESTAMP))?;
        let signatures = signatures.ok_or(SignatureError::MissingHeader(SIGNATURE))?;
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::Malformed(TIMESTAMP))?;
        check_time(ts, now)?;
        let candidates: Vec<Vec<u8>> = signatures
            .split_whitespace()
            .filter_map(|s| s.strip_prefix("v1,"))
            .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .collect();
        if candidates.is_empty() {
            return Err(SignatureError::Malformed(SIGNATURE));
        }
        for key in keys {
            let expected = mac(
                key,
                &[id.as_bytes(), b".", timestamp.trim().as_bytes(), b".", body],
            );
            if candidates
                .iter()
                .any(|c| bool::from(c.as_slice().ct_eq(expected.as_slice())))
            {
                return Ok(());
            }
        }
        Err(SignatureError::Mismatch)
    }
}

/// Slack's request signing: `X-Slack-Signature: v0=<hex HMAC of "v0:{ts}:{body}">`.
pub mod slack {
    use super::{ConstantTimeEq, SignatureError, check_time, mac};

    pub const TIMESTAMP: &str = "x-slack-request-timestamp";
    pub const SIGNATURE: &str = "x-slack-signature";

    pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
        let ts = timestamp.to_string();
        let tag = mac(secret.as_bytes(), &[b"v0:", ts.as_bytes(), b":", body]);
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        format!("v0={hex}")
    }

    pub fn verify(
        secret: &str,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        let timestamp = timestamp.ok_or(SignatureError::MissingHeader(TIMESTAMP))?;
        let signature = signature.ok_or(SignatureError::MissingHeader(SIGNATURE))?;
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::Malformed(TIMESTAMP))?;
        check_time(ts, now)?;
        let expected = sign(secret, ts, body);
        if bool::from(expected.as_bytes().ct_eq(signature.trim().as_bytes())) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    const SLACK_BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

    #[test]
    fn slack_documented_example_verifies() {
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let sig = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(
            slack::sign(secret, 1_531_420_618, SLACK_BODY.as_bytes()),
            sig
        );
        let at = |now| {
            slack::verify(
                secret,
                Some("1531420618"),
                Some(sig),
                SLACK_BODY.as_bytes(),
                now,
            )
        };
        assert_eq!(at(1_531_420_618 + 60), Ok(()));
        assert_eq!(
            at(1_531_420_618 + TOLERANCE_SECS + 1),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            at(1_531_420_618 - TOLERANCE_SECS - 1),
            Err(SignatureError::Expired)
        );
        let tampered = format!("{SLACK_BODY}x");
        assert_eq!(
            slack::verify(
                secret,
                Some("1531420618"),
                Some(sig),
                tampered.as_bytes(),
                1_531_420_618
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            slack::verify(secret, None, Some(sig), b"", 0),
            Err(SignatureError::MissingHeader(slack::TIMESTAMP))
        );
    }

    #[test]
    fn extreme_timestamps_are_expired_not_a_panic() {
        for ts in [i64::MIN, i64::MIN + 1, i64::MAX] {
            let raw = ts.to_string();
            assert_eq!(
                slack::verify("s", Some(&raw), Some("v0=00"), b"", 1_700_000_000),
                Err(SignatureError::Expired),
                "{ts}"
            );
            assert_eq!(
                standard_webhooks::verify(&[b"k"], Some("id"), Some(&raw), Some("v1,AAAA"), b"", 0),
                Err(SignatureError::Expired),
                "{ts}"
            );
        }
        assert_eq!(check_time(i64::MIN, i64::MAX), Err(SignatureError::Expired));
    }

    // The Standard Webhooks reference test vector.
    const SW_KEY_B64: &str = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SW_TS: i64 = 1_614_265_330;
    const SW_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SW_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn sw_key() -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(SW_KEY_B64)
            .unwrap()
    }

    #[test]
    fn standard_webhooks_reference_vector_verifies() {
        let key = sw_key();
        assert_eq!(standard_webhooks::sign(&key, SW_ID, SW_TS, SW_BODY), SW_SIG);
        let ts = SW_TS.to_string();
        let verify = |sigs: &str, now| {
            standard_webhooks::verify(&[&key], Some(SW_ID), Some(&ts), Some(sigs), SW_BODY, now)
        };
        assert_eq!(verify(SW_SIG, SW_TS), Ok(()));
        // Several signatures during rotation: any valid one is enough.
        assert_eq!(verify(&format!("v1,AAAA {SW_SIG} v2,zzz"), SW_TS), Ok(()));
        assert_eq!(verify("v1,AAAA", SW_TS), Err(SignatureError::Mismatch));
        assert_eq!(
            verify("v2,abc", SW_TS),
            Err(SignatureError::Malformed(standard_webhooks::SIGNATURE))
        );
        assert_eq!(
            verify(SW_SIG, SW_TS + TOLERANCE_SECS + 1),
            Err(SignatureError::Expired)
        );
    }

    #[test]
    fn standard_webhooks_accepts_the_previous_secret_during_rotation() {
        let old = sw_key();
        let new = b"a brand new secret key of 32 by".to_vec();
        let ts = SW_TS.to_string();
        let result = standard_webhooks::verify(
            &[&new, &old],
            Some(SW_ID),
            Some(&ts),
            Some(SW_SIG),
            SW_BODY,
            SW_TS,
        );
        assert_eq!(result, Ok(()));
    }

    #[test]
    fn standard_webhooks_names_missing_headers() {
        let key = sw_key();
        let check = |id: Option<&str>, ts: Option<&str>, sig: Option<&str>| {
            standard_webhooks::verify(&[&key], id, ts, sig, SW_BODY, SW_TS)
        };
        assert_eq!(
            check(None, Some("1"), Some(SW_SIG)),
            Err(SignatureError::MissingHeader("webhook-id"))
        );
        assert_eq!(
            check(Some("x"), None, Some(SW_SIG)),
            Err(SignatureError::MissingHeader("webhook-timestamp"))
        );
        assert_eq!(
            check(Some("x"), Some("1"), None),
            Err(SignatureError::MissingHeader("webhook-signature"))
        );
        assert_eq!(
            check(Some("x"), Some("abc"), Some(SW_SIG)),
            Err(SignatureError::Malformed("webhook-timestamp"))
        );
    }
}
