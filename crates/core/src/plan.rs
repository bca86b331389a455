//! The re-run plan: the state machine's input, built from a RunTask event and [`PlanConfig`]
//! (CONTRACT §2–§4). Pure and deterministic: the same event and config give the same plan.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::event::RunTaskEvent;
use crate::links::{partition_for_region, task_url_parts};
use crate::notification::{self, Notification};
use crate::reason::{FailureReason, is_retryable};
use crate::text::{join_and, plural, upper_first};

/// Prefix of the `startedBy` marker every re-run carries (CONTRACT §2).
pub const MARKER_PREFIX: &str = "ecs-rerun/";
/// `startedBy` the Step Functions ECS integration sets (loop guard).
pub const STEP_FUNCTIONS_STARTED_BY: &str = "AWS Step Functions";
/// Maximum length of a Standard workflow execution name.
pub const MAX_EXECUTION_NAME: usize = 80;
/// Upper bound of one wait (one year, the longest a Standard execution lives).
pub const MAX_WAIT_SECONDS: u64 = 31_536_000;
/// Longest first wait accepted (one day).
pub const MAX_INTERVAL_SECONDS: u32 = 86_400;
/// Default state machine name when no ARN is configured.
pub const DEFAULT_STATE_MACHINE_NAME: &str = "ecs-rerun";
/// The longest a Standard workflow execution may run (one year, in seconds).
pub const MAX_EXECUTION_SECONDS: u64 = 31_536_000;
/// Time budgeted per re-run on top of its wait: the Rerun Task retriers' own backoff and the SNS
/// publish retries, with room to spare.
pub const ATTEMPT_OVERHEAD_SECONDS: u64 = 300;

/// What to do with a launch failure of a request-response RunTask made by another state machine
/// (the call carries no `startedBy`; its own workflow sees the `Failures` and may retry it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OtherStateMachines {
    /// Announce it, never re-run it (the default: a re-run could double a task the workflow
    /// retries itself).
    #[default]
    Notify,
    /// Re-run it like any other launch failure.
    Rerun,
}

impl OtherStateMachines {
    /// The configuration value: `notify` or `rerun`.
    pub fn as_str(self) -> &'static str {
        match self {
            OtherStateMachines::Notify => "notify",
            OtherStateMachines::Rerun => "rerun",
        }
    }

    /// Parses `notify` / `rerun` (exact).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "notify" => Some(OtherStateMachines::Notify),
            "rerun" => Some(OtherStateMachines::Rerun),
            _ => None,
        }
    }
}

/// How plans are built (the starter reads it from the environment once, the CLI from flags).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanConfig {
    /// Failure reasons that are re-run (exact strings), default `["AGENT"]`.
    pub retryable_reasons: Vec<String>,
    /// Re-runs at most (1–10), default 3.
    pub max_attempts: u32,
    /// Seconds before the first re-run, default 60.
    pub interval_seconds: u32,
    /// Each further wait is multiplied by this (≥ 1), default 2.
    pub backoff_rate: f64,
    /// Cluster names whose tasks are re-run; empty or containing `*` = all.
    pub target_clusters: Vec<String>,
    /// ARN of the state machine the plan is started on; `None` = `…:stateMachine:ecs-rerun`.
    pub state_machine_arn: Option<String>,
    /// The IAM role of this stack's state machine (loop guard: a RunTask whose CloudTrail
    /// `sessionIssuer.arn` is this role was made by our own re-run, marker or not).
    pub state_machine_role_arn: Option<String>,
    /// Launch failures of request-response RunTask calls by other state machines.
    pub other_state_machines: OtherStateMachines,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            retryable_reasons: vec!["AGENT".to_string()],
            max_attempts: 3,
            interval_seconds: 60,
            backoff_rate: 2.0,
            target_clusters: Vec::new(),
            state_machine_arn: None,
            state_machine_role_arn: None,
            other_state_machines: OtherStateMachines::Notify,
        }
    }
}

impl PlanConfig {
    /// Checks ranges: `max_attempts` 1–10, `interval_seconds` ≤ 86400, `backoff_rate` finite and
    /// ≥ 1, a non-empty reason list,
    /// and a state machine ARN that looks like one.
    pub fn validate(&self) -> Result<(), Error> {
        if !(1..=10).contains(&self.max_attempts) {
            return Err(Error::InvalidConfig(format!(
                "max attempts must be 1-10, got {}",
                self.max_attempts
            )));
        }
        if self.interval_seconds > MAX_INTERVAL_SECONDS {
            return Err(Error::InvalidConfig(format!(
                "interval seconds must be 0-{MAX_INTERVAL_SECONDS}, got {}",
                self.interval_seconds
            )));
        }
        if !self.backoff_rate.is_finite() || self.backoff_rate < 1.0 {
            return Err(Error::InvalidConfig(format!(
                "backoff rate must be a number >= 1, got {}",
                self.backoff_rate
            )));
        }
        if self.retryable_reasons.iter().all(|r| r.trim().is_empty()) {
            return Err(Error::InvalidConfig(
                "retryable reasons list is empty".into(),
            ));
        }
        if let Some(arn) = &self.state_machine_arn {
            if !arn.starts_with("arn:") || !arn.contains(":stateMachine:") {
                return Err(Error::InvalidConfig(format!(
                    "state machine ARN {arn:?} is not an arn:…:states:…:stateMachine:… ARN"
                )));
            }
        }
        if let Some(arn) = &self.state_machine_role_arn {
            if !arn.starts_with("arn:") || !arn.contains(":role/") {
                return Err(Error::InvalidConfig(format!(
                    "state machine role ARN {arn:?} is not an arn:…:iam::…:role/… ARN"
                )));
            }
        }
        let total = self.longest_execution_seconds();
        if total > MAX_EXECUTION_SECONDS {
            return Err(Error::InvalidConfig(format!(
                "max attempts {}, interval seconds {} and backoff rate {}: the waits add up to {total} s \
                 with the retries' allowance ({ATTEMPT_OVERHEAD_SECONDS} s per re-run), more than the \
                 {MAX_EXECUTION_SECONDS} s (one year) a Standard execution may run",
                self.max_attempts, self.interval_seconds, self.backoff_rate
            )));
        }
        Ok(())
    }

    /// The longest an execution can take: every wait plus [`ATTEMPT_OVERHEAD_SECONDS`] per
    /// re-run (saturating).
    pub fn longest_execution_seconds(&self) -> u64 {
        wait_seconds(self).into_iter().fold(0u64, |sum, w| {
            sum.saturating_add(w)
                .saturating_add(ATTEMPT_OVERHEAD_SECONDS)
        })
    }

    /// Splits a comma list (`"AGENT, RESOURCE:MEMORY"`), trimming items and dropping empty ones.
    pub fn split_list(s: &str) -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Whether a cluster (by name) is one ecs-rerun may re-run tasks on.
    pub fn cluster_allowed(&self, cluster_name: &str) -> bool {
        self.target_clusters.is_empty()
            || self
                .target_clusters
                .iter()
                .any(|c| c == "*" || c == cluster_name || cluster_name_of(c) == cluster_name)
    }
}

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
    /// ARNs of the failed resources (container instances, …).
    pub arns: Vec<String>,
}

/// One RunTask idempotency token (PascalCase: merged into the `ecs:runTask` parameters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientToken {
    /// 64 hex characters.
    #[serde(rename = "ClientToken")]
    pub client_token: String,
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
    let state_machine_arn = config.state_machine_arn.clone().unwrap_or_else(|| {
        format!(
            "arn:{partition}:states:{region}:{account}:stateMachine:{DEFAULT_STATE_MACHINE_NAME}"
        )
    });
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
            wait_seconds(config),
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
    };
    plan.notice = notification::first_notice(&plan, event.failures(), &event.task_arns());
    plan
}

enum Decision {
    Rerun(String),
    Skip(String),
}

/// Who made the original call, as far as the loop guards care.
struct Caller<'a> {
    started_by: Option<&'a str>,
    session_issuer: Option<&'a str>,
    step_functions: bool,
}

fn decide(
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

fn group_failures(event: &RunTaskEvent, retryable_reasons: &[String]) -> Vec<FailureGroup> {
    // Distinct reasons in order of appearance, each with its distinct ARNs: linear in the number
    // of failures (a set of seen (reason, arn) pairs, an index of groups by reason).
    let mut groups: Vec<FailureGroup> = Vec::new();
    let mut group_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut seen: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    for f in event.failures() {
        let reason = f.reason.clone().unwrap_or_default();
        let arn = f.arn.clone();
        if let Some(&i) = group_of.get(&reason) {
            if let Some(arn) = arn {
                if seen.insert((reason, arn.clone())) {
                    groups[i].arns.push(arn);
                }
            }
            continue;
        }
        if let Some(arn) = &arn {
            seen.insert((reason.clone(), arn.clone()));
        }
        group_of.insert(reason.clone(), groups.len());
        let class = FailureReason::classify(&reason);
        groups.push(FailureGroup {
            retryable: !reason.trim().is_empty() && is_retryable(&reason, retryable_reasons),
            kind: class.kind().to_string(),
            summary: class.summary(),
            arns: arn.into_iter().collect(),
            reason,
        });
    }
    groups
}

/// Task definition family of `family`, `family:rev` or a task-definition ARN.
pub fn task_family_of(task_definition: &str) -> String {
    let last = task_definition
        .rsplit('/')
        .next()
        .unwrap_or(task_definition);
    let last = if task_definition.starts_with("arn:") && !task_definition.contains('/') {
        // Malformed ARN without a resource path: keep what follows the last ':'-separated field.
        task_definition
            .rsplit(':')
            .next()
            .unwrap_or(task_definition)
    } else {
        last
    };
    last.split(':').next().unwrap_or(last).to_string()
}

/// Cluster name of a cluster name or ARN.
pub fn cluster_name_of(cluster: &str) -> &str {
    if cluster.starts_with("arn:") {
        cluster.rsplit('/').next().unwrap_or(cluster)
    } else {
        cluster
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `<family>-<eventID>`, characters outside `[A-Za-z0-9_-]` replaced by `-`, ≤ 80 characters.
/// The family is shortened first so the eventID (what makes the name unique) survives.
pub fn execution_name(task_family: &str, event_id: &str) -> String {
    let id = sanitize(event_id);
    let family = if task_family.is_empty() {
        "task".to_string()
    } else {
        sanitize(task_family)
    };
    let room = MAX_EXECUTION_NAME.saturating_sub(id.len() + 1).max(1);
    let family: String = family.chars().take(room).collect();
    let name = format!("{family}-{id}");
    name.chars().take(MAX_EXECUTION_NAME).collect()
}

/// Execution ARN from a state machine ARN (`#TestCase` suffix dropped).
pub fn execution_arn(state_machine_arn: &str, execution_name: &str) -> String {
    let base = state_machine_arn
        .split('#')
        .next()
        .unwrap_or(state_machine_arn);
    format!(
        "{}:{execution_name}",
        base.replacen(":stateMachine:", ":execution:", 1)
    )
}

fn wait_seconds(config: &PlanConfig) -> Vec<u64> {
    (0..config.max_attempts)
        .map(|i| {
            let exp = i32::try_from(i).unwrap_or(i32::MAX);
            let w = (f64::from(config.interval_seconds) * config.backoff_rate.powi(exp)).round();
            if w.is_finite() && w >= 0.0 {
                // Float-to-int `as` saturates; the clamp keeps SFN's Wait in range.
                (w as u64).min(MAX_WAIT_SECONDS)
            } else {
                MAX_WAIT_SECONDS
            }
        })
        .collect()
}

/// Client token of re-run `n` (1-based): `hex(SHA-256("<executionName>#<n>"))`.
pub fn client_token(execution_name: &str, n: u32) -> String {
    hex::encode(Sha256::digest(format!("{execution_name}#{n}").as_bytes()))
}

fn client_tokens(execution_name: &str, max_attempts: u32) -> Vec<ClientToken> {
    (1..=max_attempts)
        .map(|n| ClientToken {
            client_token: client_token(execution_name, n),
        })
        .collect()
}

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

fn run_task_input(
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
    out.insert(
        "StartedBy".into(),
        Value::String(format!("{MARKER_PREFIX}{event_id}")),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(params: Value, failures: Value, tasks: Value) -> RunTaskEvent {
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

    fn agent() -> Value {
        json!([{"arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/i1", "reason": "AGENT"}])
    }

    #[test]
    fn execution_names() {
        let id = "6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b";
        for (td, want) in [
            ("nightly-batch:12", format!("nightly-batch-{id}")),
            ("nightly-batch", format!("nightly-batch-{id}")),
            (
                "arn:aws:ecs:us-east-1:123456789012:task-definition/nightly.batch:7",
                format!("nightly-batch-{id}"),
            ),
            ("a b/c:1", format!("c-{id}")),
        ] {
            assert_eq!(execution_name(&task_family_of(td), id), want, "{td}");
        }
        let long = "x".repeat(100);
        let name = execution_name(&long, id);
        assert_eq!(name.len(), 80);
        assert!(name.ends_with(id));
        assert_eq!(execution_name("", "e"), "task-e");
    }

    #[test]
    fn execution_arns() {
        assert_eq!(
            execution_arn(
                "arn:aws:states:us-east-1:123456789012:stateMachine:sm#Test",
                "n"
            ),
            "arn:aws:states:us-east-1:123456789012:execution:sm:n"
        );
    }

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

    #[test]
    fn waits_must_fit_one_standard_execution() {
        let fits = |max_attempts, interval_seconds, backoff_rate| {
            PlanConfig {
                max_attempts,
                interval_seconds,
                backoff_rate,
                ..PlanConfig::default()
            }
            .validate()
        };
        assert!(fits(3, 60, 2.0).is_ok());
        assert!(fits(10, 86_400, 1.0).is_ok());
        // 86400 * (2^10 - 1) s is almost three years
        let err = fits(10, 86_400, 2.0).expect_err("too long");
        assert_eq!(err.error_type(), "EcsRerun.InvalidConfig");
        let msg = err.to_string();
        for word in [
            "max attempts 10",
            "interval seconds 86400",
            "backoff rate 2",
            "31536000",
        ] {
            assert!(msg.contains(word), "{msg} should name {word}");
        }
        // the boundary: the waits plus the allowance, exactly
        let cfg = PlanConfig {
            max_attempts: 1,
            interval_seconds: 86_400,
            ..PlanConfig::default()
        };
        assert_eq!(
            cfg.longest_execution_seconds(),
            86_400 + ATTEMPT_OVERHEAD_SECONDS
        );
        // a huge backoff saturates instead of overflowing
        assert_eq!(
            fits(10, 86_400, 10.0).map_err(|e| e.error_type()),
            Err("EcsRerun.InvalidConfig")
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

    #[test]
    fn config_validation_and_lists() {
        assert!(PlanConfig::default().validate().is_ok());
        for bad in [
            PlanConfig {
                max_attempts: 0,
                ..PlanConfig::default()
            },
            PlanConfig {
                max_attempts: 11,
                ..PlanConfig::default()
            },
            PlanConfig {
                interval_seconds: 86_401,
                ..PlanConfig::default()
            },
            PlanConfig {
                backoff_rate: 0.5,
                ..PlanConfig::default()
            },
            PlanConfig {
                backoff_rate: f64::NAN,
                ..PlanConfig::default()
            },
            PlanConfig {
                retryable_reasons: vec![],
                ..PlanConfig::default()
            },
            PlanConfig {
                state_machine_arn: Some("nope".into()),
                ..PlanConfig::default()
            },
        ] {
            let err = bad.validate().expect_err("invalid config");
            assert_eq!(err.error_type(), "EcsRerun.InvalidConfig");
        }
        assert_eq!(
            PlanConfig::split_list(" AGENT, ,RESOURCE:MEMORY "),
            vec!["AGENT", "RESOURCE:MEMORY"]
        );
        let all = PlanConfig {
            target_clusters: vec!["*".into()],
            ..PlanConfig::default()
        };
        assert!(all.cluster_allowed("anything"));
        let cfg = PlanConfig {
            interval_seconds: 10,
            backoff_rate: 1.5,
            max_attempts: 4,
            ..PlanConfig::default()
        };
        assert_eq!(wait_seconds(&cfg), vec![10, 15, 23, 34]);
    }
}
