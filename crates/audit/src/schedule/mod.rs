//! Schedule expressions and the instants they fire at: [`cron`], [`rate`], [`at`], in a [`zone`].

pub mod at;
pub mod cron;
pub mod rate;
pub mod zone;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::error::Error;

/// Who evaluates the expression: the dialects differ slightly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// EventBridge rules: UTC, cron or rate (rate units singular for 1), no `at`.
    Rule,
    /// EventBridge Scheduler: a time zone, cron, rate or at.
    Scheduler,
}

/// A parsed schedule expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expression {
    /// `cron(...)`
    Cron(cron::Cron),
    /// `rate(...)`: the period.
    Rate(TimeDelta),
    /// `at(...)`: the wall time.
    At(NaiveDateTime),
}

impl Expression {
    /// Parses `cron(...)`, `rate(...)` or `at(...)` as `dialect` accepts it.
    pub fn parse(s: &str, dialect: Dialect) -> Result<Expression, Error> {
        let t = s.trim();
        let inner = |p: &str| {
            t.strip_prefix(p)
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| Error::expr(s, format!("expected {p}...)")))
        };
        if t.starts_with("cron(") {
            Ok(Expression::Cron(cron::Cron::parse(inner("cron(")?, s)?))
        } else if t.starts_with("rate(") {
            Ok(Expression::Rate(rate::parse(
                inner("rate(")?,
                s,
                dialect == Dialect::Rule,
            )?))
        } else if t.starts_with("at(") {
            if dialect == Dialect::Rule {
                return Err(Error::expr(s, "EventBridge rules have no at() expressions"));
            }
            Ok(Expression::At(at::parse(inner("at(")?, s)?))
        } else {
            Err(Error::expr(s, "not cron(...), rate(...) or at(...)"))
        }
    }

    /// Every instant in `[from, to)` the expression fires at, evaluated in `tz`, ascending. A rate
    /// fires at `anchor + k·period` for every whole k (the caller picks the anchor).
    pub fn instants(
        &self,
        tz: Tz,
        anchor: DateTime<Utc>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
        if from >= to {
            return Vec::new();
        }
        match self {
            Expression::Cron(c) => {
                // one day of margin each side: zone offsets are under a day
                let first = zone::to_local(tz, from)
                    .date()
                    .pred_opt()
                    .unwrap_or(zone::to_local(tz, from).date());
                let last = zone::to_local(tz, to)
                    .date()
                    .succ_opt()
                    .unwrap_or(zone::to_local(tz, to).date());
                let mut out: Vec<DateTime<Utc>> = c
                    .local_times(first, last)
                    .into_iter()
                    .filter_map(|l| zone::to_utc(tz, l))
                    .filter(|t| *t >= from && *t < to)
                    .collect();
                out.dedup();
                out
            }
            Expression::Rate(period) => {
                let p = period.num_seconds().max(1);
                let k0 = (from - anchor).num_seconds().div_euclid(p);
                let mut t = anchor + TimeDelta::seconds(k0 * p);
                if t < from {
                    t += *period;
                }
                let mut out = Vec::new();
                while t < to {
                    out.push(t);
                    t += *period;
                }
                out
            }
            Expression::At(local) => zone::to_utc(tz, *local)
                .filter(|t| *t >= from && *t < to)
                .into_iter()
                .collect(),
        }
    }

    /// The period of a rate expression.
    pub fn rate(&self) -> Option<TimeDelta> {
        match self {
            Expression::Rate(p) => Some(*p),
            _ => None,
        }
    }
}
