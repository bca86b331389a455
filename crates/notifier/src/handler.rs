//! One SQS record → SNS notification → Slack Block Kit (core) → webhook (port). The batch around
//! it (batch item failures, the deadline) is `ecs_rerun_lambda::run_batch`.
//!
//! When Slack rate limits us (429), the handler waits for Retry-After and posts once more if that
//! fits in the invocation's time budget; otherwise it reports the record as failed, and the rest
//! of the batch is left for SQS to redeliver without posting ([`RecordHandler::skip_rest`]).

use std::time::Duration;

use ecs_rerun_core::notification::Notification;
use ecs_rerun_core::slack::render_sns;
use ecs_rerun_lambda::{Deadline, Record, RecordHandler};
use tracing::{debug, info};

use crate::error::Error;
use crate::ports::Webhook;
use crate::sns::Incoming;

/// Longest Retry-After we wait for inside one invocation.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);

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

    /// Whether waiting `wait` and posting again still ends before the deadline (with the answer
    /// margin); never when no deadline is known.
    fn fits(&self, wait: Duration, deadline: Deadline) -> bool {
        wait <= MAX_RETRY_WAIT && deadline.fits(wait + self.post_timeout)
    }
}

impl<W: Webhook> RecordHandler for Handler<W> {
    type Error = Error;

    /// One post: a record is not started unless a whole post fits before the deadline. The retry
    /// after a 429 checks the deadline again.
    fn record_budget(&self) -> Duration {
        self.post_timeout
    }

    async fn handle(&self, record: Record<'_>) -> Result<(), Error> {
        let message_id = record.message_id;
        let body = record
            .body()
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
            }) if self.fits(wait, record.deadline) => {
                info!(message_id = %message_id, wait_ms = wait.as_millis() as u64, "Slack rate limited us; retrying once after Retry-After");
                tokio::time::sleep(wait).await;
                self.webhook.post(&message).await?;
            }
            other => other?,
        }
        info!(message_id = %message_id, sns_message_id = %sns_message_id, kind = %kind, "posted to Slack");
        Ok(())
    }

    /// Rate limited (and not retried, or limited again): posting the rest of the batch now would
    /// only be limited too.
    fn skip_rest(&self, error: &Error) -> Option<Error> {
        matches!(error, Error::RateLimited { .. }).then_some(Error::SkippedAfterRateLimit)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::time::Instant;

    use ecs_rerun_core::slack::SlackMessage;
    use ecs_rerun_lambda::run_batch;
    use ecs_rerun_lambda::test_util::{assert_failed, batch, failed_ids, later, record};

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
        let resp = run_batch(
            &handler,
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
        assert_failed(&resp, &["m2", "m3", "m-empty", "m-none", "m4"]);
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
        let resp = run_batch(
            &handler,
            batch(vec![record("m1", Some("a")), record("m2", Some("b"))]),
            later(),
        )
        .await;
        assert_failed(&resp, &[]);
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
        let cases: Vec<(&str, Script, Deadline, usize)> = vec![
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
            // fits the cap but not the invocation's remaining time: 6 s left is enough to start
            // a post (5 s timeout + 0.5 s margin), not to wait 1 s and post again
            (
                "deadline",
                vec![Ok(()), Err(short())],
                Deadline::after(Duration::from_secs(6)),
                2,
            ),
            // no deadline known (cargo lambda watch): every record is posted, but nothing waits
            (
                "no deadline",
                vec![Ok(()), Err(short())],
                Deadline::unknown(),
                2,
            ),
        ];
        for (name, script, deadline, posts) in cases {
            let handler = Handler::new(FakeWebhook::answering(script), Duration::from_secs(5));
            let resp = run_batch(
                &handler,
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

    /// Less than one post (5 s timeout + the answer margin) left: nothing is posted, every record
    /// goes back to SQS (`EcsRerunNotifier.OutOfTime`), so a timeout cannot re-post the records
    /// already delivered.
    #[tokio::test]
    async fn no_post_is_started_without_the_time_to_finish() {
        let handler = Handler::new(FakeWebhook::default(), Duration::from_secs(5));
        let resp = run_batch(
            &handler,
            batch(vec![record("m1", Some("a")), record("m2", Some("b"))]),
            Deadline::after(Duration::from_secs(5)),
        )
        .await;
        assert_failed(&resp, &["m1", "m2"]);
        assert!(handler.webhook.posted.borrow().is_empty());
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
        let resp = run_batch(&handler, batch(vec![record("m1", Some(&body))]), later()).await;
        assert_failed(&resp, &[]);
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "Retry-After honoured"
        );

        let c = config("invalid");
        let handler = Handler::new(
            SlackWebhook::new(c.webhook_url, c.timeout).expect("client"),
            c.timeout,
        );
        let resp = run_batch(&handler, batch(vec![record("m2", Some(&body))]), later()).await;
        assert_failed(&resp, &["m2"]);

        let posts = sink.posts();
        assert_eq!(posts.len(), 3);
        for post in posts {
            let got: serde_json::Value = serde_json::from_str(&post.body).expect("JSON");
            assert_eq!(got, want);
        }
    }
}
