//! Routing: which channels an event goes to and whom each notification mentions.
//!
//! A pure function of the event and the workspace's rules, so it is tested with tables
//! and runs inside the ingest transaction without I/O. Rules that point at the same
//! channel merge into one route: one event never posts twice to one channel.

use serde::{Deserialize, Serialize};

use crate::core::event::{HostRef, PlatformEvent};
use crate::core::hours::Opening;
use crate::core::ids::ChannelId;
use crate::core::rule::{Mention, Replies, Rule, RuleTrigger};

/// One notification to send: a channel, whom to mention, and which rules asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub channel: ChannelId,
    /// Rule mentions in rule order, without repeats. More than three is possible when
    /// several rules share a channel; each rule alone respects the limit.
    pub mentions: Vec<Mention>,
    pub rule_ids: Vec<String>,
    /// The meeting host, mentioned on booking events; resolved at delivery time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostRef>,
    /// The rules' backups: mentioned instead of people who are away.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backups: Vec<Mention>,
    /// How the thread shows state changes: the first matching rule's choice.
    #[serde(default)]
    pub lifecycle: crate::core::rule::Lifecycle,
    /// The fields the notification shows: the first matching rule with a template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<RouteTemplate>,
    /// Folded with like events into one thread: the first matching rule with a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<RouteGroup>,
    /// When its rules let it post (their `hours`); ingest decides with it and keeps
    /// the decision in `digest`, so it is not stored.
    #[serde(skip)]
    pub opening: Opening,
    /// Kept outside business hours for the digest at this opening (set by ingest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<RouteDigest>,
    /// Whether replies in the thread it opens reach the platform: `Off` only when every
    /// rule that sent it is alerts-only.
    #[serde(default, skip_serializing_if = "Replies::is_forward")]
    pub replies: Replies,
}

/// A notification kept for its channel's digest: when the hours open, in which zone
/// (for telling people when, in their own time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteDigest {
    /// Unix ms.
    pub opens_at: i64,
    pub tz: String,
}

/// How a route's event is grouped: the rule's window and the event's `by` values, and,
/// once ingest has placed it, its group and place in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteGroup {
    pub rule_id: String,
    pub window_s: u32,
    /// The event's values of the rule's `by` fields ([`crate::core::group::Grouping::key`]).
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<GroupMember>,
}

/// An event's place in its group, decided in the ingest transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    pub group_id: String,
    /// 0 for the first event (the parent), then 1, 2, …
    pub position: u64,
    /// When the group's first event arrived, Unix ms.
    pub started_at: i64,
}

/// A rule's template, with the rule's id: a value that does not fit is reported under
/// the rule that asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTemplate {
    pub rule_id: String,
    pub template: crate::core::template::Template,
}

/// The mentions to make now: people who are away give way to the rules' backups
/// (backups who are away themselves do not count). With no backup to stand in, the
/// person stays mentioned, so an event always reaches someone.
pub fn cover_away(
    mentions: &[Mention],
    backups: &[Mention],
    away: &std::collections::HashSet<String>,
) -> Vec<Mention> {
    let is_away = |m: &Mention| matches!(m, Mention::User(id) if away.contains(id));
    let standing_in: Vec<&Mention> = backups.iter().filter(|b| !is_away(b)).collect();
    if standing_in.is_empty() || !mentions.iter().any(is_away) {
        return mentions.to_vec();
    }
    let mut out: Vec<Mention> = mentions.iter().filter(|m| !is_away(m)).cloned().collect();
    for b in standing_in {
        if !out.contains(b) {
            out.push(b.clone());
        }
    }
    out
}

/// Routes an event through the rules of its workspace, looking at each of them: the
/// reference the indexed `route_set` is tested against, and enough for a few rules.
pub fn route(event: &PlatformEvent, rules: &[Rule]) -> Vec<Route> {
    route_through(event, rules.iter())
}

/// Routes an event through an indexed rule set: only the rules whose trigger names the
/// event's type are looked at (what the ingest path uses). Same result as `route`.
pub fn route_set(event: &PlatformEvent, rules: &crate::core::rule_set::RuleSet) -> Vec<Route> {
    route_through(event, rules.candidates(event))
}

/// Routes an event through `rules`, given in rule order.
fn route_through<'a>(event: &PlatformEvent, rules: impl Iterator<Item = &'a Rule>) -> Vec<Route> {
    let host = if event.event_type.mentions_host() {
        event.host.clone()
    } else {
        None
    };
    let mut routes: Vec<Route> = Vec::new();
    for rule in rules.filter(|r| takes(event, r)) {
        let at = match routes.iter().position(|r| r.channel == rule.channel) {
            Some(i) => i,
            None => {
                routes.push(Route {
                    channel: rule.channel.clone(),
                    mentions: Vec::new(),
                    rule_ids: Vec::new(),
                    host: host.clone(),
                    backups: Vec::new(),
                    lifecycle: rule.lifecycle,
                    template: None,
                    group: None,
                    opening: Opening::of(rule.options.hours.as_ref()),
                    digest: None,
                    replies: rule.options.replies,
                });
                routes.len() - 1
            }
        };
        let route = &mut routes[at];
        if !route.rule_ids.is_empty() {
            route.opening = std::mem::take(&mut route.opening).join(rule.options.hours.as_ref());
            if rule.options.replies.is_forward() {
                route.replies = Replies::Forward;
            }
        }
        route.rule_ids.push(rule.id.clone());
        if route.group.is_none()
            && event.conversation.is_none()
            && let Some(grouping) = &rule.options.group
        {
            // A conversation has its own thread; grouping is for one-off notifications.
            route.group = Some(RouteGroup {
                rule_id: rule.id.clone(),
                window_s: grouping.window_s,
                key: grouping.key(event),
                member: None,
            });
        }
        if route.template.is_none() && !rule.options.template.is_empty() {
            route.template = Some(RouteTemplate {
                rule_id: rule.id.clone(),
                template: rule.options.template.clone(),
            });
        }
        for m in rule.mentions.iter() {
            if !route.mentions.contains(m) {
                route.mentions.push(m.clone());
            }
        }
        if let Some(b) = &rule.backup
            && !route.backups.contains(b)
        {
            route.backups.push(b.clone());
        }
    }
    // The host is mentioned once: drop the explicit mention if the rule already has them.
    for route in &mut routes {
        if let Some(HostRef::User(id)) = &route.host
            && route.mentions.contains(&Mention::User(id.clone()))
        {
            route.host = None;
        }
    }
    routes
}

/// Whether a rule takes an event: `verdict` is `Matched`, without building the
/// explanation of a failed condition (routing runs this for every rule).
fn takes(event: &PlatformEvent, rule: &Rule) -> bool {
    trigger_matches(event, rule) && rule.options.conditions.iter().all(|c| c.holds(event))
}

/// `trigger_verdict(…) == Matched` without building (allocating) the reason a rule
/// does not match, which is most rules for most events. The table test holds the two
/// together.
fn trigger_matches(event: &PlatformEvent, rule: &Rule) -> bool {
    if !rule.enabled {
        return false;
    }
    match (&rule.trigger, event.event_type.error_category()) {
        (
            RuleTrigger::Event {
                event_type,
                meeting_type,
            },
            None,
        ) => {
            event.event_type.routed_by(*event_type)
                && meeting_type.as_ref().is_none_or(|wanted| {
                    event.meeting_type.as_ref().is_some_and(|m| &m.id == wanted)
                })
        }
        (RuleTrigger::Error { categories }, Some(category)) => categories.contains(&category),
        _ => false,
    }
}

/// Why a rule did or did not take an event: what `/herald why` tells an admin, and
/// the one test the router applies (so the explanation cannot drift from the routing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Matched,
    /// The rule is switched off.
    Disabled,
    /// An event rule for another event type.
    OtherEventType {
        wanted: crate::core::catalog::EventType,
    },
    /// The event type fits, the meeting type does not (`got` None: the event has none).
    OtherMeetingType {
        wanted: String,
        got: Option<String>,
    },
    /// An error rule, and the event is not a platform error.
    NotAnError,
    /// An event rule, and the event is a platform error (only error rules take those).
    AnError,
    /// An error rule for other categories.
    OtherCategory,
    /// Type and meeting type fit; a condition of the rule's `where` does not hold
    /// (`index` in the rule's list; `got` the event's value, None when it has none).
    ConditionFailed {
        index: usize,
        condition: crate::core::conditions::Condition,
        got: Option<String>,
    },
}

/// The verdict of one rule on one event; disabled is checked first, as routing does,
/// and the conditions last, once the event's type says the rule is for it.
pub fn verdict(event: &PlatformEvent, rule: &Rule) -> Verdict {
    let verdict = trigger_verdict(event, rule);
    if verdict != Verdict::Matched {
        return verdict;
    }
    let conditions = &rule.options.conditions;
    match crate::core::conditions::first_failing(conditions, event) {
        None => Verdict::Matched,
        Some(index) => Verdict::ConditionFailed {
            index,
            condition: conditions[index].clone(),
            got: conditions[index].field.value(event).map(str::to_string),
        },
    }
}

fn trigger_verdict(event: &PlatformEvent, rule: &Rule) -> Verdict {
    if !rule.enabled {
        return Verdict::Disabled;
    }
    match (&rule.trigger, event.event_type.error_category()) {
        (
            RuleTrigger::Event {
                event_type,
                meeting_type,
            },
            None,
        ) => {
            if !event.event_type.routed_by(*event_type) {
                return Verdict::OtherEventType {
                    wanted: *event_type,
                };
            }
            match meeting_type {
                Some(wanted) if event.meeting_type.as_ref().is_none_or(|m| &m.id != wanted) => {
                    Verdict::OtherMeetingType {
                        wanted: wanted.clone(),
                        got: event.meeting_type.as_ref().map(|m| m.id.clone()),
                    }
                }
                _ => Verdict::Matched,
            }
        }
        (RuleTrigger::Event { .. }, Some(_)) => Verdict::AnError,
        (RuleTrigger::Error { categories }, Some(category)) => {
            if categories.contains(&category) {
                Verdict::Matched
            } else {
                Verdict::OtherCategory
            }
        }
        (RuleTrigger::Error { .. }, None) => Verdict::NotAnError,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::core::catalog::{ErrorCategory, EventType};
    use crate::core::event::{Customer, MeetingType};
    use crate::core::rule::Mentions;

    fn event(event_type: EventType, meeting_type: Option<&str>) -> PlatformEvent {
        PlatformEvent {
            event_type,
            occurred_at: 0,
            meeting_type: meeting_type.map(|id| MeetingType {
                id: id.into(),
                name: None,
            }),
            host: Some(HostRef::User("UHOST".into())),
            customer: Customer::default(),
            title: None,
            url: None,
            fields: BTreeMap::new(),
            slack_channel: None,
            conversation: None,
            message: None,
            messages: Vec::new(),
        }
    }

    fn rule(id: &str, trigger: RuleTrigger, channel: &str, mentions: &[&str]) -> Rule {
        Rule {
            id: id.into(),
            team_id: "T1".into(),
            trigger,
            channel: ChannelId::parse(channel).unwrap(),
            mentions: Mentions::parse_all(
                &mentions
                    .iter()
                    .map(|s| (*s).to_string())
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
            enabled: true,
            backup: None,
            lifecycle: Default::default(),
            options: Default::default(),
        }
    }

    #[test]
    fn away_people_give_way_to_a_backup_who_is_not_away() {
        let m = |id: &str| Mention::parse(id).unwrap();
        let away: std::collections::HashSet<String> = ["U0AWAY".to_string()].into();
        assert_eq!(
            cover_away(&[m("U0AWAY"), m("U0HERE")], &[m("S0TEAM")], &away),
            [m("U0HERE"), m("S0TEAM")]
        );
        assert_eq!(
            cover_away(&[m("U0AWAY")], &[], &away),
            [m("U0AWAY")],
            "no backup: still mentioned"
        );
        assert_eq!(
            cover_away(&[m("U0AWAY")], &[m("U0AWAY")], &away),
            [m("U0AWAY")],
            "an away backup stands in for no one"
        );
        assert_eq!(
            cover_away(&[m("U0HERE")], &[m("S0TEAM")], &away),
            [m("U0HERE")],
            "nobody away: unchanged"
        );
    }

    fn on(event_type: EventType, meeting_type: Option<&str>) -> RuleTrigger {
        RuleTrigger::Event {
            event_type,
            meeting_type: meeting_type.map(Into::into),
        }
    }

    fn errors(categories: &[ErrorCategory]) -> RuleTrigger {
        RuleTrigger::Error {
            categories: categories.to_vec(),
        }
    }

    fn rules() -> Vec<Rule> {
        use ErrorCategory::*;
        use EventType::*;
        let mut disabled = rule("r_off", on(BookingCreated, None), "C0FF", &["UOFF"]);
        disabled.enabled = false;
        vec![
            rule("r_any", on(BookingCreated, None), "C0ALL", &["U0A"]),
            rule(
                "r_mt1",
                on(BookingCreated, Some("mt_1")),
                "C0MT1",
                &["U0B", "S0GRP"],
            ),
            rule(
                "r_mt1b",
                on(BookingCreated, Some("mt_1")),
                "C0ALL",
                &["U0A", "U0C"],
            ),
            rule("r_cancel", on(BookingCancelled, Some("mt_2")), "C0CAN", &[]),
            rule("r_phone", on(PhoneRequested, None), "C0PHO", &["UHOST"]),
            rule("r_err", errors(&[Calendar, Delivery]), "C0ERR", &["UOPS"]),
            rule("r_err2", errors(&[Internal]), "C0ERR", &["UDEV"]),
            disabled,
        ]
    }

    #[test]
    fn events_route_by_type_meeting_type_and_category() {
        use ErrorCategory::*;
        use EventType::*;
        // (event type, meeting type, expected [(channel, mentions, rule ids, host?)])
        type Expected = Vec<(&'static str, Vec<&'static str>, Vec<&'static str>, bool)>;
        let cases: Vec<(EventType, Option<&str>, Expected)> = vec![
            (
                BookingCreated,
                Some("mt_1"),
                vec![
                    ("C0ALL", vec!["U0A", "U0C"], vec!["r_any", "r_mt1b"], true),
                    ("C0MT1", vec!["U0B", "S0GRP"], vec!["r_mt1"], true),
                ],
            ),
            (
                BookingCreated,
                Some("mt_9"),
                vec![("C0ALL", vec!["U0A"], vec!["r_any"], true)],
            ),
            (
                BookingCreated,
                None,
                vec![("C0ALL", vec!["U0A"], vec!["r_any"], true)],
            ),
            (
                BookingCancelled,
                Some("mt_2"),
                vec![("C0CAN", vec![], vec!["r_cancel"], true)],
            ),
            (BookingCancelled, Some("mt_1"), vec![]),
            (
                PhoneRequested,
                None,
                vec![("C0PHO", vec!["UHOST"], vec!["r_phone"], false)],
            ),
            (SurveyExitAnswered, Some("mt_1"), vec![]),
            (
                Error(Calendar),
                None,
                vec![("C0ERR", vec!["UOPS"], vec!["r_err"], false)],
            ),
            (
                Error(Internal),
                None,
                vec![("C0ERR", vec!["UDEV"], vec!["r_err2"], false)],
            ),
            (Error(Salesforce), None, vec![]),
        ];
        let rules = rules();
        for (event_type, meeting_type, expected) in cases {
            let routes = route(&event(event_type, meeting_type), &rules);
            let got: Vec<_> = routes
                .iter()
                .map(|r| {
                    (
                        r.channel.as_str(),
                        r.mentions.iter().map(Mention::id).collect::<Vec<_>>(),
                        r.rule_ids.iter().map(String::as_str).collect::<Vec<_>>(),
                        r.host.is_some(),
                    )
                })
                .collect();
            assert_eq!(got, expected, "{event_type} / {meeting_type:?}");
        }
    }

    #[test]
    fn each_rule_says_why_it_took_or_left_an_event() {
        use ErrorCategory::*;
        use EventType::*;
        let rules = rules();
        let by_id = |id: &str| rules.iter().find(|r| r.id == id).unwrap();
        let other_type = |wanted| Verdict::OtherEventType { wanted };
        let other_meeting = |got: Option<&str>| Verdict::OtherMeetingType {
            wanted: "mt_1".into(),
            got: got.map(Into::into),
        };
        let cases = [
            (BookingCreated, Some("mt_1"), "r_mt1", Verdict::Matched),
            (
                BookingCreated,
                Some("mt_9"),
                "r_mt1",
                other_meeting(Some("mt_9")),
            ),
            (BookingCreated, None, "r_mt1", other_meeting(None)),
            (BookingCreated, None, "r_any", Verdict::Matched),
            (BookingCreated, None, "r_off", Verdict::Disabled),
            (PhoneRequested, None, "r_any", other_type(BookingCreated)),
            (PhoneRequested, None, "r_err", Verdict::NotAnError),
            (Error(Calendar), None, "r_any", Verdict::AnError),
            (Error(Calendar), None, "r_err", Verdict::Matched),
            (Error(Calendar), None, "r_err2", Verdict::OtherCategory),
        ];
        for (event_type, meeting_type, rule_id, expected) in cases {
            let e = event(event_type, meeting_type);
            let got = verdict(&e, by_id(rule_id));
            assert_eq!(got, expected, "{event_type} / {meeting_type:?} / {rule_id}");
            assert_eq!(
                takes(&e, by_id(rule_id)),
                expected == Verdict::Matched,
                "routing and the explanation disagree on {event_type} / {meeting_type:?} / {rule_id}"
            );
        }
        // The routes are exactly the rules whose verdict is Matched.
        for (event_type, meeting_type) in [
            (BookingCreated, Some("mt_1")),
            (BookingCancelled, Some("mt_2")),
            (Error(Internal), None),
        ] {
            let e = event(event_type, meeting_type);
            let mut matched: Vec<&str> = rules
                .iter()
                .filter(|r| verdict(&e, r) == Verdict::Matched)
                .map(|r| r.id.as_str())
                .collect();
            let routes = route(&e, &rules);
            let mut routed: Vec<&str> = routes
                .iter()
                .flat_map(|r| r.rule_ids.iter().map(String::as_str))
                .collect();
            matched.sort_unstable();
            routed.sort_unstable();
            assert_eq!(matched, routed);
        }
    }

    #[test]
    fn options_combine_per_channel_as_the_rules_file_says() {
        use crate::core::conditions::Condition;
        use crate::core::group::{Grouping, GroupingJson};
        use crate::core::hours::{DAY_NAMES, Hours, HoursJson, Opening};
        let night = Hours::from_json(&HoursJson {
            tz: "UTC".into(),
            days: DAY_NAMES.map(String::from).to_vec(),
            from: "22:00".into(),
            to: "06:00".into(),
        })
        .unwrap();
        let grouping = Grouping::from_json(&GroupingJson {
            window_s: 300,
            by: vec![],
        })
        .unwrap();
        let with = |id: &str, channel: &str, hours: bool, group: bool, cond: Option<&str>| {
            let mut r = rule(id, on(EventType::BookingCreated, None), channel, &[]);
            r.options.hours = hours.then(|| night.clone());
            r.options.group = group.then(|| grouping.clone());
            r.options.conditions = cond
                .iter()
                .map(|l| Condition::parse_line(l).unwrap())
                .collect();
            r
        };
        let booking = event(EventType::BookingCreated, None);
        // (rules, the channel's opening, grouped, routed)
        let cases = [
            // One rule with hours: the route keeps them.
            (vec![with("a", "C0A", true, false, None)], Some(true), false),
            // With a rule of the channel without hours: it posts whenever.
            (
                vec![
                    with("a", "C0A", true, false, None),
                    with("b", "C0A", false, false, None),
                ],
                Some(false),
                false,
            ),
            // A rule whose condition fails does not take part, hours and all.
            (
                vec![
                    with("a", "C0A", true, true, None),
                    with("b", "C0A", false, false, Some("title exists")),
                ],
                Some(true),
                true,
            ),
            // Nothing matches: no route.
            (
                vec![with("a", "C0A", true, true, Some("title exists"))],
                None,
                false,
            ),
        ];
        for (rules, within, grouped) in cases {
            let routes = route(&booking, &rules);
            match within {
                None => assert!(routes.is_empty(), "{routes:?}"),
                Some(within) => {
                    assert_eq!(routes.len(), 1, "{routes:?}");
                    assert_eq!(
                        matches!(routes[0].opening, Opening::Within(_)),
                        within,
                        "{rules:?}"
                    );
                    assert_eq!(routes[0].group.is_some(), grouped, "{rules:?}");
                }
            }
        }
    }

    #[test]
    fn host_already_mentioned_by_the_rule_is_not_mentioned_twice() {
        let rules = vec![rule(
            "r",
            on(EventType::BookingCreated, None),
            "C0ALL",
            &["UHOST", "U0A"],
        )];
        let routes = route(&event(EventType::BookingCreated, None), &rules);
        assert_eq!(routes[0].host, None);
        assert_eq!(routes[0].mentions.len(), 2);
    }

    #[test]
    fn conditions_route_only_matching_events_and_say_which_one_failed() {
        use crate::core::conditions::Condition;
        let with = |id: &str, channel: &str, lines: &[&str]| {
            let mut r = rule(id, on(EventType::BookingCreated, None), channel, &[]);
            r.options.conditions = lines
                .iter()
                .map(|l| Condition::parse_line(l).unwrap())
                .collect();
            r
        };
        let rules = vec![
            with("r_pro", "C0PRO", &["fields.plan in pro, enterprise"]),
            with(
                "r_real",
                "C0REAL",
                &[
                    "customer.email exists",
                    "customer.company not_equals テスト株式会社",
                ],
            ),
            with("r_all", "C0ALL", &[]),
        ];
        let booking = |plan: Option<&str>, company: Option<&str>, email: Option<&str>| {
            let mut e = event(EventType::BookingCreated, None);
            if let Some(plan) = plan {
                e.fields.insert("plan".into(), plan.into());
            }
            e.customer.company = company.map(Into::into);
            e.customer.email = email.map(Into::into);
            e
        };
        let cases: [(PlatformEvent, &[&str]); 5] = [
            (
                booking(Some("ＰＲＯ"), Some("ACME"), Some("a@x")),
                &["C0PRO", "C0REAL", "C0ALL"],
            ),
            (
                booking(Some("free"), Some("ACME"), Some("a@x")),
                &["C0REAL", "C0ALL"],
            ),
            (booking(None, Some("ﾃｽﾄ株式会社"), Some("a@x")), &["C0ALL"]),
            (booking(Some("pro"), None, None), &["C0PRO", "C0ALL"]),
            (booking(None, None, Some("a@x")), &["C0REAL", "C0ALL"]),
        ];
        for (e, channels) in cases {
            let routes = route(&e, &rules);
            let routed: Vec<&str> = routes.iter().map(|r| r.channel.as_str()).collect();
            assert_eq!(routed, channels, "{:?} {:?}", e.fields, e.customer);
        }
        let e = booking(Some("pro"), Some("テスト株式会社"), Some("a@x"));
        match verdict(&e, &rules[1]) {
            Verdict::ConditionFailed {
                index,
                condition,
                got,
            } => {
                assert_eq!(index, 1);
                assert_eq!(
                    condition.to_line(),
                    "customer.company not_equals テスト株式会社"
                );
                assert_eq!(got.as_deref(), Some("テスト株式会社"));
            }
            other => panic!("{other:?}"),
        }
        // A rule for another type says so, not which condition would have failed.
        let other = event(EventType::PhoneRequested, None);
        assert!(matches!(
            verdict(&other, &rules[0]),
            Verdict::OtherEventType { .. }
        ));
    }

    #[test]
    fn no_rules_means_no_routes() {
        assert!(route(&event(EventType::BookingCreated, None), &[]).is_empty());
    }
}
