//! The schedules document: `{"rules": [...], "schedules": [...]}`, each rule a `DescribeRule`
//! response with `Targets` (the `ListTargetsByRule` targets), each schedule a `GetSchedule`
//! response. Only ECS targets count (`EcsParameters`); rules without a `ScheduleExpression` and
//! schedules whose targets are not ECS are left out.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use crate::error::Error;
use crate::schedule::{Dialect, Expression, zone};

/// What starts the task: sets the `startedBy` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An EventBridge rule (`events-rule/<name>`).
    Rule,
    /// An EventBridge Scheduler schedule (`chronos-schedule/<name>`).
    Schedule,
}

/// One schedule with an ECS target.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Rule or schedule.
    pub kind: Kind,
    /// `Arn`.
    pub arn: String,
    /// `Name`.
    pub name: String,
    /// A rule's `EventBusName` (`default` when absent); `""` for a Scheduler schedule.
    pub bus: String,
    /// A Scheduler schedule's `GroupName` (`default` when absent); `""` for a rule.
    pub group: String,
    /// `ScheduleExpression` as given.
    pub expression_text: String,
    /// The parsed expression.
    pub expression: Expression,
    /// `ScheduleExpressionTimezone` (UTC for rules).
    pub tz: Tz,
    /// `State` is ENABLED (or, for rules, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS).
    pub enabled: bool,
    /// `StartDate`.
    pub start: Option<DateTime<Utc>>,
    /// `EndDate`.
    pub end: Option<DateTime<Utc>>,
    /// `CreationDate` (Scheduler).
    pub created: Option<DateTime<Utc>>,
    /// `FlexibleTimeWindow` in FLEXIBLE mode, else zero.
    pub flexible: TimeDelta,
    /// ECS targets: (cluster ARN, task definition).
    pub targets: Vec<(String, String)>,
}

/// Parses the whole schedules document.
pub fn parse(doc: &Value) -> Result<Vec<Schedule>, Error> {
    let obj = doc.as_object().ok_or_else(|| {
        Error::InvalidSchedules(
            "expected an object {\"rules\": [...], \"schedules\": [...]}".into(),
        )
    })?;
    let list = |key: &str| -> Result<Vec<Value>, Error> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(Error::InvalidSchedules(format!("{key}: expected an array"))),
        }
    };
    let mut out = Vec::new();
    for (i, r) in list("rules")?.iter().enumerate() {
        if let Some(s) = rule(r).map_err(|e| at(e, "rules", i))? {
            out.push(s);
        }
    }
    for (i, s) in list("schedules")?.iter().enumerate() {
        if let Some(s) = schedule(s).map_err(|e| at(e, "schedules", i))? {
            out.push(s);
        }
    }
    Ok(out)
}

fn at(e: Error, list: &str, i: usize) -> Error {
    match e {
        Error::InvalidSchedules(m) => Error::InvalidSchedules(format!("{list}[{i}]: {m}")),
        other => Error::InvalidSchedules(format!("{list}[{i}]: {other}")),
    }
}

fn text<'a>(v: &'a Value, key: &str) -> Result<Option<&'a str>, Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::InvalidSchedules(format!("{key}: expected a string"))),
    }
}

fn required<'a>(v: &'a Value, key: &str) -> Result<&'a str, Error> {
    text(v, key)?.ok_or_else(|| Error::InvalidSchedules(format!("missing {key}")))
}

/// A date as the SDKs and the CLI print it: RFC 3339, or epoch seconds.
fn date(v: &Value, key: &str) -> Result<Option<DateTime<Utc>>, Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| Error::InvalidSchedules(format!("{key}: {s:?} is not an RFC 3339 time"))),
        Some(Value::Number(n)) => n
            .as_f64()
            .and_then(|f| DateTime::from_timestamp(f.floor() as i64, 0))
            .map(Some)
            .ok_or_else(|| Error::InvalidSchedules(format!("{key}: {n} is not an epoch time"))),
        Some(_) => Err(Error::InvalidSchedules(format!("{key}: expected a time"))),
    }
}

fn ecs_target(t: &Value) -> Result<Option<(String, String)>, Error> {
    let Some(ecs) = t.get("EcsParameters").filter(|e| !e.is_null()) else {
        return Ok(None);
    };
    Ok(Some((
        required(t, "Arn")?.to_string(),
        required(ecs, "TaskDefinitionArn")?.to_string(),
    )))
}

fn rule(r: &Value) -> Result<Option<Schedule>, Error> {
    let Some(expr) = text(r, "ScheduleExpression")? else {
        return Ok(None);
    };
    let targets = match r.get("Targets") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(ecs_target)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect(),
        Some(_) => return Err(Error::InvalidSchedules("Targets: expected an array".into())),
    };
    if targets.is_empty() {
        return Ok(None);
    }
    Ok(Some(Schedule {
        kind: Kind::Rule,
        arn: required(r, "Arn")?.to_string(),
        name: required(r, "Name")?.to_string(),
        bus: text(r, "EventBusName")?.unwrap_or("default").to_string(),
        group: String::new(),
        expression_text: expr.to_string(),
        expression: Expression::parse(expr, Dialect::Rule)?,
        tz: Tz::UTC,
        enabled: matches!(
            text(r, "State")?,
            None | Some("ENABLED" | "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
        ),
        start: None,
        end: None,
        created: None,
        flexible: TimeDelta::zero(),
        targets,
    }))
}

fn schedule(s: &Value) -> Result<Option<Schedule>, Error> {
    let Some(target) = s.get("Target").filter(|t| !t.is_null()) else {
        return Err(Error::InvalidSchedules("missing Target".into()));
    };
    let Some(target) = ecs_target(target)? else {
        return Ok(None);
    };
    let expr = required(s, "ScheduleExpression")?;
    let flexible = match s.get("FlexibleTimeWindow").filter(|f| !f.is_null()) {
        Some(f) if text(f, "Mode")? == Some("FLEXIBLE") => {
            let m = f
                .get("MaximumWindowInMinutes")
                .and_then(Value::as_i64)
                .filter(|m| (1..=1440).contains(m))
                .ok_or_else(|| {
                    Error::InvalidSchedules(
                        "FlexibleTimeWindow: FLEXIBLE needs MaximumWindowInMinutes 1-1440".into(),
                    )
                })?;
            TimeDelta::minutes(m)
        }
        _ => TimeDelta::zero(),
    };
    Ok(Some(Schedule {
        kind: Kind::Schedule,
        arn: required(s, "Arn")?.to_string(),
        name: required(s, "Name")?.to_string(),
        bus: String::new(),
        group: text(s, "GroupName")?.unwrap_or("default").to_string(),
        expression_text: expr.to_string(),
        expression: Expression::parse(expr, Dialect::Scheduler)?,
        tz: zone::parse(text(s, "ScheduleExpressionTimezone")?)?,
        enabled: matches!(text(s, "State")?, None | Some("ENABLED")),
        start: date(s, "StartDate")?,
        end: date(s, "EndDate")?,
        created: date(s, "CreationDate")?,
        flexible,
        targets: vec![target],
    }))
}
