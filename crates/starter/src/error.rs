//! The starter's one error type. Each variant has a stable name ([`Error::error_type`]) that shows
//! in CloudWatch: treat the names as API.

/// Everything that can go wrong in the starter, at start-up (configuration) or per SQS record.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// From the shell (`ecs-rerun-lambda`): an environment variable missing or invalid (`config.rs`
    /// reads through its `Env`), or a record not started for lack of time. Named with this
    /// Lambda's prefix: `EcsRerunStarter.MissingEnv`, `.InvalidEnv`, `.OutOfTime`.
    #[error(transparent)]
    Shell(#[from] ecs_rerun_lambda::Error),
    /// The SQS record has no body.
    #[error("SQS record has no body")]
    EmptyBody,
    /// From the core: the record body is not a CloudTrail RunTask EventBridge event (it can
    /// never succeed), or the plan configuration is out of range.
    #[error(transparent)]
    Core(#[from] ecs_rerun_core::Error),
    /// Step Functions throttled `StartExecution`; SQS redelivers the record later.
    #[error("StartExecution throttled ({code}): {message}")]
    Throttled {
        /// The service's error code, e.g. `ThrottlingException`.
        code: String,
        /// The service's message.
        message: String,
    },
    /// Step Functions answered `StartExecution` with an error other than throttling or
    /// `ExecutionAlreadyExists` (e.g. `StateMachineDoesNotExist`, `InvalidArn`).
    #[error("StartExecution rejected ({code}): {message}")]
    StartExecutionRejected {
        /// The service's error code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// `StartExecution` got no usable answer (connection, timeout, unparseable response).
    #[error("StartExecution failed without a service answer: {0}")]
    StartExecutionUnavailable(String),
}

impl Error {
    /// Stable error-type name, e.g. `EcsRerunStarter.Throttled`; core errors keep their own
    /// (`EcsRerun.NotRunTask`, …).
    pub fn error_type(&self) -> &'static str {
        use ecs_rerun_lambda::Error as Shell;
        match self {
            Error::Shell(Shell::MissingEnv { .. }) => "EcsRerunStarter.MissingEnv",
            Error::Shell(Shell::InvalidEnv { .. }) => "EcsRerunStarter.InvalidEnv",
            Error::Shell(Shell::OutOfTime { .. }) => "EcsRerunStarter.OutOfTime",
            Error::EmptyBody => "EcsRerunStarter.EmptyBody",
            Error::Core(e) => e.error_type(),
            Error::Throttled { .. } => "EcsRerunStarter.Throttled",
            Error::StartExecutionRejected { .. } => "EcsRerunStarter.StartExecutionRejected",
            Error::StartExecutionUnavailable(_) => "EcsRerunStarter.StartExecutionUnavailable",
        }
    }
}

impl ecs_rerun_lambda::ErrorType for Error {
    fn error_type(&self) -> &'static str {
        Error::error_type(self)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn error_types_are_stable_and_messages_one_line() {
        let cases = [
            (
                Error::Shell(ecs_rerun_lambda::Error::MissingEnv {
                    name: "STATE_MACHINE_ARN",
                }),
                "EcsRerunStarter.MissingEnv",
                "missing environment variable STATE_MACHINE_ARN",
            ),
            (
                Error::Shell(ecs_rerun_lambda::Error::invalid(
                    "MAX_ATTEMPTS",
                    "0",
                    "must be an integer from 1 to 10",
                )),
                "EcsRerunStarter.InvalidEnv",
                "invalid environment variable MAX_ATTEMPTS=\"0\": must be an integer from 1 to 10",
            ),
            (
                Error::Shell(ecs_rerun_lambda::Error::OutOfTime {
                    remaining: Duration::from_millis(4000),
                    needed: Duration::from_millis(5500),
                }),
                "EcsRerunStarter.OutOfTime",
                "not started: 4000 ms left of the invocation, a record may need 5500 ms",
            ),
            (
                Error::EmptyBody,
                "EcsRerunStarter.EmptyBody",
                "SQS record has no body",
            ),
            (
                Error::Core(ecs_rerun_core::Error::NotRunTask(
                    "eventName is StopTask".into(),
                )),
                "EcsRerun.NotRunTask",
                "not a CloudTrail RunTask event: eventName is StopTask",
            ),
            (
                Error::Throttled {
                    code: "ThrottlingException".into(),
                    message: "Rate exceeded".into(),
                },
                "EcsRerunStarter.Throttled",
                "StartExecution throttled (ThrottlingException): Rate exceeded",
            ),
            (
                Error::StartExecutionRejected {
                    code: "StateMachineDoesNotExist".into(),
                    message: "State Machine Does Not Exist".into(),
                },
                "EcsRerunStarter.StartExecutionRejected",
                "StartExecution rejected (StateMachineDoesNotExist): State Machine Does Not Exist",
            ),
            (
                Error::StartExecutionUnavailable("dispatch failure".into()),
                "EcsRerunStarter.StartExecutionUnavailable",
                "StartExecution failed without a service answer: dispatch failure",
            ),
        ];
        for (err, want_type, want_msg) in cases {
            assert_eq!(err.error_type(), want_type);
            assert_eq!(err.to_string(), want_msg);
        }
    }
}
