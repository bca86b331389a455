//! `ecs-rerun-starter`: SQS-triggered Lambda. Each record is an EventBridge CloudTrail RunTask
//! event; it becomes a re-run plan and one Step Functions execution (idempotent by name).

mod adapters;
mod config;
mod error;
mod handler;
mod ports;

use std::process::ExitCode;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use tracing::error;

use crate::adapters::SfnExecutions;
use crate::config::Config;
use crate::handler::Handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    ecs_rerun_lambda::init_logging();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            error!(error_type = err.error_type(), error = %err, "invalid configuration");
            return ExitCode::FAILURE;
        }
    };
    let handler = Handler::new(config, SfnExecutions::new(adapters::sfn_client().await));
    let handler = &handler;
    let run = lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(handler.handle(event.payload).await)
    }))
    .await;
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            error!(error = %err, "Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
