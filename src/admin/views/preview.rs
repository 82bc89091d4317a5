//! What a rule's notification will look like, and the event a test send posts.
//!
//! Pure: the caller fetches the workspace's latest real event of the rule's type (so the
//! preview shows the platform's actual fields) and passes its body in; without one, a
//! sample stands in. The same body, marked as a test, is what "Send test" posts through
//! the normal delivery path.

use serde_json::{Map, Value, json};

use crate::core::catalog::{EventType, Lang};
use crate::core::event::{Origin, PlatformEvent};
use crate::core::render::{self, Audience};
use crate::core::rule::{Mention, RuleTrigger};

/// Block ids of the modal's preview area start with this, so a refresh can replace it.
pub const BLOCK_PREFIX: &str = "herald_preview";

/// Whether the modal's rule can be test-sent yet, and the latest test's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test<'a> {
    Unsaved,
    Saved(Option<&'a str>),
}

/// Where a preview's event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The workspace's latest event of this type, received at (Unix seconds).
    Latest(i64),
    Sample,
}

/// The event type a rule is previewed and tested with: its own, or for an error rule
/// the first of its categories.
pub fn event_type(trigger: &RuleTrigger) -> EventType {
    match trigger {
        RuleTrigger::Event { event_type, .. } => *event_type,
        RuleTrigger::Error { categories } => EventType::Error(
            categories
                .first()
                .copied()
                .unwrap_or(crate::core::catalog::ErrorCategory::Delivery),
        ),
    }
}

/// A made-up but realistic event of a type, in the workspace's language.
pub fn sample(event_type: EventType, lang: Lang, occurred_at: i64) -> Value {
    let mut body = json!({
        "type": event_type.as_str(),
        "occurred_at": rfc3339(occurred_at),
        "url": "https://example.com/herald/sample",
    });
    if let Some(kind) = event_type.conversation() {
        body["conversation"] =
            json!({"id": "chat_sample", "state": "open", "page": "https://example.com/pricing"});
        body["customer"] = json!({"name": lang.pick("山田 花子", "Hanako Yamada")});
        let message = json!({"id": "m_sample", "text": lang.pick("料金プランについて教えてください", "Could you tell me about your plans?"), "author": {"kind": "customer", "name": lang.pick("山田 花子", "Hanako Yamada")}});
        if kind == crate::core::catalog::ConversationKind::History {
            body["messages"] = json!([message]);
        } else if kind.has_message() {
            body["message"] = message;
        }
    } else if event_type.error_category().is_some() {
        body["title"] = json!(lang.pick(
            "サンプル: 連携先がエラーを返しました",
            "Sample: the connected service returned an error"
        ));
        body["fields"] = json!({lang.pick("詳細", "Detail"): "HTTP 503"});
    } else {
        body["meeting_type"] =
            json!({"id": "mt_sample", "name": lang.pick("初回商談", "First meeting")});
        body["customer"] = json!({
            "name": lang.pick("山田 花子", "Hanako Yamada"),
            "company": lang.pick("株式会社サンプル", "Sample Inc."),
            "email": "hanako@example.com",
        });
    }
    body
}

/// The body a test send stores: the latest real event (or a sample) with a title that
/// says it is a test, the time set to now, and no host (a test pings only the rule's
/// own mentions, never a customer's host picked from an old event).
pub fn test_body(
    latest: Option<&str>,
    event_type: EventType,
    lang: Lang,
    now: i64,
    actor: &str,
) -> String {
    let mut body = latest
        .and_then(|b| serde_json::from_str::<Map<String, Value>>(b).ok())
        .filter(|b| b.get("type").and_then(Value::as_str) == Some(event_type.as_str()))
        .map(Value::Object)
        .unwrap_or_else(|| sample(event_type, lang, now));
    let title = body["title"].as_str().map(str::to_string);
    let marker = lang.pick("テスト送信", "Test send");
    body["title"] = json!(match title {
        Some(t) => format!("[{marker}] {t}"),
        None => format!("[{marker}]"),
    });
    body["occurred_at"] = json!(rfc3339(now));
    if body["conversation"].is_object() {
        // A test opens a thread of its own, never one of a real conversation.
        body["conversation"]["id"] = json!(format!("herald-test-{now}-{actor}"));
        body["conversation"]["state"] = json!("open");
    }
    if let Some(obj) = body.as_object_mut() {
        obj.remove("host");
        let fields = obj.entry("fields").or_insert_with(|| json!({}));
        if let Some(fields) = fields.as_object_mut() {
            fields.insert(
                lang.pick("テスト送信者", "Test sent by").into(),
                json!(actor),
            );
        }
    }
    body.to_string()
}

/// The preview area of a rule modal: what a notification would look like, a "Send
/// test" button, and the latest test's outcome. `event` is None until an event type
/// is chosen.
pub fn blocks(
    lang: Lang,
    event: Option<(&PlatformEvent, Source)>,
    mentions: &[Mention],
    template: Option<&crate::core::template::Template>,
    test: Test<'_>,
) -> Vec<Value> {
    blocks_at(lang, event, mentions, template, None, test)
}

/// Whether a rule with these business hours would post now (`now_ms`), or wait for the
/// digest at the next opening, in the hours' own time zone.
pub fn when_line(lang: Lang, hours: &crate::core::hours::Hours, now_ms: i64) -> String {
    let within = hours.describe(lang);
    if hours.is_open(now_ms) {
        match lang {
            Lang::Ja => format!("🕘 営業時間内({within}):いま届くイベントはすぐに通知されます。"),
            Lang::En => format!("🕘 Within business hours ({within}): an event now posts at once."),
        }
    } else {
        let at = hours.local_time(hours.next_opening(now_ms), now_ms);
        match lang {
            Lang::Ja => {
                format!("🌙 営業時間外({within}):いま届くイベントは {at} のまとめ通知で届きます。")
            }
            Lang::En => format!(
                "🌙 Outside business hours ({within}): an event now waits for the digest at {at}."
            ),
        }
    }
}

/// The preview area, with the rule's business hours (and the time now) when it has them.
pub fn blocks_at(
    lang: Lang,
    event: Option<(&PlatformEvent, Source)>,
    mentions: &[Mention],
    template: Option<&crate::core::template::Template>,
    hours: Option<(&crate::core::hours::Hours, i64)>,
    test: Test<'_>,
) -> Vec<Value> {
    let mut blocks = vec![json!({"type": "divider"})];
    if let Some((hours, now_ms)) = hours {
        blocks.push(context(&when_line(lang, hours, now_ms)));
    }
    match event {
        None => blocks.push(context(lang.pick(
            "イベントを選ぶと、通知のプレビューがここに表示されます。",
            "Choose an event to see a preview of its notification here.",
        ))),
        Some((event, source)) => {
            let from = match (source, lang) {
                (Source::Latest(at), Lang::Ja) => format!(
                    "*プレビュー* — 最後に受け取ったこの種類のイベント({})から",
                    crate::core::render::slack_time(at)
                ),
                (Source::Latest(at), Lang::En) => format!(
                    "*Preview* — from the latest event of this type ({})",
                    crate::core::render::slack_time(at)
                ),
                (Source::Sample, _) => lang
                    .pick(
                        "*プレビュー* — サンプルのイベントから(まだこの種類のイベントを受け取っていません)",
                        "*Preview* — from a sample (no event of this type received yet)",
                    )
                    .into(),
            };
            blocks.push(context(&from));
            let message = render::notification(
                event,
                &Audience {
                    mentions,
                    host: None,
                    lang,
                    event_id: lang.pick("プレビュー", "preview"),
                    template,
                },
            );
            blocks.extend(message.blocks);
        }
    }
    match test {
        // Slack's block_actions carry no modal state Herald can read on both transports,
        // so a test sends what is saved, not what is half-typed.
        Test::Unsaved => blocks.push(context(lang.pick(
            "保存すると、App Home または `/herald test` でテスト送信できます。",
            "Once saved, send a test from App Home or with `/herald test`.",
        ))),
        Test::Saved(status) => {
            blocks.push(json!({"type": "actions", "elements": [{
                "type": "button",
                "action_id": super::rule_modal::TEST_RULE,
                "text": {"type": "plain_text", "text": lang.pick("テスト送信(保存済みの設定)", "Send test (saved settings)")},
            }]}));
            if let Some(status) = status {
                blocks.push(context(status));
            }
        }
    }
    for (i, block) in blocks.iter_mut().enumerate() {
        block["block_id"] = json!(format!("{BLOCK_PREFIX}_{i}"));
    }
    blocks
}

/// Parses a stored or sample body for rendering; Herald's own types are allowed.
pub fn parse(body: &str) -> Option<PlatformEvent> {
    PlatformEvent::parse_from(body.as_bytes(), Origin::Herald).ok()
}

fn context(text: &str) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": render::cut(text, 3000)}]})
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::ErrorCategory;
    use crate::core::hours::{Hours, HoursJson};

    #[test]
    fn the_preview_says_whether_a_rule_with_hours_would_post_now() {
        let hours = Hours::from_json(&HoursJson {
            tz: "Asia/Tokyo".into(),
            days: ["mon", "tue", "wed", "thu", "fri"]
                .map(String::from)
                .to_vec(),
            from: "09:00".into(),
            to: "18:00".into(),
        })
        .unwrap();
        // 2026-12-04 (Friday) 10:00 and 20:00 in Tokyo.
        let friday_10 = 1_796_346_000_000;
        let friday_20 = friday_10 + 10 * 3_600_000;
        assert!(when_line(Lang::En, &hours, friday_10).contains("posts at once"));
        let night = when_line(Lang::En, &hours, friday_20);
        assert!(
            night.contains("waits for the digest at 12/07 09:00 JST"),
            "{night}"
        );
        let blocks = blocks_at(
            Lang::Ja,
            None,
            &[],
            None,
            Some((&hours, friday_20)),
            Test::Unsaved,
        );
        assert!(blocks[1].to_string().contains("営業時間外"), "{blocks:?}");
    }

    #[test]
    fn every_type_has_a_sample_that_parses() {
        for lang in [Lang::Ja, Lang::En] {
            let types = EventType::MEETING
                .into_iter()
                .chain(ErrorCategory::ALL.into_iter().map(EventType::Error))
                .chain(
                    crate::core::catalog::ConversationKind::ALL
                        .into_iter()
                        .map(EventType::Conversation),
                );
            for t in types {
                let body = sample(t, lang, 1_700_000_000).to_string();
                let event = parse(&body).unwrap_or_else(|| panic!("{t:?} sample"));
                assert_eq!(event.event_type, t);
            }
        }
    }

    #[test]
    fn a_test_body_is_marked_keeps_the_real_fields_and_drops_the_host() {
        let latest = json!({
            "type": "booking.created", "occurred_at": "2026-01-01T00:00:00Z",
            "title": "Demo", "host": {"slack_user_id": "U0HOST"},
            "customer": {"name": "Real Customer"}, "fields": {"Plan": "Pro"}
        })
        .to_string();
        let body = test_body(
            Some(&latest),
            EventType::BookingCreated,
            Lang::En,
            1_800_000_000,
            "U0ADMIN",
        );
        let event = parse(&body).unwrap();
        assert_eq!(event.title.as_deref(), Some("[Test send] Demo"));
        assert_eq!(event.host, None);
        assert_eq!(event.customer.name.as_deref(), Some("Real Customer"));
        assert_eq!(event.occurred_at, 1_800_000_000);
        assert_eq!(event.fields["Plan"], "Pro");
        assert_eq!(event.fields["Test sent by"], "U0ADMIN");
    }

    #[test]
    fn a_latest_event_of_another_type_is_not_used() {
        let latest =
            json!({"type": "booking.failed", "occurred_at": "2026-01-01T00:00:00Z"}).to_string();
        let body = test_body(
            Some(&latest),
            EventType::BookingCreated,
            Lang::Ja,
            1_800_000_000,
            "U1",
        );
        assert_eq!(parse(&body).unwrap().event_type, EventType::BookingCreated);
    }

    #[test]
    fn preview_blocks_are_valid_block_kit_with_prefixed_ids() {
        let body = sample(EventType::BookingCancelled, Lang::Ja, 1_700_000_000).to_string();
        let event = parse(&body).unwrap();
        let mentions = [Mention::parse("U0AAA111").unwrap()];
        let blocks = blocks(
            Lang::Ja,
            Some((&event, Source::Sample)),
            &mentions,
            None,
            Test::Saved(Some("ok")),
        );
        for block in &blocks {
            assert!(
                block["block_id"]
                    .as_str()
                    .unwrap()
                    .starts_with(BLOCK_PREFIX)
            );
            serde_json::from_value::<slack_morphism::prelude::SlackBlock>(block.clone())
                .unwrap_or_else(|e| panic!("{block}: {e}"));
        }
        assert!(
            serde_json::to_string(&blocks)
                .unwrap()
                .contains("<@U0AAA111>")
        );
    }
}
