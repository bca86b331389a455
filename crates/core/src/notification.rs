//! The SNS message contract (CONTRACT §5): Amazon Q Developer custom notifications.
//!
//! The core builds the first notice ([`first_notice`], kind `launch-failed` or `not-retryable`); the
//! state machine builds the outcome notices from plan fields. [`Notification::parse`] reads any of
//! them (and other apps' Q custom notifications); the accessors read `additionalContext`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::event::Failure;
use crate::plan::Plan;
use crate::reason::FailureReason;
use crate::text::{one_line, plural, upper_first};

/// What a notification reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The launch failed; ecs-rerun is re-running.
    LaunchFailed,
    /// The launch failed; not re-run (see `why`).
    NotRetryable,
    /// A re-run started every missing task.
    Recovered,
    /// A re-run started some, not all, of the missing tasks.
    PartiallyRecovered,
    /// Every re-run failed (or the RunTask API errored).
    GaveUp,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [
        Kind::LaunchFailed,
        Kind::NotRetryable,
        Kind::Recovered,
        Kind::PartiallyRecovered,
        Kind::GaveUp,
    ];

    /// Slug used in `additionalContext.kind`, the id suffix and the SNS `kind` attribute.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::LaunchFailed => "launch-failed",
            Kind::NotRetryable => "not-retryable",
            Kind::Recovered => "recovered",
            Kind::PartiallyRecovered => "partially-recovered",
            Kind::GaveUp => "gave-up",
        }
    }

    /// `metadata.eventType` value.
    pub fn event_type(&self) -> &'static str {
        match self {
            Kind::LaunchFailed => "LaunchFailed",
            Kind::NotRetryable => "NotRetryable",
            Kind::Recovered => "Recovered",
            Kind::PartiallyRecovered => "PartiallyRecovered",
            Kind::GaveUp => "GaveUp",
        }
    }

    /// Parses a slug or an eventType.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.event_type() == s)
    }
}

/// Q custom notification `content`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    /// `client-markdown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_type: Option<String>,
    /// Title line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What a human should do.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next_steps: Vec<String>,
    /// Keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
}

/// Q custom notification `metadata`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Thread id (the execution name: one thread per execution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// One-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `LaunchFailed` | `NotRetryable` | `Recovered` | `PartiallyRecovered` | `GaveUp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// Related resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_resources: Vec<String>,
    /// Flat string → string map (values other apps send as non-strings are kept as sent).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub additional_context: Map<String, Value>,
}

/// One failure as carried in `additionalContext.failures` (PascalCase; camelCase accepted).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NoticeFailure {
    /// ARN of the failed resource.
    #[serde(
        rename = "Arn",
        alias = "arn",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub arn: Option<String>,
    /// Reason.
    #[serde(
        rename = "Reason",
        alias = "reason",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reason: Option<String>,
    /// Detail.
    #[serde(
        rename = "Detail",
        alias = "detail",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub detail: Option<String>,
}

/// An Amazon Q Developer custom notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// `1.0`.
    pub version: String,
    /// `custom`.
    pub source: String,
    /// `<executionName>/<kind>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Human content.
    pub content: Content,
    /// Machine-readable metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

impl Default for Notification {
    fn default() -> Self {
        Notification {
            version: "1.0".into(),
            source: "custom".into(),
            id: None,
            content: Content::default(),
            metadata: None,
        }
    }
}

impl Notification {
    /// Parses a Q custom notification (ours or another app's). Fails when the text is not JSON or
    /// lacks `version`, `source` or `content`.
    pub fn parse(s: &str) -> Result<Notification, Error> {
        // Fast path: straight into the struct (`version`, `source`, `content` are required
        // fields). Only a failure pays for the Value walk that names the problem.
        if let Ok(n) = serde_json::from_str::<Notification>(s) {
            return Ok(n);
        }
        let v: Value = serde_json::from_str(s).map_err(|e| {
            Error::InvalidNotification(format!("not JSON: {}", one_line(&e.to_string())))
        })?;
        let Some(obj) = v.as_object() else {
            return Err(Error::InvalidNotification("not a JSON object".into()));
        };
        for key in ["version", "source", "content"] {
            if !obj.contains_key(key) {
                return Err(Error::InvalidNotification(format!("missing field {key}")));
            }
        }
        serde_json::from_value(v).map_err(|e| Error::InvalidNotification(one_line(&e.to_string())))
    }

    /// The ecs-rerun kind (`additionalContext.kind`, else `metadata.eventType`), if any.
    pub fn kind(&self) -> Option<Kind> {
        self.context("kind").and_then(Kind::parse).or_else(|| {
            self.metadata
                .as_ref()
                .and_then(|m| m.event_type.as_deref())
                .and_then(Kind::parse)
        })
    }

    /// Whether this is one of ours (has a kind and an execution name).
    pub fn is_ecs_rerun(&self) -> bool {
        self.kind().is_some() && self.context("executionName").is_some()
    }

    /// A string value of `additionalContext`.
    pub fn context(&self, key: &str) -> Option<&str> {
        self.metadata
            .as_ref()
            .and_then(|m| m.additional_context.get(key))
            .and_then(Value::as_str)
    }

    /// A non-empty string value of `additionalContext`.
    pub fn context_nonempty(&self, key: &str) -> Option<&str> {
        self.context(key).filter(|s| !s.trim().is_empty())
    }

    /// A number of `additionalContext` (decimal string, or a JSON number another producer sent).
    pub fn context_u32(&self, key: &str) -> Option<u32> {
        let v = self.metadata.as_ref()?.additional_context.get(key)?;
        match v {
            Value::String(s) => s.trim().parse().ok(),
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            _ => None,
        }
    }

    fn context_list(&self, key: &str) -> Option<Vec<Value>> {
        let v = self.metadata.as_ref()?.additional_context.get(key)?;
        match v {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Array(a)) => Some(a),
                _ => None,
            },
            Value::Array(a) => Some(a.clone()),
            _ => None,
        }
    }

    /// `additionalContext.taskArns` (JSON array as a string; a real array is accepted too).
    pub fn task_arns(&self) -> Vec<String> {
        self.context_list("taskArns")
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    /// `additionalContext.failures` (JSON array as a string of `{Arn, Reason, Detail?}`; camelCase
    /// keys and a real array are accepted too). Malformed entries are skipped.
    pub fn failures(&self) -> Vec<NoticeFailure> {
        self.context_list("failures")
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect()
    }

    /// `additionalContext.reasons` split on `, `.
    pub fn reasons(&self) -> Vec<String> {
        self.context("reasons")
            .map(|r| {
                r.split(", ")
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Serializes to the JSON text published on SNS.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

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
        Kind::LaunchFailed => format!(":warning: {what}"),
        _ => format!(":x: {what} (not retried)"),
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
                u32::try_from(g.arns.len()).unwrap_or(u32::MAX),
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
                .is_some_and(|s| s.starts_with(crate::plan::MARKER_PREFIX))
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
        if seen.insert(arn.as_str()) {
            related.push(arn.clone());
        }
    }

    let notice_failures: Vec<NoticeFailure> = failures
        .iter()
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
    use super::*;
    use crate::event::RunTaskEvent;
    use crate::plan::{PlanConfig, build_plan};
    use serde_json::json;

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
    fn kinds_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(Kind::parse(k.event_type()), Some(k));
        }
        assert_eq!(Kind::parse("nope"), None);
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

    #[test]
    fn accessors_accept_camel_case_and_real_arrays() {
        let n = Notification::parse(
            &json!({"version": "1.0", "source": "custom", "content": {"description": "x"},
                "metadata": {"additionalContext": {"kind": "gave-up", "attempt": 3,
                    "failures": [{"arn": "a", "reason": "AGENT"}], "taskArns": "[\"t1\"]", "reasons": "AGENT, ATTRIBUTE"}}})
            .to_string(),
        )
        .expect("parses");
        assert_eq!(n.kind(), Some(Kind::GaveUp));
        assert_eq!(n.context_u32("attempt"), Some(3));
        assert_eq!(n.failures()[0].arn.as_deref(), Some("a"));
        assert_eq!(n.task_arns(), vec!["t1".to_string()]);
        assert_eq!(
            n.reasons(),
            vec!["AGENT".to_string(), "ATTRIBUTE".to_string()]
        );
        assert!(!n.is_ecs_rerun());
    }

    #[test]
    fn parse_errors_name_the_problem() {
        for (text, msg) in [
            ("hello", "invalid notification: not JSON"),
            ("[]", "not a JSON object"),
            (
                "{\"version\":\"1.0\",\"source\":\"custom\"}",
                "missing field content",
            ),
            (
                "{\"version\":1,\"source\":\"custom\",\"content\":{}}",
                "invalid notification",
            ),
        ] {
            let err = Notification::parse(text).expect_err(text);
            assert_eq!(err.error_type(), "EcsRerun.InvalidNotification");
            assert!(err.to_string().contains(msg), "{err}");
        }
    }
}
