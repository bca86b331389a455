//! `ecs-rerun plan`: print the re-run plan for a CloudTrail RunTask event.

use crate::common::{PlanFlags, print_json};

/// Arguments of `plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    flags: PlanFlags,
}

/// Prints the plan as JSON (CONTRACT §4).
pub fn run(args: Args) -> anyhow::Result<()> {
    let plan = args.flags.plan()?;
    print_json(&plan)
}
