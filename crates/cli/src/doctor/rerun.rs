//! Check `rerun request`: Step Functions' own TestState runs the deployed "Rerun Task" state on the
//! input "Prepare Rerun" would hand it, with RunTask mocked (the 2025 `mock` field: nothing is
//! started), at inspection level DEBUG, so AWS shows the request the state would send. That
//! request must equal the plan's (`runTask` merged with `clientTokens[0]`), and the state's
//! output must count the mocked task (`next.result.TaskCount` = 1).
//!
//! The plan is `ecs_rerun_core::plan::build_plan` for the event, with the configuration the
//! starter Lambda gets from the same stack (its parameters, its state machine ARN).

use std::collections::BTreeMap;

use aws_sdk_sfn::types::{InspectionLevel, MockInput, TestExecutionStatus};
use ecs_rerun_core::event::RunTaskEvent;
use ecs_rerun_core::plan::{OtherStateMachines, Plan, PlanConfig, build_plan};
use ecs_rerun_core::text::json_type;
use serde_json::{Map, Value, json};

use super::aws::describe;
use super::report::Check;
use super::stack::{Stack, StateMachine};

/// The check's name.
pub const NAME: &str = "rerun request";
/// The state under test.
pub const STATE: &str = "Rerun Task";
/// The id of the task in the mocked RunTask answer (32 hex digits, like ECS's).
pub const MOCK_TASK_ID: &str = "d0c70000000000000000000000000001";

/// What the check needs from the stack and its state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The deployed state machine.
    pub state_machine: StateMachine,
    /// The stack's parameter values.
    pub parameters: BTreeMap<String, String>,
    /// Partition, region and account of the stack (for the mocked task ARN).
    pub partition: String,
    /// Region of the stack.
    pub region: String,
    /// Account of the stack.
    pub account: String,
}

impl Target {
    /// The target of a resolved stack.
    pub fn of(stack: &Stack, state_machine: &StateMachine) -> Self {
        Target {
            state_machine: state_machine.clone(),
            parameters: stack.parameters.clone(),
            partition: stack.partition.clone(),
            region: stack.region.clone(),
            account: stack.account.clone(),
        }
    }
}

/// The plan configuration the starter gets from the stack (the template's environment of the
/// starter function): its parameters (absent ones take the starter's defaults), its state machine
/// and that state machine's role.
pub fn plan_config(
    parameters: &BTreeMap<String, String>,
    state_machine: &StateMachine,
) -> Result<PlanConfig, String> {
    let mut config = PlanConfig {
        state_machine_arn: Some(state_machine.arn.clone()),
        state_machine_role_arn: Some(state_machine.role_arn.clone()).filter(|r| !r.is_empty()),
        ..PlanConfig::default()
    };
    let get = |name: &str| {
        parameters
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    };
    let bad = |name: &str, v: &str| format!("stack parameter {name} = {v:?} is not valid");
    if let Some(v) = get("RetryableReasons") {
        config.retryable_reasons = PlanConfig::split_list(v);
    }
    if let Some(v) = get("MaxAttempts") {
        config.max_attempts = v.parse().map_err(|_| bad("MaxAttempts", v))?;
    }
    if let Some(v) = get("RetryIntervalSeconds") {
        config.interval_seconds = v.parse().map_err(|_| bad("RetryIntervalSeconds", v))?;
    }
    if let Some(v) = get("BackoffRate") {
        config.backoff_rate = v.parse().map_err(|_| bad("BackoffRate", v))?;
    }
    if let Some(v) = get("TargetClusters") {
        config.target_clusters = PlanConfig::split_list(v);
    }
    if let Some(v) = get("OtherStateMachineLaunches") {
        config.other_state_machines =
            OtherStateMachines::parse(v).ok_or_else(|| bad("OtherStateMachineLaunches", v))?;
    }
    config
        .validate()
        .map_err(|e| format!("the stack's parameters give an invalid configuration: {e}"))?;
    Ok(config)
}

/// The input "Prepare Rerun" hands "Rerun Task" for the first re-run: the plan plus
/// `next = {attempt: attempt + 1, waitSeconds: waitSeconds[attempt], request: runTask merged
/// with clientTokens[attempt]}` (`States.JsonMerge`, shallow: the token's key wins).
/// `None` when the plan has no re-run.
pub fn state_input(plan: &Plan) -> Option<Value> {
    let run_task = plan.run_task.as_ref()?;
    let index = usize::try_from(plan.attempt).ok()?;
    let wait = *plan.wait_seconds.get(index)?;
    let token = plan.client_tokens.get(index)?;
    let mut request: Map<String, Value> = run_task.clone();
    if let Value::Object(token) = serde_json::to_value(token).ok()? {
        request.extend(token);
    }
    let mut input = serde_json::to_value(plan).ok()?;
    input.as_object_mut()?.insert(
        "next".to_string(),
        json!({
            "attempt": plan.attempt + 1,
            "waitSeconds": wait,
            "request": request,
        }),
    );
    Some(input)
}

/// A RunTask answer that started one task: `{"Tasks":[{"TaskArn":…}],"Failures":[]}`.
pub fn mock_result(partition: &str, region: &str, account: &str, cluster_name: &str) -> String {
    json!({
        "Tasks": [{"TaskArn": format!("arn:{partition}:ecs:{region}:{account}:task/{cluster_name}/{MOCK_TASK_ID}")}],
        "Failures": [],
    })
    .to_string()
}

/// The state's query language: its own `QueryLanguage`, else the definition's, else JSONPath.
pub fn query_language<'a>(definition: &'a Value, state: &'a Value) -> &'a str {
    state["QueryLanguage"]
        .as_str()
        .or_else(|| definition["QueryLanguage"].as_str())
        .unwrap_or("JSONPath")
}

/// Top-level keys that differ between the expected and the sent request: missing, unexpected,
/// different value, sorted. Empty when they are equal as JSON.
pub fn differing_keys(expected: &Value, sent: &Value) -> Vec<String> {
    let (Some(want), Some(got)) = (expected.as_object(), sent.as_object()) else {
        return if expected == sent {
            Vec::new()
        } else {
            vec![format!("the whole request (sent {})", json_type(sent))]
        };
    };
    let mut out = Vec::new();
    for (key, value) in want {
        match got.get(key) {
            None => out.push(format!("{key} (missing)")),
            Some(v) if v != value => out.push(format!("{key} (different)")),
            Some(_) => {}
        }
    }
    out.extend(
        got.keys()
            .filter(|k| !want.contains_key(*k))
            .map(|k| format!("{k} (not in the plan)")),
    );
    out.sort();
    out
}

/// Runs the check for the event `event` (named `event_name` in the detail).
pub async fn check(
    sfn: &aws_sdk_sfn::Client,
    target: &Target,
    event_name: &str,
    event: &RunTaskEvent,
) -> Check {
    match run(sfn, target, event_name, event).await {
        Ok(c) | Err(c) => c,
    }
}

async fn run(
    sfn: &aws_sdk_sfn::Client,
    target: &Target,
    event_name: &str,
    event: &RunTaskEvent,
) -> Result<Check, Check> {
    let sm = &target.state_machine;
    let fail = |detail: String, fix: &str| Check::fail(NAME, detail, fix);
    let definition: Value = serde_json::from_str(&sm.definition).map_err(|e| {
        fail(
            format!("the deployed definition is not JSON: {e}"),
            "update the stack with statemachine/rerun.asl.json",
        )
    })?;
    let state = &definition["States"][STATE];
    if !state.is_object() {
        return Err(fail(
            format!("the deployed definition has no state named {STATE:?}"),
            "update the stack with the current statemachine/rerun.asl.json",
        ));
    }
    let language = query_language(&definition, state);
    let resource = state["Resource"].as_str().unwrap_or("no Resource");

    let config = plan_config(&target.parameters, sm).map_err(|e| {
        fail(
            e,
            "update the stack with valid parameters (see the README's configuration table)",
        )
    })?;
    let plan = build_plan(event, &config);
    let Some(input) = state_input(&plan) else {
        return Err(fail(
            format!(
                "{event_name} gives no re-run with this stack's parameters ({}), so there is no request to test",
                plan.why
            ),
            "pass --event FILE with a RunTask launch failure this stack re-runs",
        ));
    };
    let expected = input["next"]["request"].clone();
    let mock = mock_result(
        &target.partition,
        &target.region,
        &target.account,
        &plan.cluster_name,
    );

    let out = sfn
        .test_state()
        .definition(&sm.definition)
        .state_name(STATE)
        .role_arn(&sm.role_arn)
        .input(input.to_string())
        .inspection_level(InspectionLevel::Debug)
        .mock(MockInput::builder().result(mock).build())
        .send()
        .await
        .map_err(|e| {
            fail(
                format!("TestState on {STATE:?} failed: {}", describe(&e)),
                "the caller needs states:TestState (and iam:PassRole on the state machine's role)",
            )
        })?;

    let status = out
        .status()
        .map_or("no status", TestExecutionStatus::as_str);
    if out.status() != Some(&TestExecutionStatus::Succeeded) {
        let error = out.error().unwrap_or("no error");
        let cause = out.cause().unwrap_or("no cause");
        let fix = if language == "JSONata" && error == "States.Runtime" {
            "on AWS, fix the state's JSONata (the cause says where); on LocalStack, its JSONata evaluator must be installed (scripts/lib/install.sh)"
        } else {
            "fix the state in statemachine/rerun.asl.json (the error and cause say what failed), publish it and update the stack"
        };
        return Err(fail(
            format!(
                "TestState of {STATE:?} ({language}, {resource}, RunTask mocked) ended {status}: {error}: {}",
                shorten(cause, 300)
            ),
            fix,
        ));
    }

    let inspection = out.inspection_data();
    // The request the resource gets: JSONata's evaluated Arguments; in JSONPath the Parameters
    // result, or without Parameters the effective input after InputPath.
    let (field, sent) = if language == "JSONata" {
        (
            "afterArguments",
            inspection.and_then(|i| i.after_arguments()),
        )
    } else if state.get("Parameters").is_some() {
        (
            "afterParameters",
            inspection.and_then(|i| i.after_parameters()),
        )
    } else {
        (
            "afterInputPath",
            inspection.and_then(|i| i.after_input_path()),
        )
    };
    let Some(sent) = sent else {
        return Err(fail(
            format!(
                "TestState of {STATE:?} returned no inspectionData.{field}, so the request it would send is unknown"
            ),
            "report this: Step Functions should return the inspection data at level DEBUG",
        ));
    };
    let sent: Value = serde_json::from_str(sent).map_err(|e| {
        fail(
            format!("inspectionData.{field} is not JSON: {e}"),
            "report this: Step Functions should return JSON inspection data",
        )
    })?;
    let differing = differing_keys(&expected, &sent);
    if !differing.is_empty() {
        const SHOWN: usize = 12;
        let mut listed = differing
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if differing.len() > SHOWN {
            listed.push_str(&format!(" and {} more", differing.len() - SHOWN));
        }
        return Err(fail(
            format!(
                "{STATE:?} would send a RunTask request that differs from the plan's for {event_name} (inspectionData.{field}): {listed}"
            ),
            "make the state's Arguments the plan's next.request (statemachine/rerun.asl.json), publish it and update the stack",
        ));
    }

    let output: Value = out
        .output()
        .and_then(|o| serde_json::from_str(o).ok())
        .unwrap_or(Value::Null);
    let task_count = &output["next"]["result"]["TaskCount"];
    if task_count != &json!(1) {
        return Err(fail(
            format!(
                "the request matches, but with one started task mocked the state's output has next.result.TaskCount = {task_count} instead of 1"
            ),
            "make the state's Output count the RunTask answer's Tasks into next.result.TaskCount (statemachine/rerun.asl.json)",
        ));
    }

    let mut keys: Vec<&str> = expected
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    Ok(Check::pass(
        NAME,
        format!(
            "TestState of {STATE:?} ({language}, {resource}, RunTask mocked) sends exactly the plan's request for {event_name} ({}) and counts next.result.TaskCount = 1",
            keys.join(", ")
        ),
    ))
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::Client;
    use aws_sdk_sfn::operation::test_state::TestStateOutput;
    use aws_sdk_sfn::types::InspectionData;
    use aws_smithy_mocks::{Rule, mock, mock_client};

    const SM_ARN: &str =
        "arn:aws:states:us-east-1:123456789012:stateMachine:ecs-rerun-StateMachine-x";
    const ROLE: &str = "arn:aws:iam::123456789012:role/ecs-rerun-StateMachineRole-y";

    fn definition(language: &str) -> String {
        let mut state = json!({
            "Type": "Task",
            "QueryLanguage": language,
            "Resource": "arn:aws:states:::aws-sdk:ecs:runTask",
            "End": true
        });
        if language == "JSONata" {
            state["Arguments"] = json!("{% $states.input.next.request %}");
        } else {
            state["InputPath"] = json!("$.next.request");
        }
        json!({"QueryLanguage": "JSONPath", "StartAt": STATE, "States": {STATE: state}}).to_string()
    }

    fn target(language: &str) -> Target {
        Target {
            state_machine: StateMachine {
                arn: SM_ARN.into(),
                definition: definition(language),
                role_arn: ROLE.into(),
            },
            parameters: [
                ("RetryableReasons", "AGENT"),
                ("MaxAttempts", "3"),
                ("RetryIntervalSeconds", "1"),
                ("BackoffRate", "2"),
                ("TargetClusters", "*"),
                ("OtherStateMachineLaunches", "rerun"),
                ("SlackWebhookUrl", "****"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            partition: "aws".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }

    fn event() -> RunTaskEvent {
        super::super::load_event(None).expect("fixture").1
    }

    fn expected_request() -> Value {
        let t = target("JSONata");
        let plan = build_plan(
            &event(),
            &plan_config(&t.parameters, &t.state_machine).expect("config"),
        );
        state_input(&plan).expect("retryable")["next"]["request"].clone()
    }

    /// A TestState rule that checks what doctor sends and answers with `sent` as the evaluated
    /// request and `task_count` in the output.
    fn test_state(language: &'static str, sent: Value, task_count: u32) -> Rule {
        mock!(Client::test_state)
            .match_requests(move |r| {
                let input: Value =
                    serde_json::from_str(r.input().unwrap_or("null")).expect("input");
                r.state_name() == Some(STATE)
                    && r.role_arn() == Some(ROLE)
                    && r.inspection_level() == Some(&InspectionLevel::Debug)
                    && r.definition() == Some(definition(language).as_str())
                    && r.mock().and_then(|m| m.result()).is_some_and(|m| {
                        m.contains("arn:aws:ecs:us-east-1:123456789012:task/prod/d0c7")
                    })
                    && input["next"]["attempt"] == json!(1)
                    && input["next"]["waitSeconds"] == json!(1)
            })
            .then_output(move || {
                let data = InspectionData::builder();
                let data = if language == "JSONata" {
                    data.after_arguments(sent.to_string())
                } else {
                    // the state has no Parameters: what it sends is the input after InputPath
                    data.after_input_path(sent.to_string())
                        .after_parameters("{\"not\": \"this\"}")
                };
                TestStateOutput::builder()
                    .status(TestExecutionStatus::Succeeded)
                    .inspection_data(data.build())
                    .output(json!({"next": {"result": {"TaskCount": task_count}}}).to_string())
                    .build()
            })
    }

    #[test]
    fn the_input_is_what_prepare_rerun_builds() {
        let t = target("JSONata");
        let config = plan_config(&t.parameters, &t.state_machine).expect("config");
        assert_eq!(config.interval_seconds, 1);
        assert_eq!(config.state_machine_arn.as_deref(), Some(SM_ARN));
        let plan = build_plan(&event(), &config);
        let input = state_input(&plan).expect("retryable");
        let next = &input["next"];
        assert_eq!(next["attempt"], 1);
        assert_eq!(next["waitSeconds"], plan.wait_seconds[0]);
        let mut want = plan.run_task.clone().expect("runTask");
        want.insert(
            "ClientToken".into(),
            json!(plan.client_tokens[0].client_token),
        );
        assert_eq!(next["request"], Value::Object(want));
        assert_eq!(input["executionName"], json!(plan.execution_name));
        assert!(
            input["executionArn"]
                .as_str()
                .is_some_and(|a| a.starts_with(
                    "arn:aws:states:us-east-1:123456789012:execution:ecs-rerun-StateMachine-x:"
                ))
        );
    }

    #[test]
    fn bad_parameters_and_differences() {
        let t = target("JSONata");
        let mut params = t.parameters.clone();
        params.insert("MaxAttempts".into(), "eleven".into());
        assert_eq!(
            plan_config(&params, &t.state_machine).expect_err("bad"),
            "stack parameter MaxAttempts = \"eleven\" is not valid"
        );
        params.insert("MaxAttempts".into(), "11".into());
        assert!(
            plan_config(&params, &t.state_machine)
                .expect_err("range")
                .contains("max attempts must be 1-10")
        );
        let defaults = plan_config(&BTreeMap::new(), &t.state_machine).expect("defaults");
        assert_eq!(
            (
                defaults.max_attempts,
                defaults.interval_seconds,
                defaults.other_state_machines
            ),
            (3, 60, OtherStateMachines::Notify)
        );

        let want = json!({"Cluster": "prod", "Count": 1, "ClientToken": "t"});
        assert!(differing_keys(&want, &want).is_empty());
        assert_eq!(
            differing_keys(
                &want,
                &json!({"Cluster": "prod", "Count": 2, "LaunchType": "EC2"})
            ),
            [
                "ClientToken (missing)",
                "Count (different)",
                "LaunchType (not in the plan)"
            ]
        );
        assert_eq!(differing_keys(&want, &json!({})).len(), 3);
        assert_eq!(
            differing_keys(&want, &json!("x")),
            ["the whole request (sent a string)"]
        );
    }

    #[tokio::test]
    async fn passes_when_the_jsonata_state_sends_the_plans_request() {
        let rule = test_state("JSONata", expected_request(), 1);
        let sfn = mock_client!(aws_sdk_sfn, [&rule]);
        let c = check(&sfn, &target("JSONata"), "the AGENT fixture", &event()).await;
        assert!(c.ok, "{c:?}");
        assert_eq!(
            c.detail,
            "TestState of \"Rerun Task\" (JSONata, arn:aws:states:::aws-sdk:ecs:runTask, RunTask mocked) sends exactly the plan's request for the AGENT fixture (ClientToken, Cluster, Count, EnableECSManagedTags, EnableExecuteCommand, LaunchType, StartedBy, TaskDefinition) and counts next.result.TaskCount = 1"
        );
    }

    #[tokio::test]
    async fn a_jsonpath_state_without_parameters_is_compared_on_after_input_path() {
        let rule = test_state("JSONPath", expected_request(), 1);
        let sfn = mock_client!(aws_sdk_sfn, [&rule]);
        let c = check(&sfn, &target("JSONPath"), "e", &event()).await;
        assert!(c.ok, "{c:?}");
    }

    #[tokio::test]
    async fn fails_listing_the_keys_that_differ() {
        let mut sent = expected_request();
        sent.as_object_mut().expect("object").remove("ClientToken");
        sent["Count"] = json!(2);
        let rule = test_state("JSONata", sent, 1);
        let sfn = mock_client!(aws_sdk_sfn, [&rule]);
        let c = check(&sfn, &target("JSONata"), "e", &event()).await;
        assert!(!c.ok);
        assert_eq!(
            c.detail,
            "\"Rerun Task\" would send a RunTask request that differs from the plan's for e (inspectionData.afterArguments): ClientToken (missing), Count (different)"
        );
    }

    #[tokio::test]
    async fn fails_when_the_output_does_not_count_the_task() {
        let rule = test_state("JSONata", expected_request(), 0);
        let sfn = mock_client!(aws_sdk_sfn, [&rule]);
        let c = check(&sfn, &target("JSONata"), "e", &event()).await;
        assert!(!c.ok);
        assert!(
            c.detail.contains("next.result.TaskCount = 0 instead of 1"),
            "{}",
            c.detail
        );
    }

    #[tokio::test]
    async fn fails_when_the_state_fails() {
        let rule = mock!(Client::test_state).then_output(|| {
            TestStateOutput::builder()
                .status(TestExecutionStatus::Failed)
                .error("States.Runtime")
                .cause("AttributeError('NoneType' object has no attribute 'get')")
                .build()
        });
        let sfn = mock_client!(aws_sdk_sfn, [&rule]);
        let c = check(&sfn, &target("JSONata"), "e", &event()).await;
        assert!(!c.ok);
        assert_eq!(
            c.detail,
            "TestState of \"Rerun Task\" (JSONata, arn:aws:states:::aws-sdk:ecs:runTask, RunTask mocked) ended FAILED: States.Runtime: AttributeError('NoneType' object has no attribute 'get')"
        );
        assert!(
            c.fix
                .as_deref()
                .is_some_and(|f| f.contains("JSONata evaluator"))
        );
    }

    #[tokio::test]
    async fn fails_without_the_state_or_without_a_rerun() {
        let sfn = mock_client!(aws_sdk_sfn, []);
        let mut t = target("JSONata");
        t.state_machine.definition = r#"{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}"#.into();
        let c = check(&sfn, &t, "e", &event()).await;
        assert_eq!(
            c.detail,
            "the deployed definition has no state named \"Rerun Task\""
        );

        let mut t = target("JSONata");
        t.parameters
            .insert("RetryableReasons".into(), "RESOURCE:MEMORY".into());
        let c = check(&sfn, &t, "e", &event()).await;
        assert!(!c.ok);
        assert!(
            c.detail
                .starts_with("e gives no re-run with this stack's parameters ("),
            "{}",
            c.detail
        );
    }
}
