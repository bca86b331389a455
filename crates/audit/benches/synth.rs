//! Synthetic load for the benchmark and the peak-memory probe: `n` hourly rules (cron(m * * * ? *),
//! minute spread), one day of their events: per run a RunTask call and a STOPPED task state change
//! (2 events/run, 24 runs/day → 48 events per schedule per day), every 50th run a launch failure.

use serde_json::{Value, json};

/// (schedules document, events) for `n` schedules over `hours` hours from 2026-06-01T00:00Z.
pub fn load(n: usize, hours: usize) -> (Value, Vec<Value>) {
    let rules: Vec<Value> = (0..n)
        .map(|i| {
            json!({"Name": format!("job-{i:05}"), "Arn": format!("arn:aws:events:us-east-1:123456789012:rule/job-{i:05}"),
                "ScheduleExpression": format!("cron({} * * * ? *)", i % 60), "State": "ENABLED",
                "Targets": [{"Id": "ecs", "Arn": "arn:aws:ecs:us-east-1:123456789012:cluster/batch",
                    "EcsParameters": {"TaskDefinitionArn": format!("arn:aws:ecs:us-east-1:123456789012:task-definition/job-{i:05}:1")}}]})
        })
        .collect();
    let mut events = Vec::with_capacity(n * hours * 2);
    for h in 0..hours {
        for i in 0..n {
            let k = h * n + i;
            let t = format!("2026-06-{:02}T{:02}:{:02}:07Z", 1 + h / 24, h % 24, i % 60);
            let task = format!("arn:aws:ecs:us-east-1:123456789012:task/batch/{k:032x}");
            let fail = k % 50 == 0;
            events.push(json!({"version": "0", "id": format!("e{k}"), "detail-type": "AWS API Call via CloudTrail", "source": "aws.ecs",
                "account": "123456789012", "time": t, "region": "us-east-1", "resources": [],
                "detail": {"eventTime": t, "eventSource": "ecs.amazonaws.com", "eventName": "RunTask", "awsRegion": "us-east-1",
                    "requestParameters": {"cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/batch",
                        "taskDefinition": format!("job-{i:05}"), "count": 1, "startedBy": format!("events-rule/job-{i:05}")},
                    "responseElements": if fail { json!({"tasks": [], "failures": [{"reason": "RESOURCE:MEMORY"}]}) }
                        else { json!({"tasks": [{"taskArn": task}], "failures": []}) },
                    "eventID": format!("{k:08x}-0000-4000-8000-000000000000")}}));
            if !fail {
                events.push(json!({"version": "0", "id": format!("s{k}"), "detail-type": "ECS Task State Change", "source": "aws.ecs",
                    "account": "123456789012", "time": t, "region": "us-east-1", "resources": [task],
                    "detail": {"taskArn": task, "lastStatus": "STOPPED", "startedBy": format!("events-rule/job-{i:05}"),
                        "createdAt": t, "startedAt": t, "stopCode": "EssentialContainerExited",
                        "containers": [{"name": "app", "exitCode": if k % 97 == 0 { 1 } else { 0 }}]}}));
            }
        }
    }
    (json!({"rules": rules, "schedules": []}), events)
}
