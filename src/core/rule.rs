//! Notification rules: what a rule reacts to, where it posts, whom it mentions (at most
//! three, the seed's limit), and how it shows a conversation's life. A value of these
//! types is always valid.

use serde::{Deserialize, Serialize};

use crate::core::catalog::{ErrorCategory, EventType};
use crate::core::ids::{ChannelId, is_slack_id};

/// Why a value was refused; `field` is the JSON path the caller can fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn at(self, prefix: &str) -> Self {
        Self {
            field: format!("{prefix}.{}", self.field),
            ..self
        }
    }
}

/// Someone a notification mentions: a user (`U…`/`W…`) or a user group (`S…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mention {
    User(String),
    Group(String),
}

impl Mention {
    pub fn parse(s: &str) -> Result<Self, String> {
        if is_slack_id(s, &['U', 'W']) {
            Ok(Mention::User(s.to_string()))
        } else if is_slack_id(s, &['S']) {
            Ok(Mention::Group(s.to_string()))
        } else {
            Err(format!(
                "{s:?} is not a Slack user (U…/W…) or user group (S…) id"
            ))
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Mention::User(id) | Mention::Group(id) => id,
        }
    }

    /// The mrkdwn that makes Slack notify this person or group.
    pub fn to_mrkdwn(&self) -> String {
        match self {
            Mention::User(id) => format!("<@{id}>"),
            Mention::Group(id) => format!("<!subteam^{id}>"),
        }
    }
}

impl Serialize for Mention {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Mention {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// At most three mentions per rule, without repeats, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mentions(Vec<Mention>);

impl Mentions {
    pub const MAX: usize = 3;

    pub fn new(mentions: Vec<Mention>) -> Result<Self, String> {
        let mut unique: Vec<Mention> = Vec::with_capacity(mentions.len());
        for m in mentions {
            if !unique.contains(&m) {
                unique.push(m);
            }
        }
        if unique.len() > Self::MAX {
            return Err(format!(
                "at most {} mentions, got {}",
                Self::MAX,
                unique.len()
            ));
        }
        Ok(Self(unique))
    }

    pub fn parse_all(ids: &[String]) -> Result<Self, String> {
        Self::new(
            ids.iter()
                .map(|s| Mention::parse(s))
                .collect::<Result<_, _>>()?,
        )
    }

    pub fn iter(&self) -> impl Iterator<Item = &Mention> {
        self.0.iter()
    }

    pub fn ids(&self) -> Vec<String> {
        self.0.iter().map(|m| m.id().to_string()).collect()
    }
}

/// What a rule reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleTrigger {
    /// A meeting event, for one meeting type or (None) every meeting type.
    Event {
        event_type: EventType,
        meeting_type: Option<String>,
    },
    /// Error events of these categories.
    Error { categories: Vec<ErrorCategory> },
}

/// A notification rule as stored; `id` and `team_id` are assigned by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub team_id: String,
    pub trigger: RuleTrigger,
    pub channel: ChannelId,
    pub mentions: Mentions,
    pub enabled: bool,
    /// Who is mentioned instead of the rule's people while they are away.
    pub backup: Option<Mention>,
    pub lifecycle: Lifecycle,
    pub options: RuleOptions,
}

/// What a rule may add to "this event type, this meeting type": conditions on the
/// event's fields and the template of what its notification shows; the rules file
/// writes each under its own key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleOptions {
    /// `where`: all must hold for the rule to take an event.
    pub conditions: Vec<crate::core::conditions::Condition>,
    /// `template`: the fields the notification shows (empty: Herald's own facts).
    pub template: crate::core::template::Template,
    /// `group`: bursts folded into one thread.
    pub group: Option<crate::core::group::Grouping>,
    /// `hours`: outside them, notifications wait for the opening's digest.
    pub hours: Option<crate::core::hours::Hours>,
    /// `replies`: whether what people say in the rule's threads goes to the platform.
    pub replies: Replies,
}

impl RuleOptions {
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
            && self.template.is_empty()
            && self.group.is_none()
            && self.hours.is_none()
            && self.replies == Replies::Forward
    }
}

/// Whether replies in a rule's threads reach the platform. `Off` makes an alerts-only
/// channel: nothing said there can reach a customer (Chatwoot's users asked for this
/// after an internal remark did).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Replies {
    #[default]
    Forward,
    Off,
}

impl Replies {
    pub fn is_forward(&self) -> bool {
        *self == Replies::Forward
    }
}

/// How a rule shows a threaded conversation's state changes (assigned, closed,
/// reopened, a booking cancelled or rescheduled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// Edit the parent (a status line) and reply in the thread.
    #[default]
    EditParent,
    /// Reply in the thread only, mentioning the conversation's owner so someone sees it.
    ThreadOnly,
    /// Reply in the thread and also to the channel (`reply_broadcast`).
    Broadcast,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 3] = [
        Lifecycle::EditParent,
        Lifecycle::ThreadOnly,
        Lifecycle::Broadcast,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::EditParent => "edit_parent",
            Lifecycle::ThreadOnly => "thread_only",
            Lifecycle::Broadcast => "broadcast",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn label(self, lang: crate::core::catalog::Lang) -> &'static str {
        match self {
            Lifecycle::EditParent => lang.pick(
                "親メッセージを更新してスレッドに返信",
                "Edit the parent and reply in the thread",
            ),
            Lifecycle::ThreadOnly => lang.pick(
                "スレッドにだけ返信(担当者をメンション)",
                "Reply in the thread only (mention the owner)",
            ),
            Lifecycle::Broadcast => lang.pick(
                "スレッドに返信してチャンネルにも送信",
                "Reply in the thread and also to the channel",
            ),
        }
    }

    pub(crate) fn is_default(&self) -> bool {
        *self == Lifecycle::EditParent
    }
}

impl Rule {
    /// Characters of [`Rule::short_ref`].
    pub const SHORT_REF: usize = 6;

    /// The end of the rule's id (its random part): short enough to type after
    /// `/herald edit`, long enough to be unique among one workspace's rules.
    pub fn short_ref(&self) -> &str {
        let start = self.id.len().saturating_sub(Self::SHORT_REF);
        self.id.get(start..).unwrap_or(&self.id)
    }

    /// Whether a reference typed by an admin (a short ref or a whole id) names this rule.
    pub fn is_named_by(&self, reference: &str) -> bool {
        self.id.eq_ignore_ascii_case(reference)
            || (reference.len() >= 4
                && self.id.len() >= reference.len()
                && self
                    .id
                    .get(self.id.len() - reference.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(reference)))
    }
}

/// A validated rule not yet stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub trigger: RuleTrigger,
    pub channel: ChannelId,
    pub mentions: Mentions,
    pub enabled: bool,
    pub backup: Option<Mention>,
    pub lifecycle: Lifecycle,
    pub options: RuleOptions,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_hold_at_most_three_distinct_ids() {
        let ids = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            Mentions::parse_all(&ids(&["U1AA", "S2BB", "W3CC"]))
                .unwrap()
                .ids()
                .len(),
            3
        );
        assert_eq!(
            Mentions::parse_all(&ids(&["U1AA", "U1AA", "U1AA", "S2BB"]))
                .unwrap()
                .ids(),
            ["U1AA", "S2BB"]
        );
        assert!(Mentions::parse_all(&ids(&["U1AA", "U2BB", "U3CC", "U4DD"])).is_err());
        assert!(Mentions::parse_all(&ids(&["C1AA"])).is_err());
    }

    #[test]
    fn mention_markup_notifies_users_and_groups() {
        assert_eq!(Mention::parse("U0AAA").unwrap().to_mrkdwn(), "<@U0AAA>");
        assert_eq!(
            Mention::parse("S0BBB").unwrap().to_mrkdwn(),
            "<!subteam^S0BBB>"
        );
    }
}
