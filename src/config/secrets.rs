//! Values that must never be printed, and the settings that carry them: the keys that
//! seal secrets at rest, the `default` connection's webhook secret, and the password a
//! database URL may hold.

use std::fmt;

use super::{ConfigError, invalid, non_empty};

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The keys that seal secrets at rest.
#[derive(Debug, Clone)]
pub struct EncryptionKeys {
    pub current: Secret,
    pub previous: Option<Secret>,
}

/// A Standard Webhooks secret: `whsec_` followed by base64 of the key bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    pub fn parse(value: &str) -> Result<Self, String> {
        use base64::Engine as _;
        let encoded = value
            .strip_prefix("whsec_")
            .ok_or_else(|| "must start with whsec_".to_string())?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| "the part after whsec_ must be base64".to_string())?;
        if key.len() < 16 {
            return Err("the key must be at least 16 bytes (24 base64 characters)".into());
        }
        Ok(Self(key))
    }

    pub fn key(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("whsec_***")
    }
}

/// `HERALD_ENCRYPTION_KEY` (and the previous key): required for installs, which store
/// tokens sealed; checked by building the sealer once.
pub(super) fn encryption(
    key: Option<String>,
    previous: Option<String>,
    installs: bool,
) -> Result<Option<EncryptionKeys>, ConfigError> {
    match non_empty(key) {
        Some(current) => {
            let previous = non_empty(previous);
            crate::crypto::Sealer::new(&current, previous.as_deref())
                .map_err(|e| invalid("HERALD_ENCRYPTION_KEY", &e.to_string()))?;
            Ok(Some(EncryptionKeys {
                current: Secret::new(current),
                previous: previous.map(Secret::new),
            }))
        }
        None if installs => Err(ConfigError::Missing {
            name: "HERALD_ENCRYPTION_KEY",
            hint: "installs store each workspace's bot token and webhook secret \
                   encrypted; generate a key with `herald secret --encryption-key` \
                   and keep it safe (without it the stored tokens cannot be read)",
        }),
        None => Ok(None),
    }
}

/// `HERALD_WEBHOOK_SECRET`: required in single-workspace mode (`pinned`), where the
/// `default` connection has no other source for it.
pub(super) fn webhook_secret(
    raw: Option<String>,
    pinned: bool,
) -> Result<Option<WebhookSecret>, ConfigError> {
    match non_empty(raw) {
        Some(secret) => {
            WebhookSecret::parse(&secret)
                .map(Some)
                .map_err(|reason| ConfigError::Invalid {
                    name: "HERALD_WEBHOOK_SECRET",
                    reason,
                })
        }
        None if pinned => Err(ConfigError::Missing {
            name: "HERALD_WEBHOOK_SECRET",
            hint: "the whsec_… secret your platform signs webhooks with (generate \
                   one with `herald secret`)",
        }),
        None => Ok(None),
    }
}

/// A connection URL with its password replaced by `***`, for `Debug`. sqlx's
/// PostgreSQL URLs carry one in two places: the userinfo (`postgres://user:pass@host`)
/// and a `password=` query parameter. A password with an unescaped `@`, `?` or `&` is
/// still hidden: the userinfo ends at the *last* `@`, and a cut goes too far rather than
/// too short.
pub(super) fn redact_password(url: &str) -> String {
    let userinfo_hidden = match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
                None => url.to_string(),
            },
            None => url.to_string(),
        },
        None => url.to_string(),
    };
    let Some((head, query)) = userinfo_hidden.split_once('?') else {
        return userinfo_hidden;
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{head}?{}", query.join("&"))
}
