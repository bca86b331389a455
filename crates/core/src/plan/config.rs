//! How plans are built: [`PlanConfig`], and every rule about it in one place — the defaults and
//! ranges (the starter's environment, the CLI's flags and the template's parameters all use these
//! constants), the comma lists, the waits and the bound of one Standard execution.

use std::ops::RangeInclusive;

use crate::error::Error;
use crate::plan::ids::cluster_name_of;

/// `MaxAttempts` / `MAX_ATTEMPTS`: re-runs at most.
pub const MAX_ATTEMPTS_RANGE: RangeInclusive<u32> = 1..=10;
/// Re-runs when nothing is configured.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Longest first wait accepted (one day): a longer one is a typo.
pub const MAX_INTERVAL_SECONDS: u32 = 86_400;
/// `RetryIntervalSeconds` / `RETRY_INTERVAL_SECONDS`: seconds before the first re-run.
pub const INTERVAL_SECONDS_RANGE: RangeInclusive<u32> = 0..=MAX_INTERVAL_SECONDS;
/// First wait when nothing is configured.
pub const DEFAULT_INTERVAL_SECONDS: u32 = 60;
/// `BackoffRate` / `BACKOFF_RATE`: each further wait is the previous one times this, at least 1
/// (and finite).
pub const MIN_BACKOFF_RATE: f64 = 1.0;
/// The template's `BackoffRate` `MaxValue`. The core has no upper bound of its own: the waits must
/// fit one execution ([`MAX_EXECUTION_SECONDS`]), whatever the rate.
pub const TEMPLATE_MAX_BACKOFF_RATE: f64 = 10.0;
/// Backoff rate when nothing is configured.
pub const DEFAULT_BACKOFF_RATE: f64 = 2.0;
/// `RetryableReasons` / `RETRYABLE_REASONS` when nothing is configured (a comma list).
pub const DEFAULT_RETRYABLE_REASONS: &str = "AGENT";
/// The target-cluster item that means every cluster.
pub const ALL_CLUSTERS: &str = "*";
/// `TargetClusters` / `TARGET_CLUSTERS` when nothing is configured (a comma list): every cluster.
pub const DEFAULT_TARGET_CLUSTERS: &str = ALL_CLUSTERS;
/// `OtherStateMachineLaunches` / `OTHER_STATE_MACHINES` when nothing is configured.
pub const DEFAULT_OTHER_STATE_MACHINES: OtherStateMachines = OtherStateMachines::Notify;
/// Upper bound of one wait (one year, the longest a Standard execution lives).
pub const MAX_WAIT_SECONDS: u64 = 31_536_000;
/// The longest a Standard workflow execution may run (one year, in seconds).
pub const MAX_EXECUTION_SECONDS: u64 = 31_536_000;
/// Time budgeted per re-run on top of its wait: the Rerun Task retriers' own backoff and the SNS
/// publish retries, with room to spare.
pub const ATTEMPT_OVERHEAD_SECONDS: u64 = 300;

/// What to do with a launch failure of a request-response RunTask made by another state machine
/// (the call carries no `startedBy`; its own workflow sees the `Failures` and may retry it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OtherStateMachines {
    /// Announce it, never re-run it (the default: a re-run could double a task the workflow
    /// retries itself).
    #[default]
    Notify,
    /// Re-run it like any other launch failure.
    Rerun,
}

impl OtherStateMachines {
    /// Every policy, in the order the template's `AllowedValues` lists them.
    pub const ALL: [OtherStateMachines; 2] =
        [OtherStateMachines::Notify, OtherStateMachines::Rerun];

    /// The configuration value: `notify` or `rerun`.
    pub fn as_str(self) -> &'static str {
        match self {
            OtherStateMachines::Notify => "notify",
            OtherStateMachines::Rerun => "rerun",
        }
    }

    /// Parses `notify` / `rerun` (exact).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// How plans are built (the starter reads it from the environment once, the CLI from flags).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanConfig {
    /// Failure reasons that are re-run (exact strings), default [`DEFAULT_RETRYABLE_REASONS`].
    pub retryable_reasons: Vec<String>,
    /// Re-runs at most ([`MAX_ATTEMPTS_RANGE`]), default [`DEFAULT_MAX_ATTEMPTS`].
    pub max_attempts: u32,
    /// Seconds before the first re-run ([`INTERVAL_SECONDS_RANGE`]), default
    /// [`DEFAULT_INTERVAL_SECONDS`].
    pub interval_seconds: u32,
    /// Each further wait is multiplied by this (≥ [`MIN_BACKOFF_RATE`]), default
    /// [`DEFAULT_BACKOFF_RATE`].
    pub backoff_rate: f64,
    /// Cluster names whose tasks are re-run; empty or containing [`ALL_CLUSTERS`] = all (the
    /// default).
    pub target_clusters: Vec<String>,
    /// ARN of the state machine the plan is started on; `None` = `…:stateMachine:ecs-rerun`.
    pub state_machine_arn: Option<String>,
    /// The IAM role of this stack's state machine (loop guard: a RunTask whose CloudTrail
    /// `sessionIssuer.arn` is this role was made by our own re-run, marker or not).
    pub state_machine_role_arn: Option<String>,
    /// Launch failures of request-response RunTask calls by other state machines.
    pub other_state_machines: OtherStateMachines,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            retryable_reasons: vec![DEFAULT_RETRYABLE_REASONS.to_string()],
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            interval_seconds: DEFAULT_INTERVAL_SECONDS,
            backoff_rate: DEFAULT_BACKOFF_RATE,
            target_clusters: vec![DEFAULT_TARGET_CLUSTERS.to_string()],
            state_machine_arn: None,
            state_machine_role_arn: None,
            other_state_machines: DEFAULT_OTHER_STATE_MACHINES,
        }
    }
}

/// Whether `backoff_rate` is one [`PlanConfig::validate`] accepts: finite and ≥ [`MIN_BACKOFF_RATE`].
pub fn backoff_rate_ok(backoff_rate: f64) -> bool {
    backoff_rate.is_finite() && backoff_rate >= MIN_BACKOFF_RATE
}

/// Reads a comma list (`"AGENT, RESOURCE:MEMORY"`, `"prod,batch"`, `"*"`): items trimmed, an
/// empty item (`a,,b`, a trailing comma, a blank text) rejected as the typo it is. The one
/// comma-list policy: the starter's `RETRYABLE_REASONS` and `TARGET_CLUSTERS`, the CLI's
/// `--retryable-reasons` and `--target-clusters`, and what the template's `AllowedPattern`s accept.
pub fn parse_list(s: &str) -> Result<Vec<String>, Error> {
    let items: Vec<String> = s.split(',').map(|x| x.trim().to_string()).collect();
    match items.iter().position(String::is_empty) {
        Some(i) => Err(Error::EmptyListItem {
            list: s.to_string(),
            item: i + 1,
        }),
        None => Ok(items),
    }
}

impl PlanConfig {
    /// Checks ranges: `max_attempts` in [`MAX_ATTEMPTS_RANGE`], `interval_seconds` in
    /// [`INTERVAL_SECONDS_RANGE`], `backoff_rate` finite and ≥ [`MIN_BACKOFF_RATE`], a non-empty
    /// reason list, state machine (role) ARNs that look like ones, and waits that fit one Standard
    /// execution ([`MAX_EXECUTION_SECONDS`]).
    pub fn validate(&self) -> Result<(), Error> {
        if !MAX_ATTEMPTS_RANGE.contains(&self.max_attempts) {
            return Err(Error::InvalidConfig(format!(
                "max attempts must be {}-{}, got {}",
                MAX_ATTEMPTS_RANGE.start(),
                MAX_ATTEMPTS_RANGE.end(),
                self.max_attempts
            )));
        }
        if !INTERVAL_SECONDS_RANGE.contains(&self.interval_seconds) {
            return Err(Error::InvalidConfig(format!(
                "interval seconds must be {}-{}, got {}",
                INTERVAL_SECONDS_RANGE.start(),
                INTERVAL_SECONDS_RANGE.end(),
                self.interval_seconds
            )));
        }
        if !backoff_rate_ok(self.backoff_rate) {
            return Err(Error::InvalidConfig(format!(
                "backoff rate must be a number >= {MIN_BACKOFF_RATE}, got {}",
                self.backoff_rate
            )));
        }
        if self.retryable_reasons.iter().all(|r| r.trim().is_empty()) {
            return Err(Error::InvalidConfig(
                "retryable reasons list is empty".into(),
            ));
        }
        if let Some(arn) = &self.state_machine_arn {
            if !arn.starts_with("arn:") || !arn.contains(":stateMachine:") {
                return Err(Error::InvalidConfig(format!(
                    "state machine ARN {arn:?} is not an arn:…:states:…:stateMachine:… ARN"
                )));
            }
        }
        if let Some(arn) = &self.state_machine_role_arn {
            if !arn.starts_with("arn:") || !arn.contains(":role/") {
                return Err(Error::InvalidConfig(format!(
                    "state machine role ARN {arn:?} is not an arn:…:iam::…:role/… ARN"
                )));
            }
        }
        let total = self.longest_execution_seconds();
        if total > MAX_EXECUTION_SECONDS {
            return Err(Error::InvalidConfig(format!(
                "max attempts {}, interval seconds {} and backoff rate {}: the waits add up to {total} s \
                 with the retries' allowance ({ATTEMPT_OVERHEAD_SECONDS} s per re-run), more than the \
                 {MAX_EXECUTION_SECONDS} s (one year) a Standard execution may run",
                self.max_attempts, self.interval_seconds, self.backoff_rate
            )));
        }
        Ok(())
    }

    /// Seconds to wait before re-run i+1, i < `max_attempts`: round(interval × backoff^i), each
    /// clamped to [`MAX_WAIT_SECONDS`].
    pub fn wait_seconds(&self) -> Vec<u64> {
        (0..self.max_attempts)
            .map(|i| {
                let exp = i32::try_from(i).unwrap_or(i32::MAX);
                let w = (f64::from(self.interval_seconds) * self.backoff_rate.powi(exp)).round();
                if w.is_finite() && w >= 0.0 {
                    // Float-to-int `as` saturates; the clamp keeps SFN's Wait in range.
                    (w as u64).min(MAX_WAIT_SECONDS)
                } else {
                    MAX_WAIT_SECONDS
                }
            })
            .collect()
    }

    /// The longest an execution can take: every wait plus [`ATTEMPT_OVERHEAD_SECONDS`] per
    /// re-run (saturating).
    pub fn longest_execution_seconds(&self) -> u64 {
        self.wait_seconds().into_iter().fold(0u64, |sum, w| {
            sum.saturating_add(w)
                .saturating_add(ATTEMPT_OVERHEAD_SECONDS)
        })
    }

    /// Splits a comma list leniently, dropping empty items. Only for values already checked
    /// against the template's `AllowedPattern` (a deployed stack's parameters); everything else
    /// reads lists with [`parse_list`], the one comma-list policy.
    pub fn split_list(s: &str) -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Whether a cluster (by name) is one ecs-rerun may re-run tasks on.
    pub fn cluster_allowed(&self, cluster_name: &str) -> bool {
        self.target_clusters.is_empty()
            || self.target_clusters.iter().any(|c| {
                c == ALL_CLUSTERS || c == cluster_name || cluster_name_of(c) == cluster_name
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_must_fit_one_standard_execution() {
        let fits = |max_attempts, interval_seconds, backoff_rate| {
            PlanConfig {
                max_attempts,
                interval_seconds,
                backoff_rate,
                ..PlanConfig::default()
            }
            .validate()
        };
        assert!(fits(3, 60, 2.0).is_ok());
        assert!(fits(10, 86_400, 1.0).is_ok());
        // 86400 * (2^10 - 1) s is almost three years
        let err = fits(10, 86_400, 2.0).expect_err("too long");
        assert_eq!(err.error_type(), "EcsRerun.InvalidConfig");
        let msg = err.to_string();
        for word in [
            "max attempts 10",
            "interval seconds 86400",
            "backoff rate 2",
            "31536000",
        ] {
            assert!(msg.contains(word), "{msg} should name {word}");
        }
        // the boundary: the waits plus the allowance, exactly
        let cfg = PlanConfig {
            max_attempts: 1,
            interval_seconds: 86_400,
            ..PlanConfig::default()
        };
        assert_eq!(
            cfg.longest_execution_seconds(),
            86_400 + ATTEMPT_OVERHEAD_SECONDS
        );
        // a huge backoff saturates instead of overflowing
        assert_eq!(
            fits(10, 86_400, 10.0).map_err(|e| e.error_type()),
            Err("EcsRerun.InvalidConfig")
        );
    }

    #[test]
    fn config_validation_and_lists() {
        assert!(PlanConfig::default().validate().is_ok());
        for (bad, message) in [
            (
                PlanConfig {
                    max_attempts: 0,
                    ..PlanConfig::default()
                },
                "max attempts must be 1-10, got 0",
            ),
            (
                PlanConfig {
                    max_attempts: 11,
                    ..PlanConfig::default()
                },
                "max attempts must be 1-10, got 11",
            ),
            (
                PlanConfig {
                    interval_seconds: 86_401,
                    ..PlanConfig::default()
                },
                "interval seconds must be 0-86400, got 86401",
            ),
            (
                PlanConfig {
                    backoff_rate: 0.5,
                    ..PlanConfig::default()
                },
                "backoff rate must be a number >= 1, got 0.5",
            ),
            (
                PlanConfig {
                    backoff_rate: f64::NAN,
                    ..PlanConfig::default()
                },
                "backoff rate must be a number >= 1, got NaN",
            ),
            (
                PlanConfig {
                    retryable_reasons: vec![],
                    ..PlanConfig::default()
                },
                "retryable reasons list is empty",
            ),
            (
                PlanConfig {
                    state_machine_arn: Some("nope".into()),
                    ..PlanConfig::default()
                },
                "state machine ARN \"nope\"",
            ),
        ] {
            let err = bad.validate().expect_err("invalid config");
            assert_eq!(err.error_type(), "EcsRerun.InvalidConfig");
            assert!(err.to_string().contains(message), "{err}");
        }
        assert_eq!(
            PlanConfig::split_list(" AGENT, ,RESOURCE:MEMORY "),
            vec!["AGENT", "RESOURCE:MEMORY"]
        );
        for (targets, cluster, want) in [
            (vec![], "anything", true),
            (vec!["*"], "anything", true),
            (vec!["prod"], "prod", true),
            (
                vec!["arn:aws:ecs:us-east-1:123456789012:cluster/prod"],
                "prod",
                true,
            ),
            (vec!["prod"], "dev", false),
        ] {
            let cfg = PlanConfig {
                target_clusters: targets.iter().map(|s| s.to_string()).collect(),
                ..PlanConfig::default()
            };
            assert_eq!(cfg.cluster_allowed(cluster), want, "{targets:?} {cluster}");
        }
        assert!(PlanConfig::default().cluster_allowed("anything"));
        let cfg = PlanConfig {
            interval_seconds: 10,
            backoff_rate: 1.5,
            max_attempts: 4,
            ..PlanConfig::default()
        };
        assert_eq!(cfg.wait_seconds(), vec![10, 15, 23, 34]);
    }

    #[test]
    fn one_comma_list_policy() {
        for (text, want) in [
            ("AGENT", Ok(vec!["AGENT"])),
            (
                " AGENT , RESOURCE:MEMORY ",
                Ok(vec!["AGENT", "RESOURCE:MEMORY"]),
            ),
            ("*", Ok(vec!["*"])),
            ("prod,batch", Ok(vec!["prod", "batch"])),
            (
                "Capacity is unavailable at this time. Please try again later",
                Ok(vec![
                    "Capacity is unavailable at this time. Please try again later",
                ]),
            ),
            ("AGENT,,X", Err(2)),
            ("AGENT, ,X", Err(2)),
            ("prod,", Err(2)),
            (",prod", Err(1)),
            ("", Err(1)),
            ("  ", Err(1)),
        ] {
            let got = parse_list(text);
            match want {
                Ok(items) => assert_eq!(got, Ok(items.iter().map(|s| s.to_string()).collect())),
                Err(item) => {
                    let err = got.expect_err(text);
                    assert_eq!(err.error_type(), "EcsRerun.EmptyListItem");
                    assert_eq!(
                        err,
                        Error::EmptyListItem {
                            list: text.to_string(),
                            item
                        }
                    );
                    assert!(!err.to_string().contains('\n'));
                }
            }
        }
        assert_eq!(
            parse_list("AGENT,,X").map_err(|e| e.to_string()),
            Err("comma list \"AGENT,,X\" has an empty item (item 2)".to_string())
        );
        assert_eq!(
            parse_list(DEFAULT_RETRYABLE_REASONS),
            Ok(PlanConfig::default().retryable_reasons)
        );
        assert_eq!(
            parse_list(DEFAULT_TARGET_CLUSTERS),
            Ok(PlanConfig::default().target_clusters)
        );
    }

    #[test]
    fn policies_round_trip() {
        for p in OtherStateMachines::ALL {
            assert_eq!(OtherStateMachines::parse(p.as_str()), Some(p));
        }
        assert_eq!(OtherStateMachines::parse("Notify"), None);
        assert_eq!(OtherStateMachines::default(), DEFAULT_OTHER_STATE_MACHINES);
    }
}
