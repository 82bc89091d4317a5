//! Event types that arrived and matched no rule: App Home's onboarding list, each with a
//! "Route…" button. Grouped by event type × meeting type; a group that today's rules
//! would route is left out, so routing a type takes it off the list at once.

use crate::core::catalog::EventType;
use crate::core::event::{Origin, PlatformEvent};
use crate::core::ids::HERALD_CONNECTION;
use crate::core::router::route;
use crate::core::rule::{Rule, RuleTrigger};
use crate::store::{Store, StoreError};

/// How far back App Home looks.
pub const WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// The most unrouted events read per look: the list is for spotting types, and a
/// workspace that receives more unrouted events than this in a week sees its newest.
const READ_LIMIT: i64 = 2000;

/// One event type × meeting type no rule takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrouted {
    pub event_type: EventType,
    pub meeting_type: Option<String>,
    pub meeting_name: Option<String>,
    pub count: usize,
    /// Unix ms of the newest one.
    pub latest_ms: i64,
}

impl Unrouted {
    /// The rule that would take these events.
    pub fn trigger(&self) -> RuleTrigger {
        rule_for(self.event_type, self.meeting_type.clone())
    }
}

/// The trigger of a rule that takes events of `event_type` and `meeting_type`: their
/// type (or the chat-message rule, which follows every conversation event) and meeting
/// type, or their error category.
pub fn rule_for(event_type: EventType, meeting_type: Option<String>) -> RuleTrigger {
    match event_type.error_category() {
        Some(category) => RuleTrigger::Error {
            categories: vec![category],
        },
        None => RuleTrigger::Event {
            event_type: EventType::RULE_TYPES
                .into_iter()
                .find(|t| event_type.routed_by(*t))
                .unwrap_or(event_type),
            meeting_type,
        },
    }
}

/// Groups unrouted events (newest first), leaving out those today's `rules` route.
pub fn group(events: &[(String, String, i64)], rules: &[Rule]) -> Vec<Unrouted> {
    let mut groups: Vec<Unrouted> = Vec::new();
    for (_, body, received_at) in events {
        let Ok(event) = PlatformEvent::parse_from(body.as_bytes(), Origin::Herald) else {
            continue;
        };
        let meeting = event.meeting_type.as_ref();
        let key = (event.event_type, meeting.map(|m| m.id.as_str()));
        if let Some(g) = groups
            .iter_mut()
            .find(|g| (g.event_type, g.meeting_type.as_deref()) == key)
        {
            g.count += 1;
            continue;
        }
        if !route(&event, rules).is_empty() {
            continue;
        }
        groups.push(Unrouted {
            event_type: event.event_type,
            meeting_type: meeting.map(|m| m.id.clone()),
            meeting_name: meeting.and_then(|m| m.name.clone()),
            count: 1,
            latest_ms: *received_at,
        });
    }
    groups
}

/// The workspace's unrouted event types of the last week, newest first.
pub async fn recent(
    store: &Store,
    team_id: &str,
    rules: &[Rule],
    now_ms: i64,
) -> Result<Vec<Unrouted>, StoreError> {
    let events = store
        .unrouted_events(team_id, now_ms - WINDOW_MS, HERALD_CONNECTION, READ_LIMIT)
        .await?;
    Ok(group(&events, rules))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::ChannelId;
    use crate::core::rule::Mentions;

    fn body(event_type: &str, meeting: Option<&str>) -> String {
        let mut v =
            serde_json::json!({"type": event_type, "occurred_at": "2026-11-21T10:00:00+09:00"});
        if let Some(id) = meeting {
            v["meeting_type"] = serde_json::json!({"id": id, "name": format!("name of {id}")});
        }
        v.to_string()
    }

    fn rule_for(event_type: EventType, meeting_type: Option<&str>) -> Rule {
        Rule {
            id: "r1".into(),
            team_id: "T1".into(),
            trigger: RuleTrigger::Event {
                event_type,
                meeting_type: meeting_type.map(Into::into),
            },
            channel: ChannelId::parse("C0ALL").unwrap(),
            mentions: Mentions::default(),
            enabled: true,
            backup: None,
            lifecycle: Default::default(),
            options: Default::default(),
        }
    }

    #[test]
    fn unrouted_events_group_by_type_and_meeting_type_and_leave_routed_ones_out() {
        let events = vec![
            (
                "booking.created".into(),
                body("booking.created", Some("mt_1")),
                30,
            ),
            (
                "booking.created".into(),
                body("booking.created", Some("mt_2")),
                20,
            ),
            (
                "booking.created".into(),
                body("booking.created", Some("mt_1")),
                10,
            ),
            ("phone.requested".into(), body("phone.requested", None), 5),
            ("not json".into(), "{".into(), 4),
        ];
        let got = group(&events, &[]);
        let summary: Vec<_> = got
            .iter()
            .map(|g| {
                (
                    g.event_type.as_str(),
                    g.meeting_type.as_deref(),
                    g.count,
                    g.latest_ms,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("booking.created", Some("mt_1"), 2, 30),
                ("booking.created", Some("mt_2"), 1, 20),
                ("phone.requested", None, 1, 5),
            ]
        );
        assert_eq!(got[0].meeting_name.as_deref(), Some("name of mt_1"));

        // A rule made since for mt_1 takes that group off the list.
        let rules = [rule_for(EventType::BookingCreated, Some("mt_1"))];
        let left: Vec<_> = group(&events, &rules)
            .iter()
            .map(|g| g.meeting_type.clone())
            .collect();
        assert_eq!(left, [Some("mt_2".to_string()), None]);
    }

    #[test]
    fn the_route_button_starts_the_rule_that_would_take_the_events() {
        let g = |event_type, meeting_type: Option<&str>| Unrouted {
            event_type,
            meeting_type: meeting_type.map(Into::into),
            meeting_name: None,
            count: 1,
            latest_ms: 0,
        };
        use crate::core::catalog::{ConversationKind, ErrorCategory};
        assert_eq!(
            g(EventType::BookingCreated, Some("mt_1")).trigger(),
            RuleTrigger::Event {
                event_type: EventType::BookingCreated,
                meeting_type: Some("mt_1".into())
            }
        );
        assert_eq!(
            g(EventType::Conversation(ConversationKind::Closed), None).trigger(),
            RuleTrigger::Event {
                event_type: EventType::Conversation(ConversationKind::MessageCreated),
                meeting_type: None
            },
            "a conversation event is taken by the chat-message rule"
        );
        assert_eq!(
            g(EventType::Error(ErrorCategory::Calendar), None).trigger(),
            RuleTrigger::Error {
                categories: vec![ErrorCategory::Calendar]
            }
        );
    }
}
