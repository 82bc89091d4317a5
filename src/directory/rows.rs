//! Slack's descriptions of channels, users and groups, as the directory stores them.

use crate::store::{ChannelRow, GroupRow, UserRow};

/// A channel as the directory keeps it. Another organization's Slack Connect channel is
/// kept with its owner so a lookup can say why it is not offered.
pub fn channel_row(info: &crate::slack::ChannelInfo, own_team: &str) -> ChannelRow {
    let external_team = crate::slack::connect::host_elsewhere(info, own_team);
    ChannelRow {
        id: info.id.clone(),
        name: info.name.clone().unwrap_or_else(|| info.id.clone()),
        is_private: info.is_private,
        is_archived: info.is_archived,
        is_member: info.is_member,
        external_team,
        deleted: false,
    }
}

pub fn user_row(info: &crate::slack::UserInfo) -> UserRow {
    let nonblank = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    UserRow {
        id: info.id.clone(),
        name: if info.name.is_empty() {
            info.id.clone()
        } else {
            info.name.clone()
        },
        real_name: nonblank(&info.profile.real_name),
        display_name: nonblank(&info.profile.display_name),
        // Slackbot is not flagged as a bot, but nobody mentions it in a rule.
        is_bot: info.is_bot || info.id == "USLACKBOT",
        deleted: info.deleted,
    }
}

pub fn group_row(info: &crate::slack::GroupInfo) -> GroupRow {
    GroupRow {
        id: info.id.clone(),
        handle: info.handle.clone(),
        name: info.name.clone(),
        disabled: info.date_delete != 0,
    }
}
