//! The state machine definition against its contract (docs/CONTRACT.md §6) and the template:
//! placeholders, reachability, termination, retry policy, and the request-response RunTask.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Every state of CONTRACT §6, by its console name.
const CONTRACT_STATES: &[&str] = &[
    "Notify Failure",
    "Check Reason",
    "Not Retryable",
    "Prepare Rerun",
    "Wait Before Rerun",
    "Rerun Task",
    "Check Result",
    "Record Attempt",
    "No Re-run Left",
    "Notify Outcome",
    "Route Outcome",
    "Recovered",
    "Partially Recovered",
    "Gave Up",
];

/// Every `${Name}` placeholder in the raw definition text.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .unwrap_or_else(|| panic!("unterminated placeholder near {:?}", &rest[start..]));
        found.insert(after[..end].to_owned());
        rest = &after[end + 1..];
    }
    found
}

/// A state list: `States` of the top level or of a Map's `ItemProcessor`.
struct Machine<'a> {
    path: String,
    start_at: &'a str,
    states: BTreeMap<&'a str, &'a Value>,
}

/// The top-level machine and every nested Map processor, each with a readable path.
fn machines(definition: &Value) -> Vec<Machine<'_>> {
    fn walk<'a>(path: String, node: &'a Value, out: &mut Vec<Machine<'a>>) {
        let start_at = node["StartAt"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: StartAt missing"));
        let states: BTreeMap<&str, &Value> = node["States"]
            .as_object()
            .unwrap_or_else(|| panic!("{path}: States missing"))
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        for (name, state) in &states {
            for key in ["ItemProcessor", "Iterator"] {
                if let Some(inner) = state.get(key) {
                    walk(format!("{path} > {name}"), inner, out);
                }
            }
        }
        out.push(Machine {
            path,
            start_at,
            states,
        });
    }
    let mut out = Vec::new();
    walk("top level".to_owned(), definition, &mut out);
    out
}

fn state_type(state: &Value) -> &str {
    state["Type"].as_str().unwrap_or("<no Type>")
}

/// Every state a state can go to next (Next, Choices, Default, Catch).
fn successors(state: &Value) -> Vec<&str> {
    let mut next = Vec::new();
    if let Some(n) = state["Next"].as_str() {
        next.push(n);
    }
    if let Some(d) = state["Default"].as_str() {
        next.push(d);
    }
    for list in ["Choices", "Catch"] {
        for item in state[list].as_array().into_iter().flatten() {
            if let Some(n) = item["Next"].as_str() {
                next.push(n);
            }
        }
    }
    next
}

fn is_terminal(state: &Value) -> bool {
    matches!(state_type(state), "Succeed" | "Fail") || state["End"] == Value::Bool(true)
}

fn reachable<'a>(machine: &Machine<'a>, from: &'a str) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from];
    while let Some(name) = todo.pop() {
        if !seen.insert(name) {
            continue;
        }
        let state = machine
            .states
            .get(name)
            .unwrap_or_else(|| panic!("{}: transition to unknown state {name:?}", machine.path));
        todo.extend(successors(state));
    }
    seen
}

/// Every state object of the definition (nested ones included), with its name.
fn all_states(definition: &Value) -> Vec<(String, &Value)> {
    machines(definition)
        .into_iter()
        .flat_map(|m| {
            m.states
                .into_iter()
                .map(|(name, state)| (name.to_owned(), state))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn placeholders_equal_the_templates_definition_substitutions() {
    let in_asl = placeholders(&common::asl_text());
    let template = common::template();
    let state_machines: Vec<_> = common::resources(&template)
        .into_iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::StepFunctions::StateMachine"))
        .collect();
    assert_eq!(state_machines.len(), 1, "exactly one state machine");
    let (_, sm) = &state_machines[0];
    let in_template: BTreeSet<String> =
        common::mapping(&sm["Properties"], "DefinitionSubstitutions")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
    assert_eq!(
        in_asl, in_template,
        "ASL placeholders vs DefinitionSubstitutions keys"
    );
    assert_eq!(
        in_asl,
        BTreeSet::from(["NotificationTopicArn".to_owned()]),
        "CONTRACT §6: the only placeholder is ${{NotificationTopicArn}}"
    );
}

#[test]
fn the_definition_is_pulled_from_its_file_not_inlined() {
    let template = common::template();
    for (id, resource) in common::resources(&template) {
        if resource["Type"].as_str() != Some("AWS::StepFunctions::StateMachine") {
            continue;
        }
        let props = &resource["Properties"];
        assert!(
            props.get("DefinitionS3Location").is_some(),
            "{id}: DefinitionS3Location"
        );
        for inline in ["Definition", "DefinitionString"] {
            assert!(
                props.get(inline).is_none(),
                "{id}: {inline} would duplicate rerun.asl.json"
            );
        }
        let key = format!("{:?}", props["DefinitionS3Location"]["Key"]);
        assert!(key.contains("rerun.asl.json"), "{id}: key {key}");
    }
}

#[test]
fn has_every_contract_state() {
    let definition = common::asl();
    let states = definition["States"].as_object().expect("States");
    for name in CONTRACT_STATES {
        assert!(states.contains_key(*name), "missing state {name:?}");
    }
    assert_eq!(definition["StartAt"], "Notify Failure");
    assert_eq!(definition["QueryLanguage"], "JSONPath");
}

#[test]
fn every_state_is_reachable_from_start_at() {
    let definition = common::asl();
    for machine in machines(&definition) {
        let seen = reachable(&machine, machine.start_at);
        let unreachable: Vec<_> = machine
            .states
            .keys()
            .filter(|n| !seen.contains(*n))
            .collect();
        assert!(
            unreachable.is_empty(),
            "{}: unreachable {unreachable:?}",
            machine.path
        );
    }
}

#[test]
fn every_state_has_a_way_out_and_every_path_can_end() {
    let definition = common::asl();
    for machine in machines(&definition) {
        for (name, state) in &machine.states {
            let kind = state_type(state);
            match kind {
                "Succeed" | "Fail" => assert!(
                    successors(state).is_empty() && state.get("End").is_none(),
                    "{}: {name} is terminal and must not transition",
                    machine.path
                ),
                "Choice" => {
                    assert!(
                        state["Choices"].as_array().is_some_and(|c| !c.is_empty()),
                        "{}: {name} has no Choices",
                        machine.path
                    );
                    assert!(
                        state["Default"].is_string(),
                        "{}: {name} has no Default",
                        machine.path
                    );
                }
                _ => {
                    let has_next = state["Next"].is_string();
                    let ends = state["End"] == Value::Bool(true);
                    assert!(
                        has_next ^ ends,
                        "{}: {name} ({kind}) needs exactly one of Next/End",
                        machine.path
                    );
                }
            }
            // No trap cycle: a terminal state stays reachable from everywhere.
            let ahead = reachable(&machine, name);
            assert!(
                ahead.iter().any(|n| is_terminal(machine.states[n])),
                "{}: no terminal state reachable from {name}",
                machine.path
            );
        }
    }
}

#[test]
fn retriers_name_specific_errors_and_say_why() {
    let definition = common::asl();
    let mut retriers = 0;
    for (name, state) in all_states(&definition) {
        for retrier in state["Retry"].as_array().into_iter().flatten() {
            retriers += 1;
            let errors = retrier["ErrorEquals"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: Retry without ErrorEquals"));
            assert!(!errors.is_empty(), "{name}: empty ErrorEquals");
            for error in errors {
                let error = error.as_str().unwrap_or_default();
                assert!(
                    !error.starts_with("States."),
                    "{name}: Retry on the catch-all {error:?}; name the transient errors"
                );
            }
            assert!(
                retrier["Comment"]
                    .as_str()
                    .is_some_and(|c| !c.trim().is_empty()),
                "{name}: every retrier carries a Comment"
            );
        }
    }
    assert!(retriers > 0, "the definition has retriers");
}

#[test]
fn rerun_task_is_request_response_run_task() {
    let definition = common::asl();
    let rerun = &definition["States"]["Rerun Task"];
    assert_eq!(rerun["Type"], "Task");
    assert_eq!(
        rerun["Resource"], "arn:aws:states:::aws-sdk:ecs:runTask",
        "the AWS SDK integration (the whole RunTask API), request-response: never .sync"
    );
    assert_eq!(rerun["QueryLanguage"], "JSONata");
    assert_eq!(
        rerun["Arguments"], "{% $states.input.next.request %}",
        "the rebuilt request is passed explicitly as the API input"
    );
    for key in ["InputPath", "Parameters", "ResultPath", "ResultSelector"] {
        assert!(rerun.get(key).is_none(), "a JSONata state has no {key}");
    }
    let output = rerun["Output"].as_str().unwrap_or_default();
    for field in [
        "TaskCount",
        "FailureCount",
        "TaskArns",
        "TaskUrls",
        "Failures",
    ] {
        assert!(
            output.contains(&format!("'{field}'")),
            "Output sets next.result.{field}"
        );
    }
    assert!(
        rerun["Retry"].as_array().is_some_and(|r| !r.is_empty()),
        "Rerun Task retries transient API errors"
    );
    let catch = rerun["Catch"].as_array().expect("Rerun Task has a Catch");
    assert!(
        catch.iter().any(|c| c["Next"] == "Notify Outcome"
            && c["ErrorEquals"] == serde_json::json!(["States.ALL"])
            && c["Output"]
                .as_str()
                .is_some_and(|o| o.contains("$states.errorOutput"))),
        "every other error is reported with its Error and Cause"
    );
    for (name, state) in all_states(&definition) {
        if let Some(resource) = state["Resource"].as_str() {
            assert!(
                !resource.ends_with(".sync"),
                "{name}: {resource} waits for the job"
            );
        }
        if state_type(state) == "Task" {
            assert!(
                state.get("Parameters").is_some() || state.get("Arguments").is_some(),
                "{name}: a Task passes its request explicitly (Parameters or Arguments), never \
                 relying on what an integration receives without them"
            );
        }
    }
}

#[test]
fn rerun_task_retries_ecs_errors_as_aws_and_localstack_name_them() {
    // AWS names AWS SDK integration errors <ServiceName>.<Exception> with the service in Pascal
    // case (`Ecs.`); LocalStack uses the service id (`ECS.`). Every retried error is listed
    // under both names, so the retry policy is the same on both.
    let definition = common::asl();
    let rerun = &definition["States"]["Rerun Task"];
    let mut names = BTreeSet::new();
    for retrier in rerun["Retry"].as_array().expect("Retry") {
        for error in retrier["ErrorEquals"].as_array().expect("ErrorEquals") {
            names.insert(error.as_str().expect("a string").to_owned());
        }
    }
    for name in &names {
        let (service, exception) = name.split_once('.').expect("Service.Exception");
        let twin = match service {
            "Ecs" => format!("ECS.{}", exception.replace("EcsException", "ECSException")),
            "ECS" => format!("Ecs.{}", exception.replace("ECSException", "EcsException")),
            other => panic!("{name}: {other} is not the ECS SDK integration's service name"),
        };
        assert!(names.contains(&twin), "{name} is retried but {twin} is not");
    }
    for must in [
        "Ecs.ThrottlingException",
        "Ecs.ServerException",
        "Ecs.InvalidParameterException",
    ] {
        assert!(names.contains(must), "{must} is retried");
    }
    for retrier in rerun["Retry"].as_array().expect("Retry") {
        let attempts = retrier["MaxAttempts"].as_u64().expect("MaxAttempts");
        assert!((1..=5).contains(&attempts), "bounded retries: {retrier}");
    }
}

#[test]
fn every_notification_goes_to_the_topic_and_retries_throttling() {
    let definition = common::asl();
    let publishers: Vec<_> = all_states(&definition)
        .into_iter()
        .filter(|(_, s)| s["Resource"] == "arn:aws:states:::sns:publish")
        .collect();
    let names: BTreeSet<_> = publishers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["Notify Failure", "Notify Outcome"]));
    for (name, state) in publishers {
        // JSONPath states pass `Parameters` and keep their input with `ResultPath: null`;
        // JSONata states pass `Arguments` and keep it with `Output: {% $states.input %}`.
        let jsonata = state["QueryLanguage"] == "JSONata";
        let request = if jsonata {
            &state["Arguments"]
        } else {
            &state["Parameters"]
        };
        assert_eq!(request["TopicArn"], "${NotificationTopicArn}", "{name}");
        assert!(state["Retry"].is_array(), "{name}: retries SNS throttling");
        if jsonata {
            assert_eq!(
                state["Output"], "{% $states.input %}",
                "{name}: keeps the plan"
            );
        } else {
            assert!(
                state["ResultPath"].is_null(),
                "{name}: keeps the plan as it was"
            );
        }
        let attributes = &request["MessageAttributes"];
        for attribute in ["kind", "cluster"] {
            assert_eq!(
                attributes[attribute]["DataType"], "String",
                "{name}: {attribute}"
            );
        }
    }
}

#[test]
fn every_outcome_is_assigned_announced_and_routed() {
    use ecs_rerun_core::plan::outcome::Outcome;

    let definition = common::asl();
    let states = &definition["States"];
    // Every place that decides an outcome assigns one of the plan's outcome keys.
    let mut assigned = BTreeSet::new();
    let check = &states["Check Result"];
    for rule in check["Choices"].as_array().expect("Choices") {
        if let Some(o) = rule["Assign"]["outcome"].as_str() {
            assert_eq!(rule["Next"], "Notify Outcome", "{o}");
            assigned.insert(o.to_owned());
        }
    }
    // the default (no re-run left) goes through a state of its own: a Choice's top-level Assign
    // would also run when a rule and the Default share their Next (LocalStack compares names)
    assert!(check.get("Assign").is_none());
    let no_rerun = &states[check["Default"].as_str().expect("Default")];
    assert_eq!(no_rerun["Next"], "Notify Outcome");
    assigned.insert(
        no_rerun["Assign"]["outcome"]
            .as_str()
            .expect("default outcome")
            .to_owned(),
    );
    for catch in states["Rerun Task"]["Catch"].as_array().expect("Catch") {
        assert_eq!(catch["Next"], "Notify Outcome");
        assigned.insert(
            catch["Assign"]["outcome"]
                .as_str()
                .expect("catch outcome")
                .to_owned(),
        );
    }
    let keys: BTreeSet<String> = Outcome::ALL.iter().map(|o| o.as_str().to_owned()).collect();
    assert_eq!(
        assigned, keys,
        "outcomes assigned vs the plan's outcome templates"
    );
    // Notify Outcome publishes the plan's template of $outcome, then Route Outcome ends in the
    // state of that outcome's kind.
    let message = states["Notify Outcome"]["Arguments"]["Message"]
        .as_str()
        .expect("Message");
    assert!(
        message.contains("$lookup($plan.outcomes, $outcome)"),
        "{message}"
    );
    assert_eq!(states["Notify Outcome"]["Next"], "Route Outcome");
    let route = &states["Route Outcome"];
    let mut ends: BTreeMap<String, String> = BTreeMap::new();
    for rule in route["Choices"].as_array().expect("Choices") {
        let condition = rule["Condition"].as_str().expect("Condition");
        let o = condition
            .split('\'')
            .nth(1)
            .unwrap_or_else(|| panic!("{condition}: one quoted outcome"));
        ends.insert(
            o.to_owned(),
            rule["Next"].as_str().expect("Next").to_owned(),
        );
    }
    let default = route["Default"].as_str().expect("Default");
    for o in Outcome::ALL {
        let end = ends.get(o.as_str()).map_or(default, String::as_str);
        let want = match o {
            Outcome::Recovered => "Recovered",
            Outcome::PartiallyRecovered => "Partially Recovered",
            Outcome::GaveUp | Outcome::RerunError => "Gave Up",
        };
        assert_eq!(end, want, "{}", o.as_str());
    }
}

#[test]
fn check_result_counts_re_runs_against_max_attempts() {
    let definition = common::asl();
    let states = &definition["States"];
    let check = &states["Check Result"];
    assert_eq!(check["QueryLanguage"], "JSONata");
    let rules = check["Choices"].as_array().expect("Choices");
    let targets: Vec<_> = rules
        .iter()
        .map(|c| {
            (
                c["Next"].as_str().unwrap_or_default(),
                c["Assign"]["outcome"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        targets,
        [
            ("Notify Outcome", "recovered"),
            ("Notify Outcome", "partially-recovered"),
            ("Record Attempt", "-"),
        ],
        "recovered, then partial, then loop while attempts remain"
    );
    assert_eq!(
        rules[2]["Condition"],
        "{% $states.input.next.attempt < $states.input.maxAttempts %}"
    );
    assert_eq!(check["Default"], "No Re-run Left");
    assert_eq!(states["No Re-run Left"]["Assign"]["outcome"], "gave-up");
    let record = &states["Record Attempt"];
    assert_eq!(record["InputPath"], "$.next.attempt");
    assert_eq!(record["ResultPath"], "$.attempt");
    assert_eq!(record["Next"], "Prepare Rerun");
    let prepare = &states["Prepare Rerun"];
    assert_eq!(
        prepare["Parameters"]["attempt.$"],
        "States.MathAdd($.attempt, 1)"
    );
    assert_eq!(prepare["ResultPath"], "$.next");
    assert_eq!(
        states["Wait Before Rerun"]["SecondsPath"],
        "$.next.waitSeconds"
    );
}
