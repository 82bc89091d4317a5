//! Who and what is in a workspace: channels, users and user groups (the directory's
//! lists and lookups), and a person's profile (admin rights, locale).

use serde::Deserialize;
use slack_morphism::prelude::*;

use super::{Page, ResponseMetadata, SlackApi, SlackError, SlackErrorCode, api_token, next};

/// The parts of a conversation Herald needs, including the Slack Connect flags that
/// slack-morphism's model lacks.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ChannelInfo {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub is_private: bool,
    #[serde(default)]
    pub is_archived: bool,
    #[serde(default)]
    pub is_member: bool,
    #[serde(default)]
    pub is_ext_shared: bool,
    /// The workspace that asked (Slack's `context_team_id`): not the channel's owner.
    #[serde(default)]
    pub context_team_id: Option<String>,
    /// The workspace hosting the channel (Slack Connect: the organization that shared it).
    #[serde(default)]
    pub conversation_host_id: Option<String>,
    #[serde(default)]
    pub shared_team_ids: Vec<String>,
}

/// What Herald needs to know about a person using its commands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserProfile {
    /// A workspace admin or owner, as Slack flags them (see [`Self::is_admin_of`]).
    pub is_admin: bool,
    /// A workspace owner: may name Herald admins (see [`Self::is_owner_of`]).
    pub is_owner: bool,
    /// Slack's locale for the user, e.g. `ja-JP`.
    pub locale: Option<String>,
    /// A multi- or single-channel guest (`is_restricted` / `is_ultra_restricted`).
    pub is_guest: bool,
    /// The workspaces the user belongs to: `team_id`, and on Enterprise Grid every
    /// workspace of `enterprise_user.teams`. An external user of a Slack Connect channel
    /// has their own organisation's team here.
    pub teams: Vec<String>,
    /// The profile's email (with `users:read.email`).
    pub email: Option<String>,
    /// Seconds east of UTC of the user's time zone now (`users.info`'s `tz_offset`,
    /// daylight saving included): the times of the error log they ask for.
    pub tz_offset: Option<i32>,
}

impl UserProfile {
    /// A full member of `team_id`: not a guest, and not someone from another team (whose
    /// admin flags speak of their own organisation).
    pub fn is_member_of(&self, team_id: &str) -> bool {
        !self.is_guest && self.teams.iter().any(|t| t == team_id)
    }

    /// An admin or owner of `team_id` itself.
    pub fn is_admin_of(&self, team_id: &str) -> bool {
        self.is_admin && self.is_member_of(team_id)
    }

    /// An owner of `team_id` itself.
    pub fn is_owner_of(&self, team_id: &str) -> bool {
        self.is_owner && self.is_member_of(team_id)
    }
}

/// A user as `users.list` / `users.info` describe them, reduced to what the directory keeps.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct UserInfo {
    pub id: String,
    /// The person's own workspace: another organization's for a Slack Connect member.
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub profile: UserNames,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct UserNames {
    #[serde(default)]
    pub real_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// With `users:read.email`.
    #[serde(default)]
    pub email: Option<String>,
}

/// A user group as `usergroups.list` describes it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct GroupInfo {
    pub id: String,
    #[serde(default)]
    pub handle: String,
    #[serde(default)]
    pub name: String,
    /// Non-zero once the group is disabled.
    #[serde(default)]
    pub date_delete: i64,
}

impl SlackApi {
    pub async fn channel_info(
        &self,
        token: &str,
        channel: &str,
    ) -> Result<ChannelInfo, SlackError> {
        #[derive(Deserialize)]
        struct Res {
            channel: ChannelInfo,
        }
        let params = vec![("channel", Some(channel))];
        let res: Res = self.get(token, "conversations.info", params).await?;
        Ok(res.channel)
    }

    /// A page of `conversations.list`: public channels and the private ones Herald is in,
    /// archived ones included (the directory flags them).
    pub async fn list_channels(
        &self,
        token: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<ChannelInfo>, SlackError> {
        #[derive(Deserialize)]
        struct Res {
            #[serde(default)]
            channels: Vec<ChannelInfo>,
            response_metadata: Option<ResponseMetadata>,
        }
        let limit = limit.to_string();
        let params = vec![
            ("types", Some("public_channel,private_channel")),
            ("exclude_archived", Some("false")),
            ("limit", Some(limit.as_str())),
            ("cursor", cursor),
        ];
        let res: Res = self.get(token, "conversations.list", params).await?;
        Ok((res.channels, next(res.response_metadata)))
    }

    /// A page of `users.list`.
    pub async fn list_users(
        &self,
        token: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserInfo>, SlackError> {
        #[derive(Deserialize)]
        struct Res {
            #[serde(default)]
            members: Vec<UserInfo>,
            response_metadata: Option<ResponseMetadata>,
        }
        let limit = limit.to_string();
        let params = vec![("limit", Some(limit.as_str())), ("cursor", cursor)];
        let res: Res = self.get(token, "users.list", params).await?;
        Ok((res.members, next(res.response_metadata)))
    }

    /// Every user group, disabled ones included (`usergroups.list` is not paged).
    pub async fn list_groups(&self, token: &str) -> Result<Vec<GroupInfo>, SlackError> {
        #[derive(Deserialize)]
        struct Res {
            #[serde(default)]
            usergroups: Vec<GroupInfo>,
        }
        let params = vec![("include_disabled", Some("true"))];
        let res: Res = self.get(token, "usergroups.list", params).await?;
        Ok(res.usergroups)
    }

    /// One user (`users.info`), for a pasted id.
    pub async fn user_info(&self, token: &str, user: &str) -> Result<UserInfo, SlackError> {
        #[derive(Deserialize)]
        struct Res {
            user: UserInfo,
        }
        let params = vec![("user", Some(user))];
        let res: Res = self.get(token, "users.info", params).await?;
        Ok(res.user)
    }

    /// Whether a user may administer Herald, and their Slack locale.
    pub async fn user_profile(&self, token: &str, user: &str) -> Result<UserProfile, SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let request = SlackApiUsersInfoRequest::new(user.into()).with_include_locale(true);
        let res = self
            .timed("users.info", session.users_info(&request))
            .await?;
        let user = res.user;
        let flags = user.flags;
        let mut teams: Vec<String> = user.team_id.iter().map(ToString::to_string).collect();
        if let Some(grid) = &user.enterprise_user {
            teams.extend(grid.teams.iter().flatten().map(ToString::to_string));
        }
        Ok(UserProfile {
            is_admin: flags.is_admin.unwrap_or(false) || flags.is_owner.unwrap_or(false),
            is_owner: flags.is_owner.unwrap_or(false) || flags.is_primary_owner.unwrap_or(false),
            locale: user.locale.map(|l| l.to_string()),
            is_guest: flags.is_restricted.unwrap_or(false)
                || flags.is_ultra_restricted.unwrap_or(false),
            teams,
            email: user.profile.and_then(|p| p.email).map(|e| e.to_string()),
            tz_offset: user.tz_offset,
        })
    }

    /// The Slack user with this email, if any.
    pub async fn user_by_email(
        &self,
        token: &str,
        email: &str,
    ) -> Result<Option<String>, SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let request = SlackApiUsersLookupByEmailRequest::new(EmailAddress(email.to_string()));
        match self
            .timed(
                "users.lookupByEmail",
                session.users_lookup_by_email(&request),
            )
            .await
        {
            Ok(res) => Ok(Some(res.user.id.to_string())),
            Err(err) if err.is(&SlackErrorCode::UsersNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
