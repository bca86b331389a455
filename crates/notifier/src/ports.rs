//! The one capability the notifier needs from the outside world.

use ecs_rerun_core::slack::SlackMessage;

use crate::error::Error;

/// Posts a rendered message to Slack.
pub trait Webhook {
    /// Posts `message` once (no retry here: the handler decides, it knows the time budget).
    async fn post(&self, message: &SlackMessage) -> Result<(), Error>;
}
