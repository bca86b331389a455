//! The reconciler's choice (docs/CONTRACT.md §10 step 5): which CloudTrail RunTask calls are launch
//! failures the stack should have received and may not have. Pure.
//!
//! CloudTrail delivers events to EventBridge on a best-effort basis. A call counts when
//! `RunTaskFailureRule` would have matched it (failures with a reason; not a re-run, not a
//! `.sync` call of Step Functions, not this stack's state machine role: the same loop guard);
//! whether it was received is the execution's existence (the starter names it deterministically).

use ecs_rerun_core::event::RunTaskEvent;
use ecs_rerun_core::plan::{
    MARKER_PREFIX, STEP_FUNCTIONS_STARTED_BY, execution_arn, execution_name, task_family_of,
};
use serde_json::Value;

/// A launch failure the starter's path must have seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// CloudTrail `eventID`.
    pub event_id: String,
    /// The execution the starter starts for it (§3).
    pub execution_arn: String,
    /// The event as EventBridge delivers it: what the starter's queue gets.
    pub body: String,
}

/// Whether `RunTaskFailureRule`'s pattern matches `e` (cloudformation/template.yaml).
pub fn rule_matches(e: &RunTaskEvent, state_machine_role_arn: &str) -> bool {
    let has_reason = e.failures().iter().any(|f| f.reason.is_some());
    let started_by_ok = match e.started_by() {
        None => true,
        Some(s) => s != STEP_FUNCTIONS_STARTED_BY && !s.starts_with(MARKER_PREFIX),
    };
    let caller_ok = e
        .session_issuer_arn()
        .is_none_or(|arn| state_machine_role_arn.is_empty() || arn != state_machine_role_arn);
    has_reason && started_by_ok && caller_ok
}

/// The calls among `events` (EventBridge-shaped, as `ecs_rerun_reads::run_task_events` gives
/// them) that the rule matches, oldest first, each once. Events that do not parse as RunTask
/// events are not launch failures the starter could take: left out.
pub fn candidates(
    events: &[Value],
    state_machine_arn: &str,
    state_machine_role_arn: &str,
) -> Vec<Candidate> {
    let mut out: Vec<(String, Candidate)> = Vec::new();
    for v in events {
        let Ok(e) = RunTaskEvent::from_value(v.clone()) else {
            continue;
        };
        if !rule_matches(&e, state_machine_role_arn) {
            continue;
        }
        let name = execution_name(&task_family_of(e.task_definition()), e.event_id());
        if out.iter().any(|(_, c)| c.event_id == e.event_id()) {
            continue;
        }
        let time = v
            .pointer("/detail/eventTime")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        out.push((
            time,
            Candidate {
                event_id: e.event_id().to_string(),
                execution_arn: execution_arn(state_machine_arn, &name),
                body: v.to_string(),
            },
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, c)| c).collect()
}

/// The re-run of tasks that stopped before running (§10 step 6), as the starter takes it: the
/// original RunTask call among `events` (the one whose `responseElements.tasks` started them), with
/// those tasks moved to `responseElements.failures` as
/// `{"arn", "reason": "STOPPED_BEFORE_RUNNING", "detail": <stoppedReason>}`. Same eventID, so the
/// same execution name, marker, client tokens and loop guard as a launch failure of that call.
/// `None` when the call is not among `events`.
pub fn transient_rerun(
    events: &[Value],
    tasks: &[(String, String)],
    state_machine_arn: &str,
) -> Option<Candidate> {
    use ecs_rerun_core::reason::STOPPED_BEFORE_RUNNING;
    let first = &tasks.first()?.0;
    let original = events.iter().find(|v| {
        v.pointer("/detail/responseElements/tasks")
            .and_then(Value::as_array)
            .is_some_and(|ts| {
                ts.iter()
                    .any(|t| t.get("taskArn").and_then(Value::as_str) == Some(first))
            })
    })?;
    let mut e = original.clone();
    let elements = e.pointer_mut("/detail/responseElements")?.as_object_mut()?;
    let stopped = |arn: &str| {
        tasks
            .iter()
            .find(|(t, _)| t == arn)
            .map(|(_, why)| why.clone())
    };
    let mut kept = Vec::new();
    let mut failures: Vec<Value> = elements
        .get("failures")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for t in elements
        .get("tasks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let arn = t.get("taskArn").and_then(Value::as_str).unwrap_or_default();
        match stopped(arn) {
            Some(why) => failures.push(serde_json::json!({
                "arn": arn, "reason": STOPPED_BEFORE_RUNNING, "detail": why
            })),
            None => kept.push(t),
        }
    }
    elements.insert("tasks".into(), Value::Array(kept));
    elements.insert("failures".into(), Value::Array(failures));
    let ev = RunTaskEvent::from_value(e.clone()).ok()?;
    let name = execution_name(&task_family_of(ev.task_definition()), ev.event_id());
    Some(Candidate {
        event_id: ev.event_id().to_string(),
        execution_arn: execution_arn(state_machine_arn, &name),
        body: e.to_string(),
    })
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
