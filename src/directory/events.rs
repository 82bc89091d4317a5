//! Slack's events about channels, people and user groups, applied as they arrive.
//!
//! Each keeps the directory true within the event's own delivery. When a rule's channel
//! stops working (archived, deleted, or Herald removed from a private one) the owners of
//! those rules get a DM with the fix; App Home shows the same flag on the rule.

use serde_json::Value;

use crate::core::catalog::Lang;
use crate::directory::DirectoryCtx;
use crate::store::{ChannelRow, StoreError};
use crate::workspace::Workspace;

use super::{channel_row, group_row, user_row};

/// The events the directory subscribes to (also listed in `manifest.yml`).
pub const EVENTS: [&str; 17] = [
    "channel_created",
    "channel_rename",
    "channel_archive",
    "channel_unarchive",
    "channel_deleted",
    "group_rename",
    "group_archive",
    "group_unarchive",
    "group_deleted",
    "group_left",
    "channel_left",
    "member_joined_channel",
    "member_left_channel",
    "user_change",
    "team_join",
    "subteam_created",
    "subteam_updated",
];

/// What happened to a channel that rules may post to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    Archived,
    Deleted,
    Removed,
    /// Another organization's Slack Connect channel (src/slack_connect.rs).
    External,
}

/// Applies one event; returns whether it was one of the directory's.
pub async fn apply(
    state: &DirectoryCtx,
    workspace: &Workspace,
    event_type: &str,
    event: &Value,
) -> Result<bool, StoreError> {
    let team_id = workspace.team_id.as_str();
    let directory = &state.directory;
    // `channel` is an object in created/rename events and an id elsewhere.
    let channel_id = event["channel"]
        .as_str()
        .or_else(|| event["channel"]["id"].as_str())
        .unwrap_or_default()
        .to_string();
    match event_type {
        "channel_created" => {
            let info = crate::slack::ChannelInfo {
                id: channel_id,
                name: event["channel"]["name"].as_str().map(str::to_string),
                is_private: false,
                is_archived: false,
                is_member: false,
                is_ext_shared: false,
                context_team_id: None,
                conversation_host_id: None,
                shared_team_ids: Vec::new(),
            };
            directory
                .put_channels(team_id, vec![channel_row(&info, team_id)])
                .await?;
        }
        "channel_rename" | "group_rename" => {
            let name = event["channel"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let known = directory
                .change_channel(team_id, &channel_id, |c| c.name = name.clone())
                .await?;
            if known.is_none() {
                refresh_channel(state, workspace, &channel_id).await?;
            }
        }
        "channel_archive" | "group_archive" => {
            if let Some(row) = directory
                .change_channel(team_id, &channel_id, |c| c.is_archived = true)
                .await?
            {
                tell_owners(state, workspace, &row, Broken::Archived).await;
            }
        }
        "channel_unarchive" | "group_unarchive" => {
            directory
                .change_channel(team_id, &channel_id, |c| c.is_archived = false)
                .await?;
        }
        "channel_deleted" | "group_deleted" => {
            if let Some(row) = directory
                .change_channel(team_id, &channel_id, |c| {
                    c.deleted = true;
                    c.is_member = false;
                })
                .await?
            {
                tell_owners(state, workspace, &row, Broken::Deleted).await;
            }
        }
        "member_joined_channel" | "member_left_channel" | "group_left" | "channel_left" => {
            // The bot hears of its own removal as channel_left / group_left.
            let about_bot = matches!(event_type, "group_left" | "channel_left")
                || event["user"].as_str() == Some(workspace.bot_user_id.as_str());
            if !about_bot {
                return Ok(true);
            }
            if event_type == "member_joined_channel" {
                // A private channel Herald was invited to is new to the directory.
                refresh_channel(state, workspace, &channel_id).await?;
            } else if let Some(row) = directory
                .change_channel(team_id, &channel_id, |c| c.is_member = false)
                .await?
                && row.is_private
            {
                tell_owners(state, workspace, &row, Broken::Removed).await;
            }
        }
        "user_change" | "team_join" => {
            if let Ok(info) =
                serde_json::from_value::<crate::slack::UserInfo>(event["user"].clone())
            {
                directory.put_users(team_id, vec![user_row(&info)]).await?;
            }
        }
        "subteam_created" | "subteam_updated" => {
            if let Ok(info) =
                serde_json::from_value::<crate::slack::GroupInfo>(event["subteam"].clone())
            {
                directory
                    .put_groups(team_id, vec![group_row(&info)])
                    .await?;
            }
        }
        _ => return Ok(false),
    }
    tracing::debug!(event_type, "directory updated");
    Ok(true)
}

/// Asks Slack about a channel the directory does not know (or no longer trusts).
async fn refresh_channel(
    state: &DirectoryCtx,
    workspace: &Workspace,
    channel: &str,
) -> Result<(), StoreError> {
    match state
        .slack
        .channel_info(workspace.bot_token.expose(), channel)
        .await
    {
        Ok(info) => {
            state
                .directory
                .put_channels(
                    &workspace.team_id,
                    vec![channel_row(&info, &workspace.team_id)],
                )
                .await
        }
        Err(err) => {
            tracing::warn!(channel, error = %err, "could not look up a channel from an event");
            Ok(())
        }
    }
}

/// A DM to whoever last saved a rule posting to the channel: what happened and the fix.
async fn tell_owners(
    state: &DirectoryCtx,
    workspace: &Workspace,
    channel: &ChannelRow,
    what: Broken,
) {
    let owners = match state
        .store
        .rule_owners(&workspace.team_id, &channel.id)
        .await
    {
        Ok(owners) => owners,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the rules' owners");
            return;
        }
    };
    let fallback = state.workspace_state.lang(workspace).await;
    let token = workspace.bot_token.expose();
    for owner in owners {
        // In the owner's own Slack language when Herald speaks it.
        let lang = match state.slack.user_profile(token, &owner).await {
            Ok(profile) => profile
                .locale
                .as_deref()
                .and_then(Lang::from_locale)
                .unwrap_or(fallback),
            Err(_) => fallback,
        };
        let text = broken_text(lang, &channel.id, what);
        if let Err(err) = state
            .slack
            .direct_message(workspace.bot_token.expose(), &owner, &text)
            .await
        {
            tracing::warn!(%owner, error = %err, "could not tell a rule's owner");
        }
    }
}

/// What broke and how to fix it, for the DM and App Home.
pub fn broken_text(lang: Lang, channel: &str, what: Broken) -> String {
    match (what, lang) {
        (Broken::Archived, Lang::Ja) => format!(
            ":warning: <#{channel}> がアーカイブされたため、このチャンネルへの通知ルールは届きません。アーカイブを解除するか、App Home でルールのチャンネルを変更してください。"
        ),
        (Broken::Archived, Lang::En) => format!(
            ":warning: <#{channel}> was archived, so its notification rules cannot post. Unarchive it, or change the rules' channel in App Home."
        ),
        (Broken::Deleted, Lang::Ja) => format!(
            ":warning: 通知先のチャンネル(`{channel}`)が削除されました。App Home でルールのチャンネルを変更してください。"
        ),
        (Broken::Deleted, Lang::En) => format!(
            ":warning: A rule's channel (`{channel}`) was deleted. Change the rule's channel in App Home."
        ),
        (Broken::Removed, Lang::Ja) => format!(
            ":warning: Heraldがプライベートチャンネル <#{channel}> から外されたため、通知が届きません。そのチャンネルで `/invite @Herald` を実行してください。"
        ),
        (Broken::Removed, Lang::En) => format!(
            ":warning: Herald was removed from the private channel <#{channel}>, so its notifications cannot post. Type `/invite @Herald` in that channel."
        ),
        (Broken::External, Lang::Ja) => format!(
            ":warning: <#{channel}> は別の組織から Slack コネクトで共有されたチャンネルのため、通知は送られません。App Home でルールのチャンネルを自組織のチャンネルに変更してください。"
        ),
        (Broken::External, Lang::En) => format!(
            ":warning: <#{channel}> is a Slack Connect channel hosted by another organization, so Herald does not post there. Change the rule's channel to one of your own in App Home."
        ),
    }
}
