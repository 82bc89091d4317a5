//! A rule's `hours`: when its notifications are posted. Outside them they are kept and
//! posted at the next opening as one digest per channel (Pylon's and Plain's support
//! hours), so a team is not woken at night and loses nothing.
//!
//! Pure: whether a moment is within the hours, and when they next open, in the rule's
//! IANA time zone (jiff's, with the time-zone database bundled so a machine without
//! `/usr/share/zoneinfo` answers the same). A window whose `to` is earlier than its
//! `from` crosses midnight and belongs to the day it starts on: `fri 22:00–06:00` is
//! open on Saturday at 03:00.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::core::catalog::Lang;
use crate::core::rule::FieldError;

/// `mon` … `sun`, as the rules file names them.
pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A minute of the day, 0 ..= 1440 (`24:00` ends a window at midnight).
type Minute = u16;

/// A rule's business hours.
#[derive(Debug, Clone)]
pub struct Hours {
    /// The IANA name, as given (`Asia/Tokyo`).
    pub tz: String,
    zone: TimeZone,
    /// Monday first.
    pub days: [bool; 7],
    pub from: Minute,
    pub to: Minute,
}

impl PartialEq for Hours {
    fn eq(&self, other: &Self) -> bool {
        (&self.tz, self.days, self.from, self.to) == (&other.tz, other.days, other.from, other.to)
    }
}

impl Eq for Hours {}

/// The rules file's form:
/// `{"tz": "Asia/Tokyo", "days": ["mon", …], "from": "09:00", "to": "18:00"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursJson {
    pub tz: String,
    pub days: Vec<String>,
    pub from: String,
    pub to: String,
}

/// `HH:MM`, 00:00 to 24:00.
fn minute(s: &str, field: &str) -> Result<Minute, FieldError> {
    let bad = || FieldError::new(field, format!("{s:?} is not a time of day (HH:MM)"));
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn hhmm(m: Minute) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn day_index(day: Weekday) -> usize {
    usize::try_from(day.to_monday_zero_offset()).unwrap_or(0)
}

impl Hours {
    /// Reads and checks the rules file's form; an error names the entry (`hours.days[2]`).
    pub fn from_json(json: &HoursJson) -> Result<Self, FieldError> {
        let zone = TimeZone::get(json.tz.trim()).map_err(|_| {
            FieldError::new(
                "hours.tz",
                format!("{:?} is not an IANA time zone (e.g. Asia/Tokyo)", json.tz),
            )
        })?;
        if json.days.is_empty() {
            return Err(FieldError::new("hours.days", "at least one day"));
        }
        let mut days = [false; 7];
        for (i, name) in json.days.iter().enumerate() {
            let at = DAY_NAMES
                .iter()
                .position(|d| d.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    FieldError::new(
                        format!("hours.days[{i}]"),
                        format!("{name:?} is not one of mon, tue, wed, thu, fri, sat, sun"),
                    )
                })?;
            if days[at] {
                return Err(FieldError::new(
                    format!("hours.days[{i}]"),
                    format!("{name} is named twice"),
                ));
            }
            days[at] = true;
        }
        let from = minute(&json.from, "hours.from")?;
        let to = minute(&json.to, "hours.to")?;
        if from == 1440 {
            return Err(FieldError::new("hours.from", "24:00 cannot open a window"));
        }
        if from == to || (from == 0 && to == 1440) {
            return Err(FieldError::new(
                "hours.to",
                "the same as from: leave hours out to post at any time",
            ));
        }
        Ok(Self {
            tz: json.tz.trim().to_string(),
            zone,
            days,
            from,
            to,
        })
    }

    pub fn to_json(&self) -> HoursJson {
        HoursJson {
            tz: self.tz.clone(),
            days: DAY_NAMES
                .iter()
                .zip(self.days)
                .filter(|(_, on)| *on)
                .map(|(d, _)| (*d).to_string())
                .collect(),
            from: hhmm(self.from),
            to: hhmm(self.to),
        }
    }

    fn crosses_midnight(&self) -> bool {
        self.to < self.from
    }

    /// Whether `at` (Unix ms) is within the hours.
    pub fn is_open(&self, at_ms: i64) -> bool {
        let Ok(at) = Timestamp::from_millisecond(at_ms) else {
            return true;
        };
        let local = at.to_zoned(self.zone.clone());
        let minute = Minute::from(local.hour().unsigned_abs()) * 60
            + Minute::from(local.minute().unsigned_abs());
        let today = day_index(local.weekday());
        let yesterday = (today + 6) % 7;
        if self.crosses_midnight() {
            (self.days[today] && minute >= self.from) || (self.days[yesterday] && minute < self.to)
        } else {
            self.days[today] && minute >= self.from && minute < self.to
        }
    }

    /// When the hours next open at or after `at` (Unix ms): `at` itself when open.
    pub fn next_opening(&self, at_ms: i64) -> i64 {
        if self.is_open(at_ms) {
            return at_ms;
        }
        let Ok(at) = Timestamp::from_millisecond(at_ms) else {
            return at_ms;
        };
        let today = at.to_zoned(self.zone.clone()).date();
        // Within a week some day opens (at least one day is on).
        for offset in 0..=7_i64 {
            let Ok(date) = today.checked_add(offset.days()) else {
                break;
            };
            if let Some(open) = self.opening_on(date)
                && open >= at_ms
            {
                return open;
            }
        }
        at_ms
    }

    /// When the window starting on `date` opens (Unix ms), if `date` is one of the days.
    /// A time a daylight-saving change skips is read as clocks read it after the change
    /// (02:30 on a day 02:00 becomes 03:00 opens at 03:30), as calendars do.
    fn opening_on(&self, date: Date) -> Option<i64> {
        if !self.days[day_index(date.weekday())] {
            return None;
        }
        let (h, m) = (self.from / 60, self.from % 60);
        let local = date.at(i8::try_from(h).ok()?, i8::try_from(m).ok()?, 0, 0);
        let zoned = local.to_zoned(self.zone.clone()).ok()?;
        Some(zoned.timestamp().as_millisecond())
    }

    /// A moment as people of these hours read it ([`at_local`]).
    pub fn local_time(&self, at_ms: i64, now_ms: i64) -> String {
        at_local(&self.tz, at_ms, now_ms)
    }

    /// One line for the rule list and the preview: `mon–fri 09:00–18:00 Asia/Tokyo`.
    pub fn describe(&self, lang: Lang) -> String {
        let days: Vec<&str> = DAY_NAMES
            .iter()
            .zip(self.days)
            .filter(|(_, on)| *on)
            .map(|(d, _)| *d)
            .collect();
        let days = if self.days == [true, true, true, true, true, false, false] {
            lang.pick("平日", "mon–fri").to_string()
        } else if self.days == [true; 7] {
            lang.pick("毎日", "every day").to_string()
        } else {
            days.join(", ")
        };
        format!("{days} {}–{} {}", hhmm(self.from), hhmm(self.to), self.tz)
    }
}

/// A moment as people in `tz` read it: `09:00 JST`, or `12/04 09:00 JST` when it is not
/// today there. An unknown zone reads as UTC.
pub fn at_local(tz: &str, at_ms: i64, now_ms: i64) -> String {
    let zone = TimeZone::get(tz).unwrap_or(TimeZone::UTC);
    let (Ok(at), Ok(now)) = (
        Timestamp::from_millisecond(at_ms),
        Timestamp::from_millisecond(now_ms),
    ) else {
        return String::new();
    };
    let at = at.to_zoned(zone.clone());
    let now = now.to_zoned(zone);
    if at.date() == now.date() {
        at.strftime("%H:%M %Z").to_string()
    } else {
        at.strftime("%m/%d %H:%M %Z").to_string()
    }
}

/// When a route's notification may post: at any time, or within any of its rules'
/// hours (several rules sharing a channel: the notification posts if any of them would).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Opening {
    #[default]
    Always,
    Within(Vec<Hours>),
}

impl Opening {
    /// A route's opening once another of its rules (with `hours`, or none) joins it.
    pub fn join(self, hours: Option<&Hours>) -> Self {
        match (self, hours) {
            (Self::Within(mut all), Some(h)) => {
                if !all.contains(h) {
                    all.push(h.clone());
                }
                Self::Within(all)
            }
            _ => Self::Always,
        }
    }

    pub fn of(hours: Option<&Hours>) -> Self {
        hours.map_or(Self::Always, |h| Self::Within(vec![h.clone()]))
    }

    /// None when it may post at `now_ms`; else when the earliest of its hours opens.
    pub fn deferred_until(&self, now_ms: i64) -> Option<(i64, &Hours)> {
        match self {
            Self::Always => None,
            Self::Within(all) => {
                if all.iter().any(|h| h.is_open(now_ms)) {
                    return None;
                }
                all.iter()
                    .map(|h| (h.next_opening(now_ms), h))
                    .min_by_key(|(at, _)| *at)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(tz: &str, days: &[&str], from: &str, to: &str) -> Hours {
        Hours::from_json(&HoursJson {
            tz: tz.into(),
            days: days.iter().map(|d| (*d).to_string()).collect(),
            from: from.into(),
            to: to.into(),
        })
        .unwrap()
    }

    /// Unix ms of a local time in `tz`.
    fn at(tz: &str, y: i16, mo: i8, d: i8, h: i8, mi: i8) -> i64 {
        jiff::civil::date(y, mo, d)
            .at(h, mi, 0, 0)
            .to_zoned(TimeZone::get(tz).unwrap())
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    const WEEKDAYS: [&str; 5] = ["mon", "tue", "wed", "thu", "fri"];

    #[test]
    fn office_hours_open_and_close_in_their_own_time_zone() {
        let tokyo = hours("Asia/Tokyo", &WEEKDAYS, "09:00", "18:00");
        // 2026-12-04 is a Friday.
        let cases = [
            ((2026, 12, 4, 8, 59), false),
            ((2026, 12, 4, 9, 0), true),
            ((2026, 12, 4, 17, 59), true),
            ((2026, 12, 4, 18, 0), false),
            ((2026, 12, 5, 12, 0), false),
            ((2026, 12, 7, 9, 30), true),
        ];
        for ((y, mo, d, h, mi), open) in cases {
            assert_eq!(
                tokyo.is_open(at("Asia/Tokyo", y, mo, d, h, mi)),
                open,
                "{y}-{mo}-{d} {h}:{mi}"
            );
        }
        // Friday 18:00 Tokyo is Friday 09:00 UTC: the zone, not the machine, decides.
        assert!(!tokyo.is_open(at("UTC", 2026, 12, 4, 9, 0)));
        assert!(tokyo.is_open(at("UTC", 2026, 12, 4, 8, 59)));
    }

    #[test]
    fn the_next_opening_skips_closed_days() {
        let tokyo = hours("Asia/Tokyo", &WEEKDAYS, "09:00", "18:00");
        let cases = [
            // Friday evening → Monday 09:00.
            (
                at("Asia/Tokyo", 2026, 12, 4, 19, 0),
                at("Asia/Tokyo", 2026, 12, 7, 9, 0),
            ),
            // Early Tuesday → the same day at 09:00.
            (
                at("Asia/Tokyo", 2026, 12, 8, 3, 0),
                at("Asia/Tokyo", 2026, 12, 8, 9, 0),
            ),
            // Open now → now.
            (
                at("Asia/Tokyo", 2026, 12, 8, 10, 0),
                at("Asia/Tokyo", 2026, 12, 8, 10, 0),
            ),
        ];
        for (now, expected) in cases {
            assert_eq!(tokyo.next_opening(now), expected);
        }
    }

    #[test]
    fn a_window_across_midnight_belongs_to_the_day_it_starts() {
        let night = hours("Europe/London", &["fri"], "22:00", "06:00");
        assert!(night.is_open(at("Europe/London", 2026, 12, 4, 23, 0)));
        assert!(
            night.is_open(at("Europe/London", 2026, 12, 5, 3, 0)),
            "saturday 03:00"
        );
        assert!(!night.is_open(at("Europe/London", 2026, 12, 5, 6, 0)));
        assert!(
            !night.is_open(at("Europe/London", 2026, 12, 4, 3, 0)),
            "friday 03:00"
        );
        assert_eq!(
            night.next_opening(at("Europe/London", 2026, 12, 5, 7, 0)),
            at("Europe/London", 2026, 12, 11, 22, 0)
        );
    }

    #[test]
    fn a_daylight_saving_gap_opens_at_the_first_moment_after_it() {
        // 2027-03-14 02:00–03:00 does not exist in New York: 02:30 is read as 03:30 EDT.
        let early = hours("America/New_York", &["sun"], "02:30", "05:00");
        let opens = early.next_opening(at("America/New_York", 2027, 3, 14, 1, 0));
        assert!(early.is_open(opens));
        assert!(opens > at("America/New_York", 2027, 3, 14, 1, 0));
        assert!(opens <= at("America/New_York", 2027, 3, 14, 3, 30));
    }

    #[test]
    fn bad_hours_are_refused_with_their_entry_named() {
        let bad = |tz: &str, days: &[&str], from: &str, to: &str| {
            Hours::from_json(&HoursJson {
                tz: tz.into(),
                days: days.iter().map(|d| (*d).to_string()).collect(),
                from: from.into(),
                to: to.into(),
            })
            .unwrap_err()
            .to_string()
        };
        assert!(bad("Asia/Tokio", &["mon"], "09:00", "18:00").contains("hours.tz"));
        assert!(bad("Asia/Tokyo", &[], "09:00", "18:00").contains("hours.days"));
        assert!(bad("Asia/Tokyo", &["mon", "funday"], "09:00", "18:00").contains("hours.days[1]"));
        assert!(bad("Asia/Tokyo", &["mon", "mon"], "09:00", "18:00").contains("hours.days[1]"));
        assert!(bad("Asia/Tokyo", &["mon"], "9:00", "18:00").contains("hours.from"));
        assert!(bad("Asia/Tokyo", &["mon"], "09:00", "24:30").contains("hours.to"));
        assert!(bad("Asia/Tokyo", &["mon"], "09:00", "09:00").contains("hours.to"));
        let h = hours("Asia/Tokyo", &["sat", "mon"], "09:00", "24:00");
        assert_eq!(
            h.to_json(),
            HoursJson {
                tz: "Asia/Tokyo".into(),
                days: vec!["mon".into(), "sat".into()],
                from: "09:00".into(),
                to: "24:00".into(),
            }
        );
    }

    #[test]
    fn a_route_posts_when_any_of_its_rules_would() {
        let day = hours("UTC", &DAY_NAMES, "09:00", "17:00");
        let evening = hours("UTC", &DAY_NAMES, "17:00", "22:00");
        let noon = at("UTC", 2026, 12, 4, 12, 0);
        let night = at("UTC", 2026, 12, 4, 23, 0);
        let both = Opening::of(Some(&day)).join(Some(&evening));
        assert_eq!(both.deferred_until(noon), None);
        assert_eq!(
            both.deferred_until(night).map(|(t, _)| t),
            Some(at("UTC", 2026, 12, 5, 9, 0))
        );
        assert_eq!(
            Opening::of(Some(&day)).join(None).deferred_until(night),
            None,
            "a rule without hours posts at once"
        );
        assert_eq!(Opening::of(None).join(Some(&day)), Opening::Always);
    }
}
