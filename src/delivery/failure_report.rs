//! A job that failed for good: recorded with its reason, and reported as an
//! `error.delivery` event (routed to the workspace's error rules like any event), staged
//! in the failing job's transaction so the report is never lost nor sent twice.

use serde_json::json;

use sqlx::AnyConnection;

use super::{Delivery, Permanent};
use crate::core::catalog::{ErrorCategory, EventType};
use crate::core::event::{Origin, PlatformEvent};
use crate::core::ids::HERALD_CONNECTION;
use crate::core::router::{self, Route};
use crate::ingest::{Staged, stage};
use crate::jobs::Pacing;
use crate::jobs::{Attempt, JobError, Outcome, WriteFuture, Writes};
use crate::store::JobStatus;

/// An error report (a failed job's, a mapping problem's), staged in the transaction
/// that ends the job it is about.
pub(super) struct Report {
    pub(super) staged: Staged,
    pub(super) pacing: Pacing,
}

impl Writes for Report {
    fn write<'a>(&'a self, conn: &'a mut AnyConnection) -> WriteFuture<'a> {
        Box::pin(async move {
            stage(conn, &self.staged, &self.pacing).await?;
            Ok(!self.staged.routes.is_empty())
        })
    }
}

impl Delivery {
    /// Ends the job and, for a notification (not a report), queues the error report in
    /// the same transaction.
    pub(super) async fn fail(
        &self,
        job: &Attempt,
        route: &Route,
        status: JobStatus,
        failure: &Permanent,
        detail: Option<&str>,
    ) -> Result<Outcome, JobError> {
        let label = self.channel_label(&job.team_id, target(job, route)).await;
        let named = Permanent {
            code: failure.code.clone(),
            channel: label,
        };
        let lang = match self.registry.workspace(&job.team_id).await {
            Ok(Some(workspace)) => self.states.lang(&workspace).await,
            Ok(None) | Err(_) => crate::core::catalog::Lang::En,
        };
        let reason = format!(
            "{}: {}{}",
            failure.code,
            named.explain(crate::core::catalog::Lang::En),
            detail.map(|d| format!(" ({d})")).unwrap_or_default()
        );
        let then: Option<Box<dyn Writes>> = if job.internal {
            None
        } else {
            Some(Box::new(Report {
                staged: self.report(job, route, &named, lang).await?,
                pacing: self.pacing.clone(),
            }))
        };
        Ok(Outcome::Fail {
            status,
            reason,
            then,
        })
    }

    /// An `error.delivery` event about a failed job, routed by the error rules.
    pub(super) async fn report(
        &self,
        job: &Attempt,
        route: &Route,
        failure: &Permanent,
        lang: crate::core::catalog::Lang,
    ) -> Result<Staged, JobError> {
        let original = self.store.event(&job.team_id, &job.event_id).await?;
        let original_type = original.map(|e| e.event_type).unwrap_or_default();
        let occurred_at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| JobError::Corrupt(e.to_string()))?;
        let body = json!({
            "type": EventType::Error(ErrorCategory::Delivery).as_str(),
            "occurred_at": occurred_at,
            "title": failure.explain(lang),
            "slack_channel": target(job, route),
            "fields": {
                lang.pick("エラー", "Error"): failure.code,
                lang.pick("元のイベント", "Original event"): format!("{original_type} ({})", job.event_id),
            },
        })
        .to_string();
        let event = PlatformEvent::parse_from(body.as_bytes(), Origin::Herald)
            .map_err(|e| JobError::Corrupt(format!("report: {e}")))?;
        let rules = self
            .rules
            .rules(&job.team_id)
            .await
            .map_err(|e| JobError::Corrupt(e.to_string()))?;
        Ok(Staged {
            team_id: job.team_id.clone(),
            connection_id: HERALD_CONNECTION.into(),
            webhook_id: format!("delivery-failure:{}", job.id),
            event_type: EventType::Error(ErrorCategory::Delivery).as_str().into(),
            body,
            routes: router::route_set(&event, &rules),
            internal: true,
            thread_key: None,
        })
    }

    /// `#name` when Slack tells us the channel's name, else its id.
    pub(super) async fn channel_label(&self, team_id: &str, channel: &str) -> String {
        // Only words the report: the id will do when the workspace cannot be read.
        let Ok(Some(workspace)) = self.registry.workspace(team_id).await else {
            return channel.into();
        };
        if channel.starts_with(['U', 'W']) {
            // A rule's person, by the name Slack shows (plain text: the report's title is
            // not mrkdwn, and a mention would ping them).
            return match self
                .slack
                .user_info(workspace.bot_token.expose(), channel)
                .await
            {
                Ok(info) => {
                    let names = &info.profile;
                    let name = [&names.display_name, &names.real_name]
                        .into_iter()
                        .flatten()
                        .find(|n| !n.is_empty())
                        .cloned()
                        .unwrap_or(info.name);
                    format!("@{name} ({channel})")
                }
                Err(_) => channel.into(),
            };
        }
        match self
            .slack
            .channel_info(workspace.bot_token.expose(), channel)
            .await
        {
            Ok(info) => info
                .name
                .map_or_else(|| channel.into(), |n| format!("#{n}")),
            Err(_) => channel.into(),
        }
    }
}

/// The rule's target the job was queued for: a person rather than the DM delivery
/// swapped them for (`dm.rs`), so reports name who it was for.
pub(super) fn target<'a>(job: &'a Attempt, route: &'a Route) -> &'a str {
    job.channel.as_deref().unwrap_or(route.channel.as_str())
}
