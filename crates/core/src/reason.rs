//! ECS `RunTask` failure reasons, classified from ONE table ([`TABLE`]): a new reason is one row
//! (and a fixture with its golden plan), nothing else.
//!
//! Sources: the Amazon ECS developer guide page "Amazon ECS API failure reasons" (`AGENT`,
//! `ATTRIBUTE`, `MISSING`, `INACTIVE`, `LOCATION`, `RESOURCE:*`), and the free-text reasons Fargate
//! and capacity providers put in `failures[].reason` (capacity unavailable, provisioning limit,
//! account quotas, platform capabilities). Anything else is [`FailureReason::Other`]: kept verbatim,
//! never a panic.
//!
//! Whether a reason is *retried* is not decided here but by configuration: a reason is retryable
//! when its exact string is in the configured list (default `["AGENT"]`), see [`is_retryable`].

use std::fmt;

/// One classified `failures[].reason`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// A reason the table knows.
    Known {
        /// The first row of [`TABLE`] that matches.
        row: &'static Row,
        /// What follows a [`Match::Prefix`] row's prefix (`INFERENCE_ACCELERATOR` of
        /// `RESOURCE:INFERENCE_ACCELERATOR`); empty for the other rows.
        rest: String,
    },
    /// Anything else, verbatim.
    Other(String),
}

/// How a table row matches a reason string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Match {
    /// The whole reason (trimmed) equals this.
    Exact(&'static str),
    /// The reason (trimmed) starts with this; the row's summary names the rest where it says `{}`.
    Prefix(&'static str),
    /// The reason contains this, case-insensitively (free text varies in punctuation).
    Contains(&'static str),
}

impl Match {
    /// What follows the match (the rest of a prefix, else empty), or `None` when it does not match.
    fn rest<'r>(&self, reason: &'r str) -> Option<&'r str> {
        match self {
            Match::Exact(s) => (reason == *s).then_some(""),
            Match::Prefix(s) => reason.strip_prefix(s),
            Match::Contains(s) => reason
                .to_ascii_lowercase()
                .contains(&s.to_ascii_lowercase())
                .then_some(""),
        }
    }
}

/// One row of the failure-reason table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Row {
    /// How the reason string is recognised.
    pub matches: Match,
    /// Stable slug, e.g. `agent-disconnected`.
    pub kind: &'static str,
    /// One-line human summary (`{}`: the rest of a [`Match::Prefix`] reason).
    pub summary: &'static str,
    /// What a human can do about it.
    pub advice: &'static str,
}

/// The reason the watchdog gives a task that ECS accepted and stopped before it ran, with a
/// `stoppedReason` configured as transient (docs/CONTRACT.md §10 step 6): the starter re-runs it
/// when this reason is in its retryable list (the template adds it when the watchdog's list is
/// set). The task's `stoppedReason` is the failure's `detail`.
pub const STOPPED_BEFORE_RUNNING: &str = "STOPPED_BEFORE_RUNNING";

/// What a human can do about a reason no row knows (and about none at all).
const OTHER_ADVICE: &str =
    "Look the reason up in the ECS documentation (API failure reasons) and the CloudTrail event.";

/// THE table. Order matters: the first matching row wins (the `RESOURCE:` prefix row comes after
/// the named resources).
pub const TABLE: &[Row] = &[
    Row {
        matches: Match::Exact("AGENT"),
        kind: "agent-disconnected",
        summary: "the ECS agent on the container instance was disconnected",
        advice: "Check the ECS agent on the container instance (its log, `systemctl status ecs`) and the instance's connection to ECS; replace the instance if the agent stays disconnected.",
    },
    Row {
        matches: Match::Exact("ATTRIBUTE"),
        kind: "missing-attribute",
        summary: "no container instance has an attribute the task definition requires",
        advice: "Compare the task definition's requirements (network mode, log driver, placement constraints) with the container instances' attributes (`ecs-cli check-attributes` or DescribeContainerInstances).",
    },
    Row {
        matches: Match::Exact("MISSING"),
        kind: "not-found",
        summary: "the container instance or cluster was not found",
        advice: "Check the cluster name, the Region and the container instance ARN in the RunTask call.",
    },
    Row {
        matches: Match::Exact("INACTIVE"),
        kind: "instance-inactive",
        summary: "the container instance was deregistered and can no longer be used",
        advice: "Launch the task on a registered container instance, or register the instance again.",
    },
    Row {
        matches: Match::Exact("LOCATION"),
        kind: "wrong-location",
        summary: "the container instance is in a different Availability Zone than the task's subnets",
        advice: "Make the task's awsvpcConfiguration subnets cover the Availability Zones of the cluster's instances.",
    },
    Row {
        matches: Match::Exact("RESOURCE:CPU"),
        kind: "resource-shortage",
        summary: "not enough free CPU on the container instances",
        advice: "Add container instances (or capacity-provider scaling) or lower the task's CPU reservation.",
    },
    Row {
        matches: Match::Exact("RESOURCE:MEMORY"),
        kind: "resource-shortage",
        summary: "not enough free memory on the container instances",
        advice: "Add container instances (or capacity-provider scaling) or lower the task's memory reservation.",
    },
    Row {
        matches: Match::Exact("RESOURCE:PORTS"),
        kind: "resource-shortage",
        summary: "a host port the task needs is already in use on the container instances",
        advice: "Use dynamic host ports (hostPort 0) or add container instances.",
    },
    Row {
        matches: Match::Exact("RESOURCE:PORTS_TCP"),
        kind: "resource-shortage",
        summary: "a TCP host port the task needs is already in use on the container instances",
        advice: "Use dynamic host ports (hostPort 0) or add container instances.",
    },
    Row {
        matches: Match::Exact("RESOURCE:PORTS_UDP"),
        kind: "resource-shortage",
        summary: "a UDP host port the task needs is already in use on the container instances",
        advice: "Use dynamic host ports (hostPort 0) or add container instances.",
    },
    Row {
        matches: Match::Exact("RESOURCE:ENI"),
        kind: "resource-shortage",
        summary: "no free network-interface attachment for an awsvpc task on the container instances",
        advice: "Enable awsvpcTrunking, use instance types with more network interfaces, or add container instances.",
    },
    Row {
        matches: Match::Exact("RESOURCE:GPU"),
        kind: "resource-shortage",
        summary: "not enough free GPUs on the container instances",
        advice: "Add GPU-enabled container instances to the cluster.",
    },
    Row {
        matches: Match::Contains("Capacity is unavailable at this time"),
        kind: "capacity-unavailable",
        summary: "Fargate capacity was unavailable in the chosen Availability Zone",
        advice: "Retry later, give the task subnets in several Availability Zones, or try another CPU/memory combination.",
    },
    Row {
        matches: Match::Contains("Tasks provisioning capacity limit exceeded"),
        kind: "provisioning-limit",
        summary: "too many tasks were already waiting in PROVISIONING for capacity",
        advice: "Retry later, or let the capacity provider scale out before launching more tasks.",
    },
    Row {
        matches: Match::Contains("limit on the number of tasks you can run concurrently"),
        kind: "task-quota",
        summary: "the account reached its quota of concurrently running tasks",
        advice: "Stop unneeded tasks or request a Service Quotas increase.",
    },
    Row {
        matches: Match::Contains("limit on the number of vCPUs you can run concurrently"),
        kind: "vcpu-quota",
        summary: "the account reached its quota of concurrently running Fargate vCPUs",
        advice: "Stop unneeded tasks or request a Fargate vCPU Service Quotas increase.",
    },
    Row {
        matches: Match::Contains("requested CPU configuration is above your limit"),
        kind: "cpu-configuration-limit",
        summary: "the task's CPU size is above what the account may run",
        advice: "Lower the task's CPU or request a Service Quotas increase.",
    },
    Row {
        matches: Match::Contains("does not satisfy the task definition"),
        kind: "platform-incompatible",
        summary: "the platform (version) does not satisfy the task definition's required capabilities",
        advice: "Use a platform version (or launch type) that supports every capability the task definition requires.",
    },
    Row {
        matches: Match::Prefix("RESOURCE:"),
        kind: "resource-shortage",
        summary: "not enough free {} on the container instances",
        advice: "Add container instances or lower the task's reservations.",
    },
    Row {
        matches: Match::Exact(STOPPED_BEFORE_RUNNING),
        kind: "stopped-before-running",
        summary: "the task was accepted, then stopped before it ran, with a stoppedReason listed as transient (the watchdog sent it to be re-run)",
        advice: "Read the failure's Detail (the task's stoppedReason); if the cause keeps coming back, fix it (subnets, ENI limits, the registry) or take it out of WatchdogTransientStoppedReasons.",
    },
    Row {
        matches: Match::Exact(""),
        kind: "unknown",
        summary: "ECS gave no failure reason",
        advice: OTHER_ADVICE,
    },
];

impl FailureReason {
    /// Classifies one `failures[].reason` string. Never fails.
    pub fn classify(reason: &str) -> FailureReason {
        let r = reason.trim();
        TABLE
            .iter()
            .find_map(|row| {
                row.matches.rest(r).map(|rest| FailureReason::Known {
                    row,
                    rest: rest.to_string(),
                })
            })
            .unwrap_or_else(|| FailureReason::Other(reason.to_string()))
    }

    /// The table row, if one matched.
    pub fn row(&self) -> Option<&'static Row> {
        match self {
            FailureReason::Known { row, .. } => Some(row),
            FailureReason::Other(_) => None,
        }
    }

    /// Stable slug, e.g. `agent-disconnected`, `resource-shortage`, `unknown`.
    pub fn kind(&self) -> &'static str {
        self.row().map_or("unknown", |row| row.kind)
    }

    /// One-line human summary.
    pub fn summary(&self) -> String {
        match self {
            FailureReason::Known { row, rest } => match row.matches {
                Match::Prefix(_) => row.summary.replace("{}", rest),
                _ => row.summary.to_string(),
            },
            FailureReason::Other(_) => "a failure reason ecs-rerun does not know".to_string(),
        }
    }

    /// What a human can do about it (one sentence).
    pub fn advice(&self) -> &'static str {
        self.row().map_or(OTHER_ADVICE, |row| row.advice)
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind(), self.summary())
    }
}

/// A reason is retryable when its exact string (trimmed) is in `retryable_reasons`.
pub fn is_retryable(reason: &str, retryable_reasons: &[String]) -> bool {
    let r = reason.trim();
    retryable_reasons.iter().any(|allowed| allowed.trim() == r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_from_the_table() {
        // reason as sent, kind, summary
        let cases: &[(&str, &str, &str)] = &[
            (
                "AGENT",
                "agent-disconnected",
                "the ECS agent on the container instance was disconnected",
            ),
            (
                " AGENT ",
                "agent-disconnected",
                "the ECS agent on the container instance was disconnected",
            ),
            (
                "ATTRIBUTE",
                "missing-attribute",
                "no container instance has an attribute the task definition requires",
            ),
            (
                "MISSING",
                "not-found",
                "the container instance or cluster was not found",
            ),
            (
                "INACTIVE",
                "instance-inactive",
                "the container instance was deregistered and can no longer be used",
            ),
            (
                "LOCATION",
                "wrong-location",
                "the container instance is in a different Availability Zone than the task's subnets",
            ),
            (
                "RESOURCE:CPU",
                "resource-shortage",
                "not enough free CPU on the container instances",
            ),
            (
                "RESOURCE:MEMORY",
                "resource-shortage",
                "not enough free memory on the container instances",
            ),
            (
                "RESOURCE:PORTS",
                "resource-shortage",
                "a host port the task needs is already in use on the container instances",
            ),
            (
                "RESOURCE:PORTS_TCP",
                "resource-shortage",
                "a TCP host port the task needs is already in use on the container instances",
            ),
            (
                "RESOURCE:PORTS_UDP",
                "resource-shortage",
                "a UDP host port the task needs is already in use on the container instances",
            ),
            (
                "RESOURCE:ENI",
                "resource-shortage",
                "no free network-interface attachment for an awsvpc task on the container instances",
            ),
            (
                "RESOURCE:GPU",
                "resource-shortage",
                "not enough free GPUs on the container instances",
            ),
            (
                "RESOURCE:INFERENCE_ACCELERATOR",
                "resource-shortage",
                "not enough free INFERENCE_ACCELERATOR on the container instances",
            ),
            (
                "Capacity is unavailable at this time. Please try again later or in a different availability zone",
                "capacity-unavailable",
                "Fargate capacity was unavailable in the chosen Availability Zone",
            ),
            (
                "Tasks provisioning capacity limit exceeded.",
                "provisioning-limit",
                "too many tasks were already waiting in PROVISIONING for capacity",
            ),
            (
                "You've reached the limit on the number of tasks you can run concurrently",
                "task-quota",
                "the account reached its quota of concurrently running tasks",
            ),
            (
                "You've reached the limit on the number of vCPUs you can run concurrently",
                "vcpu-quota",
                "the account reached its quota of concurrently running Fargate vCPUs",
            ),
            (
                "The requested CPU configuration is above your limit",
                "cpu-configuration-limit",
                "the task's CPU size is above what the account may run",
            ),
            (
                "The specified platform does not satisfy the task definition's required capabilities.",
                "platform-incompatible",
                "the platform (version) does not satisfy the task definition's required capabilities",
            ),
            (
                "agent",
                "unknown",
                "a failure reason ecs-rerun does not know",
            ),
            (
                "Something new",
                "unknown",
                "a failure reason ecs-rerun does not know",
            ),
            ("", "unknown", "ECS gave no failure reason"),
            ("  ", "unknown", "ECS gave no failure reason"),
        ];
        for &(text, kind, summary) in cases {
            let got = FailureReason::classify(text);
            assert_eq!(got.kind(), kind, "{text:?}");
            assert_eq!(got.summary(), summary, "{text:?}");
            assert!(!got.advice().is_empty(), "{text:?}");
        }
        for (text, advice) in [
            (
                "RESOURCE:INFERENCE_ACCELERATOR",
                "Add container instances or lower the task's reservations.",
            ),
            ("Something new", OTHER_ADVICE),
            ("", OTHER_ADVICE),
            (
                "RESOURCE:GPU",
                "Add GPU-enabled container instances to the cluster.",
            ),
        ] {
            assert_eq!(FailureReason::classify(text).advice(), advice, "{text:?}");
        }
        assert_eq!(
            FailureReason::classify("Something new"),
            FailureReason::Other("Something new".into())
        );
        assert_eq!(
            FailureReason::classify("AGENT").to_string(),
            "agent-disconnected (the ECS agent on the container instance was disconnected)"
        );
    }

    #[test]
    fn every_row_is_reachable_and_documented() {
        let mut kinds = std::collections::HashSet::new();
        for row in TABLE {
            let sample = match row.matches {
                Match::Exact(s) | Match::Prefix(s) | Match::Contains(s) => s,
            };
            assert_eq!(FailureReason::classify(sample).row(), Some(row), "{sample}");
            assert!(!row.kind.is_empty() && !row.summary.is_empty() && !row.advice.is_empty());
            assert!(!row.summary.contains('\n') && !row.advice.contains('\n'));
            assert_eq!(
                row.summary.contains("{}"),
                matches!(row.matches, Match::Prefix(_)),
                "only a prefix row names the rest: {sample}"
            );
            kinds.insert(row.kind);
        }
        assert!(kinds.len() > 5);
    }

    #[test]
    fn retryability_is_exact_membership() {
        let default = vec!["AGENT".to_string()];
        for (reason, list, want) in [
            ("AGENT", &default, true),
            ("agent", &default, false),
            ("RESOURCE:MEMORY", &default, false),
            ("ATTRIBUTE", &default, false),
        ] {
            assert_eq!(is_retryable(reason, list), want, "{reason}");
        }
        let wide = vec![
            "AGENT".to_string(),
            "Capacity is unavailable at this time. Please try again later or in a different availability zone".to_string(),
        ];
        assert!(is_retryable(
            "Capacity is unavailable at this time. Please try again later or in a different availability zone",
            &wide
        ));
        assert!(!is_retryable("Capacity is unavailable", &wide));
        assert!(!is_retryable("AGENT", &[]));
    }
}
