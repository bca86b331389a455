//! `audit --since 7d` (or `--from/--to` without files): the same schedules document and the same
//! events the offline mode reads from files, read from the account, then the same core.
//!
//! - rules: `ListEventBuses` (plus `default`), `ListRules` per bus, `DescribeRule`,
//!   `ListTargetsByRule` (only ECS targets count, as offline);
//! - schedules: `ListScheduleGroups`, `ListSchedules` per group, `GetSchedule`;
//! - RunTask calls: CloudTrail `LookupEvents` (`EventName=RunTask`, paginated, 90 days at most),
//!   each record wrapped as the `AWS API Call via CloudTrail` event EventBridge delivers;
//! - task fates: ECS `DescribeTasks` per cluster in batches of 100 for the tasks RunTask started,
//!   each task written as its last `ECS Task State Change`; a task ECS no longer knows has no fate
//!   and the core reports its run `launched` with the ARN.
//!
//! Every API error is one line naming the call (exit 2).

use std::collections::BTreeMap;

use aws_smithy_types::error::display::DisplayErrorContext;
use chrono::{DateTime, TimeDelta, Utc};
use ecs_rerun_audit::{Facts, Report, audit, source};
use ecs_rerun_reads as reads;
use serde_json::{Map, Value, json};

use crate::common::InputError;

/// How far back CloudTrail `LookupEvents` reaches.
pub const LOOKUP_DAYS: i64 = 90;
/// The widest Scheduler flexible window: RunTask calls this long before `from` are read too.
const MAX_REACH_MINUTES: i64 = 1440;
/// `DescribeTasks` takes at most this many tasks.
const DESCRIBE_BATCH: usize = 100;

/// The four clients live mode reads.
pub struct Clients {
    /// EventBridge (rules and targets).
    pub events: aws_sdk_eventbridge::Client,
    /// EventBridge Scheduler.
    pub scheduler: aws_sdk_scheduler::Client,
    /// CloudTrail (RunTask calls).
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    /// ECS (task fates).
    pub ecs: aws_sdk_ecs::Client,
}

fn read_error(e: reads::Error) -> anyhow::Error {
    InputError(e.to_string()).into()
}

fn api<E: std::error::Error + Send + Sync + 'static>(call: &str, e: E) -> anyhow::Error {
    InputError(format!("{call}: {}", DisplayErrorContext(e))).into()
}

/// Parses `--since`: `<n>d`, `<n>h` or `<n>m`, n > 0.
pub fn since(v: &str) -> anyhow::Result<TimeDelta> {
    let bad = || {
        InputError(format!(
            "--since {v:?}: expected <n>d, <n>h or <n>m (n > 0)"
        ))
    };
    let (n, unit) = v.split_at(v.len().saturating_sub(1));
    let n: i64 = n.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
    let d = match unit {
        "d" => TimeDelta::try_days(n),
        "h" => TimeDelta::try_hours(n),
        "m" => TimeDelta::try_minutes(n),
        _ => None,
    };
    d.ok_or_else(|| bad().into())
}

/// Refuses a window CloudTrail no longer holds.
pub fn check_window(from: DateTime<Utc>, now: DateTime<Utc>) -> anyhow::Result<()> {
    if from < now - TimeDelta::days(LOOKUP_DAYS) {
        return Err(InputError(format!(
            "--from {}: CloudTrail LookupEvents keeps {LOOKUP_DAYS} days; the window must start after {}",
            ecs_rerun_audit::report::ts(from),
            ecs_rerun_audit::report::ts(now - TimeDelta::days(LOOKUP_DAYS))
        ))
        .into());
    }
    Ok(())
}

/// The cluster of a task ARN (`…:task/<cluster>/<id>`), else the launch's cluster.
fn task_cluster(task: &str, fallback: &str) -> String {
    let mut parts = task.rsplit(':').next().unwrap_or_default().split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("task"), Some(cluster), Some(_)) => cluster.to_string(),
        _ => fallback.to_string(),
    }
}

/// What ECS still knows about `tasks`, as one `ECS Task State Change` per task.
pub async fn task_fates(
    c: &aws_sdk_ecs::Client,
    tasks: &[(String, String)],
) -> anyhow::Result<Vec<Value>> {
    let mut by_cluster: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (task, cluster) in tasks {
        let v = by_cluster.entry(task_cluster(task, cluster)).or_default();
        if !v.contains(task) {
            v.push(task.clone());
        }
    }
    let mut events = Vec::new();
    for (cluster, arns) in &by_cluster {
        for batch in arns.chunks(DESCRIBE_BATCH) {
            let out = c
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| api("DescribeTasks", e))?;
            for t in out.tasks() {
                events.push(task_change(t));
            }
        }
    }
    Ok(events)
}

fn task_change(t: &aws_sdk_ecs::types::Task) -> Value {
    let containers: Vec<Value> = t
        .containers()
        .iter()
        .map(|c| {
            let mut m = Map::new();
            m.insert("name".into(), json!(c.name()));
            if let Some(code) = c.exit_code() {
                m.insert("exitCode".into(), json!(code));
            }
            if let Some(r) = c.reason() {
                m.insert("reason".into(), json!(r));
            }
            Value::Object(m)
        })
        .collect();
    json!({
        "version": "0",
        "detail-type": ecs_rerun_audit::facts::TASK_STATE_CHANGE,
        "source": "aws.ecs",
        "time": reads::date(t.stopped_at().or(t.started_at()).or(t.created_at())),
        "detail": {
            "taskArn": t.task_arn(),
            "clusterArn": t.cluster_arn(),
            "startedBy": t.started_by(),
            "createdAt": reads::date(t.created_at()),
            "startedAt": reads::date(t.started_at()),
            "lastStatus": t.last_status(),
            "stopCode": t.stop_code().map(|s| s.as_str()),
            "stoppedReason": t.stopped_reason(),
            "containers": containers,
        }
    })
}

/// The schedules document and the events, read from the account for runs due in `[from, to)`.
pub async fn read(
    c: &Clients,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    grace: TimeDelta,
    now: DateTime<Utc>,
) -> anyhow::Result<(Value, Vec<Value>)> {
    check_window(from, now)?;
    let doc = json!({
        "rules": reads::rules(&c.events).await.map_err(read_error)?,
        "schedules": reads::schedules(&c.scheduler).await.map_err(read_error)?,
    });
    let start = (from - TimeDelta::minutes(MAX_REACH_MINUTES) - grace)
        .max(now - TimeDelta::days(LOOKUP_DAYS));
    let mut events = reads::run_task_events(&c.cloudtrail, start, to)
        .await
        .map_err(read_error)?;
    let calls = Facts::from_events(&events)
        .map_err(|e| InputError(format!("LookupEvents: {e} [{}]", e.error_type())))?;
    let tasks: Vec<(String, String)> = calls
        .launches
        .iter()
        .flat_map(|l| l.tasks.iter().map(|t| (t.clone(), l.cluster.clone())))
        .collect();
    events.extend(task_fates(&c.ecs, &tasks).await?);
    Ok((doc, events))
}

/// Reads the account and audits the window.
pub async fn report(
    c: &Clients,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    grace: TimeDelta,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let (doc, events) = read(c, from, to, grace, now).await?;
    let schedules = source::parse(&doc)
        .map_err(|e| InputError(format!("the account's schedules: {e} [{}]", e.error_type())))?;
    let facts = Facts::from_events(&events)
        .map_err(|e| InputError(format!("the account's events: {e} [{}]", e.error_type())))?;
    audit(&schedules, &facts, from, to, grace)
        .map_err(|e| InputError(format!("--from/--to: {e} [{}]", e.error_type())).into())
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
