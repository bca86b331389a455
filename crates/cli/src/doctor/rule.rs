//! Check `rule`: the stack's RunTaskFailureRule is enabled (EventBridge DescribeRule) and targets
//! the starter queue (ListTargetsByRule; the queue's ARN from SQS GetQueueAttributes).

use aws_sdk_eventbridge::types::RuleState;
use aws_sdk_sqs::types::QueueAttributeName;

use super::aws::describe;
use super::report::Check;
use super::stack::{RULE, STARTER_QUEUE, Stack};

/// The check's name.
pub const NAME: &str = "rule";

/// Event bus and rule name from a rule's physical id: `name` (default bus), `bus|name`, or an ARN
/// `arn:…:rule/name` / `arn:…:rule/bus/name`.
pub fn rule_name(physical_id: &str) -> (Option<&str>, &str) {
    let id = if physical_id.starts_with("arn:") {
        physical_id
            .split_once(":rule/")
            .map_or(physical_id, |(_, rest)| rest)
    } else {
        physical_id
    };
    match id.split_once(['|', '/']) {
        Some((bus, name)) => (Some(bus), name),
        None => (None, id),
    }
}

/// Runs the check.
pub async fn check(
    events: &aws_sdk_eventbridge::Client,
    sqs: &aws_sdk_sqs::Client,
    stack: &Stack,
) -> Check {
    match run(events, sqs, stack).await {
        Ok(c) | Err(c) => c,
    }
}

async fn run(
    events: &aws_sdk_eventbridge::Client,
    sqs: &aws_sdk_sqs::Client,
    stack: &Stack,
) -> Result<Check, Check> {
    let physical = stack.require(RULE, NAME).map_err(|c| *c)?;
    let queue_url = stack.require(STARTER_QUEUE, NAME).map_err(|c| *c)?;
    let (bus, name) = rule_name(physical);
    let region = &stack.region;
    let bus_flag = bus
        .map(|b| format!(" --event-bus-name {b}"))
        .unwrap_or_default();

    let rule = events
        .describe_rule()
        .name(name)
        .set_event_bus_name(bus.map(str::to_string))
        .send()
        .await
        .map_err(|e| {
            Check::fail(
                NAME,
                format!("DescribeRule {name} failed: {}", describe(&e)),
                "the caller needs events:DescribeRule and events:ListTargetsByRule on the stack's rule",
            )
        })?;
    let state = rule.state().cloned();
    let enabled = matches!(
        state,
        Some(RuleState::Enabled | RuleState::EnabledWithAllCloudtrailManagementEvents)
    );
    if !enabled {
        let shown = state.as_ref().map_or("without a state", RuleState::as_str);
        return Err(Check::fail(
            NAME,
            format!(
                "rule {name} is {shown}: RunTask failures are not forwarded to the starter queue"
            ),
            format!("aws events enable-rule --name {name}{bus_flag} --region {region}"),
        ));
    }

    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| {
            Check::fail(
                NAME,
                format!(
                    "GetQueueAttributes on the starter queue {queue_url} failed: {}",
                    describe(&e)
                ),
                "the caller needs sqs:GetQueueAttributes on the stack's queues",
            )
        })?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .unwrap_or_default();

    let targets = events
        .list_targets_by_rule()
        .rule(name)
        .set_event_bus_name(bus.map(str::to_string))
        .send()
        .await
        .map_err(|e| {
            Check::fail(
                NAME,
                format!("ListTargetsByRule {name} failed: {}", describe(&e)),
                "the caller needs events:ListTargetsByRule on the stack's rule",
            )
        })?;
    let arns: Vec<&str> = targets.targets().iter().map(|t| t.arn()).collect();
    if !queue_arn.is_empty() && arns.contains(&queue_arn.as_str()) {
        return Ok(Check::pass(
            NAME,
            format!("rule {name} is ENABLED and targets the starter queue {queue_arn}"),
        ));
    }
    let found = if arns.is_empty() {
        "no target".to_string()
    } else {
        format!("targets {}", arns.join(", "))
    };
    Err(Check::fail(
        NAME,
        format!("rule {name} is ENABLED but has {found}, not the starter queue {queue_arn}"),
        format!(
            "aws events put-targets --rule {name}{bus_flag} --region {region} --targets Id=starter-queue,Arn={queue_arn} (or update the stack, whose template sets this target)"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_eventbridge::Client as Events;
    use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
    use aws_sdk_eventbridge::operation::list_targets_by_rule::ListTargetsByRuleOutput;
    use aws_sdk_eventbridge::types::Target;
    use aws_sdk_sqs::Client as Sqs;
    use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesOutput;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    const QUEUE_URL: &str =
        "https://sqs.us-east-1.amazonaws.com/123456789012/ecs-rerun-StarterQueue-x";
    const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:ecs-rerun-StarterQueue-x";

    fn stack() -> Stack {
        Stack {
            name: "ecs-rerun".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            partition: "aws".into(),
            resources: [
                (
                    RULE.to_string(),
                    "ecs-rerun-RunTaskFailureRule-1A".to_string(),
                ),
                (STARTER_QUEUE.to_string(), QUEUE_URL.to_string()),
            ]
            .into(),
            ..Stack::default()
        }
    }

    fn queue() -> Rule {
        mock!(Sqs::get_queue_attributes)
            .match_requests(|r| r.queue_url() == Some(QUEUE_URL))
            .then_output(|| {
                GetQueueAttributesOutput::builder()
                    .attributes(QueueAttributeName::QueueArn, QUEUE_ARN)
                    .build()
            })
    }

    fn rule(state: RuleState) -> Rule {
        mock!(Events::describe_rule)
            .match_requests(|r| {
                r.name() == Some("ecs-rerun-RunTaskFailureRule-1A") && r.event_bus_name().is_none()
            })
            .then_output(move || {
                DescribeRuleOutput::builder()
                    .name("r")
                    .state(state.clone())
                    .build()
            })
    }

    fn targets(arn: &'static str) -> Rule {
        mock!(Events::list_targets_by_rule).then_output(move || {
            ListTargetsByRuleOutput::builder()
                .targets(
                    Target::builder()
                        .id("starter-queue")
                        .arn(arn)
                        .build()
                        .expect("target"),
                )
                .build()
        })
    }

    #[test]
    fn rule_names_from_physical_ids() {
        assert_eq!(
            rule_name("ecs-rerun-RunTaskFailureRule-1A"),
            (None, "ecs-rerun-RunTaskFailureRule-1A")
        );
        assert_eq!(rule_name("bus|r"), (Some("bus"), "r"));
        assert_eq!(
            rule_name("arn:aws:events:us-east-1:123456789012:rule/r"),
            (None, "r")
        );
        assert_eq!(
            rule_name("arn:aws:events:us-east-1:123456789012:rule/bus/r"),
            (Some("bus"), "r")
        );
    }

    #[tokio::test]
    async fn passes_when_enabled_with_the_starter_queue_as_target() {
        let (r, t, q) = (rule(RuleState::Enabled), targets(QUEUE_ARN), queue());
        let events = mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&r, &t]);
        let sqs = mock_client!(aws_sdk_sqs, [&q]);
        let c = check(&events, &sqs, &stack()).await;
        assert!(c.ok, "{c:?}");
        assert_eq!(
            c.detail,
            format!(
                "rule ecs-rerun-RunTaskFailureRule-1A is ENABLED and targets the starter queue {QUEUE_ARN}"
            )
        );
    }

    #[tokio::test]
    async fn fails_when_disabled() {
        let r = rule(RuleState::Disabled);
        let events = mock_client!(aws_sdk_eventbridge, [&r]);
        let q = queue();
        let sqs = mock_client!(aws_sdk_sqs, [&q]);
        let c = check(&events, &sqs, &stack()).await;
        assert!(!c.ok);
        assert!(c.detail.contains("is DISABLED"), "{}", c.detail);
        assert_eq!(
            c.fix.as_deref(),
            Some(
                "aws events enable-rule --name ecs-rerun-RunTaskFailureRule-1A --region us-east-1"
            )
        );
    }

    #[tokio::test]
    async fn fails_when_the_target_is_another_queue() {
        let (r, t, q) = (
            rule(RuleState::Enabled),
            targets("arn:aws:sqs:us-east-1:123456789012:other"),
            queue(),
        );
        let events = mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&r, &t]);
        let sqs = mock_client!(aws_sdk_sqs, [&q]);
        let c = check(&events, &sqs, &stack()).await;
        assert!(!c.ok);
        assert!(
            c.detail.contains(
                "has targets arn:aws:sqs:us-east-1:123456789012:other, not the starter queue"
            ),
            "{}",
            c.detail
        );
        assert!(
            c.fix
                .as_deref()
                .is_some_and(|f| f.contains(&format!("Arn={QUEUE_ARN}")))
        );
    }

    #[tokio::test]
    async fn fails_when_the_stack_has_no_rule() {
        let events = mock_client!(aws_sdk_eventbridge, []);
        let sqs = mock_client!(aws_sdk_sqs, []);
        let c = check(
            &events,
            &sqs,
            &Stack {
                name: "other".into(),
                ..Stack::default()
            },
        )
        .await;
        assert!(!c.ok);
        assert_eq!(c.detail, "stack other has no resource RunTaskFailureRule");
    }
}
