//! App Home, Herald's dashboard: the last day's deliveries, every rule with the health of
//! its channel (last delivery, or the Slack error and how to fix it), and buttons to add
//! and delete rules. Pure: data in, a Home view (JSON) out.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::texts;
use crate::core::catalog::Lang;
use crate::core::ids::mrkdwn as target;
use crate::core::rule::{Rule, RuleTrigger};
use crate::delivery::Permanent;
use crate::directory::events::{Broken, broken_text};
use crate::history::failed::FailedChannel;
use crate::history::health::{FAILING_AFTER, RuleHealth};
use crate::history::unrouted::Unrouted;
use crate::store::DeliveryCounts;

pub const ADD_RULE: &str = "herald_add_rule";
pub const ADD_ERROR_RULE: &str = "herald_add_error_rule";
pub const EDIT_RULE: &str = "herald_edit_rule";
pub const DELETE_RULE: &str = "herald_delete_rule";
pub const TEST_RULE: &str = "herald_test_rule_home";

pub use super::home_history::{RESEND_CHANNEL, RESEND_JOB, ROUTE_EVENT, RouteValue};
/// Slack's limit of blocks in a Home view.
const MAX_BLOCKS: usize = 100;

/// What the Home tab shows.
pub struct Dashboard<'a> {
    pub lang: Lang,
    pub rules: &'a [Rule],
    /// Each rule's own health, by rule id (missing: nothing delivered yet).
    pub health: &'a HashMap<String, RuleHealth>,
    /// Channels the directory knows cannot take posts (archived, deleted, Herald removed).
    pub broken: &'a HashMap<String, Broken>,
    pub last_day: DeliveryCounts,
    /// The latest changes, already as lines, newest first.
    pub audit: &'a [String],
    /// The workspace's webhook URL (never its secret: `/herald connect` shows that once).
    pub webhook_url: Option<&'a str>,
    /// The viewer said `/herald away`.
    pub away: bool,
    /// Event types of the last week that no rule takes, newest first.
    pub unrouted: &'a [Unrouted],
    /// The last week's failed deliveries, by channel.
    pub failed: &'a [FailedChannel],
}

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text})
}

fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": crate::core::render::cut(text, 3000)})
}

/// The Home view.
pub fn view(d: &Dashboard<'_>) -> Value {
    let lang = d.lang;
    let mut blocks = vec![
        json!({"type": "header", "text": plain(lang.pick("Herald 通知ダッシュボード", "Herald dashboard"))}),
        json!({"type": "section", "text": mrkdwn(&texts::last_day(lang, d.last_day.delivered, d.last_day.failed))}),
        json!({"type": "actions", "elements": [{
            "type": "button", "action_id": ADD_RULE, "style": "primary",
            "text": plain(lang.pick("ルールを追加", "Add a rule"))
        }, {
            "type": "button", "action_id": ADD_ERROR_RULE,
            "text": plain(lang.pick("エラー通知を追加", "Add an error rule"))
        }]}),
    ];
    if d.away {
        blocks.push(json!({"type": "context", "elements": [mrkdwn(lang.pick(
            ":palm_tree: あなたは不在中です。通知ではルールの代理がメンションされます。戻ったら `/herald available`。",
            ":palm_tree: You are away: notifications mention the rules' backups instead of you. Back? `/herald available`."
        ))]}));
    }
    if let Some(url) = d.webhook_url {
        let text = match lang {
            Lang::Ja => format!("Webhook URL: `{url}`(シークレットは `/herald connect`)"),
            Lang::En => format!("Webhook URL: `{url}` (the secret: `/herald connect`)"),
        };
        blocks.push(json!({"type": "context", "elements": [mrkdwn(&text)]}));
    }
    super::home_history::unrouted(lang, d.unrouted, &mut blocks);
    super::home_history::failed(lang, d.failed, &mut blocks);
    blocks.push(json!({"type": "divider"}));
    if d.rules.is_empty() {
        blocks.push(json!({"type": "section", "text": mrkdwn(&texts::no_rules(lang, None))}));
    }
    let (events, errors): (Vec<&Rule>, Vec<&Rule>) = d
        .rules
        .iter()
        .partition(|r| matches!(r.trigger, RuleTrigger::Event { .. }));
    let mut meeting_types: Vec<Option<&str>> = Vec::new();
    for rule in &events {
        if let RuleTrigger::Event { meeting_type, .. } = &rule.trigger
            && !meeting_types.contains(&meeting_type.as_deref())
        {
            meeting_types.push(meeting_type.as_deref());
        }
    }
    meeting_types.sort_by_key(Option::is_some);
    let mut omitted = 0;
    let mut group = |heading: String, rules: Vec<&Rule>, blocks: &mut Vec<Value>| {
        if rules.is_empty() {
            return;
        }
        if blocks.len() + 3 > MAX_BLOCKS - 2 {
            omitted += rules.len();
            return;
        }
        blocks.push(json!({"type": "section", "text": mrkdwn(&format!("*{heading}*"))}));
        for rule in rules {
            if blocks.len() + 3 > MAX_BLOCKS - 2 {
                omitted += 1;
                continue;
            }
            blocks.extend(rule_blocks(lang, rule));
            let health = match d.broken.get(rule.channel.as_str()) {
                // What Slack said happened to the channel outranks the last delivery.
                Some(broken) => broken_text(lang, rule.channel.as_str(), *broken),
                None => health_text(lang, rule, d.health),
            };
            blocks.push(json!({"type": "context", "elements": [mrkdwn(&health)]}));
        }
    };
    for meeting_type in meeting_types {
        let rules = events
            .iter()
            .copied()
            .filter(|r| matches!(&r.trigger, RuleTrigger::Event { meeting_type: m, .. } if m.as_deref() == meeting_type))
            .collect();
        group(
            texts::meeting_heading(lang, meeting_type),
            rules,
            &mut blocks,
        );
    }
    group(texts::errors_heading(lang).to_string(), errors, &mut blocks);
    if omitted > 0 {
        blocks.push(json!({"type": "context", "elements": [mrkdwn(&texts::list_footer(lang, d.rules.len(), omitted))]}));
    }
    if !d.audit.is_empty() && blocks.len() + 2 <= MAX_BLOCKS {
        blocks.push(json!({"type": "divider"}));
        let text = format!("*{}*\n{}", texts::audit_title(lang), d.audit.join("\n"));
        blocks.push(json!({"type": "section", "text": mrkdwn(&text)}));
    }
    json!({"type": "home", "blocks": blocks})
}

/// A rule: its line with an Edit button, then Delete (behind Slack's confirm dialog).
fn rule_blocks(lang: Lang, rule: &Rule) -> [Value; 2] {
    let confirm = json!({
        "title": plain(lang.pick("ルールの削除", "Delete this rule?")),
        "text": mrkdwn(&format!("{}\n{}", texts::rule_line(lang, rule), lang.pick("このルールを削除します。元に戻せません。", "The rule is deleted for good."))),
        "confirm": plain(lang.pick("削除", "Delete")),
        "deny": plain(lang.pick("キャンセル", "Cancel")),
        "style": "danger"
    });
    [
        json!({
            "type": "section",
            "text": mrkdwn(&texts::rule_line(lang, rule)),
            "accessory": {
                "type": "button", "action_id": EDIT_RULE, "value": rule.id,
                "text": plain(lang.pick("編集", "Edit"))
            }
        }),
        json!({"type": "actions", "elements": [{
            "type": "button", "action_id": TEST_RULE, "value": rule.id,
            "text": plain(lang.pick("テスト送信", "Send test"))
        }, {
            "type": "button", "action_id": DELETE_RULE, "value": rule.id, "style": "danger",
            "text": plain(lang.pick("削除", "Delete")), "confirm": confirm
        }]}),
    ]
}

/// The channel's last delivery: when, or what went wrong and how to fix it.
/// A rule's health line: its last delivery, marked when its last few all failed (App
/// Home and `/herald list`).
pub fn health_text(lang: Lang, rule: &Rule, health: &HashMap<String, RuleHealth>) -> String {
    let channel = rule.channel.as_str();
    let health = health.get(&rule.id).cloned().unwrap_or_default();
    let text = last_delivery(lang, channel, &health);
    if !health.failing {
        return text;
    }
    match lang {
        Lang::Ja => {
            format!(":warning: *直近{FAILING_AFTER}回の配信がすべて失敗しています。* {text}")
        }
        Lang::En => {
            format!(":warning: *The last {FAILING_AFTER} deliveries of this rule failed.* {text}")
        }
    }
}

/// The rule's last delivery: when, or what went wrong and how to fix it.
fn last_delivery(lang: Lang, channel: &str, health: &RuleHealth) -> String {
    match health.last.clone() {
        None => lang
            .pick(
                ":white_circle: まだ配信はありません",
                ":white_circle: Nothing delivered yet",
            )
            .into(),
        Some(h) if h.status == "done" => {
            let when = crate::core::render::slack_time(h.updated_at / 1000);
            match lang {
                Lang::Ja => format!(":large_green_circle: 最終配信 {when}"),
                Lang::En => format!(":large_green_circle: Last delivered {when}"),
            }
        }
        Some(h) => {
            let code = h
                .last_error
                .as_deref()
                .and_then(|e| e.split(':').next())
                .unwrap_or("unknown");
            let problem = Permanent {
                code: code.into(),
                channel: target(channel),
            };
            format!(":red_circle: {}", problem.explain(lang))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::{ErrorCategory, EventType};
    use crate::core::ids::ChannelId;
    use crate::core::rule::Mentions;

    fn rule(id: &str, trigger: RuleTrigger, channel: &str) -> Rule {
        Rule {
            id: id.into(),
            team_id: "T1".into(),
            trigger,
            channel: ChannelId::parse(channel).unwrap(),
            mentions: Mentions::default(),
            enabled: true,
            backup: None,
            lifecycle: Default::default(),
            options: Default::default(),
        }
    }

    fn failed_channel(channel: &str, total: usize) -> FailedChannel {
        let post = |i: usize| crate::store::FailedPost {
            id: format!("job_{channel}_{i}"),
            event_id: format!("evt_{i}"),
            channel: Some(channel.into()),
            status: "failed".into(),
            last_error: Some("not_invited: Herald is not in the private channel".into()),
            updated_at: 1_795_222_800_000,
        };
        FailedChannel {
            channel: channel.into(),
            jobs: (0..total.min(3))
                .map(|i| (post(i), Some(EventType::BookingCreated)))
                .collect(),
            total,
        }
    }

    #[test]
    fn home_shows_rules_their_health_and_the_last_day() {
        let failed = [failed_channel("C0BAD", 2)];
        let rules = vec![
            rule(
                "r1",
                RuleTrigger::Event {
                    event_type: EventType::BookingCreated,
                    meeting_type: Some("mt_1".into()),
                },
                "C0OK",
            ),
            rule(
                "r2",
                RuleTrigger::Event {
                    event_type: EventType::PhoneRequested,
                    meeting_type: None,
                },
                "C0BAD",
            ),
            rule(
                "r3",
                RuleTrigger::Error {
                    categories: vec![ErrorCategory::Delivery],
                },
                "C0NEW",
            ),
        ];
        let last = |status: &str, at: i64| {
            Some(crate::store::ChannelHealth {
                status: status.into(),
                last_error: (status != "done").then(|| "not_invited: …".to_string()),
                updated_at: at,
            })
        };
        let health = HashMap::from([
            (
                "r1".to_string(),
                RuleHealth {
                    last: last("done", 1_795_222_800_000),
                    failing: false,
                },
            ),
            (
                "r2".to_string(),
                RuleHealth {
                    last: last("failed", 0),
                    failing: true,
                },
            ),
        ]);
        for (lang, words) in [
            (
                Lang::En,
                [
                    "Delivered 5",
                    "Every meeting type",
                    "Meeting type `mt_1`",
                    "Last delivered <!date^1795222800^",
                    "/invite @Herald",
                    "Nothing delivered yet",
                    "Add a rule",
                    "Events with no rule (last 7 days)",
                    "Route…",
                    "Failed deliveries (last 7 days)",
                    "Resend all (2)",
                    "The last 3 deliveries of this rule failed.",
                ],
            ),
            (
                Lang::Ja,
                [
                    "配信 5",
                    "すべての面談タイプ",
                    "面談タイプ `mt_1`",
                    "最終配信 <!date^1795222800^",
                    "/invite @Herald",
                    "まだ配信はありません",
                    "ルールを追加",
                    "ルールのないイベント(過去7日間)",
                    "ルートを作成…",
                    "失敗した配信(過去7日間)",
                    "すべて再送(2件)",
                    "直近3回の配信がすべて失敗しています。",
                ],
            ),
        ] {
            let home = view(&Dashboard {
                lang,
                rules: &rules,
                health: &health,
                broken: &HashMap::from([("C0CHAN".to_string(), Broken::Archived)]),
                last_day: DeliveryCounts {
                    delivered: 5,
                    failed: 1,
                },
                audit: &["• a change".to_string()],
                webhook_url: Some("https://h.example/hooks/conn_1"),
                away: true,
                unrouted: &[Unrouted {
                    event_type: EventType::PhoneRequested,
                    meeting_type: Some("mt_9".into()),
                    meeting_name: Some("Demo".into()),
                    count: 3,
                    latest_ms: 1_795_222_800_000,
                }],
                failed: &failed,
            });
            let text = home.to_string();
            assert!(text.contains("https://h.example/hooks/conn_1"));
            let route = home["blocks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["accessory"]["action_id"] == ROUTE_EVENT)
                .expect("a Route… button");
            let value: RouteValue =
                serde_json::from_str(route["accessory"]["value"].as_str().unwrap()).unwrap();
            assert_eq!(
                value,
                RouteValue {
                    event_type: "phone.requested".into(),
                    meeting_type: Some("mt_9".into())
                }
            );
            for w in words {
                assert!(text.contains(w), "{lang:?}: {w} missing from {text}");
            }
            let parsed: slack_morphism::prelude::SlackView =
                serde_json::from_value(home.clone()).unwrap();
            assert!(matches!(
                parsed,
                slack_morphism::prelude::SlackView::Home(_)
            ));
            assert!(home["blocks"].as_array().unwrap().len() <= MAX_BLOCKS);
            // "Every meeting type" comes before the named ones.
            assert!(
                text.find(if lang == Lang::En {
                    "Every meeting type"
                } else {
                    "すべての面談タイプ"
                })
                .unwrap()
                    < text.find("mt_1").unwrap()
            );
        }
    }

    #[test]
    fn a_huge_rule_set_stays_within_slacks_block_limit() {
        let failed: Vec<FailedChannel> = (0..20)
            .map(|i| failed_channel(&format!("C0FAIL{i:02}"), 9))
            .collect();
        let unrouted: Vec<Unrouted> = (0..12)
            .map(|i| Unrouted {
                event_type: EventType::BookingCreated,
                meeting_type: Some(format!("mt_new_{i}")),
                meeting_name: None,
                count: 1,
                latest_ms: 0,
            })
            .collect();
        let rules: Vec<Rule> = (0..200)
            .map(|i| {
                rule(
                    &format!("r{i}"),
                    RuleTrigger::Event {
                        event_type: EventType::BookingCreated,
                        meeting_type: Some(format!("mt_{}", i % 7)),
                    },
                    "C0CHAN",
                )
            })
            .collect();
        let home = view(&Dashboard {
            lang: Lang::En,
            rules: &rules,
            health: &HashMap::new(),
            broken: &HashMap::new(),
            last_day: DeliveryCounts::default(),
            audit: &[],
            webhook_url: None,
            away: false,
            unrouted: &unrouted,
            failed: &failed,
        });
        assert!(home["blocks"].as_array().unwrap().len() <= MAX_BLOCKS);
        assert!(home.to_string().contains("not shown"));
        assert!(home.to_string().contains("7 more types"));
        assert!(home.to_string().contains("15 more channels"));
    }
}
