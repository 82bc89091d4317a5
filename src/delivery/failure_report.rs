//! A job that failed for good: recorded with its reason, and reported as an
//! `error.delivery` event (routed to the workspace's error rules like any event), staged
//! in the failing job's transaction so the report is never lost nor sent twice.

use serde_json::json;

use super::{Delivery, JobError, Permanent};
use crate::core::catalog::{ErrorCategory, EventType};
use crate::core::event::{Origin, PlatformEvent};
use crate::core::ids::HERALD_CONNECTION;
use crate::core::router::{self, Route};
use crate::ingest::{Staged, stage};
use crate::store::{ClaimedJob, JobStatus, Store, StoreError};

impl Delivery {
    /// Ends the job and, for a notification (not a report), queues the error report in
    /// the same transaction.
    pub(super) async fn fail(
        &self,
        owner: &str,
        job: &ClaimedJob,
        route: &Route,
        status: JobStatus,
        failure: &Permanent,
        detail: Option<&str>,
    ) -> Result<(), JobError> {
        let label = self
            .channel_label(&job.team_id, route.channel.as_str())
            .await;
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
        tracing::warn!(status = status.as_str(), %reason, "delivery failed");

        let report = if job.internal == 0 {
            Some(self.report(job, route, &named, lang).await?)
        } else {
            None
        };
        let mut tx = self.store.begin().await?;
        let changed = Store::finish_job_failed(&mut tx, &job.id, owner, status, &reason).await?;
        if changed && let Some(report) = &report {
            stage(&mut tx, report, &self.pacing).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        if changed && report.as_ref().is_some_and(|r| !r.routes.is_empty()) {
            self.wake.notify_waiters();
        }
        Ok(())
    }

    /// An `error.delivery` event about a failed job, routed by the error rules.
    pub(super) async fn report(
        &self,
        job: &ClaimedJob,
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
            "slack_channel": route.channel.as_str(),
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
            routes: router::route(&event, &rules),
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
