//! What a conversation's parent says about it, as seed 001 (HubSpot's inbox) lists:
//! its state (open, pending, closed), the page the customer wrote from, the assignee and
//! the contact owner. The customer's first message is quoted above it
//! (`conversation::parent`).
//!
//! Events carry the conversation as the platform sees it now; a field an event leaves
//! out keeps what an earlier one said ([`Story::merged`]), so a message event that names
//! no owner does not erase the owner from the parent. The story is stored with the
//! thread, and the parent is edited only when it changed.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::core::catalog::Lang;
use crate::core::event::{Conversation, Person};
use crate::core::render;

/// Someone the story names, as the platform named them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Named {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl From<&Person> for Named {
    fn from(p: &Person) -> Self {
        Self {
            id: p.id.clone(),
            email: p.email.clone(),
            name: p.name.clone(),
        }
    }
}

impl Named {
    /// How the person reads when Slack knows nobody for them.
    pub fn as_text(&self) -> String {
        self.name
            .as_deref()
            .or(self.email.as_deref())
            .or(self.id.as_deref())
            .map_or_else(|| "-".to_string(), render::escape)
    }
}

/// The conversation's facts as the parent shows them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Story {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Named>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Named>,
}

impl Story {
    /// What `stored` becomes with `conversation`'s news: each field the event gives
    /// replaces the stored one; a field it leaves out stays.
    pub fn merged(stored: Option<&Story>, conversation: &Conversation) -> Story {
        let mut story = stored.cloned().unwrap_or_default();
        if let Some(state) = &conversation.state {
            story.state = Some(state.clone());
        }
        if let Some(page) = &conversation.page {
            story.page = Some(page.clone());
        }
        if let Some(a) = &conversation.assignee {
            story.assignee = Some(a.into());
        }
        if let Some(o) = &conversation.owner {
            story.owner = Some(o.into());
        }
        story
    }

    /// Read back from the thread's row; None for a thread stored before stories (or an
    /// unreadable one, which the next event rewrites).
    pub fn parse(stored: Option<&str>) -> Option<Story> {
        stored.and_then(|s| serde_json::from_str(s).ok())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A story with its people as Slack shows them (`<@U…>` when Slack knows them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub story: Story,
    pub assignee: Option<String>,
    pub owner: Option<String>,
}

fn state_text(lang: Lang, state: Option<&str>) -> &'static str {
    match (state, lang) {
        (Some("closed"), Lang::Ja) => ":lock: 終了",
        (Some("closed"), Lang::En) => ":lock: Closed",
        (Some("pending"), Lang::Ja) => ":hourglass_flowing_sand: 保留中",
        (Some("pending"), Lang::En) => ":hourglass_flowing_sand: Pending",
        (_, Lang::Ja) => ":large_green_circle: 対応中",
        (_, Lang::En) => ":large_green_circle: Open",
    }
}

/// The parent's section of the story: state, page, assignee, owner, as fields.
pub fn section(lang: Lang, shown: &Shown) -> Value {
    let field = |name: &str, value: String| json!({"type": "mrkdwn", "text": render::cut(&format!("*{name}*\n{value}"), 2000)});
    let mut fields = vec![field(
        lang.pick("状態", "State"),
        state_text(lang, shown.story.state.as_deref()).into(),
    )];
    if let Some(page) = &shown.story.page {
        // A link only to a web page; anything else is shown as text.
        let value = if page.starts_with("https://") || page.starts_with("http://") {
            let url = page
                .replace('|', "%7C")
                .replace('<', "%3C")
                .replace('>', "%3E");
            format!("<{url}|{}>", render::escape(page))
        } else {
            render::escape(page)
        };
        fields.push(field(lang.pick("ページ", "Page"), value));
    }
    let unassigned = lang.pick("未割り当て", "Unassigned");
    fields.push(field(
        lang.pick("担当者", "Assignee"),
        shown.assignee.clone().unwrap_or_else(|| unassigned.into()),
    ));
    if let Some(owner) = &shown.owner {
        fields.push(field(
            lang.pick("コンタクト所有者", "Contact owner"),
            owner.clone(),
        ));
    }
    json!({"type": "section", "block_id": "herald_story", "fields": fields})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(
        state: Option<&str>,
        assignee: Option<&str>,
        owner: Option<&str>,
    ) -> Conversation {
        let person = |name: &str| Person {
            id: Some(format!("op_{name}")),
            email: Some(format!("{name}@example.com")),
            name: Some(name.to_string()),
        };
        Conversation {
            id: "chat_1".into(),
            state: state.map(str::to_string),
            page: None,
            assignee: assignee.map(person),
            owner: owner.map(person),
        }
    }

    #[test]
    fn what_an_event_leaves_out_stays_and_what_it_says_replaces() {
        let first = Story::merged(None, &conversation(Some("open"), Some("ann"), Some("olga")));
        let later = Story::merged(
            Some(&first),
            &conversation(Some("pending"), Some("bob"), None),
        );
        assert_eq!(later.state.as_deref(), Some("pending"));
        assert_eq!(
            later.assignee.as_ref().and_then(|a| a.name.as_deref()),
            Some("bob")
        );
        assert_eq!(
            later.owner.as_ref().and_then(|o| o.name.as_deref()),
            Some("olga"),
            "an event without an owner keeps the owner"
        );
        assert_eq!(
            Story::merged(Some(&later), &conversation(None, None, None)),
            later
        );
        assert_eq!(Story::parse(Some(&later.to_json())), Some(later));
        assert_eq!(Story::parse(Some("not json")), None);
    }

    #[test]
    fn the_section_shows_state_page_assignee_and_owner() {
        let mut story = Story::merged(None, &conversation(Some("pending"), None, Some("olga")));
        story.page = Some("https://shop.example/pricing?a=1|b".into());
        let shown = Shown {
            story,
            assignee: None,
            owner: Some("<@U0OLGA>".into()),
        };
        let block = section(Lang::En, &shown);
        let text = block.to_string();
        assert!(text.contains("Pending"), "{text}");
        assert!(
            text.contains("<https://shop.example/pricing?a=1%7Cb|"),
            "{text}"
        );
        assert!(text.contains("Unassigned"), "{text}");
        assert!(text.contains("<@U0OLGA>"), "{text}");
        serde_json::from_value::<slack_morphism::prelude::SlackBlock>(block).unwrap();
        let unknown = Shown {
            story: Story {
                page: Some("javascript:alert(1)".into()),
                ..Story::default()
            },
            assignee: Some("Ann".into()),
            owner: None,
        };
        let text = section(Lang::Ja, &unknown).to_string();
        assert!(
            text.contains("対応中") && !text.contains("<javascript"),
            "{text}"
        );
    }
}
