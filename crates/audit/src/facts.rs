//! The events array → facts: RunTask calls (CloudTrail "AWS API Call via CloudTrail") and task
//! fates (`ECS Task State Change`). Other detail-types are left out; a RunTask event or task state
//! change that cannot be read is an error naming its index.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ecs_rerun_core::event::{DETAIL_TYPE, EVENT_NAME, RunTaskEvent};
use serde_json::Value;

use crate::error::Error;

/// `detail-type` of ECS task state changes.
pub const TASK_STATE_CHANGE: &str = "ECS Task State Change";

/// One RunTask call.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    /// CloudTrail `eventID`.
    pub event_id: String,
    /// CloudTrail `eventTime`.
    pub time: DateTime<Utc>,
    /// `requestParameters.startedBy`.
    pub started_by: Option<String>,
    /// `requestParameters.cluster` (name or ARN; `default` when absent).
    pub cluster: String,
    /// `requestParameters.taskDefinition`.
    pub task_definition: String,
    /// The tasks RunTask started.
    pub tasks: Vec<String>,
    /// RunTask's failures, `reason (arn)`.
    pub failures: Vec<String>,
    /// The call's own error (`errorCode: errorMessage`), e.g. AccessDeniedException.
    pub error: Option<String>,
}

/// What ECS said about one task.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fate {
    /// `startedBy` of the task.
    pub started_by: Option<String>,
    /// `createdAt` (or the first event's time).
    pub created: Option<DateTime<Utc>>,
    /// Reached RUNNING (`lastStatus` RUNNING seen, or `startedAt` set).
    pub ran: bool,
    /// Reached STOPPED.
    pub stopped: bool,
    /// `stopCode`.
    pub stop_code: Option<String>,
    /// `stoppedReason`.
    pub stopped_reason: Option<String>,
    /// Containers that exited non-zero: `(name, exit code)`.
    pub nonzero_exits: Vec<(String, i64)>,
    /// Container `reason`s (e.g. CannotPullContainerError: …).
    pub container_reasons: Vec<String>,
}

/// Everything the events say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// RunTask calls, in the order given.
    pub launches: Vec<Launch>,
    /// Task fates by task ARN.
    pub fates: HashMap<String, Fate>,
}

fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    v.and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl Facts {
    /// Reads the events array.
    pub fn from_events(events: &[Value]) -> Result<Facts, Error> {
        let mut facts = Facts::default();
        for (index, e) in events.iter().enumerate() {
            let bad = |problem: String| Error::InvalidEvent { index, problem };
            let Some(obj) = e.as_object() else {
                return Err(bad("not a JSON object".into()));
            };
            match obj.get("detail-type").and_then(Value::as_str) {
                Some(DETAIL_TYPE)
                    if e.pointer("/detail/eventName").and_then(Value::as_str)
                        == Some(EVENT_NAME) =>
                {
                    let ev =
                        RunTaskEvent::from_value(e.clone()).map_err(|err| bad(err.to_string()))?;
                    facts.launches.push(launch(&ev).map_err(bad)?);
                }
                Some(TASK_STATE_CHANGE) => facts.task_change(e).map_err(bad)?,
                _ => {}
            }
        }
        Ok(facts)
    }

    /// Adds what one `ECS Task State Change` says about its task.
    pub fn task_change(&mut self, e: &Value) -> Result<(), String> {
        let d = e.get("detail").ok_or("missing detail")?;
        let arn = d
            .get("taskArn")
            .and_then(Value::as_str)
            .ok_or("missing detail.taskArn")?;
        let fate = self.fates.entry(arn.to_string()).or_default();
        let s = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_string);
        if fate.started_by.is_none() {
            fate.started_by = s("startedBy");
        }
        if fate.created.is_none() {
            fate.created = time(d.get("createdAt")).or_else(|| time(e.get("time")));
        }
        let last = s("lastStatus").unwrap_or_default();
        fate.ran |= last == "RUNNING" || d.get("startedAt").is_some_and(|v| !v.is_null());
        if last == "STOPPED" {
            fate.stopped = true;
            fate.stop_code = s("stopCode").or(fate.stop_code.take());
            fate.stopped_reason = s("stoppedReason").or(fate.stopped_reason.take());
            fate.nonzero_exits.clear();
            fate.container_reasons.clear();
            for c in d
                .get("containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = c
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                if let Some(code) = c
                    .get("exitCode")
                    .and_then(Value::as_i64)
                    .filter(|c| *c != 0)
                {
                    fate.nonzero_exits.push((name.clone(), code));
                }
                if let Some(r) = c.get("reason").and_then(Value::as_str) {
                    fate.container_reasons.push(format!("{name}: {r}"));
                }
            }
        }
        Ok(())
    }
}

fn launch(ev: &RunTaskEvent) -> Result<Launch, String> {
    let t = ev
        .detail
        .event_time
        .as_deref()
        .or(ev.time.as_deref())
        .ok_or("missing detail.eventTime")?;
    let time = DateTime::parse_from_rfc3339(t)
        .map_err(|_| format!("detail.eventTime {t:?} is not an RFC 3339 time"))?
        .with_timezone(&Utc);
    let failures = ev
        .failures()
        .iter()
        .map(|f| match (&f.reason, &f.arn) {
            (Some(r), Some(a)) => format!("{r} ({a})"),
            (Some(r), None) => r.clone(),
            (None, Some(a)) => format!("no reason ({a})"),
            (None, None) => "no reason".to_string(),
        })
        .collect();
    let error = ev
        .detail
        .error_code
        .as_ref()
        .map(|c| match &ev.detail.error_message {
            Some(m) => format!("{c}: {m}"),
            None => c.clone(),
        });
    Ok(Launch {
        event_id: ev.event_id().to_string(),
        time,
        started_by: ev.started_by().map(str::to_string),
        cluster: ev.cluster().to_string(),
        task_definition: ev.task_definition().to_string(),
        tasks: ev.task_arns(),
        failures,
        error,
    })
}
