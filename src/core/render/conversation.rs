//! How a conversation looks in Slack: the thread's parent, each message as a reply, the
//! imported history in chunks, and the archive link of an earlier thread. Customer text
//! is quoted so it can never ping anyone.

use serde_json::{Value, json};

use crate::core::catalog::{ConversationKind, Lang};
use crate::core::event::{ChatMessage, Conversation, PlatformEvent};
use crate::core::render::{self, Audience, Message};

/// `action_id`s of the buttons on a conversation's parent message.
pub const CLOSE: &str = "herald_conversation_close";
pub const ASSIGN_ME: &str = "herald_conversation_assign_me";

/// Slack allows 50 blocks per message: history is posted in chunks of this many messages.
pub const HISTORY_CHUNK: usize = 40;

fn author(lang: Lang, m: &ChatMessage) -> String {
    let name = m.author_name.as_deref().map(render::escape);
    match (m.author_kind.as_deref(), name) {
        (_, Some(name)) => name,
        (Some("operator"), None) => lang.pick("オペレーター", "Operator").into(),
        (Some("bot"), None) => lang.pick("ボット", "Bot").into(),
        _ => lang.pick("顧客", "Customer").into(),
    }
}

/// A chat message as a quoted block: who wrote it, then what (escaped: a customer's
/// `<!channel>` pings nobody).
fn quoted(lang: Lang, m: &ChatMessage) -> String {
    let body: String = render::escape(&m.text)
        .lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    render::cut(&format!("*{}*\n{body}", author(lang, m)), 2900)
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": render::cut(text, 3000)}})
}

fn context(text: &str) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": render::cut(text, 3000)}]})
}

/// The thread's parent: the notification, the customer's first words, and a link to
/// the conversation's previous (closed) thread. `extra_pings` (the assignee) join the
/// rule's mentions, in the text that notifies.
pub fn parent(
    event: &PlatformEvent,
    audience: &Audience<'_>,
    previous: Option<&str>,
    extra_pings: &[String],
    story: Option<&super::story::Shown>,
) -> Message {
    let lang = audience.lang;
    let mut message = render::notification(event, audience);
    if !extra_pings.is_empty() {
        let pings = extra_pings.join(" ");
        message.text = render::cut(&format!("{pings} {}", message.text), 3000);
        if let Some(lead) = message.blocks.get_mut(1)
            && let Some(text) = lead["text"]["text"].as_str()
        {
            lead["text"]["text"] = json!(render::cut(&format!("{pings}\n{text}"), 3000));
        }
    }
    let mut extra = Vec::new();
    if let Some(m) = &event.message {
        extra.push(section(&quoted(lang, m)));
    }
    if let Some(shown) = story {
        extra.push(super::story::section(lang, shown));
    }
    if let Some(link) = previous {
        extra.push(context(&format!(
            "{} <{link}|{}>",
            lang.pick("前回の会話:", "Earlier in this conversation:"),
            lang.pick("以前のスレッド", "the previous thread")
        )));
    }
    // After the header and lead, before the facts.
    let at = message.blocks.len().min(2);
    message.blocks.splice(at..at, extra);
    // Slash commands do not work in threads: what can be asked of the platform is a button.
    let buttons = json!({"type": "actions", "elements": [
        {"type": "button", "action_id": CLOSE,
         "text": {"type": "plain_text", "text": lang.pick("会話を終了", "Close conversation")}},
        {"type": "button", "action_id": ASSIGN_ME,
         "text": {"type": "plain_text", "text": lang.pick("自分を担当者にする", "Assign to me")}}
    ]});
    let before_context = message.blocks.len().saturating_sub(1);
    message.blocks.insert(before_context, buttons);
    message
}

/// A later event of the conversation, in its thread: compact, no header.
pub fn reply(event: &PlatformEvent, audience: &Audience<'_>, pings: &[String]) -> Message {
    let lang = audience.lang;
    let kind = event.event_type.conversation();
    let mut lines = Vec::new();
    if !pings.is_empty() {
        lines.push(pings.join(" "));
    }
    let conversation = event.conversation.as_ref();
    let assignee = conversation
        .and_then(|c| c.assignee.as_ref())
        .and_then(|a| a.name.clone().or_else(|| a.email.clone()))
        .map(|a| render::escape(&a));
    match kind {
        Some(ConversationKind::Assigned) => lines.push(format!(
            ":bust_in_silhouette: {} {}",
            lang.pick("担当者:", "Assigned to"),
            assignee.unwrap_or_else(|| "-".into())
        )),
        Some(ConversationKind::Closed) => lines.push(
            lang.pick(
                ":lock: 会話が終了しました",
                ":lock: The conversation was closed",
            )
            .into(),
        ),
        Some(ConversationKind::Reopened) => lines.push(
            lang.pick(
                ":unlock: 会話が再開されました",
                ":unlock: The conversation was reopened",
            )
            .into(),
        ),
        _ => {}
    }
    let mut blocks = Vec::new();
    if !lines.is_empty() {
        blocks.push(section(&lines.join("\n")));
    }
    if let Some(m) = &event.message {
        let mut text = quoted(lang, m);
        if kind == Some(ConversationKind::MessageUpdated) {
            text.push_str(lang.pick("\n_(編集済み)_", "\n_(edited)_"));
        }
        blocks.push(section(&text));
    }
    if blocks.is_empty() {
        blocks.push(section(event.event_type.description(lang)));
    }
    blocks.push(context(&format!("Herald · `{}`", event.event_type)));
    let text = event
        .message
        .as_ref()
        .map(|m| format!("{}: {}", author(lang, m), render::escape(&m.text)))
        .unwrap_or_else(|| lines.join(" "));
    let text = if pings.is_empty() {
        text
    } else {
        format!("{} {text}", pings.join(" "))
    };
    Message {
        text: render::cut(&text, 3000),
        blocks,
    }
}

/// One chunk of a conversation's history, oldest first.
pub fn history(lang: Lang, chunk: &[ChatMessage], first: usize, total: usize) -> Message {
    let mut blocks = vec![context(&match lang {
        Lang::Ja => format!(
            ":scroll: これまでの会話 {}–{} / {total} 件",
            first + 1,
            first + chunk.len()
        ),
        Lang::En => format!(
            ":scroll: The conversation so far, {}–{} of {total}",
            first + 1,
            first + chunk.len()
        ),
    })];
    blocks.extend(chunk.iter().map(|m| section(&quoted(lang, m))));
    Message {
        text: lang
            .pick("これまでの会話", "The conversation so far")
            .into(),
        blocks,
    }
}

/// The parent with the conversation's (or booking's) current state on top, when there
/// is a status line, and its story.
pub fn parent_with_status(
    event: &PlatformEvent,
    audience: &Audience<'_>,
    status: Option<&str>,
    story: Option<&super::story::Shown>,
) -> Message {
    let mut message = parent(event, audience, None, &[], story);
    let Some(status) = status else {
        return message;
    };
    message
        .blocks
        .insert(1.min(message.blocks.len()), context(status));
    message
}

/// The DM to the person a conversation was assigned to: the customer, the first message
/// Herald showed of it (`first`, from the thread's parent), and links to the thread and
/// to the conversation on the platform.
pub fn assignment_dm(
    lang: Lang,
    event: &PlatformEvent,
    first: Option<&ChatMessage>,
    thread_link: &str,
) -> Message {
    let customer = event.customer.name.as_deref().map_or_else(
        || lang.pick("顧客", "a customer").to_string(),
        render::escape,
    );
    let lead = match lang {
        Lang::Ja => format!(":bust_in_silhouette: *{customer}* さんとの会話の担当になりました。"),
        Lang::En => {
            format!(":bust_in_silhouette: You were assigned the conversation with *{customer}*.")
        }
    };
    let mut blocks = vec![section(&lead)];
    if let Some(m) = first {
        blocks.push(section(&quoted(lang, m)));
    }
    let mut links = vec![format!(
        "<{thread_link}|{}>",
        lang.pick("Slackのスレッドを開く", "Open the thread in Slack")
    )];
    if let Some(url) = event.url.as_deref().filter(|u| u.starts_with("https://")) {
        links.push(format!(
            "<{url}|{}>",
            lang.pick("プラットフォームで開く", "Open on the platform")
        ));
    }
    blocks.push(section(&links.join("  ·  ")));
    blocks.push(context(lang.pick(
        "`/herald dm off` でこの通知を止められます。",
        "`/herald dm off` stops these messages.",
    )));
    Message {
        text: render::cut(&lead.replace('*', ""), 3000),
        blocks,
    }
}

/// The platform's link to a Slack message (the thread's parent).
pub fn archive_link(channel: &str, ts: &str) -> String {
    format!(
        "https://slack.com/archives/{channel}/p{}",
        ts.replace('.', "")
    )
}

/// The status line of a state change, or None for a chat message (not a change of state).
pub fn state_change(event: &PlatformEvent, lang: Lang) -> Option<String> {
    let conversation = event.conversation.as_ref();
    if conversation.is_some_and(Conversation::is_closed) {
        return Some(lang.pick(":lock: *終了*", ":lock: *Closed*").into());
    }
    match event.event_type.conversation() {
        Some(ConversationKind::Assigned) => {
            let who = conversation
                .and_then(|c| c.assignee.as_ref())
                .and_then(|a| a.name.clone().or_else(|| a.email.clone()))
                .unwrap_or_else(|| "-".into());
            Some(format!(
                ":bust_in_silhouette: *{}* {}",
                lang.pick("担当者:", "Assigned to"),
                crate::core::render::escape(&who)
            ))
        }
        Some(ConversationKind::Closed) => {
            Some(lang.pick(":lock: *終了*", ":lock: *Closed*").into())
        }
        Some(ConversationKind::Reopened) => {
            Some(lang.pick(":unlock: *再開*", ":unlock: *Reopened*").into())
        }
        Some(_) => None,
        // Another event of a booking's thread (cancelled, rescheduled…).
        None => Some(format!(
            "{} *{}*",
            event.event_type.emoji(),
            event.event_type.label(lang)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_text_is_quoted_and_cannot_ping() {
        let m = ChatMessage {
            id: "m1".into(),
            text: "hi <!channel>\nsecond".into(),
            author_kind: Some("customer".into()),
            author_name: Some("Taro".into()),
            attachments: Vec::new(),
        };
        let q = quoted(Lang::En, &m);
        assert!(
            q.starts_with("*Taro*\n> hi &lt;!channel&gt;\n> second"),
            "{q}"
        );
    }

    #[test]
    fn the_assignment_dm_names_the_customer_quotes_the_first_message_and_links_the_thread() {
        let event = crate::core::event::PlatformEvent::parse_from(
            br#"{"type": "conversation.assigned", "occurred_at": "2026-11-21T10:00:00+09:00",
                 "conversation": {"id": "chat_1"}, "customer": {"name": "Taro <!here>"},
                 "url": "https://inbox.example/c/1"}"#,
            crate::core::event::Origin::Platform,
        )
        .unwrap();
        let first = ChatMessage {
            id: "m1".into(),
            text: "help <!channel>".into(),
            author_kind: Some("customer".into()),
            author_name: None,
            attachments: Vec::new(),
        };
        let m = assignment_dm(
            Lang::En,
            &event,
            Some(&first),
            "https://slack.com/archives/C1/p1",
        );
        let all = serde_json::to_string(&m.blocks).unwrap();
        assert!(all.contains("Taro &lt;!here&gt;"), "escaped: {all}");
        assert!(all.contains("> help &lt;!channel&gt;"), "{all}");
        assert!(all.contains("<https://slack.com/archives/C1/p1|Open the thread in Slack>"));
        assert!(all.contains("<https://inbox.example/c/1|Open on the platform>"));
        assert!(!m.text.contains('*'));
        for b in &m.blocks {
            serde_json::from_value::<slack_morphism::prelude::SlackBlock>(b.clone()).unwrap();
        }
    }

    #[test]
    fn history_chunks_fit_slacks_block_limit() {
        let messages: Vec<ChatMessage> = (0..HISTORY_CHUNK)
            .map(|i| ChatMessage {
                id: format!("m{i}"),
                text: "x".repeat(5000),
                author_kind: None,
                author_name: None,
                attachments: Vec::new(),
            })
            .collect();
        let m = history(Lang::Ja, &messages, 0, 100);
        assert!(m.blocks.len() <= 50);
        for b in &m.blocks {
            serde_json::from_value::<slack_morphism::prelude::SlackBlock>(b.clone()).unwrap();
        }
    }
}
