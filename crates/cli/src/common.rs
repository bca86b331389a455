//! What the subcommands share: the plan flags, reading the input, error → exit code.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use ecs_rerun_core::event::RunTaskEvent;
use ecs_rerun_core::plan::config::{
    DEFAULT_BACKOFF_RATE, DEFAULT_INTERVAL_SECONDS, DEFAULT_MAX_ATTEMPTS,
    DEFAULT_OTHER_STATE_MACHINES, DEFAULT_RETRYABLE_REASONS, DEFAULT_TARGET_CLUSTERS,
    INTERVAL_SECONDS_RANGE, MAX_ATTEMPTS_RANGE, MIN_BACKOFF_RATE, parse_list,
};
use ecs_rerun_core::plan::{
    MAX_EXECUTION_SECONDS, OtherStateMachines, Plan, PlanConfig, build_plan,
};

/// Exit code for malformed input or configuration.
pub const EXIT_INPUT: u8 = 2;
/// Exit code for anything else (e.g. stdout closed).
pub const EXIT_OTHER: u8 = 1;

/// The input was unusable (unreadable, not a RunTask event, bad flag value).
#[derive(Debug)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// The template parameters whose waits must fit one Standard execution.
const WAIT_PARAMETERS: [&str; 3] = ["MaxAttempts", "RetryIntervalSeconds", "BackoffRate"];

/// Refuses `--param` values for a stack whose re-run waits could not fit one Standard execution
/// (CloudFormation's `Rules` cannot compute this; the starter would refuse it at its first start).
/// A parameter not given takes the template's default, the same as the starter's.
pub fn check_wait_params(params: &[(String, String)]) -> anyhow::Result<()> {
    let given = |name: &str| {
        params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let defaults = PlanConfig::default();
    let bad = |name: &str, v: &str| InputError(format!("--param {name}={v}: not a number"));
    let config = PlanConfig {
        max_attempts: match given(WAIT_PARAMETERS[0]) {
            Some(v) => v.parse().map_err(|_| bad(WAIT_PARAMETERS[0], v))?,
            None => defaults.max_attempts,
        },
        interval_seconds: match given(WAIT_PARAMETERS[1]) {
            Some(v) => v.parse().map_err(|_| bad(WAIT_PARAMETERS[1], v))?,
            None => defaults.interval_seconds,
        },
        backoff_rate: match given(WAIT_PARAMETERS[2]) {
            Some(v) => v.parse().map_err(|_| bad(WAIT_PARAMETERS[2], v))?,
            None => defaults.backoff_rate,
        },
        ..defaults
    };
    let longest = config.longest_execution_seconds();
    if longest > MAX_EXECUTION_SECONDS {
        return Err(InputError(format!(
            "{}={}, {}={}, {}={}: the re-run waits add up to {longest} s with the retries' allowance, more than the {MAX_EXECUTION_SECONDS} s (one year) a Standard execution may run; lower one of them",
            WAIT_PARAMETERS[0],
            config.max_attempts,
            WAIT_PARAMETERS[1],
            config.interval_seconds,
            WAIT_PARAMETERS[2],
            config.backoff_rate
        ))
        .into());
    }
    Ok(())
}

/// Flags that shape the plan (defaults and ranges = the core's, which the starter and the
/// template share, CONTRACT §7).
#[derive(Debug, Clone, clap::Args)]
pub struct PlanFlags {
    /// Comma list of failure reasons to re-run (exact match).
    #[arg(long, value_name = "LIST", default_value = DEFAULT_RETRYABLE_REASONS)]
    pub retryable_reasons: String,
    /// Re-runs at most (the range is in the help).
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_MAX_ATTEMPTS,
        help = format!(
            "Re-runs at most ({}-{})",
            MAX_ATTEMPTS_RANGE.start(),
            MAX_ATTEMPTS_RANGE.end()
        )
    )]
    pub max_attempts: u32,
    /// Seconds before the first re-run (the range is in the help).
    #[arg(
        long,
        value_name = "S",
        default_value_t = DEFAULT_INTERVAL_SECONDS,
        help = format!(
            "Seconds before the first re-run ({}-{})",
            INTERVAL_SECONDS_RANGE.start(),
            INTERVAL_SECONDS_RANGE.end()
        )
    )]
    pub interval_seconds: u32,
    /// Each further wait is multiplied by this (the minimum is in the help).
    #[arg(
        long,
        value_name = "R",
        default_value_t = DEFAULT_BACKOFF_RATE,
        help = format!("Each further wait is multiplied by this (>= {MIN_BACKOFF_RATE})")
    )]
    pub backoff_rate: f64,
    /// Comma list of cluster names to re-run on (`*` = all).
    #[arg(long, value_name = "LIST", default_value = DEFAULT_TARGET_CLUSTERS)]
    pub target_clusters: String,
    /// State machine ARN [default: arn:PARTITION:states:REGION:ACCOUNT:stateMachine:ecs-rerun].
    #[arg(long, value_name = "ARN")]
    pub state_machine_arn: Option<String>,
    /// The state machine's IAM role: a RunTask made by this role is never re-run (loop guard).
    #[arg(long, value_name = "ARN")]
    pub state_machine_role_arn: Option<String>,
    /// Launch failures of request-response RunTask calls by other state machines: notify or rerun.
    #[arg(
        long,
        value_name = "POLICY",
        default_value = DEFAULT_OTHER_STATE_MACHINES.as_str(),
        value_parser = OtherStateMachines::ALL.map(OtherStateMachines::as_str)
    )]
    pub other_state_machines: String,
    /// The EventBridge event (JSON file), or `-` for stdin.
    #[arg(value_name = "FILE|-")]
    pub input: PathBuf,
}

impl PlanFlags {
    /// The validated [`PlanConfig`].
    pub fn config(&self) -> anyhow::Result<PlanConfig> {
        let list = |flag: &str, value: &str| {
            parse_list(value).map_err(|e| InputError(format!("{flag}: {e} [{}]", e.error_type())))
        };
        let config = PlanConfig {
            retryable_reasons: list("--retryable-reasons", &self.retryable_reasons)?,
            max_attempts: self.max_attempts,
            interval_seconds: self.interval_seconds,
            backoff_rate: self.backoff_rate,
            target_clusters: list("--target-clusters", &self.target_clusters)?,
            state_machine_arn: self.state_machine_arn.clone(),
            state_machine_role_arn: self.state_machine_role_arn.clone(),
            other_state_machines: OtherStateMachines::parse(&self.other_state_machines)
                .unwrap_or_default(),
        };
        config
            .validate()
            .map_err(|e| InputError(format!("{e} [{}]", e.error_type())))?;
        Ok(config)
    }

    /// Reads and parses the input, and builds its plan.
    pub fn plan(&self) -> anyhow::Result<Plan> {
        let config = self.config()?;
        let name = self.input.display().to_string();
        let text = read_input(&self.input)?;
        let event = RunTaskEvent::from_json(&text)
            .map_err(|e| InputError(format!("{name}: {e} [{}]", e.error_type())))?;
        Ok(build_plan(&event, &config))
    }
}

/// Reads a file, or stdin for `-`.
pub fn read_input(path: &PathBuf) -> anyhow::Result<String> {
    let name = path.display().to_string();
    let mut text = String::new();
    let read = if name == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| InputError(format!("{name}: cannot read: {e}")))?;
    if text.trim().is_empty() {
        return Err(InputError(format!(
            "{name}: empty input, expected an EventBridge event (JSON)"
        ))
        .into());
    }
    Ok(text)
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).context("cannot write JSON to stdout")?;
    writeln!(out).context("cannot write to stdout")?;
    Ok(())
}

/// The error chain on one line.
pub fn one_line(err: &anyhow::Error) -> String {
    format!("{err:#}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// 2 for malformed input/configuration, 1 otherwise.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|e| e.is::<InputError>()) {
        EXIT_INPUT
    } else {
        EXIT_OTHER
    }
}

/// Parses one subcommand's flags as the command line would (tests of the subcommand modules).
#[cfg(test)]
pub fn try_parse_args<A: clap::Args + clap::FromArgMatches>(
    argv: &[&str],
) -> Result<A, clap::Error> {
    let command = A::augment_args(clap::Command::new("ecs-rerun"));
    let matches =
        command.try_get_matches_from(std::iter::once("ecs-rerun").chain(argv.iter().copied()))?;
    A::from_arg_matches(&matches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_cores_and_an_empty_list_item_is_exit_2_on_one_line() {
        let flags: PlanFlags = try_parse_args(&["event.json"]).expect("parses");
        assert_eq!(flags.config().expect("valid"), PlanConfig::default());
        for (flag, value) in [
            ("--retryable-reasons", "AGENT,,X"),
            ("--retryable-reasons", ""),
            ("--target-clusters", "prod,"),
        ] {
            let flags: PlanFlags = try_parse_args(&[flag, value, "event.json"]).expect("parses");
            let err = flags.config().expect_err("an empty item");
            assert_eq!(exit_code(&err), EXIT_INPUT, "{flag} {value:?}");
            let line = one_line(&err);
            assert_eq!(line, format!("{err:#}"), "one line");
            assert!(
                line.starts_with(&format!("{flag}: comma list {value:?} has an empty item"))
                    && line.ends_with("[EcsRerun.EmptyListItem]"),
                "{line}"
            );
        }
        let flags: PlanFlags =
            try_parse_args(&["--target-clusters", " prod , batch ", "event.json"]).expect("parses");
        assert_eq!(
            flags.config().expect("valid").target_clusters,
            ["prod", "batch"]
        );
    }
}
