//! `ecs-rerun-recorder`: SQS-triggered Lambda; each record, an EventBridge event, becomes one
//! fact in the facts table (docs/CONTRACT.md §10).

use std::process::ExitCode;

use ecs_rerun_watchdog::Error;
use ecs_rerun_watchdog::adapters::DynamoFacts;
use ecs_rerun_watchdog::config::RecorderConfig;
use ecs_rerun_watchdog::recorder::Recorder;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    ecs_rerun_lambda::run(async {
        let config = RecorderConfig::from_env()?;
        let sdk = ecs_rerun_lambda::sdk_config().await;
        let store = DynamoFacts::new(aws_sdk_dynamodb::Client::new(&sdk), config.table.clone());
        Ok::<_, Error>(Recorder::new(config, store))
    })
    .await
}
