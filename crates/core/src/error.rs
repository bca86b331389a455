//! The core's one error type. Each variant has a stable name ([`Error::error_type`]) that shows in
//! CloudWatch and may be matched by `ErrorEquals` in the state machine: treat the names as API.

/// Everything that can go wrong in the core. Messages are one line and name the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input is not JSON at all.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// JSON, but not an EventBridge event (no `detail` object, or not an object at all).
    #[error("not an EventBridge event: {0}")]
    NotAnEventBridgeEvent(String),
    /// An EventBridge event, but not a CloudTrail ECS `RunTask` call.
    #[error("not a CloudTrail RunTask event: {0}")]
    NotRunTask(String),
    /// A required field is absent (or null); holds its path, e.g. `detail.requestParameters`.
    #[error("missing field {0}")]
    MissingField(String),
    /// A field is present but has the wrong shape.
    #[error("invalid field {path}: {problem}")]
    InvalidField {
        /// Path of the field, e.g. `detail.responseElements.failures`.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A message that is not an ecs-rerun notification (CONTRACT §5).
    #[error("invalid notification: {0}")]
    InvalidNotification(String),
    /// A [`crate::plan::PlanConfig`] value out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A comma list with an empty item (`AGENT,,X`, a trailing comma, nothing at all):
    /// [`crate::plan::config::parse_list`].
    #[error("comma list {list:?} has an empty item (item {item})")]
    EmptyListItem {
        /// The list as given.
        list: String,
        /// Which item is empty (1-based).
        item: usize,
    },
    /// The plan is larger than StartExecution accepts as input
    /// ([`crate::plan::MAX_EXECUTION_INPUT_BYTES`]); no retry can help.
    #[error(
        "the plan is {bytes} bytes, more than the {} bytes StartExecution accepts as input",
        crate::plan::MAX_EXECUTION_INPUT_BYTES
    )]
    PlanTooLarge {
        /// Size of the plan's JSON text.
        bytes: usize,
    },
}

impl Error {
    /// Stable error-type name, e.g. `EcsRerun.NotRunTask`.
    pub fn error_type(&self) -> &'static str {
        match self {
            Error::InvalidJson(_) => "EcsRerun.InvalidJson",
            Error::NotAnEventBridgeEvent(_) => "EcsRerun.NotAnEventBridgeEvent",
            Error::NotRunTask(_) => "EcsRerun.NotRunTask",
            Error::MissingField(_) => "EcsRerun.MissingField",
            Error::InvalidField { .. } => "EcsRerun.InvalidField",
            Error::InvalidNotification(_) => "EcsRerun.InvalidNotification",
            Error::InvalidConfig(_) => "EcsRerun.InvalidConfig",
            Error::EmptyListItem { .. } => "EcsRerun.EmptyListItem",
            Error::PlanTooLarge { .. } => "EcsRerun.PlanTooLarge",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_are_stable_and_messages_one_line() {
        let cases = [
            (Error::InvalidJson("x".into()), "EcsRerun.InvalidJson"),
            (
                Error::NotAnEventBridgeEvent("x".into()),
                "EcsRerun.NotAnEventBridgeEvent",
            ),
            (Error::NotRunTask("x".into()), "EcsRerun.NotRunTask"),
            (Error::MissingField("a.b".into()), "EcsRerun.MissingField"),
            (
                Error::InvalidField {
                    path: "a".into(),
                    problem: "b".into(),
                },
                "EcsRerun.InvalidField",
            ),
            (
                Error::InvalidNotification("x".into()),
                "EcsRerun.InvalidNotification",
            ),
            (Error::InvalidConfig("x".into()), "EcsRerun.InvalidConfig"),
            (
                Error::EmptyListItem {
                    list: "a,\n,b".into(),
                    item: 2,
                },
                "EcsRerun.EmptyListItem",
            ),
            (
                Error::PlanTooLarge { bytes: 300_000 },
                "EcsRerun.PlanTooLarge",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.error_type(), want);
            assert!(!err.to_string().contains('\n'));
        }
        assert_eq!(
            Error::MissingField("detail.requestParameters".into()).to_string(),
            "missing field detail.requestParameters"
        );
        assert_eq!(
            Error::PlanTooLarge { bytes: 300_000 }.to_string(),
            "the plan is 300000 bytes, more than the 262144 bytes StartExecution accepts as input"
        );
    }
}
