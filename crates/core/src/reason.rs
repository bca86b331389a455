//! ECS `RunTask` failure reasons, classified from ONE table ([`TABLE`]).
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
    /// `AGENT`: the ECS agent on the container instance is disconnected.
    Agent,
    /// `ATTRIBUTE`: no container instance has an attribute the task definition requires.
    Attribute,
    /// `MISSING`: the container instance (or cluster) was not found.
    Missing,
    /// `INACTIVE`: the container instance was deregistered.
    Inactive,
    /// `LOCATION`: the container instance is in another Availability Zone than the task's subnets.
    Location,
    /// `RESOURCE:CPU`.
    ResourceCpu,
    /// `RESOURCE:MEMORY`.
    ResourceMemory,
    /// `RESOURCE:PORTS` (older agents), `RESOURCE:PORTS_TCP`, `RESOURCE:PORTS_UDP`.
    ResourcePorts,
    /// `RESOURCE:ENI`: no free network-interface attachment for an `awsvpc` task.
    ResourceEni,
    /// `RESOURCE:GPU`.
    ResourceGpu,
    /// Any other `RESOURCE:<name>`; holds `<name>`.
    Resource(String),
    /// Fargate: "Capacity is unavailable at this time. Please try again later or in a different
    /// availability zone".
    CapacityUnavailable,
    /// "Tasks provisioning capacity limit exceeded." (too many tasks in PROVISIONING).
    ProvisioningLimit,
    /// "You've reached the limit on the number of tasks you can run concurrently".
    ConcurrentTaskLimit,
    /// "You've reached the limit on the number of vCPUs you can run concurrently".
    ConcurrentVcpuLimit,
    /// "The requested CPU configuration is above your limit".
    CpuConfigurationLimit,
    /// The platform (version) does not satisfy the task definition's required capabilities.
    PlatformIncompatible,
    /// Anything else, verbatim.
    Other(String),
}

/// How a table row matches a reason string.
#[derive(Debug, Clone, Copy)]
pub enum Match {
    /// The whole reason (trimmed) equals this.
    Exact(&'static str),
    /// The reason (trimmed) starts with this.
    Prefix(&'static str),
    /// The reason contains this, case-insensitively (free text varies in punctuation).
    Contains(&'static str),
}

impl Match {
    fn matches(&self, reason: &str) -> bool {
        match self {
            Match::Exact(s) => reason == *s,
            Match::Prefix(s) => reason.starts_with(s),
            Match::Contains(s) => reason
                .to_ascii_lowercase()
                .contains(&s.to_ascii_lowercase()),
        }
    }
}

/// One row of the failure-reason table.
#[derive(Debug, Clone)]
pub struct Row {
    /// How the reason string is recognised.
    pub matches: Match,
    /// The class (a unit variant; `RESOURCE:*` and unknown text are handled after the table).
    pub reason: FailureReason,
    /// Stable slug, e.g. `agent-disconnected`.
    pub kind: &'static str,
    /// One-line human summary.
    pub summary: &'static str,
    /// What a human can do about it.
    pub advice: &'static str,
}

/// THE table. Order matters: the first matching row wins.
pub const TABLE: &[Row] = &[
    Row {
        matches: Match::Exact("AGENT"),
        reason: FailureReason::Agent,
        kind: "agent-disconnected",
        summary: "the ECS agent on the container instance was disconnected",
        advice: "Check the ECS agent on the container instance (its log, `systemctl status ecs`) and the instance's connection to ECS; replace the instance if the agent stays disconnected.",
    },
    Row {
        matches: Match::Exact("ATTRIBUTE"),
        reason: FailureReason::Attribute,
        kind: "missing-attribute",
        summary: "no container instance has an attribute the task definition requires",
        advice: "Compare the task definition's requirements (network mode, log driver, placement constraints) with the container instances' attributes (`ecs-cli check-attributes` or DescribeContainerInstances).",
    },
    Row {
        matches: Match::Exact("MISSING"),
        reason: FailureReason::Missing,
        kind: "not-found",
        summary: "the container instance or cluster was not found",
        advice: "Check the cluster name, the Region and the container instance ARN in the RunTask call.",
    },
    Row {
        matches: Match::Exact("INACTIVE"),
        reason: FailureReason::Inactive,
        kind: "instance-inactive",
        summary: "the container instance was deregistered and can no longer be used",
        advice: "Launch the task on a registered container instance, or register the instance again.",
    },
    Row {
        matches: Match::Exact("LOCATION"),
        reason: FailureReason::Location,
        kind: "wrong-location",
        summary: "the container instance is in a different Availability Zone than the task's subnets",
        advice: "Make the task's awsvpcConfiguration subnets cover the Availability Zones of the cluster's instances.",
    },
    Row {
        matches: Match::Exact("RESOURCE:CPU"),
        reason: FailureReason::ResourceCpu,
        kind: "resource-shortage",
        summary: "not enough free CPU on the container instances",
        advice: "Add container instances (or capacity-provider scaling) or lower the task's CPU reservation.",
    },
    Row {
        matches: Match::Exact("RESOURCE:MEMORY"),
        reason: FailureReason::ResourceMemory,
        kind: "resource-shortage",
        summary: "not enough free memory on the container instances",
        advice: "Add container instances (or capacity-provider scaling) or lower the task's memory reservation.",
    },
    Row {
        matches: Match::Exact("RESOURCE:PORTS"),
        reason: FailureReason::ResourcePorts,
        kind: "resource-shortage",
        summary: "a host port the task needs is already in use on the container instances",
        advice: "Use dynamic host ports (hostPort 0) or add container instances.",
    },
    Row {
        matches: Match::Exact("RESOURCE:PORTS_TCP"),
        reason: FailureReason::ResourcePorts,
        kind: "resource-shortage",
        summary: "a TCP host port the task needs is already in use on the container instances",
        advice: "Use dynamic host ports (hostPort 0) or add container instances.",
    },
    Row {
        matches: Match::Exact("RESOURCE:PORTS_UDP"),
        reason: FailureReason::ResourcePorts,
        kind: "resource-shortage",
        summary: "a UDP host port the task needs is already in use on the container instances",
        advice: "Use dynamic host ports (hostPort 0) or add container instances.",
    },
    Row {
        matches: Match::Exact("RESOURCE:ENI"),
        reason: FailureReason::ResourceEni,
        kind: "resource-shortage",
        summary: "no free network-interface attachment for an awsvpc task on the container instances",
        advice: "Enable awsvpcTrunking, use instance types with more network interfaces, or add container instances.",
    },
    Row {
        matches: Match::Exact("RESOURCE:GPU"),
        reason: FailureReason::ResourceGpu,
        kind: "resource-shortage",
        summary: "not enough free GPUs on the container instances",
        advice: "Add GPU-enabled container instances to the cluster.",
    },
    Row {
        matches: Match::Contains("Capacity is unavailable at this time"),
        reason: FailureReason::CapacityUnavailable,
        kind: "capacity-unavailable",
        summary: "Fargate capacity was unavailable in the chosen Availability Zone",
        advice: "Retry later, give the task subnets in several Availability Zones, or try another CPU/memory combination.",
    },
    Row {
        matches: Match::Contains("Tasks provisioning capacity limit exceeded"),
        reason: FailureReason::ProvisioningLimit,
        kind: "provisioning-limit",
        summary: "too many tasks were already waiting in PROVISIONING for capacity",
        advice: "Retry later, or let the capacity provider scale out before launching more tasks.",
    },
    Row {
        matches: Match::Contains("limit on the number of tasks you can run concurrently"),
        reason: FailureReason::ConcurrentTaskLimit,
        kind: "task-quota",
        summary: "the account reached its quota of concurrently running tasks",
        advice: "Stop unneeded tasks or request a Service Quotas increase.",
    },
    Row {
        matches: Match::Contains("limit on the number of vCPUs you can run concurrently"),
        reason: FailureReason::ConcurrentVcpuLimit,
        kind: "vcpu-quota",
        summary: "the account reached its quota of concurrently running Fargate vCPUs",
        advice: "Stop unneeded tasks or request a Fargate vCPU Service Quotas increase.",
    },
    Row {
        matches: Match::Contains("requested CPU configuration is above your limit"),
        reason: FailureReason::CpuConfigurationLimit,
        kind: "cpu-configuration-limit",
        summary: "the task's CPU size is above what the account may run",
        advice: "Lower the task's CPU or request a Service Quotas increase.",
    },
    Row {
        matches: Match::Contains("does not satisfy the task definition"),
        reason: FailureReason::PlatformIncompatible,
        kind: "platform-incompatible",
        summary: "the platform (version) does not satisfy the task definition's required capabilities",
        advice: "Use a platform version (or launch type) that supports every capability the task definition requires.",
    },
];

/// `RESOURCE:<name>` rows not in the table (a resource ECS adds later).
const RESOURCE_PREFIX: &str = "RESOURCE:";

impl FailureReason {
    /// Classifies one `failures[].reason` string. Never fails.
    pub fn classify(reason: &str) -> FailureReason {
        let r = reason.trim();
        if let Some(row) = TABLE.iter().find(|row| row.matches.matches(r)) {
            return row.reason.clone();
        }
        if let Some(name) = r.strip_prefix(RESOURCE_PREFIX) {
            return FailureReason::Resource(name.to_string());
        }
        FailureReason::Other(reason.to_string())
    }

    fn row(&self) -> Option<&'static Row> {
        match self {
            FailureReason::Resource(_) | FailureReason::Other(_) => None,
            known => TABLE.iter().find(|row| &row.reason == known),
        }
    }

    /// Stable slug, e.g. `agent-disconnected`, `resource-shortage`, `unknown`.
    pub fn kind(&self) -> &'static str {
        match self {
            FailureReason::Resource(_) => "resource-shortage",
            FailureReason::Other(_) => "unknown",
            known => known.row().map_or("unknown", |row| row.kind),
        }
    }

    /// One-line human summary.
    pub fn summary(&self) -> String {
        match self {
            FailureReason::Resource(name) => {
                format!("not enough free {name} on the container instances")
            }
            FailureReason::Other(text) if text.trim().is_empty() => {
                "ECS gave no failure reason".to_string()
            }
            FailureReason::Other(_) => "a failure reason ecs-rerun does not know".to_string(),
            known => known
                .row()
                .map_or_else(String::new, |row| row.summary.to_string()),
        }
    }

    /// What a human can do about it (one sentence).
    pub fn advice(&self) -> &'static str {
        match self {
            FailureReason::Resource(_) => {
                "Add container instances or lower the task's reservations."
            }
            FailureReason::Other(_) => {
                "Look the reason up in the ECS documentation (API failure reasons) and the CloudTrail event."
            }
            known => known.row().map_or("", |row| row.advice),
        }
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
        use FailureReason::*;
        let cases: Vec<(&str, FailureReason, &str)> = vec![
            ("AGENT", Agent, "agent-disconnected"),
            (" AGENT ", Agent, "agent-disconnected"),
            ("ATTRIBUTE", Attribute, "missing-attribute"),
            ("MISSING", Missing, "not-found"),
            ("INACTIVE", Inactive, "instance-inactive"),
            ("LOCATION", Location, "wrong-location"),
            ("RESOURCE:CPU", ResourceCpu, "resource-shortage"),
            ("RESOURCE:MEMORY", ResourceMemory, "resource-shortage"),
            ("RESOURCE:PORTS", ResourcePorts, "resource-shortage"),
            ("RESOURCE:PORTS_TCP", ResourcePorts, "resource-shortage"),
            ("RESOURCE:PORTS_UDP", ResourcePorts, "resource-shortage"),
            ("RESOURCE:ENI", ResourceEni, "resource-shortage"),
            ("RESOURCE:GPU", ResourceGpu, "resource-shortage"),
            (
                "RESOURCE:INFERENCE_ACCELERATOR",
                Resource("INFERENCE_ACCELERATOR".into()),
                "resource-shortage",
            ),
            (
                "Capacity is unavailable at this time. Please try again later or in a different availability zone",
                CapacityUnavailable,
                "capacity-unavailable",
            ),
            (
                "Tasks provisioning capacity limit exceeded.",
                ProvisioningLimit,
                "provisioning-limit",
            ),
            (
                "You've reached the limit on the number of tasks you can run concurrently",
                ConcurrentTaskLimit,
                "task-quota",
            ),
            (
                "You've reached the limit on the number of vCPUs you can run concurrently",
                ConcurrentVcpuLimit,
                "vcpu-quota",
            ),
            (
                "The requested CPU configuration is above your limit",
                CpuConfigurationLimit,
                "cpu-configuration-limit",
            ),
            (
                "The specified platform does not satisfy the task definition's required capabilities.",
                PlatformIncompatible,
                "platform-incompatible",
            ),
            ("agent", Other("agent".into()), "unknown"),
            ("Something new", Other("Something new".into()), "unknown"),
            ("", Other(String::new()), "unknown"),
        ];
        for (text, want, kind) in cases {
            let got = FailureReason::classify(text);
            assert_eq!(got, want, "{text:?}");
            assert_eq!(got.kind(), kind, "{text:?}");
            assert!(!got.summary().is_empty(), "{text:?}");
            assert!(!got.summary().contains('\n'), "{text:?}");
            assert!(!got.advice().is_empty(), "{text:?}");
        }
    }

    #[test]
    fn every_row_is_reachable_and_documented() {
        for row in TABLE {
            let sample = match row.matches {
                Match::Exact(s) | Match::Prefix(s) | Match::Contains(s) => s,
            };
            assert_eq!(FailureReason::classify(sample), row.reason, "{sample}");
            assert!(!row.summary.is_empty() && !row.advice.is_empty());
        }
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
