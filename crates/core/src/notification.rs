//! The SNS message contract (CONTRACT §5): Amazon Q Developer custom notifications — the types,
//! [`Notification::parse`] (ours and other apps' Q custom notifications) and the accessors of
//! `additionalContext`. Who writes them is elsewhere: the first notice is
//! `plan::notice::first_notice`, the outcome notices come from the state machine.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::text::one_line;

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(Kind::parse(k.event_type()), Some(k));
        }
        assert_eq!(Kind::parse("nope"), None);
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
