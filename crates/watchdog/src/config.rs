//! Configuration of both Lambdas, read once from the environment (docs/CONTRACT.md §10). Invalid
//! values fail the start-up with an error naming the variable.

use chrono::TimeDelta;
use ecs_rerun_audit::DEFAULT_GRACE_MINUTES;
use ecs_rerun_core::watch::WatchKind;
use ecs_rerun_lambda::Env;

use crate::decide::Settings;
use crate::error::Error;

/// The facts table (both Lambdas).
pub const FACTS_TABLE: &str = "FACTS_TABLE";
/// Days a fact is kept (recorder; TTL).
pub const FACTS_RETENTION_DAYS: &str = "FACTS_RETENTION_DAYS";
/// The topic the notifier reads.
pub const NOTIFICATION_TOPIC_ARN: &str = "NOTIFICATION_TOPIC_ARN";
/// The starter's queue (the reconciler sends there).
pub const STARTER_QUEUE_URL: &str = "STARTER_QUEUE_URL";
/// The re-run state machine (execution names; `#TestCase` dropped for ARNs).
pub const STATE_MACHINE_ARN: &str = "STATE_MACHINE_ARN";
/// The state machine's role (the loop guard, as in the rule).
pub const STATE_MACHINE_ROLE_ARN: &str = "STATE_MACHINE_ROLE_ARN";
/// Comma list of the kinds published.
pub const ALERT_KINDS: &str = "ALERT_KINDS";
/// Minutes added to due + flexible window.
pub const GRACE_MINUTES: &str = "GRACE_MINUTES";
/// Minutes of decisions each run looks at.
pub const LOOKBACK_MINUTES: &str = "LOOKBACK_MINUTES";
/// Minutes the inventory is kept between invocations.
pub const INVENTORY_REFRESH_MINUTES: &str = "INVENTORY_REFRESH_MINUTES";
/// Comma list of schedule names or ARNs whose `disabled` reports are silenced.
pub const SILENCED_SCHEDULES: &str = "SILENCED_SCHEDULES";
/// The most launch failures one run sends to the starter.
pub const RECONCILE_MAX: &str = "RECONCILE_MAX";
/// Comma list of `stoppedReason` texts worth a re-run (empty: off).
pub const TRANSIENT_STOPPED_REASONS: &str = "TRANSIENT_STOPPED_REASONS";
/// The stack's name (the metric's `Stack` dimension).
pub const STACK_NAME: &str = "STACK_NAME";

/// The default `ALERT_KINDS`.
pub const DEFAULT_ALERT_KINDS: [WatchKind; 3] = [
    WatchKind::Missed,
    WatchKind::FailedToStart,
    WatchKind::Disabled,
];
/// The default `FACTS_RETENTION_DAYS`.
pub const DEFAULT_RETENTION_DAYS: i64 = 3;
/// The default `LOOKBACK_MINUTES`.
pub const DEFAULT_LOOKBACK_MINUTES: i64 = 60;
/// The default `INVENTORY_REFRESH_MINUTES`.
pub const DEFAULT_INVENTORY_REFRESH_MINUTES: i64 = 60;
/// The default `RECONCILE_MAX`.
pub const DEFAULT_RECONCILE_MAX: usize = 20;

/// The recorder's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct RecorderConfig {
    /// `FACTS_TABLE`.
    pub table: String,
    /// `FACTS_RETENTION_DAYS`.
    pub retention: TimeDelta,
}

/// The watchdog's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchdogConfig {
    /// `FACTS_TABLE`.
    pub table: String,
    /// `NOTIFICATION_TOPIC_ARN`.
    pub topic_arn: String,
    /// `STARTER_QUEUE_URL`.
    pub starter_queue_url: String,
    /// `STATE_MACHINE_ARN`.
    pub state_machine_arn: String,
    /// `STATE_MACHINE_ROLE_ARN` (may be empty).
    pub state_machine_role_arn: String,
    /// What is decided and published.
    pub settings: Settings,
    /// `FACTS_RETENTION_DAYS`: how long decisions are remembered.
    pub retention: TimeDelta,
    /// `INVENTORY_REFRESH_MINUTES`.
    pub inventory_refresh: TimeDelta,
    /// `RECONCILE_MAX`.
    pub reconcile_max: usize,
    /// `STACK_NAME`.
    pub stack_name: String,
}

type Lookup = Env<Box<dyn Fn(&str) -> Option<String>>>;

fn minutes(env: &Lookup, name: &'static str, default: i64, max: i64) -> Result<TimeDelta, Error> {
    let what = format!("a whole number of minutes from 0 to {max}");
    Ok(TimeDelta::minutes(
        env.parse_where::<i64>(name, &what, |m| (0..=max).contains(m))?
            .unwrap_or(default),
    ))
}

fn retention(env: &Lookup) -> Result<TimeDelta, Error> {
    Ok(TimeDelta::days(
        env.parse_where::<i64>(
            FACTS_RETENTION_DAYS,
            "a whole number of days from 1 to 30",
            |d| (1..=30).contains(d),
        )?
        .unwrap_or(DEFAULT_RETENTION_DAYS),
    ))
}

fn list(env: &Lookup, name: &str) -> Vec<String> {
    env.optional(name)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn process() -> Lookup {
    Env::new(Box::new(|k: &str| std::env::var(k).ok()))
}

impl RecorderConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::read(&process())
    }

    /// Reads through `lookup` (a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + 'static) -> Result<Self, Error> {
        Self::read(&Env::new(Box::new(lookup)))
    }

    fn read(env: &Lookup) -> Result<Self, Error> {
        Ok(RecorderConfig {
            table: env.required(FACTS_TABLE)?,
            retention: retention(env)?,
        })
    }
}

impl WatchdogConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::read(&process())
    }

    /// Reads through `lookup` (a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + 'static) -> Result<Self, Error> {
        Self::read(&Env::new(Box::new(lookup)))
    }

    fn read(env: &Lookup) -> Result<Self, Error> {
        let alert = match env.optional(ALERT_KINDS) {
            None => DEFAULT_ALERT_KINDS.to_vec(),
            Some(raw) => {
                let mut kinds = Vec::new();
                for k in raw.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                    let kind = WatchKind::parse(k).ok_or_else(|| {
                        ecs_rerun_lambda::Error::invalid(
                            ALERT_KINDS,
                            raw.clone(),
                            format!(
                                "must be a comma list of missed, failed-to-start, failed, disabled ({k:?} is none of them)"
                            ),
                        )
                    })?;
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                }
                kinds
            }
        };
        Ok(WatchdogConfig {
            table: env.required(FACTS_TABLE)?,
            topic_arn: env.required(NOTIFICATION_TOPIC_ARN)?,
            starter_queue_url: env.required(STARTER_QUEUE_URL)?,
            state_machine_arn: env.required(STATE_MACHINE_ARN)?,
            state_machine_role_arn: env.optional(STATE_MACHINE_ROLE_ARN).unwrap_or_default(),
            settings: Settings {
                grace: minutes(env, GRACE_MINUTES, DEFAULT_GRACE_MINUTES, 1440)?,
                lookback: minutes(env, LOOKBACK_MINUTES, DEFAULT_LOOKBACK_MINUTES, 1440)?
                    .max(TimeDelta::minutes(1)),
                alert,
                silenced: list(env, SILENCED_SCHEDULES),
                transient: list(env, TRANSIENT_STOPPED_REASONS),
            },
            retention: retention(env)?,
            inventory_refresh: minutes(
                env,
                INVENTORY_REFRESH_MINUTES,
                DEFAULT_INVENTORY_REFRESH_MINUTES,
                1440,
            )?,
            reconcile_max: env
                .parse_where::<usize>(RECONCILE_MAX, "a whole number from 0 to 1000", |n| {
                    *n <= 1000
                })?
                .unwrap_or(DEFAULT_RECONCILE_MAX),
            stack_name: env
                .optional(STACK_NAME)
                .unwrap_or_else(|| "ecs-rerun".into()),
        })
    }
}
