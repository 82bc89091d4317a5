//! What a reply in a Herald thread is for the platform: text wholly inside a ``` fence
//! is a message to the customer, anything else an internal note (the seed's rule).

/// What a reply in a Herald thread is for the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    /// Wrapped in ``` : sent to the customer.
    Message,
    /// Anything else: an internal note.
    Note,
}

impl ReplyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyKind::Message => "message",
            ReplyKind::Note => "note",
        }
    }
}

/// Reads a reply: text wholly inside a ``` fence is a message to the customer (the fence
/// removed, and a language tag on the opening line dropped); anything else is a note.
pub fn reply_kind(text: &str) -> (ReplyKind, String) {
    let t = text.trim();
    if t.len() >= 6
        && let Some(inner) = t.strip_prefix("```").and_then(|r| r.strip_suffix("```"))
        && !inner.contains("```")
    {
        let inner = inner.strip_prefix('\n').unwrap_or(inner);
        let inner = inner.strip_suffix('\n').unwrap_or(inner);
        return (ReplyKind::Message, inner.to_string());
    }
    (ReplyKind::Note, t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fenced_reply_goes_to_the_customer_and_anything_else_is_a_note() {
        let cases = [
            (
                "```ご連絡ありがとうございます```",
                ReplyKind::Message,
                "ご連絡ありがとうございます",
            ),
            (
                "```\nline one\nline two\n```",
                ReplyKind::Message,
                "line one\nline two",
            ),
            ("  ```hi```  ", ReplyKind::Message, "hi"),
            (
                "internal: check the contract",
                ReplyKind::Note,
                "internal: check the contract",
            ),
            (
                "see ```code``` here",
                ReplyKind::Note,
                "see ```code``` here",
            ),
            (
                "```a``` and ```b```",
                ReplyKind::Note,
                "```a``` and ```b```",
            ),
            ("``````", ReplyKind::Message, ""),
            ("```", ReplyKind::Note, "```"),
        ];
        for (text, kind, body) in cases {
            assert_eq!(reply_kind(text), (kind, body.to_string()), "{text:?}");
        }
    }
}
