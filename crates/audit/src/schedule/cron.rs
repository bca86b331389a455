//! `cron(minutes hours day-of-month month day-of-week year)` as EventBridge and Scheduler evaluate
//! it: six fields; `?` in exactly one of day-of-month / day-of-week; day-of-week 1–7 = SUN–SAT;
//! `L` (last day of month; `L` alone in day-of-week = SAT, `nL` = last weekday n of the month),
//! `W` (`nW` nearest weekday to day n within the month, `LW` last weekday), `#` (`n#k` = k-th
//! weekday n); names JAN–DEC and SUN–SAT; years 1970–2199. Evaluated in local (wall) time: the
//! zone is [`super::zone`]'s business.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use crate::error::Error;

/// First and last year AWS accepts.
pub const YEARS: (i32, i32) = (1970, 2199);
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// The day-of-month field.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DayOfMonth {
    /// `?`
    Any,
    /// Bit d set = day d (1–31).
    Set(u64),
    /// `L`: the last day of the month.
    Last,
    /// `nW`: the weekday (MON–FRI) nearest to day n, in the same month.
    NearestWeekday(u32),
    /// `LW`: the last weekday of the month.
    LastWeekday,
}

/// The day-of-week field (days 1–7 = SUN–SAT).
#[derive(Debug, Clone, PartialEq, Eq)]
enum DayOfWeek {
    /// `?`
    Any,
    /// Bit d set = day d (1 = SUN).
    Set(u64),
    /// `nL`: the last day n of the month.
    LastOf(u32),
    /// `n#k`: the k-th day n of the month.
    Nth(u32, u32),
}

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u64,
    dom: DayOfMonth,
    months: u64,
    dow: DayOfWeek,
    /// Bit (year − 1970) set; 230 years need four words.
    years: [u64; 4],
}

impl Cron {
    /// Parses the inside of `cron(...)`; `full` is the whole expression, for messages.
    pub fn parse(body: &str, full: &str) -> Result<Cron, Error> {
        let fields: Vec<&str> = body.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(Error::expr(
                full,
                format!(
                    "cron needs 6 fields (minutes hours day-of-month month day-of-week year), got {}",
                    fields.len()
                ),
            ));
        }
        let minutes = set_field(fields[0], 0, 59, &[], full, "minutes")?;
        let hours = set_field(fields[1], 0, 23, &[], full, "hours")?;
        let months = set_field(fields[3], 1, 12, &MONTHS, full, "month")?;
        let dom = dom_field(fields[2], full)?;
        let dow = dow_field(fields[4], full)?;
        match (&dom, &dow) {
            (DayOfMonth::Any, DayOfWeek::Any) => {
                return Err(Error::expr(
                    full,
                    "day-of-month and day-of-week cannot both be ?",
                ));
            }
            (DayOfMonth::Any, _) | (_, DayOfWeek::Any) => {}
            _ => {
                return Err(Error::expr(
                    full,
                    "one of day-of-month and day-of-week must be ? (AWS does not combine them)",
                ));
            }
        }
        let mut years = [0u64; 4];
        let span = (YEARS.1 - YEARS.0) as u32;
        let bits = set_bits(fields[5], 0, span, &[], full, "year", YEARS.0 as u32)?;
        for y in 0..=span {
            if bits.contains(&y) {
                years[(y / 64) as usize] |= 1 << (y % 64);
            }
        }
        Ok(Cron {
            minutes,
            hours,
            dom,
            months,
            dow,
            years,
        })
    }

    /// Whether the cron fires on this local date (any time of day).
    pub fn matches_date(&self, date: NaiveDate) -> bool {
        let y = date.year() - YEARS.0;
        if !(0..=YEARS.1 - YEARS.0).contains(&y)
            || self.years[(y / 64) as usize] & (1 << (y % 64)) == 0
        {
            return false;
        }
        if self.months & (1 << date.month()) == 0 {
            return false;
        }
        let last = last_day(date.year(), date.month());
        let day = date.day();
        let ok_dom = match self.dom {
            DayOfMonth::Any => true,
            DayOfMonth::Set(bits) => bits & (1 << day) != 0,
            DayOfMonth::Last => day == last,
            DayOfMonth::NearestWeekday(n) => {
                nearest_weekday(date.year(), date.month(), n.min(last)) == day
            }
            DayOfMonth::LastWeekday => nearest_weekday(date.year(), date.month(), last) == day,
        };
        let dow = date.weekday().number_from_sunday();
        let ok_dow = match self.dow {
            DayOfWeek::Any => true,
            DayOfWeek::Set(bits) => bits & (1 << dow) != 0,
            DayOfWeek::LastOf(n) => dow == n && day + 7 > last,
            DayOfWeek::Nth(n, k) => dow == n && (day - 1) / 7 + 1 == k,
        };
        ok_dom && ok_dow
    }

    /// Every local time the cron fires on dates `first..=last`, ascending.
    pub fn local_times(&self, first: NaiveDate, last: NaiveDate) -> Vec<NaiveDateTime> {
        let mut out = Vec::new();
        let mut date = first;
        while date <= last {
            if self.matches_date(date) {
                for h in (0..24).filter(|h| self.hours & (1 << h) != 0) {
                    for m in (0..60).filter(|m| self.minutes & (1 << m) != 0) {
                        if let Some(t) = NaiveTime::from_hms_opt(h, m, 0) {
                            out.push(date.and_time(t));
                        }
                    }
                }
            }
            match date.succ_opt() {
                Some(d) => date = d,
                None => break,
            }
        }
        out
    }
}

fn last_day(year: i32, month: u32) -> u32 {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

/// The MON–FRI day nearest to day `n` without leaving the month (Quartz's `W`, which AWS follows).
fn nearest_weekday(year: i32, month: u32, n: u32) -> u32 {
    let last = last_day(year, month);
    let Some(date) = NaiveDate::from_ymd_opt(year, month, n) else {
        return 0;
    };
    match date.weekday() {
        Weekday::Sat if n == 1 => 3,
        Weekday::Sat => n - 1,
        Weekday::Sun if n == last => n - 2,
        Weekday::Sun => n + 1,
        _ => n,
    }
}

fn value(s: &str, names: &[&str], offset: u32, full: &str, field: &str) -> Result<u32, Error> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(i as u32 + 1);
    }
    s.parse::<u32>()
        .ok()
        .and_then(|v| v.checked_sub(offset))
        .ok_or_else(|| Error::expr(full, format!("{field}: {s:?} is not a number or name")))
}

/// The values of a plain field (`*`, lists, ranges, steps); `offset` shifts year numbers to 0.
fn set_bits(
    spec: &str,
    lo: u32,
    hi: u32,
    names: &[&str],
    full: &str,
    field: &str,
    offset: u32,
) -> Result<Vec<u32>, Error> {
    let mut out = Vec::new();
    for item in spec.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step = s.parse::<u32>().ok().filter(|s| *s > 0).ok_or_else(|| {
                    Error::expr(
                        full,
                        format!("{field}: step {s:?} is not a positive number"),
                    )
                })?;
                (r, Some(step))
            }
            None => (item, None),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (
                value(a, names, offset, full, field)?,
                value(b, names, offset, full, field)?,
            )
        } else {
            let a = value(range, names, offset, full, field)?;
            // `a/s` runs from a to the end of the field
            (a, if step.is_some() { hi } else { a })
        };
        if a < lo || b > hi || a > hi || b < lo || (a > b && offset != 0) {
            return Err(Error::expr(
                full,
                format!(
                    "{field}: {range:?} is outside {}-{}",
                    lo + offset,
                    hi + offset
                ),
            ));
        }
        // a range that wraps (FRI-MON, 22-2) goes round the field, as in Quartz
        let len = if a <= b { b - a } else { hi - a + 1 + b - lo };
        let step = step.unwrap_or(1);
        out.extend((0..=len).step_by(step as usize).map(|k| {
            let v = a + k;
            if v > hi { v - (hi - lo + 1) } else { v }
        }));
    }
    Ok(out)
}

fn set_field(
    spec: &str,
    lo: u32,
    hi: u32,
    names: &[&str],
    full: &str,
    field: &str,
) -> Result<u64, Error> {
    if spec == "?" {
        return Err(Error::expr(
            full,
            format!("{field}: ? is only allowed in day-of-month or day-of-week"),
        ));
    }
    Ok(set_bits(spec, lo, hi, names, full, field, 0)?
        .into_iter()
        .fold(0, |acc, v| acc | (1 << v)))
}

fn dom_field(spec: &str, full: &str) -> Result<DayOfMonth, Error> {
    match spec {
        "?" => return Ok(DayOfMonth::Any),
        "L" | "l" => return Ok(DayOfMonth::Last),
        "LW" | "lw" => return Ok(DayOfMonth::LastWeekday),
        _ => {}
    }
    if let Some(n) = spec.strip_suffix(['W', 'w']) {
        let n = value(n, &[], 0, full, "day-of-month")?;
        if !(1..=31).contains(&n) {
            return Err(Error::expr(
                full,
                format!("day-of-month: {spec:?} is outside 1-31"),
            ));
        }
        return Ok(DayOfMonth::NearestWeekday(n));
    }
    Ok(DayOfMonth::Set(set_field(
        spec,
        1,
        31,
        &[],
        full,
        "day-of-month",
    )?))
}

fn dow_field(spec: &str, full: &str) -> Result<DayOfWeek, Error> {
    match spec {
        "?" => return Ok(DayOfWeek::Any),
        // `L` alone is the last day of the week: SAT
        "L" | "l" => return Ok(DayOfWeek::Set(1 << 7)),
        _ => {}
    }
    let day = |s: &str| -> Result<u32, Error> {
        let d = value(s, &DAYS, 0, full, "day-of-week")?;
        if (1..=7).contains(&d) {
            Ok(d)
        } else {
            Err(Error::expr(
                full,
                format!("day-of-week: {s:?} is outside 1-7 (SUN-SAT)"),
            ))
        }
    };
    if let Some(n) = spec.strip_suffix(['L', 'l']) {
        return Ok(DayOfWeek::LastOf(day(n)?));
    }
    if let Some((n, k)) = spec.split_once('#') {
        let k = k
            .parse::<u32>()
            .ok()
            .filter(|k| (1..=5).contains(k))
            .ok_or_else(|| Error::expr(full, format!("day-of-week: #{k} is not 1-5")))?;
        return Ok(DayOfWeek::Nth(day(n)?, k));
    }
    Ok(DayOfWeek::Set(set_field(
        spec,
        1,
        7,
        &DAYS,
        full,
        "day-of-week",
    )?))
}
