//! A notification: a header, a lead with the pings and the title, up to three
//! sections of facts, the platform's link, and a context line with Herald's event id.
//! Facts that do not fit Slack's limits are dropped, and the context says how many.

use serde_json::{Value, json};

use super::{Message, cut, escape, fit, limits};
use crate::core::catalog::Lang;
use crate::core::event::{HostRef, PlatformEvent};
use crate::core::rule::Mention;
use crate::core::template::{FieldType, Template};

/// How the meeting host appears, once delivery has tried to resolve them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A Slack user: mentioned, so they are notified.
    Mentioned(String),
    /// An email Slack did not know: shown as text, nobody notified.
    Unresolved(String),
}

impl Host {
    pub fn from_ref(host: &HostRef) -> Self {
        match host {
            HostRef::User(id) => Host::Mentioned(id.clone()),
            HostRef::Email(email) => Host::Unresolved(email.clone()),
        }
    }
}

/// What a notification needs besides the event itself.
#[derive(Debug, Clone)]
pub struct Audience<'a> {
    pub mentions: &'a [Mention],
    pub host: Option<Host>,
    pub lang: Lang,
    /// Herald's id of the event, shown so people can quote it.
    pub event_id: &'a str,
    /// The rule's template: when given, the facts are its fields, in its order.
    pub template: Option<&'a Template>,
}

/// A fact's name and its value, both already escaped.
type Fact = (String, String);

/// Renders one notification.
pub fn notification(event: &PlatformEvent, audience: &Audience<'_>) -> Message {
    let lang = audience.lang;
    let pings = pings(audience);
    let mut blocks = vec![header(event, lang), lead(event, &pings, lang)];
    let facts = match audience.template {
        Some(template) => template_facts(template, event, lang),
        None => facts(event, audience),
    };
    let (sections, dropped) = fit_to_limits(&facts, blocks.len());
    blocks.extend(sections);
    blocks.extend(actions(event, lang));
    blocks.push(context(event, audience, dropped));
    Message {
        text: fallback_text(event, &pings, lang),
        blocks,
    }
}

/// The rule's mentions and a resolved host, as one line of mrkdwn.
fn pings(audience: &Audience<'_>) -> String {
    let mut pings: Vec<String> = audience.mentions.iter().map(Mention::to_mrkdwn).collect();
    if let Some(Host::Mentioned(id)) = &audience.host {
        pings.push(format!("<@{id}>"));
    }
    pings.join(" ")
}

fn header(event: &PlatformEvent, lang: Lang) -> Value {
    let label = event.event_type.label(lang);
    json!({
        "type": "header",
        "text": {"type": "plain_text", "text": cut(&format!("{} {label}", event.event_type.emoji()), limits::HEADER_TEXT), "emoji": true}
    })
}

/// The pings, the title and what the event means.
fn lead(event: &PlatformEvent, pings: &str, lang: Lang) -> Value {
    let mut lead = String::new();
    if !pings.is_empty() {
        lead.push_str(pings);
        lead.push('\n');
    }
    if let Some(title) = &event.title {
        lead.push_str(&format!("*{}*\n", fit(title, 500)));
    }
    lead.push_str(event.event_type.description(lang));
    section_text(&lead)
}

/// Herald's facts (meeting type, customer, host, channel, time), then the platform's
/// own fields in their order.
fn facts(event: &PlatformEvent, audience: &Audience<'_>) -> Vec<Fact> {
    let lang = audience.lang;
    let mut facts: Vec<Fact> = Vec::new();
    let mut fact = |name: &str, value: String| facts.push((name.to_string(), value));
    if let Some(mt) = &event.meeting_type {
        fact(
            lang.pick("面談タイプ", "Meeting type"),
            escape(mt.name.as_deref().unwrap_or(&mt.id)),
        );
    }
    if let Some(name) = &event.customer.name {
        fact(lang.pick("顧客", "Customer"), escape(name));
    }
    if let Some(company) = &event.customer.company {
        fact(lang.pick("会社", "Company"), escape(company));
    }
    if let Some(email) = &event.customer.email {
        fact(lang.pick("メール", "Email"), escape(email));
    }
    if let Some(host) = &audience.host {
        fact(lang.pick("担当者", "Host"), host_text(host, lang));
    }
    if let Some(channel) = &event.slack_channel {
        fact(lang.pick("チャンネル", "Channel"), channel.mrkdwn());
    }
    fact(
        lang.pick("日時", "When"),
        super::slack_time(event.occurred_at),
    );
    for (key, value) in &event.fields {
        let value = if value.is_empty() {
            "-".into()
        } else {
            escape(value)
        };
        facts.push((escape(key), value));
    }
    facts
}

/// A template's fields in its order, under its labels. A value that does not fit its
/// type, or a required one that is missing, is shown flagged in its place; an optional
/// one that is missing is left out.
fn template_facts(template: &Template, event: &PlatformEvent, lang: Lang) -> Vec<Fact> {
    template
        .fields
        .iter()
        .filter_map(|f| {
            let value = f.field.value(event);
            let shown = match (f.misfit(value), value) {
                (Some(misfit), _) => escape(&f.flag(&misfit, lang)),
                (None, None) => return None,
                (None, Some(v)) => typed_value(&f.kind, v, lang),
            };
            Some((escape(f.label.pick(lang)), shown))
        })
        .collect()
}

/// A value that fits its type, as Slack shows it best: a time in the reader's own time
/// zone, a yes or no in words.
fn typed_value(kind: &FieldType, value: &str, lang: Lang) -> String {
    match kind {
        FieldType::Datetime => {
            match time::OffsetDateTime::parse(
                value.trim(),
                &time::format_description::well_known::Rfc3339,
            ) {
                Ok(at) => format!(
                    "<!date^{}^{{date_short_pretty}} {{time}}|{}>",
                    at.unix_timestamp(),
                    escape(value)
                ),
                Err(_) => escape(value),
            }
        }
        FieldType::Bool => match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => lang.pick("はい", "Yes").into(),
            _ => lang.pick("いいえ", "No").into(),
        },
        _ => escape(value),
    }
}

fn host_text(host: &Host, lang: Lang) -> String {
    match host {
        Host::Mentioned(id) => format!("<@{id}>"),
        Host::Unresolved(email) => format!(
            "{} {}",
            escape(email),
            lang.pick(
                "(Slackユーザーが見つかりません)",
                "(no Slack user with this email)"
            )
        ),
    }
}

/// The fact sections that fit after `used` blocks, and how many facts were left out.
/// Room is kept for the actions and context blocks, and Herald shows at most
/// [`limits::FACT_SECTIONS`] sections: a notification is a summary.
fn fit_to_limits(facts: &[Fact], used: usize) -> (Vec<Value>, usize) {
    let room = (limits::BLOCKS - used - 3).min(limits::FACT_SECTIONS);
    let chunks: Vec<&[Fact]> = facts.chunks(limits::FIELDS_PER_SECTION).collect();
    let shown = chunks.len().min(room);
    let sections = chunks[..shown]
        .iter()
        .map(|chunk| {
            let fields: Vec<Value> = chunk
                .iter()
                .map(|(name, value)| {
                    let name = cut(name, 200);
                    let value = cut(value, limits::FACT_VALUE);
                    json!({"type": "mrkdwn", "text": format!("*{name}*\n{value}")})
                })
                .collect();
            json!({"type": "section", "fields": fields})
        })
        .collect();
    let dropped = facts.len() - (shown * limits::FIELDS_PER_SECTION).min(facts.len());
    (sections, dropped)
}

/// The platform's link as a button, or as text when it is too long for one.
fn actions(event: &PlatformEvent, lang: Lang) -> Option<Value> {
    let url = event.url.as_ref()?;
    if url.chars().count() > limits::BUTTON_URL {
        return Some(section_text(&fit(url, limits::SECTION_TEXT)));
    }
    Some(json!({
        "type": "actions",
        "elements": [{
            "type": "button",
            "action_id": "open_platform",
            "text": {"type": "plain_text", "text": lang.pick("詳細を開く", "Open details")},
            "url": url,
        }]
    }))
}

/// Herald's signature with the event id, and a note on dropped facts.
fn context(event: &PlatformEvent, audience: &Audience<'_>, dropped: usize) -> Value {
    let mut context = vec![format!(
        "Herald · `{}` · {}",
        event.event_type,
        event_id_text(audience)
    )];
    if dropped > 0 {
        context.push(match audience.lang {
            Lang::Ja => format!("他 {dropped} 項目は省略しました"),
            Lang::En => format!("{dropped} more fields not shown"),
        });
    }
    json!({
        "type": "context",
        "elements": context.into_iter().take(limits::CONTEXT_ELEMENTS)
            .map(|t| json!({"type": "mrkdwn", "text": cut(&t, limits::FIELD_TEXT)}))
            .collect::<Vec<_>>()
    })
}

/// The text notifications and screen readers show: pings, the event, its subject.
fn fallback_text(event: &PlatformEvent, pings: &str, lang: Lang) -> String {
    let label = event.event_type.label(lang);
    let subject = event
        .title
        .as_deref()
        .or(event.customer.name.as_deref())
        .map(|s| format!(": {}", escape(s)))
        .unwrap_or_default();
    let text = format!(
        "{pings}{}{label}{subject}",
        if pings.is_empty() { "" } else { " " }
    );
    cut(&text, limits::FALLBACK_TEXT)
}

fn event_id_text(audience: &Audience<'_>) -> String {
    format!(
        "{} {}",
        audience.lang.pick("イベント", "event"),
        cut(audience.event_id, 100)
    )
}

fn section_text(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(text, limits::SECTION_TEXT)}})
}

pub(super) fn iso_utc(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::core::catalog::{ErrorCategory, EventType};
    use crate::core::event::{Customer, MeetingType};
    use crate::core::render::{escape, plain};

    fn booking() -> PlatformEvent {
        PlatformEvent {
            event_type: EventType::BookingCreated,
            occurred_at: 1_763_686_800,
            meeting_type: Some(MeetingType {
                id: "mt_1".into(),
                name: Some("初回面談".into()),
            }),
            host: Some(HostRef::User("UHOST".into())),
            customer: Customer {
                name: Some("山田 太郎".into()),
                company: Some("ACME".into()),
                email: Some("taro@example.com".into()),
            },
            title: Some("初回面談のご予約".into()),
            url: Some("https://platform.example/bookings/1".into()),
            fields: BTreeMap::from([("予算".into(), "100万円".into())]),
            slack_channel: None,
            conversation: None,
            message: None,
            messages: Vec::new(),
        }
    }

    fn audience(mentions: &[Mention], lang: Lang) -> Audience<'_> {
        Audience {
            mentions,
            host: Some(Host::Mentioned("UHOST".into())),
            lang,
            event_id: "evt_1",
            template: None,
        }
    }

    #[test]
    fn a_template_shows_its_fields_in_order_and_flags_what_does_not_fit() {
        let template = crate::core::template::Template::parse_lines(
            "fields.amount | 金額 / Amount | number\n\
             fields.plan | プラン / Plan | enum: free, pro | required\n\
             fields.starts_at | 開始 / Starts | datetime\n\
             fields.paid | 支払済 / Paid | bool\n\
             fields.memo | メモ / Memo\n\
             customer.email | メール / Email | email",
        )
        .unwrap();
        let mut event = booking();
        event.fields = BTreeMap::from([
            ("amount".into(), "abc".into()),
            ("starts_at".into(), "2026-12-02T10:00:00+09:00".into()),
            ("paid".into(), "true".into()),
            ("unlisted".into(), "not shown".into()),
        ]);
        let a = Audience {
            template: Some(&template),
            ..audience(&[], Lang::En)
        };
        let m = notification(&event, &a);
        let fields: Vec<String> = m
            .blocks
            .iter()
            .filter_map(|b| b["fields"].as_array())
            .flatten()
            .map(|f| f["text"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            fields,
            [
                "*Amount*\n⚠ not a number: abc",
                "*Plan*\n⚠ missing (required)",
                "*Starts*\n<!date^1796173200^{date_short_pretty} {time}|2026-12-02T10:00:00+09:00>",
                "*Paid*\nYes",
                // memo: optional and absent, left out
                "*Email*\ntaro@example.com",
            ]
        );
        assert!(
            !all_text(&m).contains("not shown"),
            "only the template's fields"
        );
        let ja = notification(
            &event,
            &Audience {
                template: Some(&template),
                ..audience(&[], Lang::Ja)
            },
        );
        assert!(
            all_text(&ja).contains("*金額*\\n⚠ 数値ではありません: abc"),
            "{}",
            all_text(&ja)
        );
    }

    fn all_text(m: &Message) -> String {
        serde_json::to_string(&m.blocks).unwrap()
    }

    #[test]
    fn booking_shows_key_facts_mentions_and_a_link_in_both_languages() {
        let mentions = [
            Mention::parse("U0AAA").unwrap(),
            Mention::parse("S0BBB").unwrap(),
        ];
        for (lang, label, button) in [
            (Lang::Ja, "面談予約", "詳細を開く"),
            (Lang::En, "Meeting booked", "Open details"),
        ] {
            let m = notification(&booking(), &audience(&mentions, lang));
            assert!(
                m.text.starts_with("<@U0AAA> <!subteam^S0BBB> <@UHOST> "),
                "{}",
                m.text
            );
            assert!(m.text.contains(label));
            let blocks = all_text(&m);
            for expected in [
                label,
                button,
                "山田 太郎",
                "ACME",
                "初回面談",
                "100万円",
                "<@UHOST>",
                "evt_1",
            ] {
                assert!(
                    blocks.contains(expected),
                    "{lang:?}: {expected} missing from {blocks}"
                );
            }
            assert!(blocks.contains("https://platform.example/bookings/1"));
            assert!(blocks.contains("<!date^1763686800^"));
        }
    }

    #[test]
    fn platform_text_cannot_inject_mentions_or_links() {
        let mut e = booking();
        e.customer.name = Some("<!channel> & <https://evil|click>".into());
        let m = notification(&e, &audience(&[], Lang::En));
        let blocks = all_text(&m);
        assert!(!blocks.contains("<!channel>") && !m.text.contains("<!channel>"));
        assert!(blocks.contains("&lt;!channel&gt; &amp; &lt;https://evil|click&gt;"));
    }

    #[test]
    fn bidi_controls_from_the_platform_never_reach_slack() {
        let controls = [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ];
        let spoof =
            |s: &str| format!("{s}\u{202E}gpj.exe\u{202C}\u{2066}x\u{2069}\u{200F}\u{061C}");
        let mut event = booking();
        event.title = Some(spoof("title"));
        event.customer.name = Some(spoof("name"));
        event.customer.company = Some(spoof("company"));
        event.customer.email = Some(spoof("mail@example.com"));
        event.fields = BTreeMap::from([(spoof("key"), spoof("value"))]);
        if let Some(mt) = event.meeting_type.as_mut() {
            mt.name = Some(spoof("mt"));
        }
        let host = Host::Unresolved(spoof("host@example.com"));
        let audience = Audience {
            host: Some(host),
            ..audience(&[], Lang::En)
        };
        let m = notification(&event, &audience);
        let all = format!("{}{}", all_text(&m), m.text);
        for c in controls {
            assert!(!all.contains(c), "U+{:04X} in {all}", c as u32);
        }
        assert!(all.contains("namegpj.exex"), "the text itself stays: {all}");
        assert_eq!(escape("a\u{202E}<b>\u{2067}"), "a&lt;b&gt;");
        assert_eq!(plain("Op\u{202E}erator\u{200E}"), "Operator");
    }

    #[test]
    fn unresolved_host_is_shown_without_a_mention() {
        let mut a = audience(&[], Lang::Ja);
        a.host = Some(Host::Unresolved("host@example.com".into()));
        let m = notification(&booking(), &a);
        assert!(!m.text.contains("<@"));
        assert!(all_text(&m).contains("host@example.com"));
    }

    #[test]
    fn huge_values_are_cut_visibly_within_slack_limits() {
        let mut e = booking();
        e.title = Some("題".repeat(10_000));
        e.customer.name = Some("名".repeat(5_000));
        e.url = Some(format!("https://x.example/{}", "a".repeat(4_000)));
        e.fields = (0..300)
            .map(|i| (format!("k{i:03}"), "v".repeat(3_000)))
            .collect();
        let m = notification(&e, &audience(&[], Lang::Ja));
        assert_within_limits(&m);
        assert!(all_text(&m).contains('…'));
        assert!(all_text(&m).contains("項目は省略しました"));
    }

    #[test]
    fn every_event_type_renders_within_limits() {
        let types = EventType::MEETING
            .into_iter()
            .chain(ErrorCategory::ALL.into_iter().map(EventType::Error));
        for t in types {
            for lang in [Lang::Ja, Lang::En] {
                let mut e = booking();
                e.event_type = t;
                let m = notification(&e, &audience(&[], lang));
                assert_within_limits(&m);
                assert!(all_text(&m).contains(t.label(lang)));
            }
        }
    }

    #[test]
    fn blocks_parse_as_slack_morphism_blocks_without_loss() {
        let m = notification(&booking(), &audience(&[], Lang::Ja));
        for block in &m.blocks {
            let typed: slack_morphism::prelude::SlackBlock =
                serde_json::from_value(block.clone()).unwrap();
            assert_eq!(&serde_json::to_value(typed).unwrap(), block);
        }
    }

    fn assert_within_limits(m: &Message) {
        let chars = |v: &Value| v.as_str().unwrap().chars().count();
        assert!(m.blocks.len() <= limits::BLOCKS);
        assert!(m.text.chars().count() <= limits::FALLBACK_TEXT);
        for b in &m.blocks {
            match b["type"].as_str().unwrap() {
                "header" => assert!(chars(&b["text"]["text"]) <= limits::HEADER_TEXT),
                "section" => {
                    if let Some(t) = b.get("text") {
                        assert!(chars(&t["text"]) <= limits::SECTION_TEXT);
                    }
                    if let Some(f) = b.get("fields") {
                        let f = f.as_array().unwrap();
                        assert!(f.len() <= limits::FIELDS_PER_SECTION);
                        assert!(f.iter().all(|f| chars(&f["text"]) <= limits::FIELD_TEXT));
                    }
                }
                "actions" => {
                    let button = &b["elements"][0];
                    assert!(chars(&button["text"]["text"]) <= limits::BUTTON_TEXT);
                    assert!(chars(&button["url"]) <= limits::BUTTON_URL);
                }
                "context" => {
                    assert!(b["elements"].as_array().unwrap().len() <= limits::CONTEXT_ELEMENTS);
                }
                other => panic!("unexpected block {other}"),
            }
        }
    }
}
