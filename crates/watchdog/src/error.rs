//! The watchdog crate's one error type (both Lambdas). Each variant has a stable name
//! ([`Error::error_type`]) that shows in CloudWatch: treat the names as API.

/// Everything that can go wrong in the recorder or the watchdog.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// From the shell (`ecs-rerun-lambda`): an environment variable missing or invalid, or a
    /// record not started for lack of time.
    #[error(transparent)]
    Shell(#[from] ecs_rerun_lambda::Error),
    /// The SQS record has no body.
    #[error("SQS record has no body")]
    EmptyBody,
    /// A recorded event is neither an `ECS Task State Change` nor a CloudTrail RunTask event, or
    /// lacks what a fact needs.
    #[error("not a fact: {0}")]
    NotAFact(String),
    /// The invocation event is not an EventBridge scheduled event with a `time`.
    #[error("invocation: {0}")]
    InvalidInvocation(String),
    /// The account's schedules or events could not be read by the audit core.
    #[error(transparent)]
    Audit(#[from] ecs_rerun_audit::Error),
    /// Reading the account (EventBridge, Scheduler, CloudTrail) failed.
    #[error(transparent)]
    Reads(#[from] ecs_rerun_reads::Error),
    /// An AWS call failed (DynamoDB, CloudWatch, SNS, SQS, Step Functions): one line naming it.
    #[error("{call}: {message}")]
    Aws {
        /// The operation, e.g. `Query`.
        call: &'static str,
        /// What the SDK said.
        message: String,
    },
}

impl Error {
    /// Stable error-type name, e.g. `EcsRerunWatchdog.Aws`.
    pub fn error_type(&self) -> &'static str {
        use ecs_rerun_lambda::Error as Shell;
        match self {
            Error::Shell(Shell::MissingEnv { .. }) => "EcsRerunWatchdog.MissingEnv",
            Error::Shell(Shell::InvalidEnv { .. }) => "EcsRerunWatchdog.InvalidEnv",
            Error::Shell(Shell::OutOfTime { .. }) => "EcsRerunWatchdog.OutOfTime",
            Error::EmptyBody => "EcsRerunWatchdog.EmptyBody",
            Error::NotAFact(_) => "EcsRerunWatchdog.NotAFact",
            Error::InvalidInvocation(_) => "EcsRerunWatchdog.InvalidInvocation",
            Error::Audit(e) => e.error_type(),
            Error::Reads(e) => e.error_type(),
            Error::Aws { .. } => "EcsRerunWatchdog.Aws",
        }
    }

    /// An SDK error as one line naming the call.
    pub fn aws<E: std::error::Error + Send + Sync + 'static>(call: &'static str, e: E) -> Error {
        let message = aws_smithy_types::error::display::DisplayErrorContext(e).to_string();
        Error::Aws {
            call,
            message: message.split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }
}

impl ecs_rerun_lambda::ErrorType for Error {
    fn error_type(&self) -> &'static str {
        Error::error_type(self)
    }
}
