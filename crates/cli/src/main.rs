//! `ecs-rerun`: the command line of ecs-rerun.
//!
//! Each subcommand lives in its own module with an `Args` struct and a `run` function; adding one
//! is a new module, a variant in [`Command`] and an arm in [`Command::run`].

mod audit;
mod common;
mod doctor;
mod package;
mod plan;
mod preview;
mod quick_create;
mod redrive;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Re-run ECS tasks that failed to launch, and tell Slack.
#[derive(Debug, Parser)]
#[command(name = "ecs-rerun", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Print the re-run plan (the state machine's input) for a CloudTrail RunTask event.
    Plan(plan::Args),
    /// Print the Slack webhook payload of the first notification for a CloudTrail RunTask event.
    Preview(preview::Args),
    /// Upload the Lambda zips, the state machine and a deployable template to S3; print the
    /// CloudFormation quick-create link.
    Package(package::Args),
    /// Print the CloudFormation quick-create link for an already published template.
    QuickCreateUrl(quick_create::Args),
    /// Check that a deployed stack can really do its job (trail, rule, dead-letter queues,
    /// definition, the re-run request through Step Functions' TestState).
    Doctor(doctor::Args),
    /// For every run each ECS schedule should have made in a window, say what happened.
    Audit(audit::Args),
    /// Move dead-lettered messages back to their queue (SQS StartMessageMoveTask), with progress.
    Redrive(redrive::Args),
}

impl Command {
    fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Plan(args) => plan::run(args),
            Command::Preview(args) => preview::run(args),
            Command::Package(args) => package::run(args),
            Command::QuickCreateUrl(args) => quick_create::run(args),
            Command::Doctor(args) => doctor::run(args),
            Command::Redrive(args) => redrive::run(args),
            Command::Audit(args) => audit::run(args),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ecs-rerun: error: {}", common::one_line(&err));
            ExitCode::from(common::exit_code(&err))
        }
    }
}
