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

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
