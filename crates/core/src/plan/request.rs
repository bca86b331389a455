//! The re-run's RunTask request (CONTRACT §4 `runTask`): the original call's request parameters
//! with their keys re-cased for the AWS SDK integration (camelCase → PascalCase), its own
//! `ClientToken` dropped (each re-run gets one of the plan's), and `Cluster`, `Count` and the
//! `StartedBy` marker set.

use serde_json::{Map, Value};

use crate::event::RunTaskEvent;
use crate::plan::ids::marker;
use crate::text::upper_first;

/// camelCase → PascalCase: the first character upper-cased, the rest untouched.
pub fn pascal_case(key: &str) -> String {
    upper_first(key)
}

/// Re-cases every object key, recursively; values are untouched.
pub fn pascal_case_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (pascal_case(k), pascal_case_keys(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(pascal_case_keys).collect()),
        other => other.clone(),
    }
}

/// The request of a re-run of `event` asking for `count` tasks on `cluster`.
pub fn run_task_input(
    event: &RunTaskEvent,
    cluster: &str,
    event_id: &str,
    count: u32,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in event.request_parameters() {
        if k == "clientToken" {
            continue;
        }
        out.insert(pascal_case(k), pascal_case_keys(v));
    }
    out.insert("Cluster".into(), Value::String(cluster.to_string()));
    out.insert("Count".into(), Value::from(count));
    out.insert("StartedBy".into(), Value::String(marker(event_id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::event;
    use serde_json::json;

    #[test]
    fn pascal_casing_keys_only() {
        let v = json!({"enableECSManagedTags": true, "networkConfiguration": {"awsvpcConfiguration":
            {"subnets": ["subnet-a"], "assignPublicIp": "DISABLED"}},
            "overrides": {"containerOverrides": [{"name": "app", "environment": [{"name": "lowerCase", "value": "camelValue"}]}]}});
        assert_eq!(
            pascal_case_keys(&v),
            json!({"EnableECSManagedTags": true, "NetworkConfiguration": {"AwsvpcConfiguration":
                {"Subnets": ["subnet-a"], "AssignPublicIp": "DISABLED"}},
                "Overrides": {"ContainerOverrides": [{"Name": "app", "Environment": [{"Name": "lowerCase", "Value": "camelValue"}]}]}})
        );
    }

    #[test]
    fn the_request_drops_the_client_token_and_sets_cluster_count_marker() {
        let e = event(
            json!({"taskDefinition": "batch:3", "clientToken": "abc", "count": 3, "startedBy": "events-rule/x",
                   "launchType": "EC2"}),
            json!([]),
            json!([]),
        );
        assert_eq!(
            Value::Object(run_task_input(&e, "prod", "e-1", 2)),
            json!({"TaskDefinition": "batch:3", "Count": 2, "StartedBy": "ecs-rerun/e-1",
                   "LaunchType": "EC2", "Cluster": "prod"})
        );
    }
}
