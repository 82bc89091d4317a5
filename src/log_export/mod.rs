//! The error log as CSV: every delivery (event × channel), every event no rule took,
//! every platform error event and every callback to the platform of a time range, for
//! a workspace's admins to open in a spreadsheet (`/herald log [days]` to their DM, or
//! `herald log export` to a file).
//!
//! - [`rows`]: stored events and jobs → cells (pure: times at the reader's offset, the
//!   fix in their language).
//! - [`parts`]: records → files under a byte cap (pure).
//! - [`read`]: the rows of a range, page after page, from the store.
//! - [`slack`]: the upload to the requester's DM, with its progress in place.
//! - [`texts`]: what it says, in Japanese and English.
//!
//! The file is UTF-8 with a BOM (Excel in Japan reads it otherwise as Shift_JIS), CSV
//! per RFC 4180, formula-safe ([`crate::core::csv`]).

pub mod parts;
pub mod read;
pub mod rows;
pub mod slack;
pub mod texts;

use std::io::Write;

use time::UtcOffset;

use crate::core::catalog::Lang;
use crate::core::csv;
use crate::store::{Store, StoreError};

pub use read::LogReader;
pub use rows::Style;

/// The most days one export covers.
pub const MAX_DAYS: u32 = 365;
/// Days exported when none are given.
pub const DEFAULT_DAYS: u32 = 30;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// What to export, for whom.
#[derive(Debug, Clone)]
pub struct Request {
    pub team_id: String,
    /// Unix ms, inclusive.
    pub since_ms: i64,
    /// Unix ms, exclusive.
    pub until_ms: i64,
    pub style: Style,
}

impl Request {
    /// The last `days` days up to `now_ms`.
    pub fn last_days(team_id: &str, days: u32, now_ms: i64, offset: UtcOffset, lang: Lang) -> Self {
        Self {
            team_id: team_id.into(),
            since_ms: now_ms - i64::from(days) * DAY_MS,
            until_ms: now_ms + 1,
            style: Style { offset, lang },
        }
    }
}

/// Why an export did not finish.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("Slack: {0}")]
    Slack(#[from] crate::slack::SlackError),
}

/// The header record (CRLF-terminated).
pub fn header() -> String {
    csv::record(rows::HEADER.as_slice())
}

/// Writes the whole log as one CSV file (BOM, header, every row): `herald log export`.
/// Returns the number of rows.
pub async fn write_to(
    store: &Store,
    request: &Request,
    out: &mut impl Write,
) -> Result<usize, ExportError> {
    out.write_all(csv::BOM)?;
    out.write_all(header().as_bytes())?;
    let mut reader = LogReader::new(store, request);
    let mut rows = 0;
    while let Some(page) = reader.next_page().await? {
        for record in &page {
            out.write_all(record.as_bytes())?;
        }
        rows += page.len();
    }
    out.flush()?;
    Ok(rows)
}

/// A `±HH:MM` offset (`+09:00`, `-05:30`, `Z`).
pub fn parse_offset(text: &str) -> Option<UtcOffset> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("z") || text.eq_ignore_ascii_case("utc") {
        return Some(UtcOffset::UTC);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let (hours, minutes): (i8, i8) = (hours.parse().ok()?, minutes.parse().ok()?);
    if !(0..=23).contains(&hours) || !(0..=59).contains(&minutes) {
        return None;
    }
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

/// `30d` (or `30`): a number of days from 1 to [`MAX_DAYS`].
pub fn parse_days(text: &str) -> Option<u32> {
    let text = text.trim();
    let days: u32 = text.strip_suffix('d').unwrap_or(text).parse().ok()?;
    (1..=MAX_DAYS).contains(&days).then_some(days)
}

/// The offset Slack gives a user (`tz_offset`, seconds), UTC when unknown or odd.
pub fn offset_of(tz_offset: Option<i32>) -> UtcOffset {
    tz_offset
        .and_then(|s| UtcOffset::from_whole_seconds(s).ok())
        .unwrap_or(UtcOffset::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_as_iso_8601_writes_them() {
        let cases = [
            ("+09:00", Some(9 * 3600)),
            ("-05:30", Some(-(5 * 3600 + 30 * 60))),
            ("+00:00", Some(0)),
            ("Z", Some(0)),
            ("+9", Some(9 * 3600)),
            ("09:00", None),
            ("+25:00", None),
            ("+09:75", None),
            ("tokyo", None),
            ("", None),
        ];
        for (text, seconds) in cases {
            assert_eq!(
                parse_offset(text).map(UtcOffset::whole_seconds),
                seconds,
                "{text:?}"
            );
        }
    }

    #[test]
    fn days_parse_from_1_to_365() {
        let cases = [
            ("30d", Some(30)),
            ("7", Some(7)),
            ("365d", Some(365)),
            ("0d", None),
            ("366", None),
            ("abc", None),
            ("-1d", None),
        ];
        for (text, days) in cases {
            assert_eq!(parse_days(text), days, "{text:?}");
        }
    }

    #[test]
    fn a_users_slack_offset_becomes_theirs_and_nonsense_becomes_utc() {
        assert_eq!(offset_of(Some(32400)).whole_seconds(), 32400);
        assert_eq!(offset_of(None), UtcOffset::UTC);
        assert_eq!(offset_of(Some(i32::MAX)), UtcOffset::UTC);
    }
}
