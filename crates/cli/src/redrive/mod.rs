//! `ecs-rerun redrive`: move dead-lettered messages back to the queue they came from (SQS
//! `StartMessageMoveTask`, source = the DLQ, destination = its queue), then follow the move task
//! (`ListMessageMoveTasks`) until it completes or fails, printing progress.
//!
//! The queues come from the stack's resources (the logical ids of cloudformation/template.yaml).
//! Without `--queue` both are redriven: the starter's, then the notifier's (a stack without a Slack
//! webhook has no notifier queue; it is skipped). An empty DLQ is said and is not an error; a move
//! task already running on a DLQ is said and followed, not started twice.

use std::io::Write;
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;

use crate::common::InputError;
use crate::doctor::aws::{AwsArgs, describe};
use crate::doctor::stack::{self, NOTIFIER_DLQ, STARTER_DLQ, STARTER_QUEUE, Stack};

/// The notifier's source queue (logical id in cloudformation/template.yaml).
pub const NOTIFIER_QUEUE: &str = "NotifierQueue";

/// Which queue to redrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    /// The starter's queue (EventBridge rule → starter).
    Starter,
    /// The notifier's queue (SNS → notifier → Slack).
    Notifier,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Starter => "starter",
            Which::Notifier => "notifier",
        }
    }
    /// (DLQ, queue) logical ids.
    fn logical_ids(self) -> (&'static str, &'static str) {
        match self {
            Which::Starter => (STARTER_DLQ, STARTER_QUEUE),
            Which::Notifier => (NOTIFIER_DLQ, NOTIFIER_QUEUE),
        }
    }
}

/// Move dead-lettered messages back to their queue.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Args {
    /// The ecs-rerun stack
    #[arg(long, value_name = "NAME")]
    pub stack_name: String,
    /// Only this queue's DLQ (default: both, starter then notifier)
    #[arg(long, value_enum, value_name = "QUEUE")]
    pub queue: Option<Which>,
    /// Start the move task(s) and return without following them
    #[arg(long)]
    pub no_wait: bool,
    /// Seconds between progress polls
    #[arg(long, value_name = "SECONDS", default_value_t = 2)]
    pub poll_seconds: u64,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Runs the command: progress on stdout, one line per step.
pub fn run(args: Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let sdk = args.aws.sdk_config().await?;
        let cfn = aws_sdk_cloudformation::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let mut out = std::io::stdout().lock();
        redrive(&cfn, &sqs, &args, &mut out).await
    })
}

/// The whole command against the given clients (tested with aws-smithy-mocks).
pub async fn redrive(
    cfn: &aws_sdk_cloudformation::Client,
    sqs: &aws_sdk_sqs::Client,
    args: &Args,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let stack = stack::resolve(cfn, &args.stack_name).await?;
    let chosen = match args.queue {
        Some(w) => vec![w],
        None => vec![Which::Starter, Which::Notifier],
    };
    for which in chosen {
        let (dlq_id, queue_id) = which.logical_ids();
        let (Some(dlq), Some(queue)) = (stack.physical(dlq_id), stack.physical(queue_id)) else {
            if args.queue.is_some() {
                return Err(no_queue(&stack, which).into());
            }
            writeln!(
                out,
                "{}: no such queue in stack {} (skipped)",
                which.name(),
                stack.name
            )?;
            continue;
        };
        one(sqs, which, dlq, queue, args, out).await?;
    }
    Ok(())
}

fn no_queue(stack: &Stack, which: Which) -> InputError {
    let hint = if which == Which::Notifier {
        " (a stack without a Slack webhook has no notifier)"
    } else {
        ""
    };
    InputError(format!(
        "stack {} has no {} queue and DLQ ({}, {}){hint}",
        stack.name,
        which.name(),
        which.logical_ids().1,
        which.logical_ids().0
    ))
}

/// Redrives one DLQ into its queue.
async fn one(
    sqs: &aws_sdk_sqs::Client,
    which: Which,
    dlq_url: &str,
    queue_url: &str,
    args: &Args,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let name = which.name();
    let (dlq_arn, waiting) = queue_facts(sqs, dlq_url).await?;
    let (queue_arn, _) = queue_facts(sqs, queue_url).await?;
    if let Some(task) = latest_task(sqs, &dlq_arn).await? {
        if task.status == "RUNNING" {
            writeln!(
                out,
                "{name}: a move task is already running on {dlq_arn} ({}/{} moved); not starting another",
                task.moved, task.total
            )?;
            return if args.no_wait {
                Ok(())
            } else {
                follow(sqs, name, &dlq_arn, args, out).await
            };
        }
    }
    if waiting == 0 {
        writeln!(out, "{name}: the DLQ is empty, nothing to move ({dlq_url})")?;
        return Ok(());
    }
    let started = sqs
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .destination_arn(&queue_arn)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{name}: StartMessageMoveTask failed: {}", describe(&e)))?;
    writeln!(
        out,
        "{name}: moving about {waiting} message(s) from {dlq_arn} to {queue_arn} (task {})",
        started.task_handle().unwrap_or("?")
    )?;
    if args.no_wait {
        return Ok(());
    }
    follow(sqs, name, &dlq_arn, args, out).await
}

/// `QueueArn` and `ApproximateNumberOfMessages` of a queue.
async fn queue_facts(sqs: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<(String, u64)> {
    let got = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("cannot read queue {url}: {}", describe(&e)))?;
    let attrs = got.attributes();
    let arn = attrs
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("queue {url} has no QueueArn attribute"))?;
    let count = attrs
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Ok((arn, count))
}

/// What `ListMessageMoveTasks` says about the newest task of a DLQ.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Task {
    status: String,
    moved: i64,
    total: String,
    failure: Option<String>,
}

async fn latest_task(sqs: &aws_sdk_sqs::Client, dlq_arn: &str) -> anyhow::Result<Option<Task>> {
    let listed = sqs
        .list_message_move_tasks()
        .source_arn(dlq_arn)
        .max_results(1)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("ListMessageMoveTasks failed: {}", describe(&e)))?;
    Ok(listed.results().first().map(|r| Task {
        status: r.status().unwrap_or("UNKNOWN").to_string(),
        moved: r.approximate_number_of_messages_moved(),
        total: r
            .approximate_number_of_messages_to_move()
            .map_or_else(|| "?".to_string(), |n| n.to_string()),
        failure: r.failure_reason().map(str::to_string),
    }))
}

/// Polls the newest task until it is no longer RUNNING; FAILED or CANCELLED is an error.
async fn follow(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    dlq_arn: &str,
    args: &Args,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut last = None;
    loop {
        let Some(task) = latest_task(sqs, dlq_arn).await? else {
            anyhow::bail!("{name}: ListMessageMoveTasks lists no task for {dlq_arn}");
        };
        let line = format!(
            "{name}: {} {}/{} moved",
            task.status, task.moved, task.total
        );
        if last.as_ref() != Some(&line) {
            writeln!(out, "{line}")?;
            last = Some(line);
        }
        match task.status.as_str() {
            "RUNNING" | "CANCELLING" => {
                // The CLI's one task on a current-thread runtime: nothing else to run meanwhile.
                std::thread::sleep(Duration::from_secs(args.poll_seconds));
            }
            "COMPLETED" => return Ok(()),
            other => anyhow::bail!(
                "{name}: the move task ended {other}{}",
                task.failure.map(|f| format!(": {f}")).unwrap_or_default()
            ),
        }
    }
}

#[cfg(test)]
mod tests;
