//! The account's ECS schedules and RunTask calls, read as the audit core's documents
//! (docs/CONTRACT.md §9 "Live facts", §10): shared by `ecs-rerun audit` (live mode) and the
//! watchdog, so both see the same account the same way.
//!
//! - [`rules`]: `ListEventBuses` (plus `default`), `ListRules` per bus, `DescribeRule`,
//!   `ListTargetsByRule` (rules with a `ScheduleExpression` and at least one ECS target);
//! - [`schedules`]: `ListScheduleGroups`, `ListSchedules` per group, `GetSchedule` (ECS targets);
//! - [`run_task_events`]: CloudTrail `LookupEvents` (`EventName=RunTask`, paginated), each record
//!   wrapped as the `AWS API Call via CloudTrail` event EventBridge delivers.
//!
//! The clients are the caller's (the CLI's default HTTPS client, the Lambdas' rustls + ring).

use aws_smithy_types::error::display::DisplayErrorContext;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// What reading the account can fail with: one line naming the call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An API call failed (the SDK's whole error context, on one line).
    #[error("{call}: {message}")]
    Api {
        /// The operation, e.g. `ListRules`.
        call: &'static str,
        /// What the SDK said.
        message: String,
    },
    /// A CloudTrail record that is not JSON.
    #[error("LookupEvents: event {id}: CloudTrailEvent is not JSON: {problem}")]
    BadRecord {
        /// The CloudTrail event id.
        id: String,
        /// The parser's complaint.
        problem: String,
    },
}

impl Error {
    /// The stable name of the error (treat as API).
    pub fn error_type(&self) -> &'static str {
        match self {
            Error::Api { .. } => "EcsRerunReads.Api",
            Error::BadRecord { .. } => "EcsRerunReads.BadRecord",
        }
    }

    fn api<E: std::error::Error + Send + Sync + 'static>(call: &'static str, e: E) -> Error {
        let message = DisplayErrorContext(e).to_string();
        Error::Api {
            call,
            message: message.split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }
}

/// A smithy date as RFC 3339 (seconds, `Z`), `null` when absent.
pub fn date(d: Option<&aws_smithy_types::DateTime>) -> Value {
    d.and_then(|d| DateTime::from_timestamp(d.secs(), d.subsec_nanos()))
        .map_or(Value::Null, |t| {
            Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        })
}

/// The rules with their ECS targets, as `DescribeRule` + `Targets`.
pub async fn rules(c: &aws_sdk_eventbridge::Client) -> Result<Vec<Value>, Error> {
    let mut buses = vec!["default".to_string()];
    let mut token = None;
    loop {
        let out = c
            .list_event_buses()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| Error::api("ListEventBuses", e))?;
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
                .map_err(|e| Error::api("ListRules", e))?;
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
                    .map_err(|e| Error::api("DescribeRule", e))?;
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
) -> Result<Vec<Value>, Error> {
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
            .map_err(|e| Error::api("ListTargetsByRule", e))?;
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
pub async fn schedules(c: &aws_sdk_scheduler::Client) -> Result<Vec<Value>, Error> {
    let mut groups = Vec::new();
    let mut token = None;
    loop {
        let out = c
            .list_schedule_groups()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| Error::api("ListScheduleGroups", e))?;
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
                .map_err(|e| Error::api("ListSchedules", e))?;
            for s in out.schedules() {
                let Some(name) = s.name() else { continue };
                let g = c
                    .get_schedule()
                    .name(name)
                    .group_name(group)
                    .send()
                    .await
                    .map_err(|e| Error::api("GetSchedule", e))?;
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
) -> Result<Vec<Value>, Error> {
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
    let attr = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::EventName)
        .attribute_value(ecs_rerun_core::event::EVENT_NAME)
        .build()
        .map_err(|e| Error::api("LookupEvents", e))?;
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
            .map_err(|e| Error::api("LookupEvents", e))?;
        for e in out.events() {
            let id = e.event_id().unwrap_or("?");
            let Some(record) = e.cloud_trail_event() else {
                continue;
            };
            let record: Value = serde_json::from_str(record).map_err(|err| Error::BadRecord {
                id: id.to_string(),
                problem: err.to_string(),
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
