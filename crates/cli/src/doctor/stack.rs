//! The deployed stack: its parameters and resources (CloudFormation DescribeStacks,
//! DescribeStackResources), and its state machine (Step Functions DescribeStateMachine).

use std::collections::BTreeMap;

use aws_sdk_cloudformation::error::ProvideErrorMetadata;

use super::aws::describe;
use super::report::Check;
use crate::common::InputError;

/// Logical ids in cloudformation/template.yaml the checks use.
pub const RULE: &str = "RunTaskFailureRule";
/// The queue the rule targets.
pub const STARTER_QUEUE: &str = "StarterQueue";
/// The starter queue's dead-letter queue.
pub const STARTER_DLQ: &str = "StarterDeadLetterQueue";
/// The notifier queue's dead-letter queue (only with a Slack webhook).
pub const NOTIFIER_DLQ: &str = "NotifierDeadLetterQueue";
/// The re-run state machine.
pub const STATE_MACHINE: &str = "StateMachine";

/// What the checks need to know about the stack.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stack {
    /// The stack's name.
    pub name: String,
    /// Region, from the stack id.
    pub region: String,
    /// Account id, from the stack id.
    pub account: String,
    /// Partition (`aws`, `aws-cn`, …), from the stack id.
    pub partition: String,
    /// Parameter values as deployed (`NoEcho` ones show as `****`).
    pub parameters: BTreeMap<String, String>,
    /// Logical id → physical id of every resource.
    pub resources: BTreeMap<String, String>,
}

impl Stack {
    /// The physical id of a resource, if the stack has it.
    pub fn physical(&self, logical_id: &str) -> Option<&str> {
        self.resources.get(logical_id).map(String::as_str)
    }

    /// The physical id of a resource every ecs-rerun stack has, or a failed check saying it is
    /// missing.
    pub fn require(&self, logical_id: &str, check: &str) -> Result<&str, Box<Check>> {
        self.physical(logical_id).ok_or_else(|| {
            Box::new(Check::fail(
                check,
                format!("stack {} has no resource {logical_id}", self.name),
                "check --stack-name: it must be a stack created from ecs-rerun's cloudformation/template.yaml",
            ))
        })
    }
}

/// Reads the stack. A stack that does not exist is an input error (exit 2, one line).
pub async fn resolve(cfn: &aws_sdk_cloudformation::Client, name: &str) -> anyhow::Result<Stack> {
    let region = cfn
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let stacks = match cfn.describe_stacks().stack_name(name).send().await {
        Ok(out) => out,
        Err(err) => {
            let missing = err
                .as_service_error()
                .and_then(|e| e.message())
                .is_some_and(|m| m.contains("does not exist"));
            if missing {
                return Err(InputError(format!("stack {name} does not exist in {region}")).into());
            }
            anyhow::bail!("cannot describe stack {name}: {}", describe(&err));
        }
    };
    let Some(found) = stacks.stacks().first() else {
        return Err(InputError(format!("stack {name} does not exist in {region}")).into());
    };
    let stack_id = found.stack_id().unwrap_or_default();
    // arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>
    let parts: Vec<&str> = stack_id.splitn(6, ':').collect();
    let arn_part = |i: usize, fallback: &str| {
        parts
            .get(i)
            .filter(|p| !p.is_empty())
            .map_or_else(|| fallback.to_string(), |p| p.to_string())
    };
    let parameters = found
        .parameters()
        .iter()
        .filter_map(|p| {
            Some((
                p.parameter_key()?.to_string(),
                p.parameter_value().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    let stack_name = found.stack_name().unwrap_or(name).to_string();

    let listed = cfn
        .describe_stack_resources()
        .stack_name(&stack_name)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot list the resources of stack {stack_name}: {}",
                describe(&e)
            )
        })?;
    let resources = listed
        .stack_resources()
        .iter()
        .filter_map(|r| {
            Some((
                r.logical_resource_id()?.to_string(),
                r.physical_resource_id()?.to_string(),
            ))
        })
        .collect();
    Ok(Stack {
        name: stack_name,
        partition: arn_part(1, "aws"),
        region: arn_part(3, &region),
        account: arn_part(4, ""),
        parameters,
        resources,
    })
}

/// The deployed state machine.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateMachine {
    /// Its ARN.
    pub arn: String,
    /// Its definition (ASL JSON, placeholders substituted).
    pub definition: String,
    /// The role it runs as.
    pub role_arn: String,
}

/// Why the state machine could not be read (both checks that need it fail with this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What is wrong.
    pub detail: String,
    /// How to fix it.
    pub fix: String,
}

impl Failure {
    /// The failed check.
    pub fn as_check(&self, check: &str) -> Check {
        Check::fail(check, &self.detail, &self.fix)
    }
}

/// DescribeStateMachine on the stack's StateMachine.
pub async fn describe_state_machine(
    sfn: &aws_sdk_sfn::Client,
    stack: &Stack,
) -> Result<StateMachine, Failure> {
    let Some(arn) = stack.physical(STATE_MACHINE) else {
        return Err(Failure {
            detail: format!("stack {} has no resource {STATE_MACHINE}", stack.name),
            fix: "check --stack-name: it must be a stack created from ecs-rerun's cloudformation/template.yaml".into(),
        });
    };
    let out = sfn
        .describe_state_machine()
        .state_machine_arn(arn)
        .send()
        .await
        .map_err(|e| Failure {
            detail: format!("DescribeStateMachine {arn} failed: {}", describe(&e)),
            fix: "the caller needs states:DescribeStateMachine on the stack's state machine".into(),
        })?;
    Ok(StateMachine {
        arn: out.state_machine_arn().to_string(),
        definition: out.definition().to_string(),
        role_arn: out.role_arn().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudformation::Client;
    use aws_sdk_cloudformation::operation::describe_stack_resources::DescribeStackResourcesOutput;
    use aws_sdk_cloudformation::operation::describe_stacks::{
        DescribeStacksError, DescribeStacksOutput,
    };
    use aws_sdk_cloudformation::types::{Parameter, StackResource, StackStatus};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    fn stack_output() -> DescribeStacksOutput {
        DescribeStacksOutput::builder()
            .stacks(
                aws_sdk_cloudformation::types::Stack::builder()
                    .stack_name("ecs-rerun")
                    .stack_id("arn:aws:cloudformation:eu-west-1:123456789012:stack/ecs-rerun/1b2c")
                    .stack_status(StackStatus::CreateComplete)
                    .parameters(
                        Parameter::builder()
                            .parameter_key("MaxAttempts")
                            .parameter_value("5")
                            .build(),
                    )
                    .parameters(
                        Parameter::builder()
                            .parameter_key("SlackWebhookUrl")
                            .parameter_value("****")
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn resource(logical: &str, physical: &str) -> StackResource {
        StackResource::builder()
            .logical_resource_id(logical)
            .physical_resource_id(physical)
            .resource_type("AWS::X::Y")
            .timestamp(aws_sdk_cloudformation::primitives::DateTime::from_secs(0))
            .resource_status(aws_sdk_cloudformation::types::ResourceStatus::CreateComplete)
            .build()
    }

    #[tokio::test]
    async fn reads_parameters_resources_and_the_stack_id() {
        let stacks = mock!(Client::describe_stacks)
            .match_requests(|r| r.stack_name() == Some("ecs-rerun"))
            .then_output(stack_output);
        let resources = mock!(Client::describe_stack_resources).then_output(|| {
            DescribeStackResourcesOutput::builder()
                .stack_resources(resource(RULE, "ecs-rerun-RunTaskFailureRule-AbC"))
                .stack_resources(resource(
                    STATE_MACHINE,
                    "arn:aws:states:eu-west-1:123456789012:stateMachine:sm",
                ))
                .build()
        });
        let cfn = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&stacks, &resources]
        );
        let stack = resolve(&cfn, "ecs-rerun").await.expect("stack");
        assert_eq!(stack.name, "ecs-rerun");
        assert_eq!(
            (
                stack.partition.as_str(),
                stack.region.as_str(),
                stack.account.as_str()
            ),
            ("aws", "eu-west-1", "123456789012")
        );
        assert_eq!(stack.parameters["MaxAttempts"], "5");
        assert_eq!(
            stack.physical(RULE),
            Some("ecs-rerun-RunTaskFailureRule-AbC")
        );
        assert_eq!(stack.physical(NOTIFIER_DLQ), None);
        let missing = stack
            .require(STARTER_DLQ, "dead-letter queues")
            .expect_err("missing");
        assert!(!missing.ok);
        assert!(
            missing
                .detail
                .contains("has no resource StarterDeadLetterQueue")
        );
    }

    #[tokio::test]
    async fn a_missing_stack_is_an_input_error() {
        let stacks = mock!(Client::describe_stacks).then_error(|| {
            DescribeStacksError::generic(
                aws_sdk_cloudformation::error::ErrorMetadata::builder()
                    .code("ValidationError")
                    .message("Stack with id nope does not exist")
                    .build(),
            )
        });
        let cfn = mock_client!(aws_sdk_cloudformation, [&stacks]);
        let err = resolve(&cfn, "nope").await.expect_err("missing");
        assert_eq!(crate::common::exit_code(&err), crate::common::EXIT_INPUT);
        assert!(
            err.to_string().starts_with("stack nope does not exist"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn another_error_is_not_an_input_error() {
        let stacks = mock!(Client::describe_stacks).then_error(|| {
            DescribeStacksError::generic(
                aws_sdk_cloudformation::error::ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("not allowed")
                    .build(),
            )
        });
        let cfn = mock_client!(aws_sdk_cloudformation, [&stacks]);
        let err = resolve(&cfn, "s").await.expect_err("denied");
        assert_eq!(crate::common::exit_code(&err), crate::common::EXIT_OTHER);
        assert_eq!(
            err.to_string(),
            "cannot describe stack s: AccessDenied: not allowed"
        );
    }
}
