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

use crate::adapters::SlackWebhook;
use crate::config::Config;
use crate::error::Error;
use crate::handler::Handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    ecs_rerun_lambda::run(async {
        let config = Config::from_env()?;
        let webhook = SlackWebhook::new(config.webhook_url, config.timeout)?;
        Ok::<_, Error>(Handler::new(webhook, config.timeout))
    })
    .await
}
