//! `ecs-rerun-starter`: SQS-triggered Lambda. Each record is an EventBridge CloudTrail RunTask
//! event; it becomes a re-run plan and one Step Functions execution (idempotent by name).

mod adapters;
mod config;
mod error;
mod handler;
mod ports;

use std::process::ExitCode;

use crate::adapters::SfnExecutions;
use crate::config::Config;
use crate::error::Error;
use crate::handler::Handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    ecs_rerun_lambda::run(async {
        let config = Config::from_env()?;
        let executions = SfnExecutions::new(adapters::sfn_client().await);
        Ok::<_, Error>(Handler::new(config, executions))
    })
    .await
}
