//! "Send test": one notification for a saved rule, through the normal delivery path.
//!
//! The test is an event like any other (stored, then a job, paced, joined, retried), so
//! it proves what a real event would do: that Herald can post to the channel and whom
//! it mentions. It is Herald's own event (its failures are shown to the tester, not
//! reported to the error rules) and is never drawn in a preview.

use std::time::Duration;

use crate::admin::AdminCtx;
use crate::core::catalog::Lang;
use crate::core::ids::HERALD_CONNECTION;
use crate::core::router::Route;
use crate::core::rule::{Mention, Rule};
use crate::delivery::Permanent;
use crate::ingest::{IngestError, Staged};
use crate::store::{JobStatus, new_id, now_ms};

use crate::admin::views::{preview, texts};

/// How long the tester is kept waiting for Slack's answer before being told that
/// Herald keeps retrying in the background.
const PATIENCE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(200);

/// Where a test send ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Posted,
    /// Slack's error code, as delivery recorded it.
    Failed(String),
    /// Still being retried; the latest error, if any.
    Waiting(Option<String>),
}

/// Stores the test event and its one job; returns the event id.
pub async fn send(
    state: &AdminCtx,
    rule: &Rule,
    actor: &str,
    lang: Lang,
) -> Result<String, IngestError> {
    let event_type = preview::event_type(&rule.trigger);
    let latest = match state
        .store
        .latest_event_body(&rule.team_id, event_type.as_str(), HERALD_CONNECTION)
        .await
    {
        Ok(found) => found.map(|(body, _)| body),
        Err(err) => {
            // A sample serves as well as the latest event.
            tracing::warn!(error = %err, "could not read the latest event for a test");
            None
        }
    };
    let body = preview::test_body(latest.as_deref(), event_type, lang, now_ms() / 1000, actor);
    let ingested = state
        .ingest
        .submit(Staged {
            team_id: rule.team_id.clone(),
            connection_id: HERALD_CONNECTION.into(),
            webhook_id: new_id("test"),
            event_type: event_type.as_str().into(),
            body,
            routes: vec![Route {
                channel: rule.channel.clone(),
                mentions: rule.mentions.iter().cloned().collect::<Vec<Mention>>(),
                rule_ids: vec![rule.id.clone()],
                host: None,
                backups: rule.backup.iter().cloned().collect(),
                lifecycle: rule.lifecycle,
                // The test shows the rule's own template, flags and all.
                template: (!rule.options.template.is_empty()).then(|| {
                    crate::core::router::RouteTemplate {
                        rule_id: rule.id.clone(),
                        template: rule.options.template.clone(),
                    }
                }),
                // A test is a message of its own, never folded into a group, and it is
                // sent now: the admin is waiting for it, whatever the rule's hours.
                group: None,
                opening: Default::default(),
                digest: None,
                replies: rule.options.replies,
            }],
            internal: true,
            thread_key: None,
        })
        .await?;
    tracing::info!(rule = %rule.id, event_id = %ingested.event_id, actor, "test send queued");
    Ok(ingested.event_id)
}

/// Waits (a little) for the test's job to finish.
pub async fn outcome(state: &AdminCtx, team_id: &str, event_id: &str) -> Outcome {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let job = match state.store.jobs_for_event(team_id, event_id).await {
            Ok(jobs) => jobs.into_iter().next(),
            Err(err) => {
                tracing::warn!(error = %err, "could not read a test's job");
                None
            }
        };
        match job {
            Some(job) if job.status == JobStatus::Done.as_str() => return Outcome::Posted,
            Some(job)
                if job.status == JobStatus::Failed.as_str()
                    || job.status == JobStatus::Dead.as_str() =>
            {
                return Outcome::Failed(code_of(job.last_error.as_deref()));
            }
            other => {
                if tokio::time::Instant::now() >= deadline {
                    return Outcome::Waiting(other.and_then(|j| j.last_error));
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The outcome in words, with the fix when Slack refused.
pub fn describe(lang: Lang, channel: &str, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Posted => texts::test_posted(lang, channel),
        Outcome::Failed(code) => texts::test_failed(
            lang,
            &Permanent {
                code: code.clone(),
                channel: crate::core::ids::mrkdwn(channel),
            }
            .explain(lang),
        ),
        Outcome::Waiting(last) => texts::test_waiting(lang, last.as_deref()),
    }
}

/// Delivery records `code: explanation`; the code is what the tester's language needs.
fn code_of(reason: Option<&str>) -> String {
    reason
        .and_then(|r| r.split(':').next())
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or("unknown_error")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_read_back_from_the_stored_reason() {
        assert_eq!(
            code_of(Some("is_archived: the channel is archived")),
            "is_archived"
        );
        assert_eq!(code_of(Some("")), "unknown_error");
        assert_eq!(code_of(None), "unknown_error");
    }

    #[test]
    fn a_refusal_is_explained_with_its_fix() {
        let text = describe(
            Lang::En,
            "C0PRIV",
            &Outcome::Failed("channel_not_found".into()),
        );
        assert!(text.contains("could not be sent"), "{text}");
        assert!(text.contains("<#C0PRIV>"), "{text}");
    }
}
