//! `ecs-rerun audit`: for every run each ECS schedule should have made in a window, what happened.
//!
//! Offline: `--schedules FILE --events FILE --from T --to T` (RFC 3339; runs due in `[from, to)`).
//! The classification is `ecs_rerun_audit`'s (pure); this module reads the files, prints the table
//! or `--output json`, and exits 0 when every decided run is `ran` or `recovered`, 1 when one is
//! not, 2 for bad input (one line naming the file and the problem).
//!
//! Live: `--since 7d` (or `--from/--to` without the files) reads the same facts from the account
//! ([`live`]) and runs the same core; an API error is one line naming the call (exit 2).

pub mod live;

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
    /// Offline: the schedules, {"rules": [DescribeRule + "Targets"], "schedules": [GetSchedule]}.
    #[arg(long, value_name = "FILE", requires = "events")]
    schedules: Option<PathBuf>,
    /// Offline: a JSON array of EventBridge events (ECS Task State Change, RunTask via CloudTrail).
    #[arg(long, value_name = "FILE", requires = "schedules")]
    events: Option<PathBuf>,
    /// Live: the window is the last N days, hours or minutes (7d, 12h, 30m), up to now.
    #[arg(long, value_name = "N[dhm]", conflicts_with_all = ["from", "to", "schedules", "events"])]
    since: Option<String>,
    /// Window start (RFC 3339, inclusive).
    #[arg(long, value_name = "T", requires = "to")]
    from: Option<String>,
    /// Window end (RFC 3339, exclusive).
    #[arg(long, value_name = "T", requires = "from")]
    to: Option<String>,
    /// Minutes after the due time (and the flexible window) before a run without facts is missed.
    #[arg(long, value_name = "MINUTES", default_value_t = DEFAULT_GRACE_MINUTES)]
    grace: i64,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    output: Output,
    /// Live: where the AWS calls go.
    #[command(flatten)]
    aws: crate::doctor::aws::AwsArgs,
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

fn grace(args: &Args) -> anyhow::Result<TimeDelta> {
    if args.grace < 0 {
        return Err(
            InputError(format!("--grace {}: must be 0 or more minutes", args.grace)).into(),
        );
    }
    Ok(TimeDelta::minutes(args.grace))
}

/// The window: `--since` up to `now`, or `--from/--to`.
pub fn window(args: &Args, now: DateTime<Utc>) -> anyhow::Result<(DateTime<Utc>, DateTime<Utc>)> {
    match (&args.since, &args.from, &args.to) {
        (Some(s), _, _) => Ok((now - live::since(s)?, now)),
        (None, Some(f), Some(t)) => Ok((time_flag("--from", f)?, time_flag("--to", t)?)),
        _ => Err(InputError(
            "give --since N[dhm], or --from T --to T (with --schedules FILE --events FILE: offline)"
                .into(),
        )
        .into()),
    }
}

/// Reads the account (`--since` or `--from/--to` without files) and audits the window.
pub fn live_report(args: &Args) -> anyhow::Result<Report> {
    let now = DateTime::<Utc>::from(std::time::SystemTime::now());
    let (from, to) = window(args, now)?;
    let grace = grace(args)?;
    live::check_window(from, now)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let sdk = args.aws.sdk_config().await?;
        let clients = live::Clients {
            events: aws_sdk_eventbridge::Client::new(&sdk),
            scheduler: aws_sdk_scheduler::Client::new(&sdk),
            cloudtrail: aws_sdk_cloudtrail::Client::new(&sdk),
            ecs: aws_sdk_ecs::Client::new(&sdk),
        };
        live::report(&clients, from, to, grace, now).await
    })
}

/// Reads both files and audits the window.
pub fn offline(
    args: &Args,
    schedules_file: &PathBuf,
    events_file: &PathBuf,
) -> anyhow::Result<Report> {
    let (from, to) = window(args, DateTime::<Utc>::from(std::time::SystemTime::now()))?;
    grace(args)?;
    let doc = read_json(schedules_file)?;
    let schedules = source::parse(&doc).map_err(|e| {
        InputError(format!(
            "{}: {e} [{}]",
            schedules_file.display(),
            e.error_type()
        ))
    })?;
    let events = read_json(events_file)?;
    let Value::Array(events) = events else {
        return Err(InputError(format!(
            "{}: expected a JSON array of events",
            events_file.display()
        ))
        .into());
    };
    let facts = Facts::from_events(&events).map_err(|e| {
        InputError(format!(
            "{}: {e} [{}]",
            events_file.display(),
            e.error_type()
        ))
    })?;
    audit(&schedules, &facts, from, to, grace(args)?)
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
    let report = match (&args.schedules, &args.events) {
        (Some(s), Some(e)) => offline(&args, s, e)?,
        _ => live_report(&args)?,
    };
    print(&report, args.output)
}
