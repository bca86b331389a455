//! The audit core's one error type. Each variant has a stable name ([`Error::error_type`]).

/// Everything that can go wrong in the audit core. Messages are one line and name the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A schedule expression AWS would refuse (or that this crate cannot evaluate faithfully).
    #[error("schedule expression {expression:?}: {problem}")]
    InvalidExpression {
        /// The expression as given.
        expression: String,
        /// What is wrong with it.
        problem: String,
    },
    /// `ScheduleExpressionTimezone` is not an IANA zone name.
    #[error("unknown time zone {0:?}")]
    InvalidTimeZone(String),
    /// The schedules document is not `{"rules": [...], "schedules": [...]}` of the expected shape.
    #[error("schedules: {0}")]
    InvalidSchedules(String),
    /// An event of the events array is not usable; holds its 0-based index.
    #[error("event {index}: {problem}")]
    InvalidEvent {
        /// 0-based index in the events array.
        index: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// The audit window is empty or reversed.
    #[error("window: {0}")]
    InvalidWindow(String),
}

impl Error {
    /// The stable name of the error (treat as API).
    pub fn error_type(&self) -> &'static str {
        match self {
            Error::InvalidExpression { .. } => "EcsRerunAudit.InvalidExpression",
            Error::InvalidTimeZone(_) => "EcsRerunAudit.InvalidTimeZone",
            Error::InvalidSchedules(_) => "EcsRerunAudit.InvalidSchedules",
            Error::InvalidEvent { .. } => "EcsRerunAudit.InvalidEvent",
            Error::InvalidWindow(_) => "EcsRerunAudit.InvalidWindow",
        }
    }

    pub(crate) fn expr(expression: &str, problem: impl Into<String>) -> Error {
        Error::InvalidExpression {
            expression: expression.to_string(),
            problem: problem.into(),
        }
    }
}
