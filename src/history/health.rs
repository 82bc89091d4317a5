//! Each rule's own health: its last delivery and outcome, and whether its last few all
//! failed. A channel can serve several rules, so a rule's deliveries are the channel's
//! posts whose route names it (a route keeps the ids of every rule that asked for it).

use std::collections::HashMap;

use crate::core::router::Route;
use crate::core::rule::Rule;
use crate::store::{ChannelHealth, FinishedPost, Store, StoreError};

/// A rule whose last this many deliveries all failed is marked as failing.
pub const FAILING_AFTER: usize = 3;

/// Posts of a channel read to find its rules' latest: enough for the rules sharing a
/// channel to each have their last few, read through an index.
const READ_PER_CHANNEL: i64 = 200;

/// One rule's health.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleHealth {
    /// Its latest finished delivery (None: none among the channel's recent posts).
    pub last: Option<ChannelHealth>,
    /// Its last [`FAILING_AFTER`] deliveries all failed.
    pub failing: bool,
}

/// The health of `rule_id` from its channel's finished posts, newest first.
pub fn of_rule(rule_id: &str, posts: &[FinishedPost]) -> RuleHealth {
    let mine: Vec<&FinishedPost> = posts
        .iter()
        .filter(|p| {
            serde_json::from_str::<Route>(&p.payload)
                .is_ok_and(|r| r.rule_ids.iter().any(|id| id == rule_id))
        })
        .take(FAILING_AFTER)
        .collect();
    RuleHealth {
        last: mine.first().map(|p| ChannelHealth {
            status: p.status.clone(),
            last_error: p.last_error.clone(),
            updated_at: p.updated_at,
        }),
        failing: mine.len() == FAILING_AFTER && mine.iter().all(|p| p.status != "done"),
    }
}

/// Every rule's health, by rule id: one indexed read per channel.
pub async fn of_rules(
    store: &Store,
    team_id: &str,
    rules: &[&Rule],
) -> Result<HashMap<String, RuleHealth>, StoreError> {
    let mut by_channel: HashMap<&str, Vec<FinishedPost>> = HashMap::new();
    let mut health = HashMap::new();
    for rule in rules {
        let channel = rule.channel.as_str();
        if !by_channel.contains_key(channel) {
            let posts = store
                .finished_posts(team_id, channel, READ_PER_CHANNEL)
                .await?;
            by_channel.insert(channel, posts);
        }
        health.insert(rule.id.clone(), of_rule(&rule.id, &by_channel[channel]));
    }
    Ok(health)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(status: &str, rules: &[&str], at: i64) -> FinishedPost {
        let route = serde_json::json!({"channel": "C0ALL", "mentions": [], "rule_ids": rules});
        FinishedPost {
            status: status.into(),
            last_error: (status != "done").then(|| "not_invited: …".to_string()),
            updated_at: at,
            payload: route.to_string(),
        }
    }

    #[test]
    fn a_rule_sees_only_its_own_deliveries_and_is_failing_after_three_failures() {
        // Newest first: r_a failed three times in a row; r_b's last one was delivered.
        let posts = [
            post("failed", &["r_a"], 60),
            post("done", &["r_b"], 50),
            post("dead", &["r_a"], 40),
            post("failed", &["r_a", "r_b"], 30),
            post("done", &["r_a"], 20),
        ];
        let a = of_rule("r_a", &posts);
        assert_eq!(
            a.last.as_ref().map(|l| (l.status.as_str(), l.updated_at)),
            Some(("failed", 60))
        );
        assert!(a.failing);
        let b = of_rule("r_b", &posts);
        assert_eq!(
            b.last.as_ref().map(|l| (l.status.as_str(), l.updated_at)),
            Some(("done", 50))
        );
        assert!(!b.failing);
        let c = of_rule("r_c", &posts);
        assert_eq!(c, RuleHealth::default(), "no delivery yet");
        // Two failures are not yet "failing".
        let two = of_rule("r_a", &posts[..3]);
        assert!(!two.failing);
    }
}
