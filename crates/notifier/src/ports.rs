//! The capabilities the notifier needs from the outside world: Slack and its own SQS queues.

use std::time::Duration;

use aws_lambda_events::sqs::SqsMessage;
use ecs_rerun_core::slack::SlackMessage;

use crate::error::Error;

/// Posts a rendered message to Slack.
pub trait Webhook {
    /// Posts `message` once (no retry here: the handler decides, it knows the time budget).
    async fn post(&self, message: &SlackMessage) -> Result<(), Error>;

    /// Posts `text` alone (no blocks): the fallback when Slack refuses the blocks.
    async fn post_text(&self, text: &str) -> Result<(), Error>;
}

/// The notifier's SQS queues: its dead-letter queue and the visibility of a received record.
pub trait Queue {
    /// Sends `record`'s body to the dead-letter queue, tagged with `error`'s type; `Ok(false)`
    /// when no DLQ is configured (the queue's redrive policy then moves it, after retries).
    async fn dead_letter(&self, record: &SqsMessage, error: &Error) -> Result<bool, Error>;

    /// Makes `record` visible again only after `delay` (SQS ChangeMessageVisibility).
    async fn delay(&self, record: &SqsMessage, delay: Duration) -> Result<(), Error>;
}
