//! `ecs-rerun preview`: print the Slack webhook payload of the event's first notification.

use ecs_rerun_core::slack::render_sns;

use crate::common::{PlanFlags, print_json};

/// Arguments of `preview`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    flags: PlanFlags,
}

/// Prints `{text, blocks}` as the notifier would post it for the plan's first notice.
pub fn run(args: Args) -> anyhow::Result<()> {
    let plan = args.flags.plan()?;
    // Render exactly what the notifier renders: the notice as it travels through SNS.
    let message = render_sns(None, &plan.notice.to_json());
    print_json(&message)
}
