//! A rule whose target is a person: the notification goes to their DM with Herald.
//!
//! The person is checked with `users.info` before the DM is opened: someone of another
//! organization (a Slack Connect member) never gets the workspace's internal
//! notifications, and a deactivated account or a bot cannot be written to. The DM's id
//! is cached: `conversations.open` gives the same one every time, so a burst of
//! notifications to one person costs Slack two calls, not two per post.

use crate::core::ids::ChannelId;
use crate::slack::SlackError;
use crate::slack::connect::person_refusal;
use crate::workspace::Workspace;

use super::Delivery;

impl Delivery {
    /// The DM to post in for a person target, or the code of why there is none.
    pub(super) async fn dm_of(
        &self,
        workspace: &Workspace,
        person: &ChannelId,
    ) -> Result<Result<ChannelId, &'static str>, SlackError> {
        let key = (workspace.team_id.clone(), person.as_str().to_string());
        if let Some(dm) = self.dms.get(&key).await {
            return Ok(Ok(dm));
        }
        let token = workspace.bot_token.expose();
        let info = self.slack.user_info(token, person.as_str()).await?;
        if let Some(code) = person_refusal(&info, &workspace.team_id) {
            tracing::warn!(person = %person, code, "not sending to this person's DM");
            return Ok(Err(code));
        }
        let opened = self.slack.open_dm(token, person.as_str()).await?;
        let dm = ChannelId::dm(&opened).map_err(SlackError::Protocol)?;
        self.dms.insert(key, dm.clone()).await;
        Ok(Ok(dm))
    }
}
