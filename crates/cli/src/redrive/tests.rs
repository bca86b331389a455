//! `redrive` against the SDK's own test utilities (aws-smithy-mocks): the stack read through
//! CloudFormation, the queues' ARNs and depths, the move task started with the DLQ as source and
//! the queue as destination, its progress followed to the end.

use aws_sdk_cloudformation::operation::describe_stack_resources::DescribeStackResourcesOutput;
use aws_sdk_cloudformation::operation::describe_stacks::{
    DescribeStacksError, DescribeStacksOutput,
};
use aws_sdk_cloudformation::types::{ResourceStatus, StackResource, StackStatus};
use aws_sdk_sqs::Client as Sqs;
use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesOutput;
use aws_sdk_sqs::operation::list_message_move_tasks::ListMessageMoveTasksOutput;
use aws_sdk_sqs::operation::start_message_move_task::StartMessageMoveTaskOutput;
use aws_sdk_sqs::types::{ListMessageMoveTasksResultEntry, QueueAttributeName};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

use super::*;

const Q: &str = "https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-rerun-";
const ARN: &str = "arn:aws:sqs:eu-west-1:123456789012:ecs-rerun-";

fn args(queue: Option<Which>, no_wait: bool) -> Args {
    Args {
        stack_name: "ecs-rerun".to_string(),
        queue,
        no_wait,
        poll_seconds: 0,
        aws: AwsArgs::default(),
    }
}

fn cfn(with_notifier: bool) -> aws_sdk_cloudformation::Client {
    use aws_sdk_cloudformation::Client;
    let stacks = mock!(Client::describe_stacks).then_output(|| {
        DescribeStacksOutput::builder()
            .stacks(
                aws_sdk_cloudformation::types::Stack::builder()
                    .stack_name("ecs-rerun")
                    .stack_id("arn:aws:cloudformation:eu-west-1:123456789012:stack/ecs-rerun/1b2c")
                    .stack_status(StackStatus::CreateComplete)
                    .build(),
            )
            .build()
    });
    let resources = mock!(Client::describe_stack_resources).then_output(move || {
        let mut ids = vec![STARTER_DLQ, STARTER_QUEUE];
        if with_notifier {
            ids.extend([NOTIFIER_DLQ, NOTIFIER_QUEUE]);
        }
        let mut out = DescribeStackResourcesOutput::builder();
        for id in ids {
            out = out.stack_resources(
                StackResource::builder()
                    .logical_resource_id(id)
                    .physical_resource_id(format!("{Q}{id}"))
                    .resource_type("AWS::SQS::Queue")
                    .timestamp(aws_sdk_cloudformation::primitives::DateTime::from_secs(0))
                    .resource_status(ResourceStatus::CreateComplete)
                    .build(),
            );
        }
        out.build()
    });
    mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&stacks, &resources]
    )
}

fn attrs(id: &'static str, depth: u32) -> Rule {
    mock!(Sqs::get_queue_attributes)
        .match_requests(move |r| r.queue_url() == Some(format!("{Q}{id}").as_str()))
        .then_output(move || {
            GetQueueAttributesOutput::builder()
                .attributes(QueueAttributeName::QueueArn, format!("{ARN}{id}"))
                .attributes(
                    QueueAttributeName::ApproximateNumberOfMessages,
                    depth.to_string(),
                )
                .build()
        })
}

fn task(status: &str, moved: i64, total: i64) -> ListMessageMoveTasksOutput {
    ListMessageMoveTasksOutput::builder()
        .results(
            ListMessageMoveTasksResultEntry::builder()
                .status(status)
                .source_arn(format!("{ARN}{STARTER_DLQ}"))
                .approximate_number_of_messages_moved(moved)
                .approximate_number_of_messages_to_move(total)
                .build(),
        )
        .build()
}

fn no_tasks(id: &'static str) -> Rule {
    mock!(Sqs::list_message_move_tasks)
        .match_requests(move |r| r.source_arn() == Some(format!("{ARN}{id}").as_str()))
        .then_output(|| ListMessageMoveTasksOutput::builder().build())
}

#[tokio::test]
async fn moves_the_starter_dlq_back_and_says_the_notifier_dlq_is_empty() {
    let start = mock!(Sqs::start_message_move_task)
        .match_requests(|r| {
            r.source_arn() == Some(format!("{ARN}{STARTER_DLQ}").as_str())
                && r.destination_arn() == Some(format!("{ARN}{STARTER_QUEUE}").as_str())
        })
        .then_output(|| {
            StartMessageMoveTaskOutput::builder()
                .task_handle("h-1")
                .build()
        });
    let progress = mock!(Sqs::list_message_move_tasks)
        .match_requests(|r| r.source_arn() == Some(format!("{ARN}{STARTER_DLQ}").as_str()))
        .sequence()
        .output(|| ListMessageMoveTasksOutput::builder().build())
        .output(|| task("RUNNING", 1, 3))
        .output(|| task("RUNNING", 1, 3))
        .output(|| task("COMPLETED", 3, 3))
        .build();
    let sqs = mock_client!(
        aws_sdk_sqs,
        RuleMode::MatchAny,
        [
            &attrs(STARTER_DLQ, 3),
            &attrs(STARTER_QUEUE, 0),
            &attrs(NOTIFIER_DLQ, 0),
            &attrs(NOTIFIER_QUEUE, 0),
            &progress,
            &no_tasks(NOTIFIER_DLQ),
            &start,
        ]
    );
    let mut out = Vec::new();
    redrive(&cfn(true), &sqs, &args(None, false), &mut out)
        .await
        .expect("redrives");
    let out = String::from_utf8(out).expect("utf-8");
    assert_eq!(
        out,
        format!(
            "starter: moving about 3 message(s) from {ARN}{STARTER_DLQ} to {ARN}{STARTER_QUEUE} (task h-1)\n\
             starter: RUNNING 1/3 moved\n\
             starter: COMPLETED 3/3 moved\n\
             notifier: the DLQ is empty, nothing to move ({Q}{NOTIFIER_DLQ})\n"
        )
    );
    assert_eq!(start.num_calls(), 1);
    assert_eq!(progress.num_calls(), 4);
}

#[tokio::test]
async fn a_running_task_is_not_started_twice_and_a_failed_one_is_an_error() {
    let start = mock!(Sqs::start_message_move_task).then_output(|| {
        StartMessageMoveTaskOutput::builder()
            .task_handle("h-2")
            .build()
    });
    let progress = mock!(Sqs::list_message_move_tasks)
        .sequence()
        .output(|| task("RUNNING", 2, 5))
        .output(|| task("RUNNING", 2, 5))
        .output(|| {
            ListMessageMoveTasksOutput::builder()
                .results(
                    ListMessageMoveTasksResultEntry::builder()
                        .status("FAILED")
                        .approximate_number_of_messages_moved(2)
                        .approximate_number_of_messages_to_move(5)
                        .failure_reason("AccessDenied")
                        .build(),
                )
                .build()
        })
        .build();
    let sqs = mock_client!(
        aws_sdk_sqs,
        RuleMode::MatchAny,
        [
            &attrs(STARTER_DLQ, 5),
            &attrs(STARTER_QUEUE, 0),
            &progress,
            &start
        ]
    );
    let mut out = Vec::new();
    let err = redrive(
        &cfn(false),
        &sqs,
        &args(Some(Which::Starter), false),
        &mut out,
    )
    .await
    .expect_err("the task failed");
    assert_eq!(
        err.to_string(),
        "starter: the move task ended FAILED: AccessDenied"
    );
    let out = String::from_utf8(out).expect("utf-8");
    assert!(
        out.starts_with("starter: a move task is already running on "),
        "{out}"
    );
    assert!(out.contains("(2/5 moved); not starting another"), "{out}");
    assert_eq!(start.num_calls(), 0);
}

#[tokio::test]
async fn no_wait_returns_after_the_start_and_a_missing_notifier_is_exit_2() {
    let start = mock!(Sqs::start_message_move_task).then_output(|| {
        StartMessageMoveTaskOutput::builder()
            .task_handle("h-3")
            .build()
    });
    let sqs = mock_client!(
        aws_sdk_sqs,
        RuleMode::MatchAny,
        [
            &attrs(STARTER_DLQ, 1),
            &attrs(STARTER_QUEUE, 0),
            &no_tasks(STARTER_DLQ),
            &start
        ]
    );
    let mut out = Vec::new();
    redrive(&cfn(false), &sqs, &args(None, true), &mut out)
        .await
        .expect("starts");
    let out = String::from_utf8(out).expect("utf-8");
    assert!(
        out.ends_with("(task h-3)\nnotifier: no such queue in stack ecs-rerun (skipped)\n"),
        "{out}"
    );

    let err = redrive(
        &cfn(false),
        &sqs,
        &args(Some(Which::Notifier), true),
        &mut Vec::new(),
    )
    .await
    .expect_err("no notifier");
    assert_eq!(crate::common::exit_code(&err), crate::common::EXIT_INPUT);
    assert_eq!(
        err.to_string(),
        "stack ecs-rerun has no notifier queue and DLQ (NotifierQueue, NotifierDeadLetterQueue) (a stack without a Slack webhook has no notifier)"
    );
}

#[tokio::test]
async fn no_such_stack_is_one_line_exit_2() {
    use aws_sdk_cloudformation::Client;
    let missing = mock!(Client::describe_stacks).then_error(|| {
        DescribeStacksError::generic(
            aws_sdk_cloudformation::error::ErrorMetadata::builder()
                .code("ValidationError")
                .message("Stack with id nope does not exist")
                .build(),
        )
    });
    let cfn = mock_client!(aws_sdk_cloudformation, [&missing]);
    let sqs = mock_client!(aws_sdk_sqs, []);
    let mut a = args(None, false);
    a.stack_name = "nope".to_string();
    let err = redrive(&cfn, &sqs, &a, &mut Vec::new())
        .await
        .expect_err("no stack");
    assert_eq!(crate::common::exit_code(&err), crate::common::EXIT_INPUT);
    assert!(
        err.to_string().starts_with("stack nope does not exist"),
        "{err}"
    );
}
