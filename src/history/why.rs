//! `/herald why`: one event as Herald saw it. What arrived, each rule of today and
//! whether it takes the event (and if not, why), and every job the event made with its
//! outcome, last error and a link to the Slack message it posted.
//!
//! The rules are today's: they may have changed since the event arrived, so the jobs'
//! own rule ids (what routing decided then) are shown beside them.

use crate::core::event::{Origin, PlatformEvent};
use crate::core::ids::{DEFAULT_CONNECTION, HERALD_CONNECTION};
use crate::core::router::{Route, Verdict, verdict};
use crate::core::rule::Rule;
use crate::slack::SlackApi;
use crate::store::{EventRecord, JobRecord, Store, StoreError};
use crate::workspace::Workspace;

/// One event, explained.
#[derive(Debug)]
pub struct Explanation {
    pub event: EventRecord,
    /// The stored body read back (an error only if the stored event is unreadable).
    pub parsed: Result<PlatformEvent, String>,
    /// Today's rules in their order, each with its verdict on this event.
    pub rules: Vec<(Rule, Verdict)>,
    pub jobs: Vec<JobLine>,
    /// More events with the same webhook-id on other connections.
    pub others: usize,
}

/// One job the event made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLine {
    pub kind: String,
    pub channel: Option<String>,
    pub status: String,
    pub attempts: i64,
    /// The rules that routed it (a `slack.post`'s route), at the time it arrived.
    pub rule_ids: Vec<String>,
    /// Slack's (or Herald's) error code of the last failed attempt.
    pub error: Option<String>,
    pub permalink: Option<String>,
    /// Its place in its group (the rule's `group`) and the group's window: 0 opened it.
    pub grouped: Option<(u64, u32)>,
    /// Kept outside business hours for the digest at this opening (Unix ms, zone).
    pub kept: Option<(i64, String)>,
}

impl JobLine {
    fn of(job: &JobRecord) -> Self {
        let route = (job.kind == "slack.post")
            .then(|| serde_json::from_str::<Route>(&job.payload).ok())
            .flatten();
        let grouped = route
            .as_ref()
            .and_then(|r| r.group.as_ref())
            .and_then(|g| g.member.as_ref().map(|m| (m.position, g.window_s)));
        let kept = route
            .as_ref()
            .and_then(|r| r.digest.as_ref())
            .map(|d| (d.opens_at, d.tz.clone()));
        let rule_ids = route.map(|r| r.rule_ids).unwrap_or_default();
        Self {
            kind: job.kind.clone(),
            channel: job.channel.clone(),
            status: job.status.clone(),
            attempts: job.attempts,
            rule_ids,
            grouped,
            kept,
            error: job
                .last_error
                .as_deref()
                .map(error_code)
                .map(str::to_string),
            permalink: None,
        }
    }
}

/// The code a job's `last_error` starts with: the worker stores `code: words (detail)`
/// for a failure and the transient reason alone for a retry.
pub fn error_code(last_error: &str) -> &str {
    last_error
        .split_once(": ")
        .map_or(last_error, |(code, _)| code)
        .trim()
}

/// Finds and explains the event an admin named (Herald's event id or the platform's
/// webhook-id); `None` when the workspace has no such event.
pub async fn explain(
    store: &Store,
    slack: &SlackApi,
    workspace: &Workspace,
    reference: &str,
) -> Result<Option<Explanation>, StoreError> {
    let team_id = &workspace.team_id;
    let mut connections: Vec<String> = store
        .connections_of(team_id)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    connections.extend([
        DEFAULT_CONNECTION.to_string(),
        HERALD_CONNECTION.to_string(),
    ]);
    let mut found = store
        .events_by_reference(team_id, reference, &connections)
        .await?;
    if found.is_empty() {
        return Ok(None);
    }
    let others = found.len() - 1;
    let event = found.remove(0);
    let parsed =
        PlatformEvent::parse_from(event.body.as_bytes(), Origin::Herald).map_err(|e| e.to_string());
    let rules = store
        .rules(team_id)
        .await?
        .into_iter()
        .map(|rule| {
            let v = match &parsed {
                Ok(p) => verdict(p, &rule),
                Err(_) => Verdict::Disabled,
            };
            (rule, v)
        })
        .collect();
    let mut jobs = Vec::new();
    for job in store.jobs_for_event(team_id, &event.id).await? {
        let mut line = JobLine::of(&job);
        if let (Some(channel), Some(ts)) = (&job.channel, &job.result_ts) {
            // A link is a convenience: without one the line still says it was posted.
            match slack
                .permalink(workspace.bot_token.expose(), channel, ts)
                .await
            {
                Ok(link) => line.permalink = Some(link),
                Err(err) => tracing::debug!(error = %err, "no permalink for a posted job"),
            }
        }
        jobs.push(line);
    }
    Ok(Some(Explanation {
        event,
        parsed,
        rules,
        jobs,
        others,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_code_is_what_the_last_error_starts_with() {
        let cases = [
            (
                "not_invited: Herald is not in the private channel",
                "not_invited",
            ),
            (
                "retries_exhausted: Herald retried (HTTP 503 after 9 attempts)",
                "retries_exhausted",
            ),
            ("HTTP 503", "HTTP 503"),
            ("", ""),
        ];
        for (last_error, code) in cases {
            assert_eq!(error_code(last_error), code, "{last_error}");
        }
    }
}
