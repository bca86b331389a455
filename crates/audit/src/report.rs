//! The audit's answer: one [`Run`] per expected run, warnings, and the two renderings (a table
//! for people, JSON for tools).

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::status::Status;

/// One expected run and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The rule's or schedule's ARN.
    pub schedule: String,
    /// Its name.
    pub name: String,
    /// When it was due (UTC).
    pub due: DateTime<Utc>,
    /// due + flexible window + grace.
    pub decision: DateTime<Utc>,
    /// The status.
    pub status: Status,
    /// Its tasks (own, then re-runs').
    pub task_arns: Vec<String>,
    /// Why.
    pub reasons: Vec<String>,
}

/// A schedule the audit looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audited {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// `ScheduleExpression`.
    pub expression: String,
    /// IANA zone name.
    pub zone: String,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Window start (inclusive).
    pub from: DateTime<Utc>,
    /// Window end (exclusive).
    pub to: DateTime<Utc>,
    /// The grace.
    pub grace: TimeDelta,
    /// Enabled ECS schedules, by ARN.
    pub schedules: Vec<Audited>,
    /// Every expected run, by due time then schedule ARN.
    pub runs: Vec<Run>,
    /// Disabled ECS schedules, shared signatures, launches that fit no run.
    pub warnings: Vec<String>,
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Report {
    /// Every decided run is `ran` or `recovered` (exit 0); otherwise exit 1.
    pub fn all_ran(&self) -> bool {
        !self.runs.iter().any(|r| r.status.is_problem())
    }

    /// The JSON array: one object per expected run.
    pub fn json(&self) -> Value {
        Value::Array(
            self.runs
                .iter()
                .map(|r| {
                    json!({
                        "schedule": r.schedule,
                        "name": r.name,
                        "due": ts(r.due),
                        "decisionTime": ts(r.decision),
                        "status": r.status.as_str(),
                        "taskArns": r.task_arns,
                        "reasons": r.reasons,
                    })
                })
                .collect(),
        )
    }

    fn counts<'a>(runs: impl Iterator<Item = &'a Run>) -> String {
        let mut n: BTreeMap<Status, usize> = BTreeMap::new();
        for r in runs {
            *n.entry(r.status).or_default() += 1;
        }
        let parts: Vec<String> = n
            .iter()
            .map(|(s, c)| format!("{c} {}", s.as_str()))
            .collect();
        if parts.is_empty() {
            "no runs".into()
        } else {
            parts.join(", ")
        }
    }

    /// The table: a summary line, warnings, then per schedule its runs, problems first with
    /// their reasons, then the rest in due order.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "audit {} .. {} (grace {} min): {} schedules, {} expected runs: {}",
            ts(self.from),
            ts(self.to),
            self.grace.num_minutes(),
            self.schedules.len(),
            self.runs.len(),
            Self::counts(self.runs.iter())
        );
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        for s in &self.schedules {
            let mut runs: Vec<&Run> = self.runs.iter().filter(|r| r.schedule == s.arn).collect();
            runs.sort_by_key(|r| (r.status, r.due));
            let _ = writeln!(out, "\n{} [{} {}]", s.name, s.expression, s.zone);
            let _ = writeln!(out, "  {}", s.arn);
            let _ = writeln!(out, "  {}", Self::counts(runs.iter().copied()));
            for r in runs {
                let tasks: Vec<&str> = r
                    .task_arns
                    .iter()
                    .map(|t| t.rsplit('/').next().unwrap_or(t))
                    .collect();
                let _ = writeln!(
                    out,
                    "  {}  {:<15} {}",
                    ts(r.due),
                    r.status.as_str(),
                    if tasks.is_empty() {
                        "-".to_string()
                    } else {
                        tasks.join(" ")
                    }
                );
                if r.status != Status::Ran {
                    for why in &r.reasons {
                        let _ = writeln!(out, "      {why}");
                    }
                }
            }
        }
        out
    }
}
