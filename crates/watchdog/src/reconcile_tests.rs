use serde_json::Value;

use super::*;

const SM: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:ecs-rerun#Scenario";
const ROLE: &str = "arn:aws:iam::123456789012:role/ecs-rerun-StateMachineRole";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("JSON")
}

#[test]
fn the_rules_launch_failures_are_candidates_named_as_the_starter_names_them() {
    let e = fixture("cloudtrail_runtask_agent.json");
    let c = candidates(&[e.clone(), e.clone()], SM, ROLE);
    assert_eq!(c.len(), 1, "once per eventID");
    let event = RunTaskEvent::from_value(e).expect("event");
    let plan =
        ecs_rerun_core::plan::build_plan(&event, &ecs_rerun_core::plan::PlanConfig::default());
    assert_eq!(c[0].execution_arn, execution_arn(SM, &plan.execution_name));
    assert!(!c[0].execution_arn.contains('#'));
    assert_eq!(c[0].event_id, "6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b");
}

#[test]
fn the_loop_guard_is_the_rules() {
    for name in [
        "cloudtrail_runtask_startedby-ecs-rerun.json",
        "cloudtrail_runtask_startedby-stepfunctions.json",
    ] {
        assert!(candidates(&[fixture(name)], SM, ROLE).is_empty(), "{name}");
    }
    let own = fixture("cloudtrail_runtask_own-state-machine.json");
    let issuer = own
        .pointer("/detail/userIdentity/sessionContext/sessionIssuer/arn")
        .and_then(Value::as_str)
        .expect("issuer");
    assert!(candidates(std::slice::from_ref(&own), SM, issuer).is_empty());
    assert_eq!(
        candidates(&[own], SM, "arn:aws:iam::123456789012:role/other").len(),
        1
    );
    assert_eq!(
        candidates(
            &[fixture("cloudtrail_runtask_agent-no-startedby.json")],
            SM,
            ROLE
        )
        .len(),
        1
    );
    assert!(candidates(&[serde_json::json!({"detail": {}})], SM, ROLE).is_empty());
}

#[test]
fn a_task_that_stopped_before_running_is_rerun_from_its_own_runtask_call() {
    let mut e = fixture("cloudtrail_runtask_agent.json");
    let t1 = "arn:aws:ecs:us-east-1:123456789012:task/prod/t1";
    let t2 = "arn:aws:ecs:us-east-1:123456789012:task/prod/t2";
    e["detail"]["responseElements"]["tasks"] =
        serde_json::json!([{"taskArn": t1}, {"taskArn": t2}]);
    e["detail"]["responseElements"]["failures"] = serde_json::json!([]);
    e["detail"]["requestParameters"]["count"] = serde_json::json!(2);
    let why = "ResourceInitializationError: failed to configure ENI: timeout";
    let c = transient_rerun(&[e.clone()], &[(t1.to_string(), why.to_string())], SM).expect("found");
    let sent: Value = serde_json::from_str(&c.body).expect("JSON");
    assert_eq!(
        sent["detail"]["responseElements"]["tasks"],
        serde_json::json!([{"taskArn": t2}])
    );
    assert_eq!(
        sent["detail"]["responseElements"]["failures"],
        serde_json::json!([{"arn": t1, "reason": "STOPPED_BEFORE_RUNNING", "detail": why}])
    );
    // the starter's plan of it: one missing task, re-run under the call's own marker
    let ev = RunTaskEvent::from_value(sent).expect("an event the starter takes");
    let config = ecs_rerun_core::plan::PlanConfig {
        retryable_reasons: vec!["AGENT".into(), "STOPPED_BEFORE_RUNNING".into()],
        ..ecs_rerun_core::plan::PlanConfig::default()
    };
    let plan = ecs_rerun_core::plan::build_plan(&ev, &config);
    assert!(plan.retryable, "{}", plan.why);
    assert_eq!(c.execution_arn, execution_arn(SM, &plan.execution_name));
    assert_eq!(c.event_id, "6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b");
    assert!(transient_rerun(&[e], &[("arn:other".into(), why.into())], SM).is_none());
}
