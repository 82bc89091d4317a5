//! Stored events and jobs as the error log's rows: pure, so every kind of row is a
//! table test.
//!
//! Rows, in the order of the events' arrival:
//! - an event no rule took: one `unrouted` row (Herald's own reports and test sends
//!   left out, as App Home leaves them out);
//! - a platform error event that rules took: one `platform_error` row with the
//!   platform's words (an unrouted one already has its `unrouted` row, with them too);
//! - every delivery (event × channel): its job's status, attempts, the Slack message's
//!   ts, the last error's code and, once it failed for good, the fix in the reader's
//!   language, the same words `/herald why` and the error report use.
//!
//! Callbacks to the platform follow, one row each, in the order they were queued.

use time::UtcOffset;

use crate::core::catalog::{ErrorCategory, EventType, Lang};
use crate::core::event::{Origin, PlatformEvent};
use crate::core::ids::HERALD_CONNECTION;
use crate::core::router::Route;
use crate::delivery::Permanent;
use crate::history::why::error_code;
use crate::store::{LoggedEvent, LoggedJob};

use super::texts;

/// The columns, in their order.
pub const HEADER: [&str; 13] = [
    "received_at",
    "occurred_at",
    "event_id",
    "webhook_id",
    "event_type",
    "meeting_type",
    "rule",
    "channel",
    "status",
    "attempts",
    "slack_ts",
    "error",
    "fix",
];

/// One row's cells, in [`HEADER`]'s order.
pub type Row = [String; 13];

/// The status of an event no rule took.
pub const UNROUTED: &str = "unrouted";
/// The status of the row of a platform's error event.
pub const PLATFORM_ERROR: &str = "platform_error";
/// The status of the row of a value that did not fit its rule's template (Herald's own
/// `error.mapping` report): the rule, the notification's channel and the problem.
pub const MAPPING: &str = "mapping";

/// How rows are written for one reader: their time zone and language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub offset: UtcOffset,
    pub lang: Lang,
}

/// Unix milliseconds as ISO 8601 to the second at `offset`, the offset always written
/// (`2026-11-21T10:00:00+09:00`, never `Z`); empty for a time out of range.
pub fn iso_time(ms: i64, offset: UtcOffset) -> String {
    let Ok(utc) = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)) else {
        return String::new();
    };
    let t = utc.to_offset(offset);
    let (hours, minutes, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        hours.unsigned_abs(),
        minutes.unsigned_abs()
    )
}

/// The rows of one event and the jobs it made (callbacks excluded).
pub fn event_rows(event: &LoggedEvent, jobs: &[&LoggedJob], style: Style) -> Vec<Row> {
    let parsed = PlatformEvent::parse_from(event.body.as_bytes(), Origin::Herald).ok();
    let occurred_at = parsed
        .as_ref()
        .map(|p| iso_time(p.occurred_at.saturating_mul(1000), style.offset))
        .unwrap_or_default();
    let meeting_type = parsed
        .as_ref()
        .and_then(|p| p.meeting_type.as_ref())
        .map(|m| m.id.clone())
        .unwrap_or_default();
    let words = parsed
        .as_ref()
        .and_then(|p| p.title.clone())
        .unwrap_or_default();
    let from_platform = event.connection_id != HERALD_CONNECTION;
    let is_error = parsed
        .as_ref()
        .is_some_and(|p| p.event_type.error_category().is_some());
    let row = |status: &str| -> Row {
        [
            iso_time(event.received_at, style.offset),
            occurred_at.clone(),
            event.id.clone(),
            event.webhook_id.clone(),
            event.event_type.clone(),
            meeting_type.clone(),
            String::new(),
            String::new(),
            status.to_string(),
            String::new(),
            String::new(),
            if is_error {
                words.clone()
            } else {
                String::new()
            },
            String::new(),
        ]
    };
    let mut rows = Vec::with_capacity(jobs.len() + 1);
    if from_platform && event.route_count == 0 {
        rows.push(row(UNROUTED));
    } else if from_platform && is_error {
        rows.push(row(PLATFORM_ERROR));
    } else if let Some(report) = parsed
        .as_ref()
        .filter(|p| p.event_type == EventType::Error(ErrorCategory::Mapping))
    {
        let mut cells = row(MAPPING);
        cells[6] = report.fields.get("rule").cloned().unwrap_or_default();
        cells[7] = report
            .slack_channel
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        rows.push(cells);
    }
    for job in jobs {
        let mut cells = row(&job.status);
        cells[6] = serde_json::from_str::<Route>(&job.payload)
            .map(|r| r.rule_ids.join(" "))
            .unwrap_or_default();
        let channel = job.channel.clone().unwrap_or_default();
        cells[9] = job.attempts.to_string();
        cells[10] = job.result_ts.clone().unwrap_or_default();
        let code = job.last_error.as_deref().map(error_code).unwrap_or("");
        cells[11] = code.to_string();
        cells[12] = if is_final(&job.status) && !code.is_empty() {
            Permanent {
                code: code.to_string(),
                channel: channel.clone(),
            }
            .explain(style.lang)
        } else {
            String::new()
        };
        cells[7] = channel;
        rows.push(cells);
    }
    rows
}

/// The row of one callback to the platform: the Slack message it carries (channel, ts)
/// and what became of it.
pub fn callback_row(job: &LoggedJob, style: Style) -> Row {
    let payload: serde_json::Value = serde_json::from_str(&job.payload).unwrap_or_default();
    let text = |key: &str| payload[key].as_str().unwrap_or_default().to_string();
    let event_type = payload["body"]["type"]
        .as_str()
        .unwrap_or(&job.kind)
        .to_string();
    let code = job.last_error.as_deref().map(error_code).unwrap_or("");
    let fix = if is_final(&job.status) && !code.is_empty() {
        texts::callback_fix(style.lang).to_string()
    } else {
        String::new()
    };
    [
        iso_time(job.created_at, style.offset),
        String::new(),
        job.event_id.clone(),
        String::new(),
        event_type,
        String::new(),
        String::new(),
        job.channel.clone().unwrap_or_else(|| text("channel")),
        job.status.clone(),
        job.attempts.to_string(),
        text("ts"),
        code.to_string(),
        fix,
    ]
}

/// A job that will not be tried again: its error needs a person.
fn is_final(status: &str) -> bool {
    matches!(status, "failed" | "dead")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokyo() -> Style {
        Style {
            offset: UtcOffset::from_whole_seconds(9 * 3600).unwrap(),
            lang: Lang::Ja,
        }
    }
    const UTC_EN: Style = Style {
        offset: UtcOffset::UTC,
        lang: Lang::En,
    };

    fn event(
        connection: &str,
        event_type: &str,
        body: &serde_json::Value,
        routes: i64,
    ) -> LoggedEvent {
        LoggedEvent {
            id: "evt_1".into(),
            connection_id: connection.into(),
            webhook_id: "msg_1".into(),
            event_type: event_type.into(),
            body: body.to_string(),
            route_count: routes,
            // 2026-11-21T01:00:00Z
            received_at: 1_795_222_800_000,
        }
    }

    fn booking() -> serde_json::Value {
        serde_json::json!({
            "type": "booking.created",
            "occurred_at": "2026-11-21T09:59:00+09:00",
            "meeting_type": {"id": "mt_1", "name": "初回面談"},
        })
    }

    fn job(status: &str, last_error: Option<&str>) -> LoggedJob {
        LoggedJob {
            id: "job_1".into(),
            kind: "slack.post".into(),
            event_id: "evt_1".into(),
            channel: Some("C0GENERAL".into()),
            payload: serde_json::json!({"channel": "C0GENERAL", "mentions": [], "rule_ids": ["r_1", "r_2"]})
                .to_string(),
            status: status.into(),
            attempts: 2,
            result_ts: (status == "done").then(|| "1795222800.000100".to_string()),
            last_error: last_error.map(Into::into),
            created_at: 1_795_222_800_000,
        }
    }

    #[test]
    fn times_are_iso_8601_with_the_readers_offset() {
        let ms = 1_795_222_800_000;
        assert_eq!(iso_time(ms, tokyo().offset), "2026-11-21T10:00:00+09:00");
        assert_eq!(iso_time(ms, UtcOffset::UTC), "2026-11-21T01:00:00+00:00");
        let west = UtcOffset::from_whole_seconds(-28800).unwrap();
        assert_eq!(iso_time(ms, west), "2026-11-20T17:00:00-08:00");
    }

    #[test]
    fn a_delivered_event_is_one_row_per_channel_with_its_rules_and_ts() {
        let e = event("default", "booking.created", &booking(), 1);
        let done = job("done", None);
        let rows = event_rows(&e, &[&done], tokyo());
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0],
            [
                "2026-11-21T10:00:00+09:00",
                "2026-11-21T09:59:00+09:00",
                "evt_1",
                "msg_1",
                "booking.created",
                "mt_1",
                "r_1 r_2",
                "C0GENERAL",
                "done",
                "2",
                "1795222800.000100",
                "",
                ""
            ]
        );
    }

    #[test]
    fn a_failed_delivery_carries_its_code_and_the_fix_in_the_readers_language() {
        let e = event("default", "booking.created", &booking(), 1);
        let failed = job(
            "failed",
            Some("not_invited: Herald is not in the private channel C0GENERAL"),
        );
        let ja = &event_rows(&e, &[&failed], tokyo())[0];
        assert_eq!(ja[11], "not_invited");
        assert!(
            ja[12].contains("/invite @Herald") && ja[12].contains("招待"),
            "{}",
            ja[12]
        );
        let en = &event_rows(&e, &[&failed], UTC_EN)[0];
        assert!(
            en[12].starts_with("Herald is not in the private channel C0GENERAL"),
            "{}",
            en[12]
        );
        // A retry on its way is no failure yet: the code, no fix.
        let pending = job("pending", Some("HTTP 503"));
        let row = &event_rows(&e, &[&pending], UTC_EN)[0];
        assert_eq!((row[11].as_str(), row[12].as_str()), ("HTTP 503", ""));
    }

    #[test]
    fn an_event_no_rule_took_is_one_unrouted_row_unless_herald_sent_it() {
        let e = event("default", "booking.created", &booking(), 0);
        let rows = event_rows(&e, &[], UTC_EN);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][8], UNROUTED);
        assert_eq!((rows[0][6].as_str(), rows[0][7].as_str()), ("", ""));
        let own = event(HERALD_CONNECTION, "booking.created", &booking(), 0);
        assert!(event_rows(&own, &[], UTC_EN).is_empty());
    }

    #[test]
    fn a_platform_error_event_has_its_own_row_with_the_platforms_words() {
        let body = serde_json::json!({
            "type": "error.calendar",
            "occurred_at": "2026-11-21T09:59:00+09:00",
            "title": "Google Calendar token expired",
        });
        let routed = event("default", "error.calendar", &body, 1);
        let mut report = job("done", None);
        report.channel = Some("C0ERRORS".into());
        let rows = event_rows(&routed, &[&report], UTC_EN);
        let summary: Vec<_> = rows
            .iter()
            .map(|r| (r[8].as_str(), r[7].as_str(), r[11].as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (PLATFORM_ERROR, "", "Google Calendar token expired"),
                // The delivery's own error column is about the delivery.
                ("done", "C0ERRORS", ""),
            ]
        );
        let unrouted = event("default", "error.calendar", &body, 0);
        let rows = event_rows(&unrouted, &[], UTC_EN);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0][8].as_str(), rows[0][11].as_str()),
            (UNROUTED, "Google Calendar token expired")
        );
    }

    #[test]
    fn a_mapping_report_is_a_mapping_row_naming_the_rule_channel_and_problem() {
        let body = serde_json::json!({
            "type": "error.mapping",
            "occurred_at": "2026-11-21T09:59:00+09:00",
            "title": "rule rul_1: fields.amount: not a number: \"abc\"",
            "slack_channel": "C0BOOKINGS",
            "fields": {"rule": "rul_1", "fields.amount": "not a number: \"abc\""},
        });
        let e = event(HERALD_CONNECTION, "error.mapping", &body, 0);
        let rows = event_rows(&e, &[], UTC_EN);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            (r[8].as_str(), r[6].as_str(), r[7].as_str(), r[11].as_str()),
            (
                MAPPING,
                "rul_1",
                "C0BOOKINGS",
                "rule rul_1: fields.amount: not a number: \"abc\""
            )
        );
    }

    #[test]
    fn an_unreadable_stored_body_still_gives_its_row() {
        let e = event(
            "default",
            "booking.created",
            &serde_json::json!("not an event"),
            0,
        );
        let rows = event_rows(&e, &[], UTC_EN);
        assert_eq!(rows[0][8], UNROUTED);
        assert_eq!(rows[0][1], "");
    }

    #[test]
    fn a_callback_row_names_the_slack_message_it_carries() {
        let payload = serde_json::json!({
            "connection_id": "default",
            "body": {"type": "conversation.reply", "text": "hi"},
            "channel": "C0THREAD", "ts": "1795222800.000200", "thread_ts": "1795222700.000100",
            "user": "U0OP", "react": true,
        });
        let mut cb = job("dead", Some("retries_exhausted: HTTP 500"));
        cb.kind = "platform.callback".into();
        cb.event_id = "slack:C0THREAD:1795222700.000100".into();
        cb.channel = None;
        cb.payload = payload.to_string();
        let row = callback_row(&cb, tokyo());
        assert_eq!(row[0], "2026-11-21T10:00:00+09:00");
        assert_eq!(row[4], "conversation.reply");
        assert_eq!(
            (row[7].as_str(), row[10].as_str()),
            ("C0THREAD", "1795222800.000200")
        );
        assert_eq!(
            (row[8].as_str(), row[11].as_str()),
            ("dead", "retries_exhausted")
        );
        assert_eq!(row[12], texts::callback_fix(Lang::Ja));
    }
}
