//! `ecs-rerun-notifier`: SQS-triggered Lambda. Each record is an SNS notification (envelope or
//! raw); it is rendered as Slack Block Kit and posted to the incoming webhook.

mod adapters;
mod config;
mod error;
mod handler;
mod ports;
mod sns;
#[cfg(test)]
mod test_sink;

use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use tracing::error;

use crate::adapters::SlackWebhook;
use crate::config::Config;
use crate::handler::Handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    ecs_rerun_lambda::init_logging();
    let webhook = Config::from_env().and_then(|config| {
        let timeout = config.timeout;
        SlackWebhook::new(config.webhook_url, timeout).map(|w| (w, timeout))
    });
    let (webhook, timeout) = match webhook {
        Ok(ok) => ok,
        Err(err) => {
            error!(error_type = err.error_type(), error = %err, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    let handler = Handler::new(webhook, timeout);
    let handler = &handler;
    let run = lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        let remaining = event
            .context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        let deadline = Instant::now() + remaining;
        Ok::<_, lambda_runtime::Error>(handler.handle(event.payload, deadline).await)
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
