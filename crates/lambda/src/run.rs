//! [`run`]: the tail of both Lambdas' `main`.

use std::future::Future;
use std::process::ExitCode;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use tracing::error;

use crate::batch::{RecordHandler, run_batch};
use crate::deadline::Deadline;
use crate::error::ErrorType;
use crate::logging::init_logging;

/// Initialises logging, then awaits `init` (configuration read once, clients built once: the
/// handler), then serves SQS batches with [`run_batch`] until the runtime stops. A start-up error
/// is logged once with its stable type and ends the process with a failure, as does a runtime
/// error; `init` runs after logging is set up, so its own logs are kept.
pub async fn run<H, E>(init: impl Future<Output = Result<H, E>>) -> ExitCode
where
    H: RecordHandler,
    E: ErrorType,
{
    let Some(handler) = start(init).await else {
        return ExitCode::FAILURE;
    };
    let handler = &handler;
    let run = lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        let deadline = Deadline::from_context(&event.context);
        Ok::<_, lambda_runtime::Error>(run_batch(handler, event.payload, deadline).await)
    }))
    .await;
    exit(run)
}

/// Logging, then the handler (a start-up error logged once with its stable type: `None`).
async fn start<H, E: ErrorType>(init: impl Future<Output = Result<H, E>>) -> Option<H> {
    init_logging();
    match init.await {
        Ok(handler) => Some(handler),
        Err(err) => {
            error!(error_type = err.error_type(), error = %err, "cannot start");
            None
        }
    }
}

/// The exit code of the runtime's end (an error logged).
fn exit(run: Result<(), lambda_runtime::Error>) -> ExitCode {
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            error!(error = %err, "Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}

/// What a Lambda invoked with one JSON event (a scheduled event, not an SQS batch) does with it.
pub trait EventHandler {
    /// The Lambda's error.
    type Error: ErrorType + std::fmt::Display;

    /// Handles the event; the answer is the invocation's result.
    fn handle(
        &self,
        event: serde_json::Value,
        deadline: Deadline,
    ) -> impl Future<Output = Result<serde_json::Value, Self::Error>>;
}

/// [`run`] for an [`EventHandler`]: a failed event is logged once with its stable type and fails
/// the invocation (Lambda retries an asynchronous invocation, then its on-failure destination).
pub async fn run_event<H, E>(init: impl Future<Output = Result<H, E>>) -> ExitCode
where
    H: EventHandler,
    E: ErrorType,
{
    let Some(handler) = start(init).await else {
        return ExitCode::FAILURE;
    };
    let handler = &handler;
    let run = lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            let deadline = Deadline::from_context(&event.context);
            handler.handle(event.payload, deadline).await.map_err(|e| {
                error!(error_type = e.error_type(), error = %e, "invocation failed");
                lambda_runtime::Error::from(format!("{}: {e}", e.error_type()))
            })
        },
    ))
    .await;
    exit(run)
}
