//! `ecs-rerun doctor`: check that a deployed stack can really do its job.
//!
//! Five checks, in the order the pipeline runs (each module has one, tested with
//! `aws-smithy-mocks`):
//!
//! | check | module | calls |
//! |---|---|---|
//! | `trail` | [`trail`] | CloudTrail DescribeTrails, GetTrailStatus, GetEventSelectors |
//! | `rule` | [`rule`] | EventBridge DescribeRule, ListTargetsByRule; SQS GetQueueAttributes |
//! | `dead-letter queues` | [`queues`] | SQS GetQueueAttributes |
//! | `definition` | [`definition`] | Step Functions ValidateStateMachineDefinition |
//! | `rerun request` | [`rerun`] | Step Functions TestState (mocked RunTask, inspection level DEBUG) |
//!
//! The stack's resources and parameters come from CloudFormation DescribeStacks and
//! DescribeStackResources ([`stack`]), the state machine from DescribeStateMachine. Exit code 0
//! when every check passes, 1 when one fails, 2 for bad input (an unreadable `--event` file, a
//! stack that does not exist).

pub mod aws;
pub mod definition;
pub mod queues;
pub mod report;
pub mod rerun;
pub mod rule;
pub mod stack;
pub mod trail;

use std::io::IsTerminal;
use std::path::PathBuf;

use ecs_rerun_core::event::RunTaskEvent;

use crate::common::{InputError, read_input};
use report::{Check, Output};

/// The event the rerun-request check plans for when `--event` is not given.
pub const DEFAULT_EVENT: &str =
    include_str!("../../../../tests/fixtures/events/cloudtrail_runtask_agent.json");
/// Where [`DEFAULT_EVENT`] comes from (shown in the check's detail).
pub const DEFAULT_EVENT_NAME: &str = "tests/fixtures/events/cloudtrail_runtask_agent.json";

/// Check that a deployed ecs-rerun stack can really do its job.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Args {
    /// Name (or id) of the deployed CloudFormation stack
    #[arg(long, value_name = "NAME")]
    pub stack_name: String,
    #[command(flatten)]
    pub aws: aws::AwsArgs,
    /// Report format on stdout: text (one line per check) or json (an array)
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Output::Text)]
    pub output: Output,
    /// CloudTrail RunTask event (EventBridge JSON) the rerun-request check plans for
    /// [default: the AGENT fixture built in]
    #[arg(long, value_name = "FILE")]
    pub event: Option<PathBuf>,
}

/// The event to plan for: `--event FILE`, or the built-in fixture. Read and parsed before any AWS
/// call, so a bad file is exit 2 with one line.
pub fn load_event(path: Option<&PathBuf>) -> anyhow::Result<(String, RunTaskEvent)> {
    let (name, text) = match path {
        Some(path) => (path.display().to_string(), read_input(path)?),
        None => (DEFAULT_EVENT_NAME.to_string(), DEFAULT_EVENT.to_string()),
    };
    let event = RunTaskEvent::from_json(&text)
        .map_err(|e| InputError(format!("{name}: {e} [{}]", e.error_type())))?;
    Ok((name, event))
}

/// Prints one line per check as it starts, on stderr, when stderr is a terminal (never on stdout,
/// so `--output json` stays parseable).
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// Progress on a terminal only.
    pub fn for_stderr() -> Self {
        Progress {
            enabled: std::io::stderr().is_terminal(),
        }
    }

    /// A check starts.
    pub fn start(&self, name: &str) {
        if self.enabled {
            eprintln!("… {name}");
        }
    }
}

/// Runs every check against the stack; the report goes to stdout.
pub fn run(args: Args) -> anyhow::Result<()> {
    let event = load_event(args.event.as_ref())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let checks = runtime.block_on(run_checks(&args, event, &Progress::for_stderr()))?;
    report::print(&checks, args.output)?;
    let failed = checks.iter().filter(|c| !c.ok).count();
    if failed > 0 {
        anyhow::bail!("{failed} of {} checks failed", checks.len());
    }
    Ok(())
}

/// Resolves the stack, then runs the five checks in order.
pub async fn run_checks(
    args: &Args,
    (event_name, event): (String, RunTaskEvent),
    progress: &Progress,
) -> anyhow::Result<Vec<Check>> {
    let sdk = args.aws.sdk_config().await?;
    let clients = aws::Clients::new(&sdk);
    let stack = stack::resolve(&clients.cloudformation, &args.stack_name).await?;

    let mut checks = Vec::with_capacity(5);
    progress.start(trail::NAME);
    checks.push(trail::check(&clients.cloudtrail, &stack.region).await);
    progress.start(rule::NAME);
    checks.push(rule::check(&clients.events, &clients.sqs, &stack).await);
    progress.start(queues::NAME);
    checks.push(queues::check(&clients.sqs, &stack).await);

    let state_machine = stack::describe_state_machine(&clients.sfn, &stack).await;
    progress.start(definition::NAME);
    checks.push(match &state_machine {
        Ok(sm) => definition::check(&clients.sfn, sm).await,
        Err(failure) => failure.as_check(definition::NAME),
    });
    progress.start(rerun::NAME);
    checks.push(match &state_machine {
        Ok(sm) => {
            let target = rerun::Target::of(&stack, sm);
            rerun::check(&clients.sfn, &target, &event_name, &event).await
        }
        Err(failure) => failure.as_check(rerun::NAME),
    });
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::try_parse_args;

    #[test]
    fn parses_flags() {
        let args: Args = try_parse_args(&[
            "--stack-name",
            "ecs-rerun",
            "--region",
            "eu-west-1",
            "--profile",
            "ops",
            "--endpoint-url",
            "http://127.0.0.1:4566",
            "--output",
            "json",
            "--event",
            "e.json",
        ])
        .expect("parses");
        assert_eq!(args.stack_name, "ecs-rerun");
        assert_eq!(args.aws.region.as_deref(), Some("eu-west-1"));
        assert_eq!(args.aws.profile.as_deref(), Some("ops"));
        assert_eq!(
            args.aws.endpoint_url.as_deref(),
            Some("http://127.0.0.1:4566")
        );
        assert_eq!(args.output, Output::Json);
        assert_eq!(args.event, Some(PathBuf::from("e.json")));

        let args: Args = try_parse_args(&["--stack-name", "s"]).expect("defaults");
        assert_eq!(args.output, Output::Text);
        assert!(
            args.aws.region.is_none() && args.aws.endpoint_url.is_none() && args.event.is_none()
        );
        assert!(
            try_parse_args::<Args>(&[]).is_err(),
            "--stack-name is required"
        );
        assert!(try_parse_args::<Args>(&["--stack-name", "s", "--output", "yaml"]).is_err());
    }

    #[test]
    fn the_built_in_event_parses_and_a_bad_file_is_an_input_error() {
        let (name, event) = load_event(None).expect("built-in fixture");
        assert_eq!(name, DEFAULT_EVENT_NAME);
        assert_eq!(event.event_id(), "6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b");

        let err = load_event(Some(&PathBuf::from("/nonexistent/event.json"))).expect_err("missing");
        assert_eq!(crate::common::exit_code(&err), crate::common::EXIT_INPUT);
        assert!(
            err.to_string()
                .starts_with("/nonexistent/event.json: cannot read"),
            "{err}"
        );
    }
}
