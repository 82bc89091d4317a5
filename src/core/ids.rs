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

/// Where a message goes: a Slack channel id (`C…` or `G…`; privacy is never inferred
/// from the prefix), or, as a rule's target, a person (`U…` or `W…`) whose DM with Herald
/// receives it. Delivery swaps a person for their DM (`D…`) just before posting.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ChannelId(String);

impl ChannelId {
    /// A channel: what a command argument or an event's `slack_channel` may name.
    pub fn parse(s: &str) -> Result<Self, String> {
        if is_slack_id(s, &['C', 'G']) {
            Ok(Self(s.to_string()))
        } else {
            Err(format!("{s:?} is not a Slack channel id (C… or G…)"))
        }
    }

    /// A rule's target: a channel, or a person to notify in their DM with Herald.
    pub fn parse_target(s: &str) -> Result<Self, String> {
        if is_slack_id(s, &['C', 'G', 'U', 'W']) {
            Ok(Self(s.to_string()))
        } else {
            Err(format!(
                "{s:?} is neither a Slack channel id (C… or G…) nor a person's id (U… or W…)"
            ))
        }
    }

    /// Herald's DM with a person, as `conversations.open` named it.
    pub fn dm(s: &str) -> Result<Self, String> {
        if is_slack_id(s, &['D']) {
            Ok(Self(s.to_string()))
        } else {
            Err(format!("{s:?} is not a Slack DM id (D…)"))
        }
    }

    /// A person, whose DM with Herald is the target.
    pub fn is_person(&self) -> bool {
        self.0.starts_with(['U', 'W'])
    }

    /// How Slack's mrkdwn shows it: `<@U…>` for a person, else `<#C…>`.
    pub fn mrkdwn(&self) -> String {
        mrkdwn(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A target id as Slack's mrkdwn shows it: `<@U…>` for a person, else `<#C…>`.
pub fn mrkdwn(id: &str) -> String {
    if id.starts_with(['U', 'W']) {
        format!("<@{id}>")
    } else {
        format!("<#{id}>")
    }
}

/// A stored route's target: a channel or a person (a DM id is never stored).
impl<'de> Deserialize<'de> for ChannelId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse_target(&String::deserialize(d)?).map_err(serde::de::Error::custom)
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

    #[test]
    fn a_rule_target_may_be_a_person_but_never_a_dm_id() {
        for good in ["C0123ABC", "G0123ABC", "U0123ABC", "W0123ABC"] {
            assert!(ChannelId::parse_target(good).is_ok(), "{good}");
        }
        for bad in ["D0123ABC", "S0123ABC", "u0123", "@alice", ""] {
            assert!(ChannelId::parse_target(bad).is_err(), "{bad}");
        }
        assert!(ChannelId::parse_target("U0123ABC").unwrap().is_person());
        assert!(!ChannelId::parse("C0123ABC").unwrap().is_person());
        assert_eq!(ChannelId::parse_target("U01").unwrap().mrkdwn(), "<@U01>");
        assert_eq!(ChannelId::parse("C01").unwrap().mrkdwn(), "<#C01>");
        assert!(ChannelId::dm("D0ABC").is_ok());
        assert!(ChannelId::dm("U0ABC").is_err());
        let stored: ChannelId = serde_json::from_str("\"U0123ABC\"").unwrap();
        assert!(stored.is_person());
        assert!(serde_json::from_str::<ChannelId>("\"D0123ABC\"").is_err());
    }
}
