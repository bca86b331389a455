//! Configuration, read once from the environment (docs/CONTRACT.md §7). Invalid values fail the
//! start-up with an error naming the variable.

use ecs_rerun_core::plan::config::{
    INTERVAL_SECONDS_RANGE, MAX_ATTEMPTS_RANGE, MIN_BACKOFF_RATE, backoff_rate_ok, parse_list,
};
use ecs_rerun_core::plan::{MAX_EXECUTION_SECONDS, OtherStateMachines, PlanConfig};
use ecs_rerun_lambda::Env;

use crate::error::Error;

/// `STATE_MACHINE_ARN`: the re-run state machine (may carry a `#TestCase` suffix locally).
pub const STATE_MACHINE_ARN: &str = "STATE_MACHINE_ARN";
/// `RETRYABLE_REASONS`: comma list of RunTask failure reasons worth a re-run (exact match).
pub const RETRYABLE_REASONS: &str = "RETRYABLE_REASONS";
/// `MAX_ATTEMPTS`: re-runs at most ([`MAX_ATTEMPTS_RANGE`]).
pub const MAX_ATTEMPTS: &str = "MAX_ATTEMPTS";
/// `RETRY_INTERVAL_SECONDS`: wait before the first re-run ([`INTERVAL_SECONDS_RANGE`]).
pub const RETRY_INTERVAL_SECONDS: &str = "RETRY_INTERVAL_SECONDS";
/// `BACKOFF_RATE`: multiplier of the wait between re-runs (≥ [`MIN_BACKOFF_RATE`]).
pub const BACKOFF_RATE: &str = "BACKOFF_RATE";
/// `TARGET_CLUSTERS`: comma list of cluster names whose failures are re-run; `*` = all.
pub const TARGET_CLUSTERS: &str = "TARGET_CLUSTERS";
/// `STATE_MACHINE_ROLE_ARN`: the state machine's IAM role (loop guard on the CloudTrail caller).
pub const STATE_MACHINE_ROLE_ARN: &str = "STATE_MACHINE_ROLE_ARN";
/// `OTHER_STATE_MACHINES`: `notify` (default) or `rerun` launch failures of request-response
/// RunTask calls made by other state machines.
pub const OTHER_STATE_MACHINES: &str = "OTHER_STATE_MACHINES";
/// The three variables whose waits must fit one Standard execution, named together.
const WAIT_VARIABLES: &str = "MAX_ATTEMPTS, RETRY_INTERVAL_SECONDS, BACKOFF_RATE";

/// The starter's configuration. Defaults, ranges and the comma-list policy are the core's
/// (`ecs_rerun_core::plan::config`), shared with the CLI and the template.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where executions are started, passed to StartExecution as-is (`#TestCase` included).
    pub state_machine_arn: String,
    /// How plans are built; `state_machine_arn` is set to [`Config::state_machine_arn`].
    pub plan: PlanConfig,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::read(&Env::from_process())
    }

    /// Reads the configuration through `lookup` (a map in tests).
    #[cfg(test)]
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        Self::read(&Env::new(lookup))
    }

    /// Values are trimmed; an unset or blank optional variable takes its default (the core's).
    fn read(env: &Env<impl Fn(&str) -> Option<String>>) -> Result<Self, Error> {
        let defaults = PlanConfig::default();

        let state_machine_arn = env.required(STATE_MACHINE_ARN)?;
        check_state_machine_arn(&state_machine_arn)?;

        let retryable_reasons = env
            .optional(RETRYABLE_REASONS)
            .map(|v| comma_list(RETRYABLE_REASONS, &v))
            .transpose()?
            .unwrap_or(defaults.retryable_reasons);
        let max_attempts = env
            .parse_where(
                MAX_ATTEMPTS,
                &format!(
                    "an integer from {} to {}",
                    MAX_ATTEMPTS_RANGE.start(),
                    MAX_ATTEMPTS_RANGE.end()
                ),
                |n: &u32| MAX_ATTEMPTS_RANGE.contains(n),
            )?
            .unwrap_or(defaults.max_attempts);
        let interval_seconds = env
            .parse_where(
                RETRY_INTERVAL_SECONDS,
                &format!(
                    "a whole number of seconds from {} to {}",
                    INTERVAL_SECONDS_RANGE.start(),
                    INTERVAL_SECONDS_RANGE.end()
                ),
                |n: &u32| INTERVAL_SECONDS_RANGE.contains(n),
            )?
            .unwrap_or(defaults.interval_seconds);
        let backoff_rate = env
            .parse_where(
                BACKOFF_RATE,
                &format!("a number ≥ {MIN_BACKOFF_RATE}"),
                |r: &f64| backoff_rate_ok(*r),
            )?
            .unwrap_or(defaults.backoff_rate);
        let target_clusters = env
            .optional(TARGET_CLUSTERS)
            .map(|v| comma_list(TARGET_CLUSTERS, &v))
            .transpose()?
            .unwrap_or(defaults.target_clusters);
        let state_machine_role_arn = env
            .optional(STATE_MACHINE_ROLE_ARN)
            .map(|v| {
                if v.starts_with("arn:") && v.contains(":role/") {
                    Ok(v)
                } else {
                    Err(invalid(
                        STATE_MACHINE_ROLE_ARN,
                        v,
                        "must be arn:<partition>:iam::<account>:role/<name>",
                    ))
                }
            })
            .transpose()?;
        let other_state_machines = env
            .optional(OTHER_STATE_MACHINES)
            .map(|v| {
                OtherStateMachines::parse(&v)
                    .ok_or_else(|| invalid(OTHER_STATE_MACHINES, v, "must be notify or rerun"))
            })
            .transpose()?
            .unwrap_or(defaults.other_state_machines);

        let config = Config {
            plan: PlanConfig {
                retryable_reasons,
                max_attempts,
                interval_seconds,
                backoff_rate,
                target_clusters,
                state_machine_arn: Some(state_machine_arn.clone()),
                state_machine_role_arn,
                other_state_machines,
            },
            state_machine_arn,
        };
        let longest = config.plan.longest_execution_seconds();
        if longest > MAX_EXECUTION_SECONDS {
            return Err(invalid(
                WAIT_VARIABLES,
                format!("{max_attempts}, {interval_seconds}, {backoff_rate}"),
                format!(
                    "the waits add up to {longest} s with the retries' allowance, more than the {MAX_EXECUTION_SECONDS} s (one year) a Standard execution may run"
                ),
            ));
        }
        // the core's own range checks, as a backstop to the ones above
        config.plan.validate()?;
        Ok(config)
    }
}

/// The shell's [`ecs_rerun_lambda::Error::InvalidEnv`], value repeated (none of the starter's
/// variables is a secret).
fn invalid(name: &'static str, value: impl Into<String>, problem: impl Into<String>) -> Error {
    ecs_rerun_lambda::Error::invalid(name, value, problem).into()
}

/// `a, b,c` → `["a", "b", "c"]` by the core's one comma-list policy ([`parse_list`]): an empty
/// item (`a,,b`) is a typo and rejected, naming the variable.
fn comma_list(name: &'static str, value: &str) -> Result<Vec<String>, Error> {
    parse_list(value).map_err(|e| match e {
        ecs_rerun_core::Error::EmptyListItem { item, .. } => invalid(
            name,
            value,
            format!("comma list with an empty item (item {item})"),
        ),
        other => Error::Core(other),
    })
}

/// `arn:<partition>:states:<region>:<account>:stateMachine:<name>[#TestCase]`.
fn check_state_machine_arn(arn: &str) -> Result<(), Error> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let ok = parts.len() == 7
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "states"
        && parts[5] == "stateMachine"
        && !parts[6].is_empty()
        && !parts[6].starts_with('#');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            STATE_MACHINE_ARN,
            arn,
            "must be arn:<partition>:states:<region>:<account>:stateMachine:<name>",
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:ecs-rerun";

    fn load(vars: &[(&str, &str)]) -> Result<Config, Error> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = load(&[(STATE_MACHINE_ARN, ARN)]).expect("valid");
        assert_eq!(c.state_machine_arn, ARN);
        assert_eq!(c.plan.retryable_reasons, vec!["AGENT".to_owned()]);
        assert_eq!(c.plan.max_attempts, 3);
        assert_eq!(c.plan.interval_seconds, 60);
        assert!((c.plan.backoff_rate - 2.0).abs() < f64::EPSILON);
        assert_eq!(
            c.plan.target_clusters,
            PlanConfig::default().target_clusters
        );
        assert_eq!(c.plan.state_machine_arn.as_deref(), Some(ARN));
    }

    #[test]
    fn every_variable_is_read() {
        let local = "arn:aws:states:us-east-1:123456789012:stateMachine:ecs-rerun#AgentThenOk";
        let c = load(&[
            (STATE_MACHINE_ARN, local),
            (RETRYABLE_REASONS, "AGENT, RESOURCE:MEMORY"),
            (MAX_ATTEMPTS, "10"),
            (RETRY_INTERVAL_SECONDS, "1"),
            (BACKOFF_RATE, "1.5"),
            (TARGET_CLUSTERS, "prod,batch"),
            (
                STATE_MACHINE_ROLE_ARN,
                "arn:aws:iam::123456789012:role/ecs-rerun-StateMachineRole-1A2B3C",
            ),
            (OTHER_STATE_MACHINES, "rerun"),
        ])
        .expect("valid");
        // the #TestCase suffix is kept: StartExecution gets it as-is
        assert_eq!(c.state_machine_arn, local);
        assert_eq!(c.plan.retryable_reasons, ["AGENT", "RESOURCE:MEMORY"]);
        assert_eq!(c.plan.max_attempts, 10);
        assert_eq!(c.plan.interval_seconds, 1);
        assert!((c.plan.backoff_rate - 1.5).abs() < f64::EPSILON);
        assert_eq!(c.plan.target_clusters, ["prod", "batch"]);
        assert_eq!(
            c.plan.state_machine_role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/ecs-rerun-StateMachineRole-1A2B3C")
        );
        assert_eq!(c.plan.other_state_machines, OtherStateMachines::Rerun);
    }

    #[test]
    fn the_longest_configuration_that_fits_a_year_is_accepted() {
        // 10 re-runs, one day apart each (backoff 1): 10 days, far inside a year
        let c = load(&[
            (STATE_MACHINE_ARN, ARN),
            (MAX_ATTEMPTS, "10"),
            (RETRY_INTERVAL_SECONDS, "86400"),
            (BACKOFF_RATE, "1"),
        ])
        .expect("valid");
        assert!(c.plan.longest_execution_seconds() <= MAX_EXECUTION_SECONDS);
    }

    #[test]
    fn blank_optional_variables_take_defaults() {
        let c = load(&[
            (STATE_MACHINE_ARN, ARN),
            (MAX_ATTEMPTS, ""),
            (RETRYABLE_REASONS, "  "),
        ])
        .expect("valid");
        assert_eq!(c.plan.max_attempts, 3);
        assert_eq!(c.plan.retryable_reasons, ["AGENT"]);
    }

    /// Variables set, error type wanted, name the message must contain.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

    #[test]
    fn bad_values_name_the_variable() {
        let cases: &[Case] = &[
            (&[], "EcsRerunStarter.MissingEnv", STATE_MACHINE_ARN),
            (
                &[(STATE_MACHINE_ARN, " ")],
                "EcsRerunStarter.MissingEnv",
                STATE_MACHINE_ARN,
            ),
            (
                &[(STATE_MACHINE_ARN, "ecs-rerun")],
                "EcsRerunStarter.InvalidEnv",
                STATE_MACHINE_ARN,
            ),
            (
                &[(
                    STATE_MACHINE_ARN,
                    "arn:aws:states:us-east-1:123456789012:activity:x",
                )],
                "EcsRerunStarter.InvalidEnv",
                STATE_MACHINE_ARN,
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (MAX_ATTEMPTS, "0")],
                "EcsRerunStarter.InvalidEnv",
                MAX_ATTEMPTS,
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (MAX_ATTEMPTS, "11")],
                "EcsRerunStarter.InvalidEnv",
                MAX_ATTEMPTS,
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (MAX_ATTEMPTS, "three")],
                "EcsRerunStarter.InvalidEnv",
                MAX_ATTEMPTS,
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (RETRY_INTERVAL_SECONDS, "-1")],
                "EcsRerunStarter.InvalidEnv",
                RETRY_INTERVAL_SECONDS,
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (RETRY_INTERVAL_SECONDS, "86401")],
                "EcsRerunStarter.InvalidEnv",
                RETRY_INTERVAL_SECONDS,
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (BACKOFF_RATE, "0.5")],
                "EcsRerunStarter.InvalidEnv",
                BACKOFF_RATE,
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (BACKOFF_RATE, "NaN")],
                "EcsRerunStarter.InvalidEnv",
                BACKOFF_RATE,
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (BACKOFF_RATE, "inf")],
                "EcsRerunStarter.InvalidEnv",
                BACKOFF_RATE,
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (RETRYABLE_REASONS, "AGENT,,x")],
                "EcsRerunStarter.InvalidEnv",
                RETRYABLE_REASONS,
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (TARGET_CLUSTERS, "prod,")],
                "EcsRerunStarter.InvalidEnv",
                TARGET_CLUSTERS,
            ),
            (
                &[
                    (STATE_MACHINE_ARN, ARN),
                    (STATE_MACHINE_ROLE_ARN, "ecs-rerun-role"),
                ],
                "EcsRerunStarter.InvalidEnv",
                STATE_MACHINE_ROLE_ARN,
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (OTHER_STATE_MACHINES, "always")],
                "EcsRerunStarter.InvalidEnv",
                OTHER_STATE_MACHINES,
            ),
            (
                &[
                    (STATE_MACHINE_ARN, ARN),
                    (MAX_ATTEMPTS, "10"),
                    (RETRY_INTERVAL_SECONDS, "86400"),
                    (BACKOFF_RATE, "2"),
                ],
                "EcsRerunStarter.InvalidEnv",
                "MAX_ATTEMPTS, RETRY_INTERVAL_SECONDS, BACKOFF_RATE",
            ),
        ];
        for (vars, want_type, want_name) in cases {
            let err = load(vars).expect_err("must be rejected");
            assert_eq!(err.error_type(), *want_type, "{vars:?}");
            let msg = err.to_string();
            assert!(msg.contains(want_name), "{msg} should name {want_name}");
            assert!(!msg.contains('\n'));
        }
    }

    #[test]
    fn errors_come_from_the_shell_under_the_starters_names() {
        // the messages as they were before config.rs read through the shell's Env
        let cases: &[Case] = &[
            (
                &[],
                "EcsRerunStarter.MissingEnv",
                "missing environment variable STATE_MACHINE_ARN",
            ),
            (
                &[(STATE_MACHINE_ARN, "ecs-rerun")],
                "EcsRerunStarter.InvalidEnv",
                "invalid environment variable STATE_MACHINE_ARN=\"ecs-rerun\": must be arn:<partition>:states:<region>:<account>:stateMachine:<name>",
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (MAX_ATTEMPTS, "0")],
                "EcsRerunStarter.InvalidEnv",
                "invalid environment variable MAX_ATTEMPTS=\"0\": must be an integer from 1 to 10",
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (RETRY_INTERVAL_SECONDS, " -1 ")],
                "EcsRerunStarter.InvalidEnv",
                "invalid environment variable RETRY_INTERVAL_SECONDS=\"-1\": must be a whole number of seconds from 0 to 86400",
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (BACKOFF_RATE, "0.5")],
                "EcsRerunStarter.InvalidEnv",
                "invalid environment variable BACKOFF_RATE=\"0.5\": must be a number ≥ 1",
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (RETRYABLE_REASONS, "AGENT,,x")],
                "EcsRerunStarter.InvalidEnv",
                "invalid environment variable RETRYABLE_REASONS=\"AGENT,,x\": comma list with an empty item (item 2)",
            ),
            (
                &[
                    (STATE_MACHINE_ARN, ARN),
                    (STATE_MACHINE_ROLE_ARN, "ecs-rerun-role"),
                ],
                "EcsRerunStarter.InvalidEnv",
                "invalid environment variable STATE_MACHINE_ROLE_ARN=\"ecs-rerun-role\": must be arn:<partition>:iam::<account>:role/<name>",
            ),
            (
                &[(STATE_MACHINE_ARN, ARN), (OTHER_STATE_MACHINES, "always")],
                "EcsRerunStarter.InvalidEnv",
                "invalid environment variable OTHER_STATE_MACHINES=\"always\": must be notify or rerun",
            ),
            (
                &[
                    (STATE_MACHINE_ARN, ARN),
                    (MAX_ATTEMPTS, "10"),
                    (RETRY_INTERVAL_SECONDS, "86400"),
                    (BACKOFF_RATE, "2"),
                ],
                "EcsRerunStarter.InvalidEnv",
                "invalid environment variable MAX_ATTEMPTS, RETRY_INTERVAL_SECONDS, BACKOFF_RATE=\"10, 86400, 2\": the waits add up to 75689400 s with the retries' allowance, more than the 31536000 s (one year) a Standard execution may run",
            ),
        ];
        for (vars, want_type, want_msg) in cases {
            let err = load(vars).expect_err("must be rejected");
            assert!(matches!(err, Error::Shell(_)), "{err:?}");
            assert_eq!(err.error_type(), *want_type, "{vars:?}");
            assert_eq!(err.to_string(), *want_msg);
        }
    }
}
