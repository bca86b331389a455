//! The re-run plan: the state machine's input, built from a RunTask event and [`PlanConfig`]
//! (CONTRACT §2–§4). Pure and deterministic: the same event and config give the same plan.
//!
//! - [`config`]: [`PlanConfig`], its defaults and ranges, comma lists, waits, the execution bound;
//! - `decide`: re-run or not, and why (the loop guards included);
//! - [`ids`]: task family, cluster name, marker, execution name and ARN, client tokens;
//! - [`request`]: the re-run's RunTask request (PascalCase keys);
//! - [`notice`]: the first notification;
//! - [`outcome`]: the outcome notifications' templates.
//!
//! Bounded: what grows with the event is capped ([`MAX_GROUP_ARNS`],
//! [`notice::MAX_NOTICE_FAILURES`], [`notice::MAX_RELATED_RESOURCES`]), and [`execution_input`]
//! refuses a plan larger than StartExecution takes ([`MAX_EXECUTION_INPUT_BYTES`]).

pub mod config;
mod decide;
pub mod ids;
pub mod notice;
pub mod outcome;
pub mod request;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub use config::{
    ATTEMPT_OVERHEAD_SECONDS, MAX_EXECUTION_SECONDS, MAX_INTERVAL_SECONDS, MAX_WAIT_SECONDS,
    OtherStateMachines, PlanConfig,
};
pub use decide::STEP_FUNCTIONS_STARTED_BY;
pub use ids::{
    ClientToken, DEFAULT_STATE_MACHINE_NAME, MARKER_PREFIX, MAX_EXECUTION_NAME, client_token,
    cluster_name_of, execution_arn, execution_name, task_family_of,
};
pub use notice::{MAX_NOTICE_FAILURES, MAX_RELATED_RESOURCES, first_notice};
pub use request::{pascal_case, pascal_case_keys};

use crate::error::Error;
use crate::event::RunTaskEvent;
use crate::links::{partition_for_region, task_url_parts};
use crate::notification::Notification;
use crate::reason::{FailureReason, is_retryable};
use crate::text::one_line;
use decide::{Caller, Decision, decide};
use ids::{client_tokens, default_state_machine_arn};
use request::run_task_input;

/// Failures of one distinct reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureGroup {
    /// The reason string as ECS sent it.
    pub reason: String,
    /// Classification slug ([`FailureReason::kind`]).
    pub kind: String,
    /// Whether this reason is in the retryable list.
    pub retryable: bool,
    /// One-line human summary.
    pub summary: String,
    /// ARNs of the failed resources (container instances, …): distinct, in order of appearance,
    /// at most [`MAX_GROUP_ARNS`].
    pub arns: Vec<String>,
    /// How many distinct ARNs failed with this reason, present only when that is more than `arns`
    /// keeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn_count: Option<usize>,
}

impl FailureGroup {
    /// How many distinct resources failed with this reason (all of them, not only those listed).
    pub fn total_arns(&self) -> usize {
        self.arn_count.unwrap_or(self.arns.len())
    }
}

/// The most ARNs a failure group lists (a RunTask on a large cluster can name every instance).
pub const MAX_GROUP_ARNS: usize = 100;
/// The largest input StartExecution accepts: 256 KiB of UTF-8.
pub const MAX_EXECUTION_INPUT_BYTES: usize = 262_144;

/// The plan as the JSON text the starter sends to StartExecution; refused with
/// [`Error::PlanTooLarge`] when it is larger than [`MAX_EXECUTION_INPUT_BYTES`] (StartExecution
/// would refuse it, and retrying could never help).
pub fn execution_input(plan: &Plan) -> Result<String, Error> {
    // Serialising a plan cannot fail (string keys, no non-finite floats); were it to, the text
    // would not be JSON.
    let input = serde_json::to_string(plan).map_err(|e| {
        Error::InvalidJson(format!(
            "cannot encode the plan: {}",
            one_line(&e.to_string())
        ))
    })?;
    if input.len() > MAX_EXECUTION_INPUT_BYTES {
        return Err(Error::PlanTooLarge { bytes: input.len() });
    }
    Ok(input)
}

/// The ECS console link of a task, split around the task id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskUrl {
    /// Everything before the task id.
    pub prefix: String,
    /// Everything after it.
    pub suffix: String,
}

impl TaskUrl {
    /// The console link of a task on `cluster` (a name or an ARN) in `region`.
    pub fn new(region: &str, cluster: &str) -> TaskUrl {
        let (prefix, suffix) = task_url_parts(region, cluster);
        TaskUrl { prefix, suffix }
    }
}

/// The plan (CONTRACT §4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// `<family>-<eventID>` (§3).
    pub execution_name: String,
    /// Execution ARN derived from the state machine ARN.
    pub execution_arn: String,
    /// CloudTrail eventID.
    pub event_id: String,
    /// Time of the original call.
    pub event_time: String,
    /// Region of the call.
    pub region: String,
    /// Account of the call.
    pub account: String,
    /// Partition of the region.
    pub partition: String,
    /// Caller ARN (or principal id).
    pub principal: String,
    /// `startedBy` of the original call.
    pub started_by: Option<String>,
    /// Cluster as sent (name or ARN), default `default`.
    pub cluster: String,
    /// Cluster name.
    pub cluster_name: String,
    /// Task definition as sent.
    pub task_definition: String,
    /// Task definition family.
    pub task_family: String,
    /// Distinct failure reasons, in order of appearance.
    pub reasons: Vec<String>,
    /// Failures grouped by reason.
    pub failures: Vec<FailureGroup>,
    /// Whether the state machine re-runs.
    pub retryable: bool,
    /// One line saying why (not) retried.
    pub why: String,
    /// `count` of the original call (default 1).
    pub requested_count: u32,
    /// Tasks the original call started.
    pub started_count: u32,
    /// Tasks that did not start (each re-run asks for this many).
    pub missing_count: u32,
    /// Re-runs at most.
    pub max_attempts: u32,
    /// Seconds to wait before re-run i+1 (empty when not retryable).
    pub wait_seconds: Vec<u64>,
    /// Idempotency token of re-run i+1 (empty when not retryable).
    pub client_tokens: Vec<ClientToken>,
    /// Re-runs made so far (0 in the plan).
    pub attempt: u32,
    /// The RunTask request (PascalCase members of the API), or null when not retryable.
    pub run_task: Option<Map<String, Value>>,
    /// Console link of a task of this cluster: `prefix + <task id> + suffix` (the state machine
    /// puts these links into its output next to the new task ARNs).
    pub task_url: TaskUrl,
    /// The first notification (published verbatim by Notify Failure).
    pub notice: Notification,
    /// The outcome notices' templates by outcome (`recovered`, `partially-recovered`, `gave-up`,
    /// `rerun-error`), words and all: "Notify Outcome" fills in the counts. Empty when not
    /// retryable.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outcomes: BTreeMap<String, Notification>,
}

/// Builds the plan for a parsed event. Infallible: every check that can fail happens when the
/// event is parsed ([`RunTaskEvent::from_value`]) or the config validated ([`PlanConfig::validate`]).
pub fn build_plan(event: &RunTaskEvent, config: &PlanConfig) -> Plan {
    let region = event.region().to_string();
    let account = event.account().to_string();
    let partition = partition_for_region(&region).to_string();
    let event_id = event.event_id().to_string();
    let task_definition = event.task_definition().to_string();
    let task_family = task_family_of(&task_definition);
    let cluster = event.cluster().to_string();
    let cluster_name = cluster_name_of(&cluster).to_string();
    let execution_name = execution_name(&task_family, &event_id);
    let state_machine_arn = config
        .state_machine_arn
        .clone()
        .unwrap_or_else(|| default_state_machine_arn(&partition, &region, &account));
    let execution_arn = execution_arn(&state_machine_arn, &execution_name);
    let started_by = event.started_by().map(str::to_string);
    let principal = event
        .detail
        .user_identity
        .as_ref()
        .and_then(|u| u.arn.clone().or_else(|| u.principal_id.clone()))
        .unwrap_or_default();
    let event_time = event
        .detail
        .event_time
        .clone()
        .or_else(|| event.time.clone())
        .unwrap_or_default();

    let failures = group_failures(event, &config.retryable_reasons);
    let reasons: Vec<String> = failures.iter().map(|g| g.reason.clone()).collect();
    let requested_count = event.requested_count();
    let started_count = u32::try_from(event.tasks().len()).unwrap_or(u32::MAX);
    let missing_count = requested_count.saturating_sub(started_count);

    let caller = Caller {
        started_by: started_by.as_deref(),
        session_issuer: event.session_issuer_arn(),
        step_functions: event.called_by_step_functions(),
    };
    let decision = decide(
        config,
        &caller,
        &cluster_name,
        &failures,
        requested_count,
        missing_count,
    );
    let (retryable, why) = match decision {
        Decision::Rerun(why) => (true, why),
        Decision::Skip(why) => (false, why),
    };

    let (wait_seconds, client_tokens, run_task) = if retryable {
        (
            config.wait_seconds(),
            client_tokens(&execution_name, config.max_attempts),
            Some(run_task_input(event, &cluster, &event_id, missing_count)),
        )
    } else {
        (Vec::new(), Vec::new(), None)
    };

    let task_url = TaskUrl::new(&region, &cluster);
    let mut plan = Plan {
        execution_name,
        execution_arn,
        event_id,
        event_time,
        region,
        account,
        partition,
        principal,
        started_by,
        cluster,
        cluster_name,
        task_definition,
        task_family,
        reasons,
        failures,
        retryable,
        why,
        requested_count,
        started_count,
        missing_count,
        max_attempts: config.max_attempts,
        wait_seconds,
        client_tokens,
        attempt: 0,
        run_task,
        task_url,
        notice: Notification::default(),
        outcomes: BTreeMap::new(),
    };
    plan.notice = notice::first_notice(&plan, event.failures(), &event.task_arns());
    plan.outcomes = outcome::templates(&plan);
    plan
}

fn group_failures(event: &RunTaskEvent, retryable_reasons: &[String]) -> Vec<FailureGroup> {
    // Distinct reasons in order of appearance, each with its distinct ARNs (the first
    // MAX_GROUP_ARNS listed, all counted): linear in the number of failures (a set of seen
    // (reason, arn) pairs, an index of groups by reason).
    let mut groups: Vec<FailureGroup> = Vec::new();
    let mut counts: Vec<usize> = Vec::new();
    let mut group_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut seen: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    for f in event.failures() {
        let reason = f.reason.clone().unwrap_or_default();
        let i = match group_of.get(&reason) {
            Some(&i) => i,
            None => {
                group_of.insert(reason.clone(), groups.len());
                let class = FailureReason::classify(&reason);
                groups.push(FailureGroup {
                    retryable: !reason.trim().is_empty()
                        && is_retryable(&reason, retryable_reasons),
                    kind: class.kind().to_string(),
                    summary: class.summary(),
                    arns: Vec::new(),
                    arn_count: None,
                    reason: reason.clone(),
                });
                counts.push(0);
                groups.len() - 1
            }
        };
        if let Some(arn) = &f.arn {
            if seen.insert((reason, arn.clone())) {
                counts[i] += 1;
                if groups[i].arns.len() < MAX_GROUP_ARNS {
                    groups[i].arns.push(arn.clone());
                }
            }
        }
    }
    for (g, count) in groups.iter_mut().zip(counts) {
        if count > g.arns.len() {
            g.arn_count = Some(count);
        }
    }
    groups
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A RunTask event of `nightly-batch` with these request parameters, failures and tasks.
    pub(crate) fn event(params: Value, failures: Value, tasks: Value) -> RunTaskEvent {
        RunTaskEvent::from_value(json!({
            "id": "e1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.ecs",
            "account": "123456789012", "region": "us-east-1",
            "detail": {
                "eventName": "RunTask", "eventSource": "ecs.amazonaws.com", "awsRegion": "us-east-1",
                "eventTime": "2026-11-24T02:00:01Z",
                "eventID": "6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b",
                "userIdentity": {"arn": "arn:aws:sts::123456789012:assumed-role/r/s"},
                "requestParameters": params,
                "responseElements": {"tasks": tasks, "failures": failures}
            }
        }))
        .expect("valid test event")
    }

    /// One AGENT failure on container instance `i1` of `prod`.
    pub(crate) fn agent() -> Value {
        json!([{"arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/i1", "reason": "AGENT"}])
    }

    #[test]
    fn retryable_plan() {
        let e = event(
            json!({"cluster": "prod", "taskDefinition": "nightly-batch:12", "startedBy": "events-rule/nightly",
                   "clientToken": "abc", "launchType": "EC2"}),
            agent(),
            json!([]),
        );
        let p = build_plan(&e, &PlanConfig::default());
        assert!(p.retryable, "{}", p.why);
        assert_eq!(
            p.why,
            "AGENT is retryable: the ECS agent on the container instance was disconnected; re-running 1 task up to 3 times"
        );
        assert_eq!(p.wait_seconds, vec![60, 120, 240]);
        assert_eq!(p.client_tokens.len(), 3);
        assert_eq!(
            p.client_tokens[0].client_token,
            client_token(&p.execution_name, 1)
        );
        assert_eq!(p.client_tokens[0].client_token.len(), 64);
        assert_ne!(p.client_tokens[0], p.client_tokens[1]);
        assert_eq!(
            p.execution_arn,
            format!(
                "arn:aws:states:us-east-1:123456789012:execution:ecs-rerun:{}",
                p.execution_name
            )
        );
        let rt = p.run_task.as_ref().expect("run task");
        assert_eq!(rt.get("ClientToken"), None);
        assert_eq!(
            rt["StartedBy"],
            json!("ecs-rerun/6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b")
        );
        assert_eq!(rt["Count"], json!(1));
        assert_eq!(rt["LaunchType"], json!("EC2"));
        assert_eq!(
            p.notice.metadata.as_ref().map(|m| m.event_type.clone()),
            Some(Some("LaunchFailed".into()))
        );
    }

    #[test]
    fn task_links_split_around_the_id() {
        let url = TaskUrl::new(
            "us-east-1",
            "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        );
        assert_eq!(
            format!("{}{}{}", url.prefix, "4a7c", url.suffix),
            crate::links::task_url(
                "us-east-1",
                "prod",
                "arn:aws:ecs:us-east-1:123456789012:task/prod/4a7c"
            )
        );
    }

    /// `n` failures, the reasons taking turns, every one on its own container instance.
    fn failures(n: usize, reasons: &[&str]) -> Value {
        Value::Array(
            (0..n)
                .map(|i| {
                    json!({"arn": format!("arn:aws:ecs:us-east-1:123456789012:container-instance/prod/{i:032x}"),
                           "reason": reasons[i % reasons.len()],
                           "detail": format!("instance {i} could not place the task")})
                })
                .collect(),
        )
    }

    #[test]
    fn what_grows_with_the_event_is_bounded() {
        let e = event(
            json!({"cluster": "prod", "taskDefinition": "nightly-batch:12"}),
            failures(20_000, &["AGENT", "RESOURCE:MEMORY"]),
            json!([]),
        );
        let p = build_plan(&e, &PlanConfig::default());
        assert!(p.retryable, "{}", p.why);
        assert_eq!(p.reasons, ["AGENT", "RESOURCE:MEMORY"]);
        for g in &p.failures {
            assert_eq!(g.arns.len(), MAX_GROUP_ARNS, "{}", g.reason);
            assert_eq!(g.arn_count, Some(10_000));
            assert_eq!(g.total_arns(), 10_000);
        }
        let n = &p.notice;
        assert_eq!(n.failures().len(), MAX_NOTICE_FAILURES);
        let related = &n.metadata.as_ref().expect("metadata").related_resources;
        assert_eq!(related.len(), MAX_RELATED_RESOURCES);
        let description = n.content.description.as_deref().unwrap_or_default();
        assert!(description.contains("(10000 resources)"), "{description}");
        let input = execution_input(&p).expect("fits");
        assert!(
            input.len() < MAX_EXECUTION_INPUT_BYTES / 2,
            "{} bytes",
            input.len()
        );
        let v: Value = serde_json::from_str(&input).expect("JSON");
        assert_eq!(v["failures"][0]["arnCount"], json!(10_000));
        // the same plan comes back from its input (the state machine's view)
        assert_eq!(serde_json::from_str::<Plan>(&input).expect("a plan"), p);
    }

    #[test]
    fn small_groups_list_every_arn_once_and_no_count() {
        let arn = "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/i1";
        let e = event(
            json!({"taskDefinition": "nightly-batch:12"}),
            json!([{"arn": arn, "reason": "AGENT"}, {"arn": arn, "reason": "AGENT"},
                   {"reason": "AGENT"}, {"arn": arn, "reason": "ATTRIBUTE"}]),
            json!([]),
        );
        let p = build_plan(&e, &PlanConfig::default());
        assert_eq!(p.failures.len(), 2);
        for g in &p.failures {
            assert_eq!(g.arns, [arn], "{}", g.reason);
            assert_eq!(g.arn_count, None);
        }
        let v = serde_json::to_value(&p.failures[0]).expect("serialises");
        assert!(v.get("arnCount").is_none(), "{v}");
        let limit = failures(MAX_GROUP_ARNS, &["AGENT"]);
        let p = build_plan(
            &event(json!({"taskDefinition": "t:1"}), limit, json!([])),
            &PlanConfig::default(),
        );
        assert_eq!(p.failures[0].arns.len(), MAX_GROUP_ARNS);
        assert_eq!(p.failures[0].arn_count, None);
    }

    #[test]
    fn a_plan_larger_than_start_execution_takes_is_refused() {
        let mut p = build_plan(
            &event(json!({"taskDefinition": "t:1"}), agent(), json!([])),
            &PlanConfig::default(),
        );
        assert!(execution_input(&p).is_ok());
        p.why = "x".repeat(MAX_EXECUTION_INPUT_BYTES);
        let err = execution_input(&p).expect_err("too large");
        assert_eq!(err.error_type(), "EcsRerun.PlanTooLarge");
        let Error::PlanTooLarge { bytes } = err else {
            panic!("{err:?}")
        };
        assert_eq!(bytes, serde_json::to_string(&p).expect("JSON").len());
        let msg = err.to_string();
        assert!(
            msg.contains(&bytes.to_string()) && msg.contains("262144") && !msg.contains('\n'),
            "{msg}"
        );
    }
}
