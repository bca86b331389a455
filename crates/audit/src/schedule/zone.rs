//! Wall time → UTC in a schedule's zone, with Scheduler's daylight-saving rule: a local time the
//! spring change skips does not run; a local time the autumn change repeats runs once, at its
//! first occurrence (the earlier instant).

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::Error;

/// Parses an IANA zone name (`ScheduleExpressionTimezone`); none means UTC.
pub fn parse(name: Option<&str>) -> Result<Tz, Error> {
    match name {
        None | Some("") => Ok(Tz::UTC),
        Some(n) => n
            .parse::<Tz>()
            .map_err(|_| Error::InvalidTimeZone(n.to_string())),
    }
}

/// The instant of a wall time in `tz`, or none when the clock change skips it.
pub fn to_utc(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// The wall time of an instant in `tz`.
pub fn to_local(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}
