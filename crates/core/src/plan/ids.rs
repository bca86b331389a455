//! The names a plan derives from its event (CONTRACT §2–§4): task family, cluster name, the
//! `startedBy` marker, the execution's name and ARN, and the re-runs' client tokens.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Prefix of the `startedBy` marker every re-run carries (CONTRACT §2).
pub const MARKER_PREFIX: &str = "ecs-rerun/";
/// Maximum length of a Standard workflow execution name.
pub const MAX_EXECUTION_NAME: usize = 80;
/// Default state machine name when no ARN is configured.
pub const DEFAULT_STATE_MACHINE_NAME: &str = "ecs-rerun";

/// One RunTask idempotency token (PascalCase: merged into the `ecs:runTask` parameters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientToken {
    /// 64 hex characters.
    #[serde(rename = "ClientToken")]
    pub client_token: String,
}

/// Task definition family of `family`, `family:rev` or a task-definition ARN.
pub fn task_family_of(task_definition: &str) -> String {
    let last = task_definition
        .rsplit('/')
        .next()
        .unwrap_or(task_definition);
    let last = if task_definition.starts_with("arn:") && !task_definition.contains('/') {
        // Malformed ARN without a resource path: keep what follows the last ':'-separated field.
        task_definition
            .rsplit(':')
            .next()
            .unwrap_or(task_definition)
    } else {
        last
    };
    last.split(':').next().unwrap_or(last).to_string()
}

/// Cluster name of a cluster name or ARN.
pub fn cluster_name_of(cluster: &str) -> &str {
    if cluster.starts_with("arn:") {
        cluster.rsplit('/').next().unwrap_or(cluster)
    } else {
        cluster
    }
}

/// The `startedBy` of the re-runs of the call with this CloudTrail `eventID`.
pub fn marker(event_id: &str) -> String {
    format!("{MARKER_PREFIX}{event_id}")
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `<family>-<eventID>`, characters outside `[A-Za-z0-9_-]` replaced by `-`, ≤ 80 characters.
/// The family is shortened first so the eventID (what makes the name unique) survives.
pub fn execution_name(task_family: &str, event_id: &str) -> String {
    let id = sanitize(event_id);
    let family = if task_family.is_empty() {
        "task".to_string()
    } else {
        sanitize(task_family)
    };
    let room = MAX_EXECUTION_NAME.saturating_sub(id.len() + 1).max(1);
    let family: String = family.chars().take(room).collect();
    let name = format!("{family}-{id}");
    name.chars().take(MAX_EXECUTION_NAME).collect()
}

/// The state machine a plan is started on when none is configured:
/// `arn:<partition>:states:<region>:<account>:stateMachine:ecs-rerun`.
pub fn default_state_machine_arn(partition: &str, region: &str, account: &str) -> String {
    format!("arn:{partition}:states:{region}:{account}:stateMachine:{DEFAULT_STATE_MACHINE_NAME}")
}

/// Execution ARN from a state machine ARN (`#TestCase` suffix dropped).
pub fn execution_arn(state_machine_arn: &str, execution_name: &str) -> String {
    let base = state_machine_arn
        .split('#')
        .next()
        .unwrap_or(state_machine_arn);
    format!(
        "{}:{execution_name}",
        base.replacen(":stateMachine:", ":execution:", 1)
    )
}

/// Client token of re-run `n` (1-based): `hex(SHA-256("<executionName>#<n>"))`.
pub fn client_token(execution_name: &str, n: u32) -> String {
    hex::encode(Sha256::digest(format!("{execution_name}#{n}").as_bytes()))
}

/// The client tokens of re-runs 1 to `max_attempts`.
pub fn client_tokens(execution_name: &str, max_attempts: u32) -> Vec<ClientToken> {
    (1..=max_attempts)
        .map(|n| ClientToken {
            client_token: client_token(execution_name, n),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_names() {
        let id = "6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b";
        for (td, want) in [
            ("nightly-batch:12", format!("nightly-batch-{id}")),
            ("nightly-batch", format!("nightly-batch-{id}")),
            (
                "arn:aws:ecs:us-east-1:123456789012:task-definition/nightly.batch:7",
                format!("nightly-batch-{id}"),
            ),
            ("a b/c:1", format!("c-{id}")),
        ] {
            assert_eq!(execution_name(&task_family_of(td), id), want, "{td}");
        }
        let long = "x".repeat(100);
        let name = execution_name(&long, id);
        assert_eq!(name.len(), 80);
        assert!(name.ends_with(id));
        assert_eq!(execution_name("", "e"), "task-e");
    }

    #[test]
    fn families_and_cluster_names() {
        for (td, want) in [
            ("nightly-batch:12", "nightly-batch"),
            (
                "arn:aws:ecs:us-east-1:123456789012:task-definition/nightly-batch:7",
                "nightly-batch",
            ),
            (
                "arn:aws:ecs:us-east-1:123456789012:nightly-batch",
                "nightly-batch",
            ),
            ("", ""),
        ] {
            assert_eq!(task_family_of(td), want, "{td}");
        }
        for (cluster, want) in [
            ("prod", "prod"),
            ("arn:aws:ecs:us-east-1:123456789012:cluster/prod", "prod"),
        ] {
            assert_eq!(cluster_name_of(cluster), want, "{cluster}");
        }
    }

    #[test]
    fn execution_arns() {
        for (sm, want) in [
            (
                "arn:aws:states:us-east-1:123456789012:stateMachine:sm#Test",
                "arn:aws:states:us-east-1:123456789012:execution:sm:n",
            ),
            (
                default_state_machine_arn("aws-cn", "cn-north-1", "123456789012").as_str(),
                "arn:aws-cn:states:cn-north-1:123456789012:execution:ecs-rerun:n",
            ),
        ] {
            assert_eq!(execution_arn(sm, "n"), want);
        }
    }

    #[test]
    fn markers_and_tokens() {
        assert_eq!(marker("e-1"), "ecs-rerun/e-1");
        let tokens = client_tokens("n", 3);
        assert_eq!(tokens.len(), 3);
        assert_eq!(tokens[0].client_token, client_token("n", 1));
        assert!(tokens.iter().all(|t| t.client_token.len() == 64));
        assert_ne!(tokens[0], tokens[1]);
    }
}
