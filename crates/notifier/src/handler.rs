//! SQS batch → SNS notification per record → Slack Block Kit (core) → webhook (port).
//!
//! Every record is handled on its own; a failed record becomes a batch item failure (SQS
//! redelivers it, then moves it to its DLQ: nothing is lost). When Slack rate limits us (429), the
//! handler waits for Retry-After and posts once more if that fits in the invocation's time budget;
//! otherwise, and for the rest of the batch, it reports failures without posting.

use std::time::{Duration, Instant};

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use ecs_rerun_core::notification::Notification;
use ecs_rerun_core::slack::render_sns;
use tracing::{debug, error, info, warn};

use crate::error::Error;
use crate::ports::Webhook;
use crate::sns::Incoming;

/// Longest Retry-After we wait for inside one invocation.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);
/// Time kept back at the end of the invocation to answer the runtime.
const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// The notifier's handler: the [`Webhook`] port and the time one post may take.
#[derive(Debug)]
pub struct Handler<W> {
    webhook: W,
    post_timeout: Duration,
}

impl<W: Webhook> Handler<W> {
    /// Wires the port once per process; `post_timeout` is the webhook's total timeout.
    pub fn new(webhook: W, post_timeout: Duration) -> Self {
        Self {
            webhook,
            post_timeout,
        }
    }

    /// Handles one SQS batch that must be done by `deadline`; never fails as a whole. Each
    /// failed record is logged once and listed in `batch_item_failures`.
    pub async fn handle(&self, event: SqsEvent, deadline: Instant) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        let mut rate_limited = false;
        for record in &event.records {
            // SQS always sets messageId; an empty identifier makes Lambda retry the whole batch,
            // which is the only way not to lose a record without one.
            let message_id = record.message_id.clone().unwrap_or_default();
            if rate_limited {
                let err = Error::SkippedAfterRateLimit;
                warn!(message_id = %message_id, error_type = err.error_type(), error = %err, "record left for SQS to redeliver");
                response.add_failure(message_id);
                continue;
            }
            if let Err(err) = self.handle_record(&message_id, record, deadline).await {
                rate_limited = matches!(err, Error::RateLimited { .. });
                error!(
                    message_id = %message_id,
                    error_type = err.error_type(),
                    error = %err,
                    "notification not delivered; SQS will redeliver it, then move it to the DLQ"
                );
                response.add_failure(message_id);
            }
        }
        response
    }

    async fn handle_record(
        &self,
        message_id: &str,
        record: &SqsMessage,
        deadline: Instant,
    ) -> Result<(), Error> {
        let body = record
            .body
            .as_deref()
            .filter(|b| !b.trim().is_empty())
            .ok_or(Error::EmptyBody)?;
        debug!(message_id = %message_id, body = %body, "record received");
        let incoming = Incoming::from_body(body);
        let message = render_sns(incoming.subject.as_deref(), &incoming.message);
        let kind = Notification::parse(&incoming.message)
            .ok()
            .and_then(|n| n.kind())
            .map_or("other", |k| k.as_str());
        let sns_message_id = incoming.sns_message_id.as_deref().unwrap_or("");

        match self.webhook.post(&message).await {
            Err(Error::RateLimited {
                retry_after: Some(wait),
            }) if self.fits(wait, deadline) => {
                info!(message_id = %message_id, wait_ms = wait.as_millis() as u64, "Slack rate limited us; retrying once after Retry-After");
                tokio::time::sleep(wait).await;
                self.webhook.post(&message).await?;
            }
            other => other?,
        }
        info!(message_id = %message_id, sns_message_id = %sns_message_id, kind = %kind, "posted to Slack");
        Ok(())
    }

    /// Whether waiting `wait` and posting again still ends before the deadline.
    fn fits(&self, wait: Duration, deadline: Instant) -> bool {
        wait <= MAX_RETRY_WAIT
            && Instant::now() + wait + self.post_timeout + DEADLINE_MARGIN <= deadline
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    use ecs_rerun_core::slack::SlackMessage;

    use super::*;
    use crate::adapters::SlackWebhook;
    use crate::test_sink::Sink;

    /// Answers posts from a script, in order (Ok when the script is exhausted), and records them.
    #[derive(Default)]
    struct FakeWebhook {
        script: RefCell<VecDeque<Result<(), Error>>>,
        posted: RefCell<Vec<SlackMessage>>,
    }

    impl FakeWebhook {
        fn answering(script: Vec<Result<(), Error>>) -> Self {
            Self {
                script: RefCell::new(script.into()),
                ..Default::default()
            }
        }
    }

    impl Webhook for FakeWebhook {
        async fn post(&self, message: &SlackMessage) -> Result<(), Error> {
            self.posted.borrow_mut().push(message.clone());
            self.script.borrow_mut().pop_front().unwrap_or(Ok(()))
        }
    }

    fn record(id: &str, body: Option<&str>) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.to_owned());
        m.body = body.map(str::to_owned);
        m
    }

    fn batch(records: Vec<SqsMessage>) -> SqsEvent {
        let mut e = SqsEvent::default();
        e.records = records;
        e
    }

    fn failed_ids(resp: &SqsBatchResponse) -> Vec<&str> {
        resp.batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    fn envelope(subject: &str, message: &str) -> String {
        serde_json::json!({
            "Type": "Notification",
            "MessageId": "0b1f8a52-6a43-5c2e-9d1b-1f2a3b4c5d6e",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:ecs-rerun",
            "Subject": subject,
            "Message": message,
            "Timestamp": "2026-11-24T02:00:03.512Z",
        })
        .to_string()
    }

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    fn rejected() -> Error {
        Error::Rejected {
            status: 400,
            body: "invalid_payload".into(),
        }
    }

    #[tokio::test]
    async fn failed_records_become_batch_item_failures() {
        let fake = FakeWebhook::answering(vec![
            Ok(()),
            Err(rejected()),
            Err(Error::SlackUnavailable {
                status: 500,
                body: "x".into(),
            }),
            Err(Error::Timeout(Duration::from_secs(5))),
            Ok(()),
        ]);
        let handler = Handler::new(fake, Duration::from_secs(5));
        let resp = handler
            .handle(
                batch(vec![
                    record("m1", Some(&envelope("first", "hello & <b>"))),
                    record("m2", Some("raw delivery, plain text")),
                    record("m3", Some(&envelope("third", "3"))),
                    record("m-empty", Some(" ")),
                    record("m-none", None),
                    record("m4", Some(&envelope("fourth", "4"))),
                    record("m5", Some(&envelope("fifth", "5"))),
                ]),
                later(),
            )
            .await;
        assert_eq!(failed_ids(&resp), ["m2", "m3", "m-empty", "m-none", "m4"]);
        let posted = handler.webhook.posted.borrow();
        // empty records are never posted; the others exactly once, rendered by the core
        assert_eq!(
            *posted,
            [
                render_sns(Some("first"), "hello & <b>"),
                render_sns(None, "raw delivery, plain text"),
                render_sns(Some("third"), "3"),
                render_sns(Some("fourth"), "4"),
                render_sns(Some("fifth"), "5"),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limit_that_fits_is_retried_once() {
        let fake = FakeWebhook::answering(vec![Err(Error::RateLimited {
            retry_after: Some(Duration::from_secs(1)),
        })]);
        let handler = Handler::new(fake, Duration::from_secs(5));
        let resp = handler
            .handle(
                batch(vec![record("m1", Some("a")), record("m2", Some("b"))]),
                later(),
            )
            .await;
        assert!(resp.batch_item_failures.is_empty());
        assert_eq!(handler.webhook.posted.borrow().len(), 3, "a, a again, b");
    }

    type Script = Vec<Result<(), Error>>;

    #[tokio::test(start_paused = true)]
    async fn rate_limit_that_does_not_fit_fails_the_rest_without_posting() {
        let long = || Error::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
        };
        let short = || Error::RateLimited {
            retry_after: Some(Duration::from_secs(1)),
        };
        let cases: Vec<(&str, Script, Instant, usize)> = vec![
            // Retry-After above the 10 s cap
            ("long", vec![Ok(()), Err(long())], later(), 2),
            // no Retry-After at all
            (
                "no header",
                vec![Ok(()), Err(Error::RateLimited { retry_after: None })],
                later(),
                2,
            ),
            // 429 again after the one retry
            (
                "twice",
                vec![Ok(()), Err(short()), Err(short())],
                later(),
                3,
            ),
            // fits the cap but not the invocation's remaining time
            (
                "deadline",
                vec![Ok(()), Err(short())],
                Instant::now() + Duration::from_secs(4),
                2,
            ),
        ];
        for (name, script, deadline, posts) in cases {
            let handler = Handler::new(FakeWebhook::answering(script), Duration::from_secs(5));
            let resp = handler
                .handle(
                    batch(vec![
                        record("m1", Some("a")),
                        record("m2", Some("b")),
                        record("m3", Some("c")),
                        record("m4", Some("d")),
                    ]),
                    deadline,
                )
                .await;
            assert_eq!(failed_ids(&resp), ["m2", "m3", "m4"], "{name}");
            assert_eq!(handler.webhook.posted.borrow().len(), posts, "{name}");
        }
    }

    /// Handler + reqwest adapter + a real HTTP sink: a 429 with Retry-After: 1 is waited out
    /// and the same JSON is posted again; a 400 becomes a batch item failure.
    #[tokio::test]
    async fn end_to_end_through_a_real_webhook_sink() {
        let sink = Sink::start().await;
        let config = |mode: &str| {
            let url = sink.url(mode);
            crate::config::Config::from_lookup(move |k| {
                (k == "SLACK_WEBHOOK_URL").then(|| url.clone())
            })
            .expect("valid config")
        };
        let notice = r#"{"version":"1.0","source":"custom","content":{"textType":"client-markdown","title":"Nightly export failed","description":"see <https://example.com|runbook>"}}"#;
        let body = envelope("Nightly export", notice);
        let want = serde_json::to_value(render_sns(Some("Nightly export"), notice)).expect("json");

        let c = config("ratelimit-once");
        let handler = Handler::new(
            SlackWebhook::new(c.webhook_url, c.timeout).expect("client"),
            c.timeout,
        );
        let started = Instant::now();
        let resp = handler
            .handle(batch(vec![record("m1", Some(&body))]), later())
            .await;
        assert!(resp.batch_item_failures.is_empty());
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "Retry-After honoured"
        );

        let c = config("invalid");
        let handler = Handler::new(
            SlackWebhook::new(c.webhook_url, c.timeout).expect("client"),
            c.timeout,
        );
        let resp = handler
            .handle(batch(vec![record("m2", Some(&body))]), later())
            .await;
        assert_eq!(failed_ids(&resp), ["m2"]);

        let posts = sink.posts();
        assert_eq!(posts.len(), 3);
        for post in posts {
            let got: serde_json::Value = serde_json::from_str(&post.body).expect("JSON");
            assert_eq!(got, want);
        }
    }
}
