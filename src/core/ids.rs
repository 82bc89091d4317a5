//! Identifiers: Slack ids checked at the boundary, and Herald's own connection ids.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The connection id of the webhook a single-workspace deployment serves at `/webhook`.
pub const DEFAULT_CONNECTION: &str = "default";

/// The pseudo connection of events Herald raises itself (delivery failure reports, test
/// sends); reading "the platform's events" excludes it.
pub const HERALD_CONNECTION: &str = "herald";

pub(crate) fn is_slack_id(s: &str, prefixes: &[char]) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| prefixes.contains(&c))
        && s.len() >= 3
        && s.len() <= 32
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A Slack channel id (`C…` or `G…`). Privacy is never inferred from the prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ChannelId(String);

impl ChannelId {
    pub fn parse(s: &str) -> Result<Self, String> {
        if is_slack_id(s, &['C', 'G']) {
            Ok(Self(s.to_string()))
        } else {
            Err(format!("{s:?} is not a Slack channel id (C… or G…)"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ChannelId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_ids_are_checked() {
        assert!(ChannelId::parse("C0123ABC").is_ok());
        assert!(ChannelId::parse("G0123ABC").is_ok());
        for bad in ["", "C", "#general", "c0123", "U0123", "C01 23"] {
            assert!(ChannelId::parse(bad).is_err(), "{bad}");
        }
    }
}
