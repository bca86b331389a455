//! The shell's one error type, and [`ErrorType`], the stable name every error shown in CloudWatch
//! carries.

use std::fmt;
use std::time::Duration;

/// A stable error-type name (`EcsRerunStarter.Throttled`, …): it shows in CloudWatch next to the
/// message, so treat it as API. Implemented by each Lambda's error enum.
pub trait ErrorType: fmt::Display {
    /// The stable name.
    fn error_type(&self) -> &'static str;
}

/// What goes wrong in the shell: at start-up (configuration) or before a record is handled. Each
/// Lambda wraps it in its own error enum and names the variants with its own prefix, so the name
/// users see is the Lambda's (`EcsRerunNotifier.MissingEnv`); [`ErrorType`] here gives the
/// `EcsRerunLambda.` names, for a caller that has no enum of its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A required environment variable is unset or blank.
    #[error("missing environment variable {name}")]
    MissingEnv {
        /// The variable's name, e.g. `STATE_MACHINE_ARN`.
        name: &'static str,
    },
    /// An environment variable is set to a value we cannot use.
    #[error("invalid environment variable {name}{}: {problem}", shown(.value.as_deref()))]
    InvalidEnv {
        /// The variable's name (or the names, when only their combination is wrong).
        name: &'static str,
        /// The value as set; `None` for a secret, whose value is never repeated.
        value: Option<String>,
        /// What is wrong with it, e.g. `must be an integer from 1 to 10`.
        problem: String,
    },
    /// The record was not started: what is left of the invocation may not be enough to finish it
    /// and answer the runtime. SQS redelivers it; a timeout would have redelivered the whole batch.
    #[error(
        "not started: {} ms left of the invocation, a record may need {} ms",
        .remaining.as_millis(),
        .needed.as_millis()
    )]
    OutOfTime {
        /// Time left before the invocation's deadline when the record was due.
        remaining: Duration,
        /// The record's budget plus the time kept back to answer the runtime.
        needed: Duration,
    },
}

fn shown(value: Option<&str>) -> String {
    value.map(|v| format!("={v:?}")).unwrap_or_default()
}

impl Error {
    /// [`Error::InvalidEnv`] that repeats the value (not for secrets).
    pub fn invalid(
        name: &'static str,
        value: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Error::InvalidEnv {
            name,
            value: Some(value.into()),
            problem: problem.into(),
        }
    }

    /// [`Error::InvalidEnv`] for a secret: the value is never repeated, so `problem` must not
    /// contain it either.
    pub fn invalid_secret(name: &'static str, problem: impl Into<String>) -> Self {
        Error::InvalidEnv {
            name,
            value: None,
            problem: problem.into(),
        }
    }
}

impl ErrorType for Error {
    fn error_type(&self) -> &'static str {
        match self {
            Error::MissingEnv { .. } => "EcsRerunLambda.MissingEnv",
            Error::InvalidEnv { .. } => "EcsRerunLambda.InvalidEnv",
            Error::OutOfTime { .. } => "EcsRerunLambda.OutOfTime",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_are_stable_and_messages_one_line() {
        let cases = [
            (
                Error::MissingEnv {
                    name: "STATE_MACHINE_ARN",
                },
                "EcsRerunLambda.MissingEnv",
                "missing environment variable STATE_MACHINE_ARN",
            ),
            (
                Error::invalid("MAX_ATTEMPTS", "0", "must be an integer from 1 to 10"),
                "EcsRerunLambda.InvalidEnv",
                "invalid environment variable MAX_ATTEMPTS=\"0\": must be an integer from 1 to 10",
            ),
            (
                Error::invalid_secret("SLACK_WEBHOOK_URL", "must be an https:// URL"),
                "EcsRerunLambda.InvalidEnv",
                "invalid environment variable SLACK_WEBHOOK_URL: must be an https:// URL",
            ),
            (
                Error::OutOfTime {
                    remaining: Duration::from_millis(1200),
                    needed: Duration::from_millis(5500),
                },
                "EcsRerunLambda.OutOfTime",
                "not started: 1200 ms left of the invocation, a record may need 5500 ms",
            ),
        ];
        for (err, want_type, want_msg) in cases {
            assert_eq!(err.error_type(), want_type);
            assert_eq!(err.to_string(), want_msg);
        }
    }
}
