//! `rate(value unit)`: a fixed period. Units `minute(s)`, `hour(s)`, `day(s)`; EventBridge rules
//! want the singular for 1 and the plural otherwise, Scheduler takes either. A day is 24 hours
//! (Scheduler's DST note: a rate in days is not moved by the clock change).

use chrono::TimeDelta;

use crate::error::Error;

/// Parses the inside of `rate(...)` into its period; `strict_plural` for EventBridge rules.
pub fn parse(body: &str, full: &str, strict_plural: bool) -> Result<TimeDelta, Error> {
    let mut parts = body.split_whitespace();
    let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Error::expr(
            full,
            "rate needs a value and a unit, e.g. rate(5 minutes)",
        ));
    };
    let n: i64 = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
        Error::expr(
            full,
            format!("rate value {n:?} is not a positive whole number"),
        )
    })?;
    let (seconds, singular) = match unit.to_ascii_lowercase().as_str() {
        "minute" => (60, true),
        "minutes" => (60, false),
        "hour" => (3_600, true),
        "hours" => (3_600, false),
        "day" => (86_400, true),
        "days" => (86_400, false),
        other => {
            return Err(Error::expr(
                full,
                format!("rate unit {other:?} is not minute(s), hour(s) or day(s)"),
            ));
        }
    };
    if strict_plural && singular != (n == 1) {
        return Err(Error::expr(
            full,
            "rate unit must be singular for 1 and plural otherwise",
        ));
    }
    n.checked_mul(seconds)
        .and_then(TimeDelta::try_seconds)
        .ok_or_else(|| Error::expr(full, "rate period too long"))
}
