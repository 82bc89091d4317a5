//! Who a conversation's posts name: the assignee pinged when a customer writes or the
//! conversation is assigned, the owner pinged on a state change the rule keeps in the
//! thread, and the people of the parent's story, each as the Slack user a platform
//! operator is linked to, else the one with their email, else their name.

use crate::core::catalog::ConversationKind;
use crate::core::event::{Conversation, HostRef};
use crate::core::render::Host;
use crate::core::render::story::{Named, Shown, Story};
use crate::core::router::Route;
use crate::slack::SlackError;
use crate::workspace::Workspace;

use super::Delivery;

impl Delivery {
    /// The story with its people as Slack shows them: the Slack user a platform
    /// operator is linked to, else the one with their email, else their name as text.
    pub(super) async fn shown(&self, workspace: &Workspace, story: Story) -> Shown {
        let assignee = match &story.assignee {
            Some(p) => Some(self.person_mrkdwn(workspace, p).await),
            None => None,
        };
        let owner = match &story.owner {
            Some(p) => Some(self.person_mrkdwn(workspace, p).await),
            None => None,
        };
        Shown {
            story,
            assignee,
            owner,
        }
    }

    /// `<@U…>` for someone the platform named, when Slack knows them; their name as
    /// text otherwise (a lookup that fails shows the name: the parent is not held up).
    async fn person_mrkdwn(&self, workspace: &Workspace, person: &Named) -> String {
        if let Some(user) = self
            .linked_user(&workspace.team_id, person.id.as_deref())
            .await
        {
            return format!("<@{user}>");
        }
        if let Some(email) = &person.email {
            match self
                .resolve_host(workspace, &HostRef::Email(email.clone()))
                .await
            {
                Ok(Host::Mentioned(id)) => return format!("<@{id}>"),
                Ok(Host::Unresolved(_)) => {}
                Err(err) => tracing::warn!(error = %err, "could not look a person up by email"),
            }
        }
        person.as_text()
    }

    /// The Slack user linked to the platform operator `id`, if any.
    async fn linked_user(&self, team_id: &str, id: Option<&str>) -> Option<String> {
        let id = id?;
        match self.store.operator(team_id, id).await {
            Ok(op) => op.and_then(|o| o.slack_user_id),
            Err(err) => {
                tracing::warn!(error = %err, "could not read the operator link");
                None
            }
        }
    }

    /// The conversation owner's mention, looked up by email.
    pub(super) async fn owner_ping(
        &self,
        workspace: &Workspace,
        conversation: &Conversation,
    ) -> Result<Option<String>, SlackError> {
        let Some(email) = conversation.owner.as_ref().and_then(|o| o.email.clone()) else {
            return Ok(None);
        };
        Ok(
            match self.resolve_host(workspace, &HostRef::Email(email)).await? {
                Host::Mentioned(id) => Some(format!("<@{id}>")),
                Host::Unresolved(_) => None,
            },
        )
    }

    /// Who a conversation's event notifies: the assignee (by email, looked up in Slack)
    /// when a customer writes or the conversation is assigned.
    pub(super) async fn pings(
        &self,
        workspace: &Workspace,
        route: &Route,
        conversation: &Conversation,
        kind: Option<ConversationKind>,
    ) -> Result<Vec<String>, SlackError> {
        let mut pings: Vec<String> = route
            .mentions
            .iter()
            .map(crate::core::rule::Mention::to_mrkdwn)
            .collect();
        let wants_assignee = matches!(
            kind,
            Some(ConversationKind::MessageCreated | ConversationKind::Assigned)
        );
        if !wants_assignee {
            return Ok(pings);
        }
        let Some(assignee) = conversation.assignee.as_ref() else {
            return Ok(pings);
        };
        // The Slack user linked to the operator, else the one with their email.
        let linked = self
            .linked_user(&workspace.team_id, assignee.id.as_deref())
            .await;
        let user = match (linked, &assignee.email) {
            (Some(user), _) => Some(user),
            (None, Some(email)) => {
                match self
                    .resolve_host(workspace, &HostRef::Email(email.clone()))
                    .await?
                {
                    Host::Mentioned(id) => Some(id),
                    Host::Unresolved(_) => None,
                }
            }
            (None, None) => None,
        };
        if let Some(user) = user {
            let mention = format!("<@{user}>");
            if !pings.contains(&mention) {
                pings.push(mention);
            }
        }
        Ok(pings)
    }
}
