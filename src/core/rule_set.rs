//! A workspace's rules indexed by what they listen for, so routing one event looks at
//! the few rules that could take it instead of every rule of the workspace.
//!
//! Routing is on the ingest path of every webhook, and a workspace with one rule per
//! meeting type has hundreds of rules of which one or two can match. The index narrows
//! the rules to those whose trigger names the event's type (and its meeting type, or
//! none); the router then applies the whole test (`router::takes`) to those alone, in
//! rule order, so the result is the linear scan's, which a randomised test holds.

use std::collections::HashMap;

use crate::core::catalog::{ConversationKind, ErrorCategory, EventType};
use crate::core::event::PlatformEvent;
use crate::core::rule::{Rule, RuleTrigger};

/// Rules in their order, with an index of the enabled ones by trigger. Built once per
/// load of a workspace's rules (the rule cache holds it), read by every event.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Enabled event rules by the event type they name.
    by_type: HashMap<EventType, ByMeeting>,
    /// Enabled error rules by each category they take.
    by_category: HashMap<ErrorCategory, Vec<u32>>,
}

/// Positions (in `RuleSet::rules`) of one event type's rules, ascending.
#[derive(Debug, Default)]
struct ByMeeting {
    /// Rules for every meeting type.
    any: Vec<u32>,
    /// Rules for one meeting type, by its id.
    one: HashMap<String, Vec<u32>>,
}

impl RuleSet {
    pub fn new(rules: Vec<Rule>) -> Self {
        let mut by_type: HashMap<EventType, ByMeeting> = HashMap::new();
        let mut by_category: HashMap<ErrorCategory, Vec<u32>> = HashMap::new();
        for (at, rule) in rules.iter().enumerate() {
            if !rule.enabled {
                continue;
            }
            let at = u32::try_from(at).expect("fewer than 4 billion rules");
            match &rule.trigger {
                RuleTrigger::Event {
                    event_type,
                    meeting_type,
                } => {
                    let bucket = by_type.entry(*event_type).or_default();
                    match meeting_type {
                        None => bucket.any.push(at),
                        Some(id) => bucket.one.entry(id.clone()).or_default().push(at),
                    }
                }
                RuleTrigger::Error { categories } => {
                    for category in categories {
                        let list = by_category.entry(*category).or_default();
                        if list.last() != Some(&at) {
                            list.push(at);
                        }
                    }
                }
            }
        }
        Self {
            rules,
            by_type,
            by_category,
        }
    }

    /// All rules, in order, enabled or not.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules whose trigger may take `event`, in rule order: every rule that takes
    /// it is among them; conditions and the rest are still to be checked.
    pub fn candidates<'a>(&'a self, event: &PlatformEvent) -> impl Iterator<Item = &'a Rule> {
        let mut lists: [&[u32]; 4] = [&[]; 4];
        match event.event_type.error_category() {
            Some(category) => {
                if let Some(list) = self.by_category.get(&category) {
                    lists[0] = list;
                }
            }
            None => {
                let meeting = event.meeting_type.as_ref().map(|m| m.id.as_str());
                let mut put = |slot: usize, event_type: EventType| {
                    if let Some(bucket) = self.by_type.get(&event_type) {
                        lists[slot] = &bucket.any;
                        if let Some(list) = meeting.and_then(|id| bucket.one.get(id)) {
                            lists[slot + 1] = list;
                        }
                    }
                };
                put(0, event.event_type);
                // A chat-message rule follows the whole conversation (`routed_by`).
                let message = EventType::Conversation(ConversationKind::MessageCreated);
                if event.event_type.conversation().is_some() && event.event_type != message {
                    put(2, message);
                }
            }
        }
        let positions: Vec<u32> = match lists.iter().filter(|l| !l.is_empty()).count() {
            0 => Vec::new(),
            1 => lists.iter().find(|l| !l.is_empty()).unwrap().to_vec(),
            _ => {
                let mut all: Vec<u32> = lists.concat();
                all.sort_unstable();
                all
            }
        };
        positions.into_iter().map(|at| &self.rules[at as usize])
    }
}

impl From<Vec<Rule>> for RuleSet {
    fn from(rules: Vec<Rule>) -> Self {
        Self::new(rules)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::core::event::{Customer, MeetingType};
    use crate::core::ids::ChannelId;
    use crate::core::router::{route, route_set};
    use crate::core::rule::{Mention, Mentions, RuleOptions};

    const TYPES: [EventType; 8] = [
        EventType::BookingCreated,
        EventType::BookingCancelled,
        EventType::PhoneRequested,
        EventType::Conversation(ConversationKind::MessageCreated),
        EventType::Conversation(ConversationKind::Closed),
        EventType::Conversation(ConversationKind::Assigned),
        EventType::Error(ErrorCategory::Calendar),
        EventType::Error(ErrorCategory::Delivery),
    ];

    fn random_rule(rng: &mut fastrand::Rng, n: usize) -> Rule {
        let trigger = if rng.u8(..5) == 0 {
            let mut categories: Vec<ErrorCategory> = ErrorCategory::ALL
                .into_iter()
                .filter(|_| rng.bool())
                .collect();
            if rng.bool() {
                // A repeated category must not repeat the rule.
                categories.push(ErrorCategory::Calendar);
            }
            RuleTrigger::Error { categories }
        } else {
            RuleTrigger::Event {
                event_type: TYPES[rng.usize(..TYPES.len())],
                meeting_type: rng.bool().then(|| format!("mt_{}", rng.u8(..3))),
            }
        };
        let mut conditions = Vec::new();
        if rng.u8(..4) == 0 {
            conditions.push(
                crate::core::conditions::Condition::parse_line("fields.plan equals pro").unwrap(),
            );
        }
        Rule {
            id: format!("r{n}"),
            team_id: "T1".into(),
            trigger,
            channel: ChannelId::parse(&format!("C0{}", rng.u8(..6))).unwrap(),
            mentions: Mentions::parse_all(&[format!("U0{}", rng.u8(..4))]).unwrap(),
            enabled: rng.u8(..6) != 0,
            backup: rng
                .bool()
                .then(|| Mention::parse(&format!("U0B{}", rng.u8(..2))).unwrap()),
            lifecycle: Default::default(),
            options: RuleOptions {
                conditions,
                ..Default::default()
            },
        }
    }

    fn random_event(rng: &mut fastrand::Rng) -> PlatformEvent {
        let mut all = TYPES.to_vec();
        all.push(EventType::Error(ErrorCategory::Internal));
        all.push(EventType::Conversation(ConversationKind::History));
        PlatformEvent {
            event_type: all[rng.usize(..all.len())],
            occurred_at: 0,
            meeting_type: rng.bool().then(|| MeetingType {
                id: format!("mt_{}", rng.u8(..4)),
                name: None,
            }),
            host: None,
            customer: Customer::default(),
            title: None,
            url: None,
            fields: if rng.bool() {
                BTreeMap::from([("plan".to_string(), "pro".to_string())])
            } else {
                BTreeMap::new()
            },
            slack_channel: None,
            conversation: None,
            message: None,
            messages: Vec::new(),
        }
    }

    #[test]
    fn the_index_routes_every_event_as_the_scan_of_all_rules_does() {
        let mut rng = fastrand::Rng::with_seed(15);
        let mut routed = 0;
        for round in 0..300 {
            let rules: Vec<Rule> = (0..rng.usize(0..40))
                .map(|n| random_rule(&mut rng, n))
                .collect();
            let set = RuleSet::new(rules.clone());
            for _ in 0..40 {
                let event = random_event(&mut rng);
                let expected = route(&event, &rules);
                routed += usize::from(!expected.is_empty());
                assert_eq!(
                    route_set(&event, &set),
                    expected,
                    "round {round}: {event:?} against {rules:#?}"
                );
            }
        }
        // The comparison means something only if many events do route somewhere.
        assert!(routed > 3_000, "only {routed} events routed");
    }

    #[test]
    fn candidates_are_the_rules_for_the_type_and_meeting_type_in_rule_order() {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut rules: Vec<Rule> = (0..6).map(|n| random_rule(&mut rng, n)).collect();
        let set_trigger = |rule: &mut Rule, event_type, meeting: Option<&str>| {
            rule.enabled = true;
            rule.trigger = RuleTrigger::Event {
                event_type,
                meeting_type: meeting.map(Into::into),
            };
        };
        let message = EventType::Conversation(ConversationKind::MessageCreated);
        set_trigger(&mut rules[0], EventType::BookingCreated, Some("mt_1"));
        set_trigger(&mut rules[1], message, None);
        set_trigger(&mut rules[2], EventType::BookingCreated, None);
        set_trigger(&mut rules[3], EventType::BookingCreated, Some("mt_2"));
        set_trigger(
            &mut rules[4],
            EventType::Conversation(ConversationKind::Closed),
            None,
        );
        set_trigger(&mut rules[5], EventType::BookingCreated, Some("mt_1"));
        rules[5].enabled = false;
        let set = RuleSet::new(rules);
        let ids = |event: &PlatformEvent| -> Vec<String> {
            set.candidates(event).map(|r| r.id.clone()).collect()
        };
        let mut event = random_event(&mut rng);
        event.event_type = EventType::BookingCreated;
        event.meeting_type = Some(MeetingType {
            id: "mt_1".into(),
            name: None,
        });
        assert_eq!(ids(&event), ["r0", "r2"], "a disabled rule is no candidate");
        event.event_type = EventType::Conversation(ConversationKind::Closed);
        assert_eq!(
            ids(&event),
            ["r1", "r4"],
            "a chat rule follows the conversation"
        );
        event.event_type = EventType::PhoneRequested;
        assert!(ids(&event).is_empty());
    }
}
