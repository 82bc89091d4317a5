//! `cargo bench --bench routing`: routing 10,000 events against 1,000 rules (10 event
//! types × 100 meeting types), each with two conditions (`customer.company not_equals`,
//! `fields.plan in […]`), beside the same rules without conditions in the same run.
//! Prints the time per event of each and their ratio, for the rule set Herald routes
//! through (indexed by event type and meeting type, as the rule cache holds it) and
//! for the scan of every rule (the reference router), as the baseline of the index.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use herald::core::catalog::EventType;
use herald::core::conditions::Condition;
use herald::core::event::{Customer, MeetingType, PlatformEvent};
use herald::core::ids::ChannelId;
use herald::core::router::{route, route_set};
use herald::core::rule::{Mentions, Rule, RuleOptions, RuleTrigger};
use herald::core::rule_set::RuleSet;

const EVENTS: usize = 10_000;
const MEETING_TYPES: usize = 100;
const ROUNDS: usize = 5;

fn rules(with_conditions: bool) -> Vec<Rule> {
    let mut rules = Vec::new();
    for (t, event_type) in EventType::MEETING.iter().enumerate() {
        for m in 0..MEETING_TYPES {
            let conditions = if with_conditions {
                vec![
                    Condition::parse_line("customer.company not_equals テスト株式会社").unwrap(),
                    Condition::parse_line("fields.plan in pro, enterprise, ＢＵＳＩＮＥＳＳ")
                        .unwrap(),
                ]
            } else {
                Vec::new()
            };
            rules.push(Rule {
                id: format!("rul_{t}_{m}"),
                team_id: "T0BENCH".into(),
                trigger: RuleTrigger::Event {
                    event_type: *event_type,
                    meeting_type: Some(format!("mt_{m}")),
                },
                channel: ChannelId::parse(&format!("C0{:08}", t * MEETING_TYPES + m)).unwrap(),
                mentions: Mentions::default(),
                enabled: true,
                backup: None,
                lifecycle: Default::default(),
                options: RuleOptions {
                    conditions,
                    ..Default::default()
                },
            });
        }
    }
    rules
}

fn events() -> Vec<PlatformEvent> {
    let mut rng = fastrand::Rng::with_seed(7);
    let plans = ["free", "pro", "enterprise", "business"];
    let companies = ["ACME株式会社", "テスト株式会社", "ｱｸﾒ商事", "Globex"];
    (0..EVENTS)
        .map(|_| PlatformEvent {
            event_type: EventType::MEETING[rng.usize(..EventType::MEETING.len())],
            occurred_at: 0,
            meeting_type: Some(MeetingType {
                id: format!("mt_{}", rng.usize(..MEETING_TYPES)),
                name: Some("初回面談".into()),
            }),
            host: None,
            customer: Customer {
                name: Some("山田 太郎".into()),
                company: Some(companies[rng.usize(..companies.len())].into()),
                email: Some("taro@example.com".into()),
            },
            title: None,
            url: None,
            fields: BTreeMap::from([(
                "plan".to_string(),
                plans[rng.usize(..plans.len())].to_string(),
            )]),
            slack_channel: None,
            conversation: None,
            message: None,
            messages: Vec::new(),
        })
        .collect()
}

/// The best of a few rounds of `route_one` over the events, in µs per event, and how
/// many routes came out.
fn time(events: &[PlatformEvent], route_one: impl Fn(&PlatformEvent) -> usize) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut routes = 0;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        routes = events.iter().map(|e| black_box(route_one(e))).sum();
        best = best.min(start.elapsed().as_secs_f64() * 1e6 / events.len() as f64);
    }
    (best, routes)
}

fn main() {
    let events = events();
    let plain = rules(false);
    let with = rules(true);
    let plain_set = RuleSet::new(plain.clone());
    let with_set = RuleSet::new(with.clone());
    let (scan_base, scan_base_routes) = time(&events, |e| route(e, &plain).len());
    let (scan_cond, scan_cond_routes) = time(&events, |e| route(e, &with).len());
    let (base, base_routes) = time(&events, |e| route_set(e, &plain_set).len());
    let (cond, cond_routes) = time(&events, |e| route_set(e, &with_set).len());
    assert_eq!(
        base_routes, scan_base_routes,
        "the index routes as the scan does"
    );
    assert_eq!(
        cond_routes, scan_cond_routes,
        "the index routes as the scan does"
    );
    println!(
        "Herald routing benchmark ({EVENTS} events, {} rules, best of {ROUNDS})",
        plain.len()
    );
    println!("                           indexed (Herald)   scan of every rule");
    println!(
        "rules without options      {base:>8.2} µs/event  {scan_base:>8.2} µs/event  ({base_routes} routes)"
    );
    println!(
        "rules with 2 conditions    {cond:>8.2} µs/event  {scan_cond:>8.2} µs/event  ({cond_routes} routes)"
    );
    println!(
        "conditions cost {:.2}× the rules without (indexed); the index is {:.1}× faster than the scan with conditions",
        cond / base,
        scan_cond / cond
    );
    println!(
        "target: under 5 µs per event with conditions: {}",
        if cond < 5.0 { "met" } else { "not met" }
    );
}
