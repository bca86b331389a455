//! The first notice (CONTRACT §5, kind `launch-failed` or `not-retryable`): what the plan's
//! `notice` holds and "Notify Failure" publishes verbatim. The outcome notices are built by the
//! state machine from plan fields.

use serde_json::{Map, Value};

use crate::event::Failure;
use crate::notification::{Content, Kind, Metadata, NoticeFailure, Notification};
use crate::plan::Plan;
use crate::plan::ids::MARKER_PREFIX;
use crate::reason::FailureReason;
use crate::text::{plural, upper_first};

/// The most failures the first notice carries in `additionalContext.failures` (its description
/// counts them all).
pub const MAX_NOTICE_FAILURES: usize = 100;
/// The most entries of the first notice's `metadata.relatedResources` (the cluster and the task
/// definition first).
pub const MAX_RELATED_RESOURCES: usize = 100;

/// Builds the first notice for a plan: `launch-failed` when retryable, else `not-retryable`.
/// `failures` and `started_task_arns` are the original call's (the plan keeps them grouped).
pub fn first_notice(
    plan: &Plan,
    failures: &[Failure],
    started_task_arns: &[String],
) -> Notification {
    let kind = if plan.retryable {
        Kind::LaunchFailed
    } else {
        Kind::NotRetryable
    };
    let reasons = plan.reasons.join(", ");
    let reasons_shown = if reasons.is_empty() {
        "no failure reason".to_string()
    } else {
        reasons.clone()
    };
    let what = format!(
        "ECS task {} failed to launch on {}",
        plan.task_family, plan.cluster_name
    );
    let title = match kind {
        Kind::LaunchFailed => format!(":warning: {what}: retrying"),
        _ => format!(":x: {what}: not retried"),
    };
    let first_wait = plan.wait_seconds.first().copied().unwrap_or(0);

    let mut description = format!(
        "RunTask started {} of {} of `{}` on cluster `{}`.",
        plan.started_count,
        plural(plan.requested_count, "task", "tasks"),
        plan.task_definition,
        plan.cluster_name
    );
    for g in &plan.failures {
        description.push_str(&format!(
            "\n• `{}`: {} ({})",
            if g.reason.is_empty() {
                "(none)"
            } else {
                &g.reason
            },
            g.summary,
            plural(
                u32::try_from(g.total_arns()).unwrap_or(u32::MAX),
                "resource",
                "resources"
            )
        ));
    }
    match kind {
        Kind::LaunchFailed => description.push_str(&format!(
            "\n\n{}; re-run 1 of {} in {first_wait} s.",
            upper_first(&plan.why),
            plan.max_attempts,
        )),
        _ => description.push_str(&format!("\n\n{}.", upper_first(&plan.why))),
    }

    let mut next_steps = Vec::new();
    match kind {
        Kind::LaunchFailed => next_steps.push(format!(
            "Nothing to do yet: ecs-rerun re-runs the {} up to {} (waits: {}) and posts the outcome to this channel.",
            plural(plan.missing_count, "missing task", "missing tasks"),
            plural(plan.max_attempts, "time", "times"),
            plan.wait_seconds
                .iter()
                .map(|w| format!("{w} s"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => {
            if plan
                .started_by
                .as_deref()
                .is_some_and(|s| s.starts_with(MARKER_PREFIX))
            {
                next_steps.push(
                    "This call was itself a re-run by ecs-rerun; the execution that made it reports the outcome."
                        .to_string(),
                );
            }
            for r in &plan.reasons {
                next_steps.push(format!("{}: {}", if r.is_empty() { "(none)" } else { r }, FailureReason::classify(r).advice()));
            }
            if plan.missing_count > 0 {
                next_steps.push(format!(
                    "Once fixed, start the {} by hand (same RunTask parameters) if the run is still needed.",
                    plural(plan.missing_count, "missing task", "missing tasks")
                ));
            }
        }
    }

    let summary = match kind {
        Kind::LaunchFailed => format!(
            "{} on {} failed to launch ({reasons_shown}); re-run 1 of {} in {first_wait} s",
            plan.task_family, plan.cluster_name, plan.max_attempts
        ),
        _ => format!(
            "{} on {} failed to launch ({reasons_shown}); not retried",
            plan.task_family, plan.cluster_name
        ),
    };

    let mut keywords = vec!["ecs-rerun".to_string()];
    for r in &plan.reasons {
        let k: String = r.chars().take(64).collect();
        if !k.is_empty() && !keywords.contains(&k) {
            keywords.push(k);
        }
    }
    if !keywords.contains(&plan.cluster_name) {
        keywords.push(plan.cluster_name.clone());
    }

    let mut related = vec![plan.cluster.clone(), plan.task_definition.clone()];
    let mut seen: std::collections::HashSet<&str> =
        [plan.cluster.as_str(), plan.task_definition.as_str()].into();
    for arn in plan
        .failures
        .iter()
        .flat_map(|g| g.arns.iter())
        .chain(started_task_arns)
    {
        if related.len() >= MAX_RELATED_RESOURCES {
            break;
        }
        if seen.insert(arn.as_str()) {
            related.push(arn.clone());
        }
    }

    let notice_failures: Vec<NoticeFailure> = failures
        .iter()
        .take(MAX_NOTICE_FAILURES)
        .map(|f| NoticeFailure {
            arn: f.arn.clone(),
            reason: f.reason.clone(),
            detail: f.detail.clone(),
        })
        .collect();

    let mut ctx = Map::new();
    let mut put = |k: &str, v: String| {
        ctx.insert(k.to_string(), Value::String(v));
    };
    put("kind", kind.as_str().into());
    put("executionArn", plan.execution_arn.clone());
    put("executionName", plan.execution_name.clone());
    put("eventId", plan.event_id.clone());
    put("eventTime", plan.event_time.clone());
    put("region", plan.region.clone());
    put("account", plan.account.clone());
    put("partition", plan.partition.clone());
    put("principal", plan.principal.clone());
    put("startedBy", plan.started_by.clone().unwrap_or_default());
    put("cluster", plan.cluster.clone());
    put("clusterName", plan.cluster_name.clone());
    put("taskDefinition", plan.task_definition.clone());
    put("taskFamily", plan.task_family.clone());
    put("reasons", reasons);
    put("why", plan.why.clone());
    put("requestedCount", plan.requested_count.to_string());
    put("missingCount", plan.missing_count.to_string());
    put("attempt", plan.attempt.to_string());
    put("maxAttempts", plan.max_attempts.to_string());
    put("nextWaitSeconds", first_wait.to_string());
    put(
        "taskArns",
        serde_json::to_string(started_task_arns).unwrap_or_else(|_| "[]".into()),
    );
    put(
        "failures",
        serde_json::to_string(&notice_failures).unwrap_or_else(|_| "[]".into()),
    );

    Notification {
        version: "1.0".into(),
        source: "custom".into(),
        id: Some(format!("{}/{}", plan.execution_name, kind.as_str())),
        content: Content {
            text_type: Some("client-markdown".into()),
            title: Some(title),
            description: Some(description),
            next_steps,
            keywords,
        },
        metadata: Some(Metadata {
            thread_id: Some(plan.execution_name.clone()),
            summary: Some(summary),
            event_type: Some(kind.event_type().into()),
            related_resources: related,
            additional_context: ctx,
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::event::RunTaskEvent;
    use crate::notification::{Kind, Notification};
    use crate::plan::{Plan, PlanConfig, build_plan};

    fn plan(reason: &str) -> Plan {
        let e = RunTaskEvent::from_value(json!({
            "account": "123456789012", "region": "us-east-1",
            "detail": {"eventName": "RunTask", "eventID": "ev-1", "awsRegion": "us-east-1",
                "requestParameters": {"cluster": "prod", "taskDefinition": "batch:3"},
                "responseElements": {"tasks": [], "failures": [
                    {"arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/i1", "reason": reason, "detail": "d"}]}}
        }))
        .expect("valid");
        build_plan(&e, &PlanConfig::default())
    }

    #[test]
    fn first_notice_launch_failed() {
        let p = plan("AGENT");
        let n = &p.notice;
        assert_eq!(n.kind(), Some(Kind::LaunchFailed));
        assert_eq!(n.id.as_deref(), Some("batch-ev-1/launch-failed"));
        assert_eq!(n.context("attempt"), Some("0"));
        assert_eq!(n.context("nextWaitSeconds"), Some("60"));
        assert_eq!(n.context("startedBy"), Some(""));
        assert_eq!(n.task_arns(), Vec::<String>::new());
        let f = n.failures();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].reason.as_deref(), Some("AGENT"));
        assert_eq!(f[0].detail.as_deref(), Some("d"));
        assert!(n.context("failures").is_some_and(|s| s.contains("\"Arn\"")));
        let summary = n
            .metadata
            .as_ref()
            .and_then(|m| m.summary.clone())
            .unwrap_or_default();
        assert_eq!(
            summary,
            "batch on prod failed to launch (AGENT); re-run 1 of 3 in 60 s"
        );
        // Every context value is a string (Q reads a flat string map).
        let ctx = &n.metadata.as_ref().expect("metadata").additional_context;
        assert!(ctx.values().all(Value::is_string));
        // Round trip through JSON text.
        let back = Notification::parse(&n.to_json()).expect("parses");
        assert_eq!(&back, n);
        assert!(back.is_ecs_rerun());
    }

    #[test]
    fn first_notice_not_retryable() {
        let p = plan("ATTRIBUTE");
        let n = &p.notice;
        assert_eq!(n.kind(), Some(Kind::NotRetryable));
        assert_eq!(n.context("nextWaitSeconds"), Some("0"));
        assert!(
            n.content
                .title
                .as_deref()
                .is_some_and(|t| t.contains("not retried"))
        );
        assert!(
            n.content
                .next_steps
                .iter()
                .any(|s| s.starts_with("ATTRIBUTE: "))
        );
    }
}
