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

fn date(d: Option<&aws_smithy_types::DateTime>) -> Value {
    d.and_then(|d| DateTime::from_timestamp(d.secs(), d.subsec_nanos()))
        .map_or(Value::Null, |t| {
            Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        })
}

/// The rules with their ECS targets, as `DescribeRule` + `Targets`.
pub async fn rules(c: &aws_sdk_eventbridge::Client) -> anyhow::Result<Vec<Value>> {
    let mut buses = vec!["default".to_string()];
    let mut token = None;
    loop {
        let out = c
            .list_event_buses()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| api("ListEventBuses", e))?;
        for b in out.event_buses() {
            if let Some(n) = b.name().filter(|n| !buses.iter().any(|b| b == n)) {
                buses.push(n.to_string());
            }
        }
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut docs = Vec::new();
    for bus in &buses {
        let mut token = None;
        loop {
            let out = c
                .list_rules()
                .event_bus_name(bus)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| api("ListRules", e))?;
            for r in out.rules() {
                let (Some(name), Some(_)) = (r.name(), r.schedule_expression()) else {
                    continue;
                };
                let d = c
                    .describe_rule()
                    .name(name)
                    .event_bus_name(bus)
                    .send()
                    .await
                    .map_err(|e| api("DescribeRule", e))?;
                let targets = rule_targets(c, name, bus).await?;
                if targets.is_empty() {
                    continue;
                }
                docs.push(json!({
                    "Name": d.name(),
                    "Arn": d.arn(),
                    "EventBusName": d.event_bus_name(),
                    "ScheduleExpression": d.schedule_expression(),
                    "State": d.state().map(|s| s.as_str()),
                    "Targets": targets,
                }));
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(docs)
}

async fn rule_targets(
    c: &aws_sdk_eventbridge::Client,
    rule: &str,
    bus: &str,
) -> anyhow::Result<Vec<Value>> {
    let mut targets = Vec::new();
    let mut token = None;
    loop {
        let out = c
            .list_targets_by_rule()
            .rule(rule)
            .event_bus_name(bus)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| api("ListTargetsByRule", e))?;
        for t in out.targets() {
            if let Some(ecs) = t.ecs_parameters() {
                targets.push(json!({
                    "Id": t.id(),
                    "Arn": t.arn(),
                    "EcsParameters": {"TaskDefinitionArn": ecs.task_definition_arn()},
                }));
            }
        }
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(targets)
}

/// The Scheduler schedules with an ECS target, as `GetSchedule`.
pub async fn schedules(c: &aws_sdk_scheduler::Client) -> anyhow::Result<Vec<Value>> {
    let mut groups = Vec::new();
    let mut token = None;
    loop {
        let out = c
            .list_schedule_groups()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| api("ListScheduleGroups", e))?;
        groups.extend(
            out.schedule_groups()
                .iter()
                .filter_map(|g| g.name().map(str::to_string)),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    if groups.is_empty() {
        groups.push("default".to_string());
    }
    let mut docs = Vec::new();
    for group in &groups {
        let mut token = None;
        loop {
            let out = c
                .list_schedules()
                .group_name(group)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| api("ListSchedules", e))?;
            for s in out.schedules() {
                let Some(name) = s.name() else { continue };
                let g = c
                    .get_schedule()
                    .name(name)
                    .group_name(group)
                    .send()
                    .await
                    .map_err(|e| api("GetSchedule", e))?;
                let Some(t) = g.target() else { continue };
                let Some(ecs) = t.ecs_parameters() else {
                    continue;
                };
                let flexible = g.flexible_time_window().map(|f| {
                    json!({"Mode": f.mode().as_str(), "MaximumWindowInMinutes": f.maximum_window_in_minutes()})
                });
                docs.push(json!({
                    "Name": g.name(),
                    "Arn": g.arn(),
                    "GroupName": g.group_name(),
                    "ScheduleExpression": g.schedule_expression(),
                    "ScheduleExpressionTimezone": g.schedule_expression_timezone(),
                    "State": g.state().map(|s| s.as_str()),
                    "StartDate": date(g.start_date()),
                    "EndDate": date(g.end_date()),
                    "CreationDate": date(g.creation_date()),
                    "FlexibleTimeWindow": flexible,
                    "Target": {"Arn": t.arn(), "EcsParameters": {"TaskDefinitionArn": ecs.task_definition_arn()}},
                }));
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(docs)
}

/// RunTask calls in `[start, end)` from CloudTrail, as the events EventBridge delivers.
pub async fn run_task_events(
    c: &aws_sdk_cloudtrail::Client,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> anyhow::Result<Vec<Value>> {
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
    let attr = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::EventName)
        .attribute_value(ecs_rerun_core::event::EVENT_NAME)
        .build()
        .map_err(|e| api("LookupEvents", e))?;
    let mut events = Vec::new();
    let mut token = None;
    loop {
        let out = c
            .lookup_events()
            .lookup_attributes(attr.clone())
            .start_time(aws_smithy_types::DateTime::from_secs(start.timestamp()))
            .end_time(aws_smithy_types::DateTime::from_secs(end.timestamp()))
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| api("LookupEvents", e))?;
        for e in out.events() {
            let id = e.event_id().unwrap_or("?");
            let Some(record) = e.cloud_trail_event() else {
                continue;
            };
            let record: Value = serde_json::from_str(record).map_err(|err| {
                InputError(format!(
                    "LookupEvents: event {id}: CloudTrailEvent is not JSON: {err}"
                ))
            })?;
            events.push(json!({
                "version": "0",
                "id": id,
                "detail-type": ecs_rerun_core::event::DETAIL_TYPE,
                "source": "aws.ecs",
                "account": record.get("recipientAccountId"),
                "time": record.get("eventTime"),
                "region": record.get("awsRegion"),
                "resources": [],
                "detail": record,
            }));
        }
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(events)
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
        "time": date(t.stopped_at().or(t.started_at()).or(t.created_at())),
        "detail": {
            "taskArn": t.task_arn(),
            "clusterArn": t.cluster_arn(),
            "startedBy": t.started_by(),
            "createdAt": date(t.created_at()),
            "startedAt": date(t.started_at()),
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
    let doc =
        json!({"rules": rules(&c.events).await?, "schedules": schedules(&c.scheduler).await?});
    let start = (from - TimeDelta::minutes(MAX_REACH_MINUTES) - grace)
        .max(now - TimeDelta::days(LOOKUP_DAYS));
    let mut events = run_task_events(&c.cloudtrail, start, to).await?;
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
