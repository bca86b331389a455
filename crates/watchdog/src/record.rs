//! One event → one fact item (docs/CONTRACT.md §10, "Facts"). Pure.
//!
//! `pk` is `sb#<startedBy>`: a schedule's cut signature, or `ecs-rerun/<eventID>` for a re-run, so
//! one schedule's facts are one partition and a run's facts one `Query` range. `sk` starts with the
//! task's `createdAt` (a RunTask call's `eventTime`), so every state change of one task sorts at its
//! creation, however late it arrives; the rest of `sk` makes each event its own item (a redelivery
//! overwrites itself).

use chrono::{DateTime, TimeDelta, Utc};
use ecs_rerun_audit::facts::TASK_STATE_CHANGE;
use ecs_rerun_core::event::{DETAIL_TYPE, RunTaskEvent};
use serde_json::{Map, Value};

use crate::error::Error;

/// Prefix of a fact's partition key.
pub const FACT_PREFIX: &str = "sb#";

/// The `detail` fields of a task state change the audit core reads (the rest is not kept).
const TASK_FIELDS: &[&str] = &[
    "taskArn",
    "clusterArn",
    "taskDefinitionArn",
    "startedBy",
    "lastStatus",
    "desiredStatus",
    "createdAt",
    "startedAt",
    "stoppedAt",
    "stopCode",
    "stoppedReason",
];
/// The container fields kept.
const CONTAINER_FIELDS: &[&str] = &["name", "exitCode", "reason", "lastStatus"];

/// One item of the facts table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactItem {
    /// `sb#<startedBy>`.
    pub pk: String,
    /// `<t>#<taskArn or eventID>#<lastStatus or runtask>`.
    pub sk: String,
    /// The event as recorded (JSON text), trimmed to what the audit's facts read.
    pub event: String,
    /// TTL: `t` + the retention, epoch seconds.
    pub expires_at: i64,
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the time format of every key.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The partition of the facts whose `startedBy` is `started_by`.
pub fn fact_pk(started_by: &str) -> String {
    format!("{FACT_PREFIX}{started_by}")
}

fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    v.and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn pick(from: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|k| from.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect()
}

/// The fact an event records; `None` for an event that is a fact of nobody's schedule (a RunTask
/// call without `startedBy`: no schedule's and no re-run's).
pub fn fact_item(event: &Value, retention: TimeDelta) -> Result<Option<FactItem>, Error> {
    let bad = |m: &str| Error::NotAFact(m.to_string());
    let obj = event.as_object().ok_or_else(|| bad("not a JSON object"))?;
    match obj.get("detail-type").and_then(Value::as_str) {
        Some(TASK_STATE_CHANGE) => {
            let d = obj
                .get("detail")
                .and_then(Value::as_object)
                .ok_or_else(|| bad("ECS Task State Change without a detail object"))?;
            let s = |k: &str| d.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
            let arn =
                s("taskArn").ok_or_else(|| bad("ECS Task State Change without detail.taskArn"))?;
            let Some(started_by) = s("startedBy") else {
                return Ok(None);
            };
            let status = s("lastStatus").unwrap_or("UNKNOWN");
            let t = time(d.get("createdAt"))
                .or_else(|| time(obj.get("time")))
                .ok_or_else(|| bad("ECS Task State Change without detail.createdAt or time"))?;
            let mut detail = pick(d, TASK_FIELDS);
            if let Some(cs) = d.get("containers").and_then(Value::as_array) {
                let cs: Vec<Value> = cs
                    .iter()
                    .filter_map(Value::as_object)
                    .map(|c| Value::Object(pick(c, CONTAINER_FIELDS)))
                    .collect();
                detail.insert("containers".into(), Value::Array(cs));
            }
            let mut kept = pick(
                obj,
                &[
                    "version",
                    "id",
                    "detail-type",
                    "source",
                    "account",
                    "time",
                    "region",
                ],
            );
            kept.insert("detail".into(), Value::Object(detail));
            Ok(Some(FactItem {
                pk: fact_pk(started_by),
                sk: format!("{}#{arn}#{status}", ts(t)),
                event: Value::Object(kept).to_string(),
                expires_at: (t + retention).timestamp(),
            }))
        }
        Some(DETAIL_TYPE) => {
            let ev = RunTaskEvent::from_value(event.clone())
                .map_err(|e| Error::NotAFact(e.to_string()))?;
            let Some(started_by) = ev.started_by().filter(|s| !s.is_empty()) else {
                return Ok(None);
            };
            let t = time(event.pointer("/detail/eventTime"))
                .or_else(|| time(obj.get("time")))
                .ok_or_else(|| bad("RunTask event without detail.eventTime"))?;
            Ok(Some(FactItem {
                pk: fact_pk(started_by),
                sk: format!("{}#{}#runtask", ts(t), ev.event_id()),
                event: event.to_string(),
                expires_at: (t + retention).timestamp(),
            }))
        }
        Some(other) => Err(Error::NotAFact(format!(
            "detail-type {other:?} is neither {TASK_STATE_CHANGE:?} nor {DETAIL_TYPE:?}"
        ))),
        None => Err(bad("no detail-type")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn task(status: &str, started_by: Option<&str>) -> Value {
        let mut d = json!({
            "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f",
            "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/nightly-batch:7",
            "lastStatus": status,
            "desiredStatus": "STOPPED",
            "createdAt": "2026-12-02T02:00:03.123Z",
            "stoppedReason": "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
            "attachments": [{"id": "eni", "details": [{"name": "subnetId", "value": "subnet-1"}]}],
            "containers": [{"name": "app", "lastStatus": "STOPPED", "reason": "CannotPullContainerError", "image": "x", "networkInterfaces": []}],
            "overrides": {"containerOverrides": [{"name": "app", "environment": [{"name": "TOKEN", "value": "secret"}]}]}
        });
        if let Some(sb) = started_by {
            d["startedBy"] = json!(sb);
        }
        json!({"version": "0", "id": "e1", "detail-type": "ECS Task State Change", "source": "aws.ecs",
            "account": "123456789012", "time": "2026-12-02T02:03:00Z", "region": "us-east-1",
            "resources": ["arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f"], "detail": d})
    }

    #[test]
    fn a_task_state_change_sorts_at_its_creation_and_keeps_only_what_the_audit_reads() {
        let item = fact_item(
            &task("STOPPED", Some("events-rule/nightly-batch")),
            TimeDelta::days(3),
        )
        .expect("a fact")
        .expect("recorded");
        assert_eq!(item.pk, "sb#events-rule/nightly-batch");
        assert_eq!(
            item.sk,
            "2026-12-02T02:00:03Z#arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f#STOPPED"
        );
        assert_eq!(item.expires_at, 1_796_176_803 + 3 * 86_400);
        let kept: Value = serde_json::from_str(&item.event).expect("JSON");
        assert!(kept["detail"].get("overrides").is_none(), "{kept}");
        assert!(kept["detail"].get("attachments").is_none());
        assert_eq!(
            kept["detail"]["containers"][0],
            json!({"name": "app", "lastStatus": "STOPPED", "reason": "CannotPullContainerError"})
        );
        // what is kept is still what the audit core reads
        let facts = ecs_rerun_audit::Facts::from_events(&[kept]).expect("facts");
        let fate = &facts.fates["arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f"];
        assert!(fate.stopped && !fate.ran);
        assert_eq!(
            fate.started_by.as_deref(),
            Some("events-rule/nightly-batch")
        );
    }

    #[test]
    fn each_status_of_a_task_is_its_own_item_and_a_redelivery_the_same() {
        let a = fact_item(&task("PENDING", Some("x")), TimeDelta::days(1))
            .expect("ok")
            .expect("some");
        let b = fact_item(&task("STOPPED", Some("x")), TimeDelta::days(1))
            .expect("ok")
            .expect("some");
        let c = fact_item(&task("STOPPED", Some("x")), TimeDelta::days(1))
            .expect("ok")
            .expect("some");
        assert_ne!(a.sk, b.sk);
        assert_eq!(b, c);
    }

    #[test]
    fn a_run_task_failure_is_keyed_by_its_started_by_and_event_id() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/events/cloudtrail_runtask_agent.json"
        );
        let e: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
        let item = fact_item(&e, TimeDelta::days(3))
            .expect("ok")
            .expect("some");
        let sb = e
            .pointer("/detail/requestParameters/startedBy")
            .and_then(Value::as_str)
            .expect("startedBy");
        let id = e
            .pointer("/detail/eventID")
            .and_then(Value::as_str)
            .expect("eventID");
        assert_eq!(item.pk, format!("sb#{sb}"));
        assert!(item.sk.ends_with(&format!("#{id}#runtask")), "{}", item.sk);
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/events/cloudtrail_runtask_agent-no-startedby.json"
        );
        let e: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
        assert_eq!(fact_item(&e, TimeDelta::days(3)).expect("ok"), None);
    }

    #[test]
    fn what_is_not_a_fact_says_why() {
        for (e, msg) in [
            (json!([]), "not a JSON object"),
            (
                json!({"detail-type": "Scheduled Event", "detail": {}}),
                "detail-type \"Scheduled Event\"",
            ),
            (json!({"detail": {}}), "no detail-type"),
            (
                json!({"detail-type": "ECS Task State Change", "detail": {"startedBy": "x"}}),
                "detail.taskArn",
            ),
            (
                json!({"detail-type": "AWS API Call via CloudTrail", "detail": {}}),
                "not a fact",
            ),
        ] {
            let err = fact_item(&e, TimeDelta::days(1)).expect_err("not a fact");
            assert_eq!(err.error_type(), "EcsRerunWatchdog.NotAFact");
            assert!(err.to_string().contains(msg), "{err}");
        }
        assert_eq!(
            fact_item(&task("RUNNING", None), TimeDelta::days(1)).expect("ok"),
            None
        );
    }
}
