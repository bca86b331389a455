//! startedBy signatures: the 36-character cut, a shared prefix told apart by target or counted for
//! none, re-runs of re-runs, hand-started tasks.

use chrono::{DateTime, TimeDelta, Utc};
use ecs_rerun_audit::correlate::{STARTED_BY_MAX, signature};
use ecs_rerun_audit::source::{self, Kind};
use ecs_rerun_audit::{Facts, Status, audit};
use serde_json::{Value, json};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test time")
        .with_timezone(&Utc)
}

#[test]
fn signatures_are_cut_to_36_characters() {
    let cases = [
        (Kind::Rule, "nightly", "events-rule/nightly"),
        (Kind::Schedule, "nightly", "chronos-schedule/nightly"),
        (
            Kind::Rule,
            "warehouse-load-eu-west-1-nightly",
            "events-rule/warehouse-load-eu-west-1",
        ),
        (
            Kind::Schedule,
            "warehouse-load-eu-west-1-nightly",
            "chronos-schedule/warehouse-load-eu-w",
        ),
    ];
    for (kind, name, want) in cases {
        let got = signature(kind, name);
        assert_eq!(got, want);
        assert!(got.len() <= STARTED_BY_MAX);
    }
}

fn rule(name: &str, cluster: &str) -> Value {
    json!({"Name": name, "Arn": format!("arn:aws:events:us-east-1:123456789012:rule/{name}"),
        "ScheduleExpression": "cron(0 4 * * ? *)", "State": "ENABLED",
        "Targets": [{"Id": "1", "Arn": format!("arn:aws:ecs:us-east-1:123456789012:cluster/{cluster}"),
            "EcsParameters": {"TaskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/load:4"}}]})
}

fn runtask(id: &str, time: &str, started_by: &str, task: Option<&str>) -> Value {
    let resp = match task {
        Some(a) => json!({"tasks": [{"taskArn": a}], "failures": []}),
        None => json!({"tasks": [], "failures": [{"reason": "AGENT"}]}),
    };
    json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.ecs", "time": time,
        "detail": {"eventTime": time, "eventName": "RunTask", "eventID": id,
            "requestParameters": {"cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/wh", "taskDefinition": "load:4", "startedBy": started_by},
            "responseElements": resp}})
}

fn running(task: &str, time: &str, started_by: &str) -> Value {
    json!({"detail-type": "ECS Task State Change", "source": "aws.ecs", "time": time,
        "detail": {"taskArn": task, "lastStatus": "RUNNING", "startedBy": started_by, "createdAt": time, "startedAt": time}})
}

#[test]
fn a_shared_prefix_on_the_same_target_is_counted_for_none() {
    let doc = json!({"rules": [rule("warehouse-load-eu-west-1-nightly", "wh"), rule("warehouse-load-eu-west-1-catchup", "wh")]});
    let schedules = source::parse(&doc).expect("schedules");
    let sb = "events-rule/warehouse-load-eu-west-1";
    let task = "arn:aws:ecs:us-east-1:123456789012:task/wh/0123456789abcdef0123456789abcdef";
    let facts = Facts::from_events(&[
        runtask("e1", "2026-03-02T04:00:05Z", sb, Some(task)),
        running(task, "2026-03-02T04:00:40Z", sb),
    ])
    .expect("facts");
    let r = audit(
        &schedules,
        &facts,
        t("2026-03-02T00:00:00Z"),
        t("2026-03-03T00:00:00Z"),
        TimeDelta::minutes(15),
    )
    .expect("audit");
    assert_eq!(r.runs.len(), 2);
    assert!(
        r.runs.iter().all(|run| run.status == Status::Missed),
        "{:?}",
        r.runs
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("RunTask e1") && w.contains("counted for none")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn reruns_of_reruns_and_hand_started_tasks() {
    let doc = json!({"rules": [rule("load", "wh")]});
    let schedules = source::parse(&doc).expect("schedules");
    let sb = "events-rule/load";
    let task = "arn:aws:ecs:us-east-1:123456789012:task/wh/fedcba9876543210fedcba9876543210";
    let hand = "arn:aws:ecs:us-east-1:123456789012:task/wh/00000000000000000000000000000001";
    let events = [
        runtask("first", "2026-03-02T04:00:05Z", sb, None),
        runtask("second", "2026-03-02T04:01:05Z", "ecs-rerun/first", None),
        runtask(
            "third",
            "2026-03-02T04:03:05Z",
            "ecs-rerun/second",
            Some(task),
        ),
        running(task, "2026-03-02T04:03:45Z", "ecs-rerun/second"),
        // the next day: only a task started by hand, same family and cluster
        runtask("hand", "2026-03-03T04:00:05Z", "ops-alice", Some(hand)),
        running(hand, "2026-03-03T04:00:45Z", "ops-alice"),
    ];
    let facts = Facts::from_events(&events).expect("facts");
    let r = audit(
        &schedules,
        &facts,
        t("2026-03-02T00:00:00Z"),
        t("2026-03-04T00:00:00Z"),
        TimeDelta::minutes(15),
    )
    .expect("audit");
    let got: Vec<Status> = r.runs.iter().map(|run| run.status).collect();
    assert_eq!(got, [Status::Recovered, Status::Missed], "{:?}", r.runs);
    assert_eq!(r.runs[0].task_arns, [task]);
}
