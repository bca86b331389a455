//! Check `dead-letter queues`: the starter's and (with a Slack webhook) the notifier's dead-letter
//! queues are empty (SQS GetQueueAttributes `ApproximateNumberOfMessages`). A message there is an
//! event the starter could not handle, or a notification that never reached Slack.

use aws_sdk_sqs::types::QueueAttributeName;

use super::aws::describe;
use super::report::Check;
use super::stack::{NOTIFIER_DLQ, STARTER_DLQ, Stack};

/// The check's name.
pub const NAME: &str = "dead-letter queues";

/// Runs the check.
pub async fn check(sqs: &aws_sdk_sqs::Client, stack: &Stack) -> Check {
    let starter = match stack.require(STARTER_DLQ, NAME) {
        Ok(url) => url,
        Err(c) => return *c,
    };
    let mut queues = vec![("starter", STARTER_DLQ, starter)];
    if let Some(url) = stack.physical(NOTIFIER_DLQ) {
        queues.push(("notifier", NOTIFIER_DLQ, url));
    }

    let mut empty = Vec::new();
    let mut full = Vec::new();
    let mut errors = Vec::new();
    for (who, logical, url) in queues {
        match messages(sqs, url).await {
            Ok(0) => empty.push(format!("{who} DLQ ({logical}) is empty")),
            Ok(n) => full.push((who, logical, url, n)),
            Err(e) => errors.push(format!("{who} DLQ {url}: GetQueueAttributes failed: {e}")),
        }
    }
    if stack.physical(NOTIFIER_DLQ).is_none() {
        empty.push("no notifier DLQ (no Slack webhook configured)".to_string());
    }
    if full.is_empty() && errors.is_empty() {
        return Check::pass(NAME, empty.join("; "));
    }

    let mut wrong: Vec<String> = full
        .iter()
        .map(|(who, logical, url, n)| {
            let what = if *who == "starter" {
                "RunTask failure events the starter could not handle"
            } else {
                "notifications that never reached Slack"
            };
            format!(
                "{who} DLQ ({logical}) holds {n} message{} ({what}): {url}",
                if *n == 1 { "" } else { "s" }
            )
        })
        .collect();
    wrong.extend(errors.iter().cloned());
    let fix = match full.first() {
        Some((_, _, url, _)) => format!(
            "read them (aws sqs receive-message --queue-url {url} --attribute-names All --max-number-of-messages 10 --region {}), fix the cause, then move them back (aws sqs start-message-move-task) or delete them",
            stack.region
        ),
        None => "the caller needs sqs:GetQueueAttributes on the stack's queues".to_string(),
    };
    Check::fail(NAME, wrong.join("; "), fix)
}

async fn messages(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<u64, String> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let value = out
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .ok_or("no ApproximateNumberOfMessages in the answer")?;
    value
        .parse()
        .map_err(|_| format!("ApproximateNumberOfMessages is {value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::Client;
    use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesOutput;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    const STARTER: &str =
        "https://sqs.us-east-1.amazonaws.com/123456789012/ecs-rerun-StarterDeadLetterQueue-a";
    const NOTIFIER: &str =
        "https://sqs.us-east-1.amazonaws.com/123456789012/ecs-rerun-NotifierDeadLetterQueue-b";

    fn stack(with_notifier: bool) -> Stack {
        let mut resources = vec![(STARTER_DLQ.to_string(), STARTER.to_string())];
        if with_notifier {
            resources.push((NOTIFIER_DLQ.to_string(), NOTIFIER.to_string()));
        }
        Stack {
            name: "ecs-rerun".into(),
            region: "us-east-1".into(),
            resources: resources.into_iter().collect(),
            ..Stack::default()
        }
    }

    fn count(url: &'static str, n: &'static str) -> Rule {
        mock!(Client::get_queue_attributes)
            .match_requests(move |r| {
                r.queue_url() == Some(url)
                    && r.attribute_names() == [QueueAttributeName::ApproximateNumberOfMessages]
            })
            .then_output(move || {
                GetQueueAttributesOutput::builder()
                    .attributes(QueueAttributeName::ApproximateNumberOfMessages, n)
                    .build()
            })
    }

    #[tokio::test]
    async fn passes_when_both_are_empty() {
        let (s, n) = (count(STARTER, "0"), count(NOTIFIER, "0"));
        let sqs = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&s, &n]);
        let c = check(&sqs, &stack(true)).await;
        assert!(c.ok, "{c:?}");
        assert_eq!(
            c.detail,
            "starter DLQ (StarterDeadLetterQueue) is empty; notifier DLQ (NotifierDeadLetterQueue) is empty"
        );
    }

    #[tokio::test]
    async fn passes_without_a_notifier() {
        let s = count(STARTER, "0");
        let sqs = mock_client!(aws_sdk_sqs, [&s]);
        let c = check(&sqs, &stack(false)).await;
        assert!(c.ok, "{c:?}");
        assert!(
            c.detail
                .ends_with("no notifier DLQ (no Slack webhook configured)")
        );
    }

    #[tokio::test]
    async fn fails_with_the_count_and_the_queue() {
        let (s, n) = (count(STARTER, "0"), count(NOTIFIER, "3"));
        let sqs = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&s, &n]);
        let c = check(&sqs, &stack(true)).await;
        assert!(!c.ok);
        assert_eq!(
            c.detail,
            format!(
                "notifier DLQ (NotifierDeadLetterQueue) holds 3 messages (notifications that never reached Slack): {NOTIFIER}"
            )
        );
        assert!(c.fix.as_deref().is_some_and(|f| f.starts_with(&format!(
            "read them (aws sqs receive-message --queue-url {NOTIFIER}"
        ))));

        let s = count(STARTER, "1");
        let sqs = mock_client!(aws_sdk_sqs, [&s]);
        let c = check(&sqs, &stack(false)).await;
        assert!(!c.ok);
        assert!(
            c.detail
                .starts_with("starter DLQ (StarterDeadLetterQueue) holds 1 message ("),
            "{}",
            c.detail
        );
    }
}
