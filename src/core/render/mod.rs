//! Rendering: a notification's Block Kit and fallback text, in Japanese or English.
//!
//! Pure functions of plain data. The output is Slack's documented JSON (checked against
//! slack-morphism's block model in tests), kept inside Slack's limits: long values are
//! cut with a visible "…", so Slack never answers `invalid_blocks`. Every value from the
//! platform is escaped, so a customer named `<!channel>` cannot ping a whole channel.
//!
//! `notification` renders a notification and `conversation` a thread's messages; this
//! file holds what both use: [`Message`], escaping, cutting, and Slack's [`limits`].

use serde_json::Value;

pub mod conversation;
pub mod digest;
mod notification;
pub mod story;

pub use notification::{Audience, Host, notification};

/// Slack's Block Kit limits (characters), from its reference.
pub mod limits {
    pub const BLOCKS: usize = 50;
    pub const HEADER_TEXT: usize = 150;
    pub const SECTION_TEXT: usize = 3000;
    pub const FIELDS_PER_SECTION: usize = 10;
    pub const FIELD_TEXT: usize = 2000;
    pub const BUTTON_TEXT: usize = 75;
    pub const BUTTON_URL: usize = 3000;
    pub const CONTEXT_ELEMENTS: usize = 10;
    /// Herald's own caps: a notification is a summary, not the whole record, and Slack
    /// refuses messages whose blocks are too long in total (`msg_blocks_too_long`).
    pub const FACT_SECTIONS: usize = 3;
    pub const FACT_VALUE: usize = 1000;
    /// Slack truncates `text` past 40,000; notifications stay far shorter.
    pub const FALLBACK_TEXT: usize = 3000;
}

/// A group's parent once more than one event is in it: the latest event's
/// notification, with `line` (the count, `core::group::parent_line`) as a context block
/// under its header and at the head of the fallback text.
pub fn group_parent(latest: &Message, line: &str) -> Message {
    let mut blocks = latest.blocks.clone();
    let context = serde_json::json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": cut(&escape(line), limits::SECTION_TEXT)}]
    });
    let at = usize::from(!blocks.is_empty()).min(blocks.len());
    if blocks.len() < limits::BLOCKS {
        blocks.insert(at, context);
    }
    Message {
        text: cut(&format!("{line}\n{}", latest.text), limits::FALLBACK_TEXT),
        blocks,
    }
}

/// A rendered Slack message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
    pub blocks: Vec<Value>,
}

/// Escapes the three characters Slack's mrkdwn treats as markup, and drops bidi
/// controls (see [`plain`]). Every string the platform sends goes through this before it
/// is put in mrkdwn.
/// A moment as Slack shows it to each reader, in their own zone ("Today at 10:00 AM").
/// The fallback, for what cannot render it (a push notification's preview, a client
/// without date support), is the UTC time in RFC 3339: never a bare Unix number.
pub fn slack_time(unix_secs: i64) -> String {
    format!(
        "<!date^{unix_secs}^{{date_short_pretty}} {{time}}|{}>",
        notification::iso_utc(unix_secs)
    )
}

/// [`slack_time`] with seconds, for when the order of close events matters.
pub fn slack_time_secs(unix_secs: i64) -> String {
    format!(
        "<!date^{unix_secs}^{{date_short_pretty}} {{time_secs}}|{}>",
        notification::iso_utc(unix_secs)
    )
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Platform text for `plain_text` fields (button labels, headers): no markup to escape
/// there, but bidi controls are dropped, so a name cannot reverse how the text around it
/// reads (a "Trojan Source" style spoof, CVE-2021-42574).
pub fn plain(s: &str) -> String {
    s.chars().filter(|c| !is_bidi_control(*c)).collect()
}

/// Unicode's explicit directional formatting characters: embeddings and overrides
/// (U+202A–U+202E), isolates (U+2066–U+2069), the LRM/RLM marks and the Arabic letter mark.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Escapes and cuts, never splitting an escape sequence.
fn fit(raw: &str, max: usize) -> String {
    let mut take = raw.chars().count();
    loop {
        let candidate: String = raw.chars().take(take).collect();
        let mut escaped = escape(&candidate);
        if take < raw.chars().count() {
            escaped.push('…');
        }
        if escaped.chars().count() <= max || take == 0 {
            return escaped;
        }
        take -= (escaped.chars().count() - max).max(1).min(take);
    }
}

/// Cuts already-safe text to `max` characters, marking the cut with "…".
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slack_time_falls_back_to_a_readable_utc_time() {
        assert_eq!(
            slack_time(1_795_222_800),
            "<!date^1795222800^{date_short_pretty} {time}|2026-11-21T01:00:00Z>"
        );
        assert_eq!(
            slack_time_secs(0),
            "<!date^0^{date_short_pretty} {time_secs}|1970-01-01T00:00:00Z>"
        );
    }
}
