//! A notification whose rule's template found values that do not fit (a number that is
//! not one, a required field missing): the notification is posted, flagged, and the
//! problem is reported as an `error.mapping` event, which the error log lists (seed
//! `004_…` keeps such mapping errors for a year) and the error rules can route.
//!
//! The report is staged in the transaction that completes the post, so it is recorded
//! exactly once: a retried post does not report twice, a crash before the completion
//! reports with the post that lands.

use serde_json::{Map, Value, json};

use super::Delivery;
use super::failure_report::Report;
use crate::core::catalog::{ErrorCategory, EventType, Lang};
use crate::core::event::{Origin, PlatformEvent};
use crate::core::ids::HERALD_CONNECTION;
use crate::core::router::{self, Route, RouteTemplate};
use crate::core::template::{Misfit, TemplateField};
use crate::ingest::Staged;
use crate::jobs::{Attempt, JobError, Writes};

/// The body of the `error.mapping` event about one notification: a title naming the
/// rule and the first problem, and one field per problem (`fields.amount`: `not a
/// number: "abc"`), plus the rule and the original event.
pub(super) fn body(
    shaped: &RouteTemplate,
    misfits: &[(&TemplateField, Misfit)],
    original: (&str, &str),
    channel: &str,
    occurred_at: &str,
) -> Value {
    let (original_type, original_id) = original;
    let first = misfits
        .first()
        .map(|(f, m)| f.problem(m))
        .unwrap_or_default();
    let more = match misfits.len() {
        0 | 1 => String::new(),
        n => format!(" (+{} more)", n - 1),
    };
    let mut fields = Map::new();
    fields.insert("rule".into(), json!(shaped.rule_id));
    fields.insert(
        "original_event".into(),
        json!(format!("{original_type} ({original_id})")),
    );
    for (field, misfit) in misfits {
        let problem = match misfit {
            Misfit::Missing => "missing (required)".to_string(),
            Misfit::Invalid(value) => format!("{}: {value:?}", field.not_a(Lang::En)),
        };
        fields.insert(field.field.name(), json!(problem));
    }
    json!({
        "type": EventType::Error(ErrorCategory::Mapping).as_str(),
        "occurred_at": occurred_at,
        "title": format!("rule {}: {first}{more}", shaped.rule_id),
        "slack_channel": channel,
        "fields": fields,
    })
}

impl Delivery {
    /// The mapping report to write with the post's completion, when the route has a
    /// template and the event has values that do not fit it. None for Herald's own
    /// reports (a report about a report would never end).
    pub(super) async fn mapping_report(
        &self,
        job: &Attempt,
        route: &Route,
        event: &PlatformEvent,
    ) -> Result<Option<Box<dyn Writes>>, JobError> {
        let Some(shaped) = &route.template else {
            return Ok(None);
        };
        let misfits = shaped.template.misfits(event);
        if misfits.is_empty() || job.internal {
            return Ok(None);
        }
        for (field, misfit) in &misfits {
            tracing::warn!(rule = %shaped.rule_id, problem = %field.problem(misfit), "a value does not fit the rule's template");
        }
        let occurred_at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| JobError::Corrupt(e.to_string()))?;
        let body = body(
            shaped,
            &misfits,
            (event.event_type.as_str(), &job.event_id),
            super::failure_report::target(job, route),
            &occurred_at,
        )
        .to_string();
        let report = PlatformEvent::parse_from(body.as_bytes(), Origin::Herald)
            .map_err(|e| JobError::Corrupt(format!("mapping report: {e}")))?;
        let rules = self
            .rules
            .rules(&job.team_id)
            .await
            .map_err(|e| JobError::Corrupt(e.to_string()))?;
        Ok(Some(Box::new(Report {
            staged: Staged {
                team_id: job.team_id.clone(),
                connection_id: HERALD_CONNECTION.into(),
                webhook_id: format!("mapping:{}", job.id),
                event_type: EventType::Error(ErrorCategory::Mapping).as_str().into(),
                body,
                routes: router::route_set(&report, &rules),
                internal: true,
                thread_key: None,
            },
            pacing: self.pacing.clone(),
        })))
    }
}
