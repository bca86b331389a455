//! `ecs-rerun audit`: for every run each ECS schedule should have made in a window, what happened.
//!
//! Offline: `--schedules FILE --events FILE --from T --to T` (RFC 3339; runs due in `[from, to)`).
//! The classification is `ecs_rerun_audit`'s (pure); this module reads the files, prints the table
//! or `--output json`, and exits 0 when every decided run is `ran` or `recovered`, 1 when one is
//! not, 2 for bad input (one line naming the file and the problem).

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use ecs_rerun_audit::{DEFAULT_GRACE_MINUTES, Facts, Report, audit, source};
use serde_json::Value;

use crate::common::InputError;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Per schedule, problems first with their reasons.
    Table,
    /// One object per expected run, by due time then schedule ARN.
    Json,
}

/// Arguments of `audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The schedules: {"rules": [DescribeRule + "Targets"], "schedules": [GetSchedule]}.
    #[arg(long, value_name = "FILE")]
    schedules: PathBuf,
    /// The events: a JSON array of EventBridge events (ECS Task State Change, RunTask via CloudTrail).
    #[arg(long, value_name = "FILE")]
    events: PathBuf,
    /// Window start (RFC 3339, inclusive).
    #[arg(long, value_name = "T")]
    from: String,
    /// Window end (RFC 3339, exclusive).
    #[arg(long, value_name = "T")]
    to: String,
    /// Minutes after the due time (and the flexible window) before a run without facts is missed.
    #[arg(long, value_name = "MINUTES", default_value_t = DEFAULT_GRACE_MINUTES)]
    grace: i64,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    output: Output,
}

/// Parses an RFC 3339 time flag.
pub fn time_flag(flag: &str, v: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| InputError(format!("{flag} {v:?}: not an RFC 3339 time ({e})")).into())
}

fn read_json(path: &PathBuf) -> anyhow::Result<Value> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError(format!("{name}: cannot read: {e}")))?;
    serde_json::from_str(&text).map_err(|e| InputError(format!("{name}: invalid JSON: {e}")).into())
}

/// Reads both files and audits the window.
pub fn offline(args: &Args) -> anyhow::Result<Report> {
    let from = time_flag("--from", &args.from)?;
    let to = time_flag("--to", &args.to)?;
    if args.grace < 0 {
        return Err(
            InputError(format!("--grace {}: must be 0 or more minutes", args.grace)).into(),
        );
    }
    let doc = read_json(&args.schedules)?;
    let schedules = source::parse(&doc).map_err(|e| {
        InputError(format!(
            "{}: {e} [{}]",
            args.schedules.display(),
            e.error_type()
        ))
    })?;
    let events = read_json(&args.events)?;
    let Value::Array(events) = events else {
        return Err(InputError(format!(
            "{}: expected a JSON array of events",
            args.events.display()
        ))
        .into());
    };
    let facts = Facts::from_events(&events).map_err(|e| {
        InputError(format!(
            "{}: {e} [{}]",
            args.events.display(),
            e.error_type()
        ))
    })?;
    audit(&schedules, &facts, from, to, TimeDelta::minutes(args.grace))
        .map_err(|e| InputError(format!("--from/--to: {e} [{}]", e.error_type())).into())
}

/// Prints the report; an error (exit 1) when a decided run is neither `ran` nor `recovered`.
pub fn print(report: &Report, output: Output) -> anyhow::Result<()> {
    match output {
        Output::Table => print!("{}", report.table()),
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report.json()).context("JSON")?
        ),
    }
    if !report.all_ran() {
        let bad = report.runs.iter().filter(|r| r.status.is_problem()).count();
        let decided = report.runs.iter().filter(|r| r.status.decided()).count();
        anyhow::bail!("{bad} of {decided} decided runs neither ran nor recovered");
    }
    Ok(())
}

/// Runs `audit`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let report = offline(&args)?;
    print(&report, args.output)
}
