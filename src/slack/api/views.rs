//! Views and answers to interactions: modals, App Home, and the `response_url` replies
//! of slash commands.

use slack_morphism::prelude::*;

use super::{SlackApi, SlackError, api_token, parse_view};

impl SlackApi {
    /// Opens a modal with a trigger id (single-use, valid for 3 seconds); returns the
    /// view's id for later updates.
    pub async fn open_view(
        &self,
        token: &str,
        trigger_id: &str,
        view: serde_json::Value,
    ) -> Result<String, SlackError> {
        let view = parse_view(view)?;
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let request = SlackApiViewsOpenRequest::new(trigger_id.into(), view);
        let res = self
            .timed("views.open", session.views_open(&request))
            .await?;
        Ok(res.view.state_params.id.to_string())
    }

    /// Replaces an open modal's content (input blocks with the same ids keep what the
    /// user entered).
    pub async fn update_view(
        &self,
        token: &str,
        view_id: &str,
        view: serde_json::Value,
    ) -> Result<(), SlackError> {
        let view = parse_view(view)?;
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let request = SlackApiViewsUpdateRequest::new(view).with_view_id(view_id.into());
        self.timed("views.update", session.views_update(&request))
            .await?;
        Ok(())
    }

    /// Publishes a user's App Home view.
    pub async fn publish_home(
        &self,
        token: &str,
        user: &str,
        view: serde_json::Value,
    ) -> Result<(), SlackError> {
        let view = parse_view(view)?;
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let request = SlackApiViewsPublishRequest::new(user.into(), view);
        self.timed("views.publish", session.views_publish(&request))
            .await?;
        Ok(())
    }

    /// Answers a slash command later, through its `response_url` (ephemeral by default;
    /// valid for 30 minutes, up to 5 times).
    pub async fn respond(
        &self,
        response_url: &SlackResponseUrl,
        text: String,
    ) -> Result<(), SlackError> {
        self.respond_with(response_url, text, false).await
    }

    /// [`SlackApi::respond`], optionally replacing the command's earlier answer (a
    /// progress message that updates in place).
    pub async fn respond_with(
        &self,
        response_url: &SlackResponseUrl,
        text: String,
        replace_original: bool,
    ) -> Result<(), SlackError> {
        let content = SlackMessageContent::new()
            .with_text(text.clone())
            .with_blocks(vec![
                SlackSectionBlock::new()
                    .with_text(md!(crate::core::render::cut(&text, 3000)))
                    .into(),
            ]);
        let request = SlackApiPostWebhookMessageRequest::new(content)
            .opt_replace_original(replace_original.then_some(true));
        self.timed(
            "response_url",
            self.client.respond_to_event(response_url, &request),
        )
        .await?;
        Ok(())
    }
}
