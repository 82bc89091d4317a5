//! What a picker shows: one [`Choice`] per channel, person or group, labelled within
//! Slack's limits, and which channels a rule may use at all.

use crate::store::{ChannelRow, GroupRow, UserRow};

/// One option of a picker: Slack's `value` (an id) and `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

/// Slack shows at most 100 options per external select answer.
pub const MAX_OPTIONS: usize = 100;
/// Slack's limit on an option's text.
const MAX_LABEL: usize = 75;

pub(super) fn offerable(c: &ChannelRow) -> bool {
    !c.deleted && !c.is_archived && c.external_team.is_none() && (!c.is_private || c.is_member)
}

fn cut(label: &str) -> String {
    crate::core::render::cut(label, MAX_LABEL)
}

pub fn channel_label(c: &ChannelRow) -> String {
    let lock = if c.is_private { "🔒" } else { "#" };
    cut(&format!("{lock}{}", c.name))
}

pub(super) fn user_label(u: &UserRow) -> String {
    let shown = u
        .display_name
        .as_deref()
        .filter(|d| !d.is_empty())
        .or(u.real_name.as_deref().filter(|r| !r.is_empty()))
        .unwrap_or(&u.name);
    match u.real_name.as_deref() {
        Some(real) if !real.is_empty() && real != shown => cut(&format!("{shown} ({real})")),
        _ => cut(shown),
    }
}

pub(super) fn group_label(g: &GroupRow) -> String {
    cut(&format!("@{} ({})", g.handle, g.name))
}

/// A channel as a picker option; one a rule cannot use says why (a pasted id may name
/// one, and the admin should learn it before saving).
pub fn channel_choice(row: &ChannelRow, lang: crate::core::catalog::Lang) -> Choice {
    let label = if offerable(row) {
        channel_label(row)
    } else {
        let why = if row.external_team.is_some() {
            lang.pick(
                "他組織のSlack Connectチャンネル",
                "another organization's Slack Connect channel",
            )
        } else if row.deleted {
            lang.pick("削除済み", "deleted")
        } else if row.is_archived {
            lang.pick("アーカイブ済み", "archived")
        } else {
            lang.pick(
                "Heraldが未参加(/invite @Herald)",
                "Herald is not in it (/invite @Herald)",
            )
        };
        cut(&format!("⚠ {} — {why}", channel_label(row)))
    };
    Choice {
        id: row.id.clone(),
        label,
    }
}
