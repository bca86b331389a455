//! `ecs-rerun-notifier`: SQS-triggered Lambda. Each record is an SNS notification (envelope or
//! raw); it is rendered as Slack Block Kit and posted to the incoming webhook (from
//! `SLACK_WEBHOOK_URL`, or read once from the Secrets Manager secret `SLACK_WEBHOOK_SECRET_ARN`).

mod adapters;
mod aws;
#[cfg(test)]
mod burst;
mod config;
mod error;
mod handler;
mod ports;
mod sns;
#[cfg(test)]
mod test_sink;

use std::process::ExitCode;

use crate::adapters::SlackWebhook;
use crate::aws::{SqsQueue, read_webhook_secret};
use crate::config::{Config, WebhookSource};
use crate::error::Error;
use crate::handler::Handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    ecs_rerun_lambda::run(async {
        let config = Config::from_env()?;
        let sdk = ecs_rerun_lambda::sdk_config().await;
        let url = match config.webhook {
            WebhookSource::Url(url) => url,
            // once per cold start: the URL then lives in this process only
            WebhookSource::Secret(id) => {
                read_webhook_secret(&aws_sdk_secretsmanager::Client::new(&sdk), &id).await?
            }
        };
        let webhook = SlackWebhook::new(url, config.timeout)?;
        let queue = SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), config.dlq_url);
        Ok::<_, Error>(Handler::new(webhook, queue, config.timeout).with_backoff(config.backoff))
    })
    .await
}
