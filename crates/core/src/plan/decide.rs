//! The decision: re-run or only announce, with the one line that says why (CONTRACT §2, §4
//! `why`), and the loop guards on the caller.

use crate::plan::FailureGroup;
use crate::plan::config::{OtherStateMachines, PlanConfig};
use crate::plan::ids::MARKER_PREFIX;
use crate::text::{join_and, plural};

/// `startedBy` the Step Functions ECS integration sets (loop guard).
pub const STEP_FUNCTIONS_STARTED_BY: &str = "AWS Step Functions";

/// Whether the plan re-runs, and the one line that says why (the plan's `why`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Re-run the missing tasks.
    Rerun(String),
    /// Announce the failure only.
    Skip(String),
}

/// Who made the original call, as far as the loop guards care.
pub(crate) struct Caller<'a> {
    /// `startedBy` of the call.
    pub started_by: Option<&'a str>,
    /// CloudTrail `userIdentity.sessionContext.sessionIssuer.arn`.
    pub session_issuer: Option<&'a str>,
    /// Whether Step Functions made the call (request-response, no `startedBy` of its own).
    pub step_functions: bool,
}

/// The decision, in the order of the guards: the loop guards on `startedBy` and on the caller's
/// role, nothing to re-run, the target clusters, other state machines' launches, the retryable
/// reasons.
pub(crate) fn decide(
    config: &PlanConfig,
    caller: &Caller<'_>,
    cluster_name: &str,
    failures: &[FailureGroup],
    requested: u32,
    missing: u32,
) -> Decision {
    if let Some(sb) = caller.started_by {
        if sb == STEP_FUNCTIONS_STARTED_BY {
            return Decision::Skip(format!(
                "not retried: startedBy is \"{STEP_FUNCTIONS_STARTED_BY}\" (loop guard: a state machine launched it and handles its own failures)"
            ));
        }
        if sb.starts_with(MARKER_PREFIX) {
            return Decision::Skip(format!(
                "not retried: startedBy \"{sb}\" marks a re-run made by ecs-rerun (loop guard: its execution reports the outcome)"
            ));
        }
    }
    if let (Some(issuer), Some(own)) = (caller.session_issuer, &config.state_machine_role_arn) {
        if issuer == own {
            return Decision::Skip(format!(
                "not retried: the call was made by this stack's state machine role {own} (loop guard: its execution reports the outcome)"
            ));
        }
    }
    if failures.is_empty() {
        return Decision::Skip("not retried: RunTask reported no failures".into());
    }
    if missing == 0 {
        return Decision::Skip(format!(
            "not retried: all {} requested started despite the failures",
            plural(requested, "task", "tasks")
        ));
    }
    if !config.cluster_allowed(cluster_name) {
        return Decision::Skip(format!(
            "not retried: cluster {cluster_name} is not one of the target clusters ({})",
            config.target_clusters.join(", ")
        ));
    }
    if caller.step_functions
        && caller.started_by.is_none()
        && config.other_state_machines == OtherStateMachines::Notify
    {
        return Decision::Skip(format!(
            "not retried: another state machine launched it (request-response RunTask through Step Functions{}), and its workflow may retry it itself; OtherStateMachineLaunches=rerun re-runs these too",
            caller
                .session_issuer
                .map(|r| format!(", role {r}"))
                .unwrap_or_default()
        ));
    }
    let retryable: Vec<&FailureGroup> = failures.iter().filter(|g| g.retryable).collect();
    if retryable.is_empty() {
        let quoted: Vec<String> = failures.iter().map(|g| quote_reason(&g.reason)).collect();
        let names: Vec<&str> = quoted.iter().map(String::as_str).collect();
        let verb = if names.len() == 1 { "is" } else { "are" };
        let first = &failures[0];
        return Decision::Skip(format!(
            "not retried: {} {verb} not retryable (retryable reasons: {}); {}",
            join_and(&names),
            config.retryable_reasons.join(", "),
            if failures.len() == 1 {
                first.summary.clone()
            } else {
                failures
                    .iter()
                    .map(|g| format!("{}: {}", quote_reason(&g.reason), g.summary))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        ));
    }
    if config.max_attempts == 0 {
        return Decision::Skip("not retried: max attempts is 0".into());
    }
    let quoted: Vec<String> = retryable.iter().map(|g| quote_reason(&g.reason)).collect();
    let names: Vec<&str> = quoted.iter().map(String::as_str).collect();
    let summaries: Vec<&str> = retryable.iter().map(|g| g.summary.as_str()).collect();
    let verb = if names.len() == 1 { "is" } else { "are" };
    let mut why = format!(
        "{} {verb} retryable: {}; re-running {} up to {}",
        join_and(&names),
        summaries.join("; "),
        plural(missing, "task", "tasks"),
        plural(config.max_attempts, "time", "times"),
    );
    let others: Vec<String> = failures
        .iter()
        .filter(|g| !g.retryable)
        .map(|g| quote_reason(&g.reason))
        .collect();
    if !others.is_empty() {
        why.push_str(&format!(
            " (also failed, not retryable on its own: {})",
            others.join(", ")
        ));
    }
    Decision::Rerun(why)
}

/// A reason as shown in `why`: bare when it is a code (`AGENT`), quoted when it is free text.
fn quote_reason(reason: &str) -> String {
    if reason.is_empty() || reason.contains(char::is_whitespace) {
        format!("\"{reason}\"")
    } else {
        reason.to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::event::RunTaskEvent;
    use crate::plan::build_plan;
    use crate::plan::config::{OtherStateMachines, PlanConfig};
    use crate::plan::tests::{agent, event};

    #[test]
    fn decisions_table() {
        let td = "nightly-batch:12";
        let cfg = PlanConfig::default();
        let only_prod = PlanConfig {
            target_clusters: vec!["prod".into()],
            ..PlanConfig::default()
        };
        let mem = json!([{"arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/i1", "reason": "RESOURCE:MEMORY"}]);
        let started = json!([{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/t1"}]);
        let cases: Vec<(Value, Value, Value, &PlanConfig, bool, &str)> = vec![
            (
                json!({"taskDefinition": td, "cluster": "prod"}),
                agent(),
                json!([]),
                &cfg,
                true,
                "AGENT is retryable",
            ),
            (
                json!({"taskDefinition": td, "startedBy": "AWS Step Functions"}),
                agent(),
                json!([]),
                &cfg,
                false,
                "loop guard",
            ),
            (
                json!({"taskDefinition": td, "startedBy": "ecs-rerun/x"}),
                agent(),
                json!([]),
                &cfg,
                false,
                "marks a re-run made by ecs-rerun",
            ),
            (
                json!({"taskDefinition": td}),
                json!([]),
                json!([]),
                &cfg,
                false,
                "no failures",
            ),
            (
                json!({"taskDefinition": td}),
                agent(),
                started.clone(),
                &cfg,
                false,
                "all 1 task requested started",
            ),
            (
                json!({"taskDefinition": td, "cluster": "dev"}),
                agent(),
                json!([]),
                &only_prod,
                false,
                "cluster dev is not one of the target clusters (prod)",
            ),
            (
                json!({"taskDefinition": td, "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/prod"}),
                agent(),
                json!([]),
                &only_prod,
                true,
                "re-running 1 task",
            ),
            (
                json!({"taskDefinition": td}),
                mem,
                json!([]),
                &cfg,
                false,
                "RESOURCE:MEMORY is not retryable (retryable reasons: AGENT); not enough free memory",
            ),
            (
                json!({"taskDefinition": td, "count": 3}),
                agent(),
                started,
                &cfg,
                true,
                "re-running 2 tasks up to 3 times",
            ),
        ];
        for (params, failures, tasks, config, want, why) in cases {
            let p = build_plan(&event(params.clone(), failures, tasks), config);
            assert_eq!(p.retryable, want, "{params}: {}", p.why);
            assert!(p.why.contains(why), "{:?} should contain {:?}", p.why, why);
            assert_eq!(p.run_task.is_some(), want);
            assert_eq!(p.wait_seconds.is_empty(), !want);
        }
    }

    fn called_by(role: &str, via: &str, started_by: Option<&str>) -> RunTaskEvent {
        let mut params = json!({"cluster": "prod", "taskDefinition": "nightly-batch:12"});
        if let Some(sb) = started_by {
            params["startedBy"] = json!(sb);
        }
        RunTaskEvent::from_value(json!({
            "detail-type": "AWS API Call via CloudTrail", "source": "aws.ecs",
            "account": "123456789012", "region": "us-east-1",
            "detail": {
                "eventName": "RunTask", "eventID": "e-1", "awsRegion": "us-east-1",
                "sourceIPAddress": via, "userAgent": via,
                "userIdentity": {"type": "AssumedRole", "invokedBy": via,
                    "arn": format!("arn:aws:sts::123456789012:assumed-role/{role}/s"),
                    "sessionContext": {"sessionIssuer": {"type": "Role",
                        "arn": format!("arn:aws:iam::123456789012:role/{role}")}}},
                "requestParameters": params,
                "responseElements": {"tasks": [], "failures": agent()}
            }
        }))
        .expect("valid test event")
    }

    /// Role, invoked by, startedBy, config, retryable, what the why says.
    type CallerCase<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        &'a PlanConfig,
        bool,
        &'a str,
    );

    #[test]
    fn loop_guards_on_the_caller() {
        let own = "arn:aws:iam::123456789012:role/ecs-rerun-StateMachineRole-X";
        let cfg = PlanConfig {
            state_machine_role_arn: Some(own.into()),
            ..PlanConfig::default()
        };
        let rerun_others = PlanConfig {
            other_state_machines: OtherStateMachines::Rerun,
            ..cfg.clone()
        };
        let sfn = "states.amazonaws.com";
        // (role, invoked by, startedBy, config, retryable, why contains)
        let cases: Vec<CallerCase> = vec![
            (
                "ecs-rerun-StateMachineRole-X",
                sfn,
                None,
                &cfg,
                false,
                "this stack's state machine role",
            ),
            (
                "ecs-rerun-StateMachineRole-X",
                sfn,
                None,
                &rerun_others,
                false,
                "this stack's state machine role",
            ),
            (
                "ecs-rerun-StateMachineRole-X-copy",
                sfn,
                None,
                &cfg,
                false,
                "another state machine launched it",
            ),
            (
                "orchestrator",
                sfn,
                None,
                &cfg,
                false,
                "role arn:aws:iam::123456789012:role/orchestrator",
            ),
            (
                "orchestrator",
                sfn,
                None,
                &rerun_others,
                true,
                "AGENT is retryable",
            ),
            (
                "scheduler-role",
                "scheduler.amazonaws.com",
                Some("chronos-schedule/nightly"),
                &cfg,
                true,
                "AGENT is retryable",
            ),
            (
                "events-role",
                "events.amazonaws.com",
                Some("events-rule/nightly"),
                &cfg,
                true,
                "AGENT is retryable",
            ),
            // a state machine that sets its own startedBy is not "another state machine's" request-response call
            (
                "orchestrator",
                sfn,
                Some("orders-workflow"),
                &cfg,
                true,
                "AGENT is retryable",
            ),
        ];
        for (role, via, sb, config, want, why) in cases {
            let e = called_by(role, via, sb);
            assert_eq!(e.called_by_step_functions(), via == sfn);
            assert_eq!(
                e.session_issuer_arn(),
                Some(format!("arn:aws:iam::123456789012:role/{role}").as_str())
            );
            let p = build_plan(&e, config);
            assert_eq!(p.retryable, want, "{role} via {via}: {}", p.why);
            assert!(p.why.contains(why), "{:?} should contain {why:?}", p.why);
        }
    }
}
