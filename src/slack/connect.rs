//! Slack Connect: whose channel is it?
//!
//! A channel shared *from* another organization carries Herald's internal notifications
//! (customers, bookings, errors) out of the company, so rules may not point there: it is
//! not offered in pickers, refused in the rule modal, flagged on App Home, and refused at
//! delivery. Slack reports the workspace that *asks* as `context_team_id` (so it is always
//! Herald's own) and the workspace *hosting* the channel as `conversation_host_id`; only
//! the latter says whose channel it is, for a channel shared outside the organization
//! (`is_ext_shared`). When Slack omits the host, `shared_team_ids` is the fallback, and an
//! externally shared channel whose host cannot be told is treated as another
//! organization's.
//!
//! The decision is pure ([`host_elsewhere`]); [`HostCheck`] asks `conversations.info`
//! before a post, remembering each channel's answer for a few minutes so a busy channel
//! costs one call per [`CHECK_TTL`], not one per post.

use std::time::Duration;

use moka::future::Cache;

use crate::slack::{ChannelInfo, SlackApi, SlackError, UserInfo};

/// The error code a refused delivery records (explained in [`crate::delivery`]'s outcome).
pub const REFUSED_CODE: &str = "ext_shared_channel";

/// The error code of a rule's person who belongs to another organization.
pub const PERSON_ELSEWHERE_CODE: &str = "person_elsewhere";

/// Why a person cannot be sent the workspace's notifications in their DM, as an error
/// code: a member of another organization (a Slack Connect member, whose `users.info`
/// carries their own `team_id`) never gets internal notifications, and a deactivated
/// account or a bot cannot be written to (Slack's own codes, as `conversations.open`
/// answers them).
pub fn person_refusal(person: &UserInfo, own_team: &str) -> Option<&'static str> {
    if person.team_id.as_deref().is_some_and(|t| t != own_team) {
        Some(PERSON_ELSEWHERE_CODE)
    } else if person.deleted {
        Some("user_disabled")
    } else if person.is_bot {
        Some("cannot_dm_bot")
    } else {
        None
    }
}

/// Placeholder host when Slack says "shared externally" but not with whom.
const UNKNOWN_HOST: &str = "unknown";

/// How long a channel's host is remembered between posts.
pub const CHECK_TTL: Duration = Duration::from_secs(300);

/// The other organization's team hosting `info`, when it is not `own_team`'s channel.
/// Shared within the organization only (Enterprise Grid's `is_org_shared`, hosted by a
/// sibling workspace) is not another organization's.
pub fn host_elsewhere(info: &ChannelInfo, own_team: &str) -> Option<String> {
    if !info.is_ext_shared {
        return None;
    }
    if let Some(host) = info
        .conversation_host_id
        .as_deref()
        .filter(|h| !h.is_empty())
    {
        return (host != own_team).then(|| host.to_string());
    }
    // No host named: the first sharing team is the host when it is not this one.
    match info.shared_team_ids.first() {
        Some(first) if first == own_team => None,
        Some(first) => Some(first.clone()),
        None => Some(UNKNOWN_HOST.to_string()),
    }
}

/// Remembers which channels are hosted elsewhere, per workspace.
#[derive(Clone)]
pub struct HostCheck {
    hosts: Cache<(String, String), Option<String>>,
}

impl Default for HostCheck {
    fn default() -> Self {
        Self {
            hosts: Cache::builder()
                .max_capacity(50_000)
                .time_to_live(CHECK_TTL)
                .build(),
        }
    }
}

impl HostCheck {
    /// The other organization hosting `channel`, if any. Slack refusing to describe the
    /// channel (`channel_not_found`, …) is not a refusal here: the post itself then
    /// fails with that reason. Rate limits and transport errors are returned, so the
    /// job is retried rather than posted unchecked.
    pub async fn host_elsewhere(
        &self,
        slack: &SlackApi,
        token: &str,
        team_id: &str,
        channel: &str,
    ) -> Result<Option<String>, SlackError> {
        let key = (team_id.to_string(), channel.to_string());
        if let Some(found) = self.hosts.get(&key).await {
            return Ok(found);
        }
        let found = match slack.channel_info(token, channel).await {
            Ok(info) => host_elsewhere(&info, team_id),
            Err(SlackError::Api { .. }) => return Ok(None),
            Err(err) => return Err(err),
        };
        self.hosts.insert(key, found.clone()).await;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(team: Option<&str>, deleted: bool, is_bot: bool) -> UserInfo {
        UserInfo {
            id: "U1".into(),
            team_id: team.map(str::to_string),
            name: "a".into(),
            deleted,
            is_bot,
            profile: Default::default(),
        }
    }

    #[test]
    fn only_an_active_person_of_the_workspace_is_sent_its_notifications() {
        let cases = [
            (person(Some("T1"), false, false), None),
            (person(None, false, false), None),
            (
                person(Some("T2"), false, false),
                Some(PERSON_ELSEWHERE_CODE),
            ),
            (person(Some("T2"), true, false), Some(PERSON_ELSEWHERE_CODE)),
            (person(Some("T1"), true, false), Some("user_disabled")),
            (person(Some("T1"), false, true), Some("cannot_dm_bot")),
        ];
        for (info, expected) in cases {
            assert_eq!(person_refusal(&info, "T1"), expected, "{info:?}");
        }
    }

    fn info(json: serde_json::Value) -> ChannelInfo {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_published_shared_channel_is_the_hosts_not_the_askers() {
        // slack-go/slack's `sharedChannel` (tests/fixtures/slack/SOURCE.md).
        let shared: ChannelInfo = serde_json::from_str(include_str!(
            "../../tests/fixtures/slack/conversation_shared.json"
        ))
        .unwrap();
        assert_eq!(shared.context_team_id.as_deref(), Some("T1ABCD2E12"));
        assert_eq!(
            host_elsewhere(&shared, "T1ABCD2E12").as_deref(),
            Some("T07XY8FPJ5C"),
            "the asking workspace is not the channel's owner"
        );
        assert_eq!(
            host_elsewhere(&shared, "T07XY8FPJ5C"),
            None,
            "the host's own"
        );
    }

    #[test]
    fn without_a_host_the_shared_flags_decide() {
        let own = info(serde_json::json!({"id": "C1", "context_team_id": "T1"}));
        assert_eq!(host_elsewhere(&own, "T1"), None);
        let hosted_here = info(serde_json::json!({"id": "C2", "is_ext_shared": true,
            "shared_team_ids": ["T1", "T9"]}));
        assert_eq!(host_elsewhere(&hosted_here, "T1"), None);
        let hosted_there = info(serde_json::json!({"id": "C3", "is_ext_shared": true,
            "shared_team_ids": ["T9", "T1"]}));
        assert_eq!(host_elsewhere(&hosted_there, "T1").as_deref(), Some("T9"));
        let unknown = info(serde_json::json!({"id": "C4", "is_ext_shared": true}));
        assert!(
            host_elsewhere(&unknown, "T1").is_some(),
            "refused when unsure"
        );
        let org_shared = info(serde_json::json!({"id": "C5", "is_ext_shared": false,
            "is_org_shared": true, "shared_team_ids": ["T2", "T1"], "conversation_host_id": "T2"}));
        assert_eq!(host_elsewhere(&org_shared, "T1"), None);
    }
}
