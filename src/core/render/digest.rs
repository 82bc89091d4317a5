//! The digest: a channel's notifications kept outside business hours, as one message at
//! the opening. The parent lists the first few (type, customer, time, link) and pings
//! the rules' people once; past that it says "+N more", and the thread under it lists
//! every one, in the order they came, in messages within Slack's limits.

use serde_json::{Value, json};

use super::{Message, cut, escape, limits};
use crate::core::catalog::Lang;
use crate::core::event::PlatformEvent;
use crate::core::rule::Mention;

/// Lines the parent shows before "+N more".
pub const PARENT_LINES: usize = 10;
/// Lines per thread message.
pub const THREAD_LINES: usize = 40;

/// One kept notification's line: `• 🗓 New booking — 山田 太郎 (ACME) · <time> · <link>`.
pub fn line(event: &PlatformEvent, lang: Lang) -> String {
    let mut who: Vec<String> = Vec::new();
    if let Some(name) = &event.customer.name {
        who.push(escape(name));
    }
    if let Some(company) = &event.customer.company {
        who.push(format!("({})", escape(company)));
    }
    let mut line = format!(
        "• {} *{}*",
        event.event_type.emoji(),
        event.event_type.label(lang)
    );
    if let Some(title) = event.title.as_deref().filter(|t| !t.is_empty()) {
        line.push_str(&format!(" {}", cut(&escape(title), 120)));
    }
    if !who.is_empty() {
        line.push_str(&format!(" — {}", cut(&who.join(" "), 200)));
    }
    line.push_str(&format!(" · {}", super::slack_time(event.occurred_at)));
    if let Some(url) = event.url.as_deref().filter(|u| u.starts_with("https://")) {
        line.push_str(&format!(
            " · <{}|{}>",
            cut(url, 2000).replace(['|', '>'], ""),
            lang.pick("開く", "open")
        ));
    }
    line
}

/// Lines as sections, each within Slack's section text limit.
fn sections(lines: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut text = String::new();
    for l in lines {
        let l = cut(l, limits::SECTION_TEXT - 100);
        if !text.is_empty() && text.len() + l.len() + 1 > limits::SECTION_TEXT - 100 {
            out.push(section(&text));
            text.clear();
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&l);
    }
    if !text.is_empty() {
        out.push(section(&text));
    }
    out
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

/// The digest's parent and, when it has more lines than the parent shows, the thread's
/// messages listing all of them. `opened` says when the hours opened, in their zone.
pub fn digest(
    lines: &[String],
    mentions: &[Mention],
    opened: &str,
    lang: Lang,
) -> (Message, Vec<Message>) {
    let count = lines.len();
    let title = match lang {
        Lang::Ja => format!("🌙 営業時間外の通知 {count} 件"),
        Lang::En => format!("🌙 {count} notifications from outside business hours"),
    };
    let pings: Vec<String> = mentions.iter().map(Mention::to_mrkdwn).collect();
    let mut lead = match lang {
        Lang::Ja => format!("営業時間外に届いた通知をまとめました({opened} に営業開始)。"),
        Lang::En => format!("Kept while outside business hours, posted at the opening ({opened})."),
    };
    if !pings.is_empty() {
        lead = format!("{}\n{lead}", pings.join(" "));
    }
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": cut(&title, limits::HEADER_TEXT), "emoji": true}}),
        section(&lead),
    ];
    blocks.extend(sections(&lines[..count.min(PARENT_LINES)]));
    let mut thread = Vec::new();
    if count > PARENT_LINES {
        let more = count - PARENT_LINES;
        let note = match lang {
            Lang::Ja => format!("ほか {more} 件。すべての通知はこのスレッドにあります。"),
            Lang::En => format!("+{more} more. All of them are in the thread."),
        };
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}));
        let parts = count.div_ceil(THREAD_LINES);
        for (i, chunk) in lines.chunks(THREAD_LINES).enumerate() {
            let first = i * THREAD_LINES + 1;
            let heading = match lang {
                Lang::Ja => format!("{first}〜{} 件目 / {count} 件", first + chunk.len() - 1),
                Lang::En => format!("{first}–{} of {count}", first + chunk.len() - 1),
            };
            let mut part_blocks =
                vec![json!({"type": "context", "elements": [{"type": "mrkdwn", "text": heading}]})];
            part_blocks.extend(sections(chunk));
            thread.push(Message {
                text: cut(
                    &format!("{title} ({}/{parts})", i + 1),
                    limits::FALLBACK_TEXT,
                ),
                blocks: part_blocks,
            });
        }
    }
    let mut text = title.clone();
    if !pings.is_empty() {
        text = format!("{} {text}", pings.join(" "));
    }
    (
        Message {
            text: cut(&text, limits::FALLBACK_TEXT),
            blocks,
        },
        thread,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("• line {i}")).collect()
    }

    fn texts(m: &Message) -> String {
        m.blocks
            .iter()
            .map(|b| {
                b["text"]["text"]
                    .as_str()
                    .or(b["elements"][0]["text"].as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_short_digest_is_one_message_that_pings_once() {
        let people = [Mention::parse("U0ONCALL").unwrap()];
        let (parent, thread) = digest(&lines(3), &people, "09:00 JST", Lang::En);
        assert!(thread.is_empty());
        let all = texts(&parent);
        assert_eq!(all.matches("<@U0ONCALL>").count(), 1, "{all}");
        assert!(all.contains("line 1") && all.contains("line 3"), "{all}");
        assert!(parent.text.contains("3 notifications"));
    }

    #[test]
    fn a_long_digest_shows_the_first_and_lists_all_in_the_thread_within_slacks_limits() {
        let long: Vec<String> = (1..=95)
            .map(|i| format!("• line {i} {}", "x".repeat(180)))
            .collect();
        let (parent, thread) = digest(&long, &[], "09:00", Lang::Ja);
        let shown = texts(&parent);
        assert!(
            shown.contains("line 10 ") && !shown.contains("line 11 "),
            "{shown}"
        );
        assert!(shown.contains("ほか 85 件"), "{shown}");
        assert_eq!(thread.len(), 3, "95 lines, 40 a message");
        let listed: String = thread.iter().map(texts).collect();
        for i in 1..=95 {
            assert!(
                listed.contains(&format!("line {i} ")),
                "line {i} is in the thread"
            );
        }
        for m in std::iter::once(&parent).chain(&thread) {
            assert!(m.blocks.len() <= limits::BLOCKS);
            for b in &m.blocks {
                let text = b["text"]["text"].as_str().unwrap_or_default();
                assert!(
                    text.chars().count() <= limits::SECTION_TEXT,
                    "{}",
                    text.len()
                );
            }
        }
    }
}
