//! One SQS record → SNS notification → Slack Block Kit (core) → webhook (port). The batch around
//! it (batch item failures, the deadline) is `ecs_rerun_lambda::run_batch`.
//!
//! When Slack rate limits us (429), the handler waits for Retry-After and posts once more if that
//! fits in the invocation's time budget; otherwise it reports the record as failed, and the rest
//! of the batch is left for SQS to redeliver without posting ([`RecordHandler::skip_rest`]).

use std::time::Duration;

use ecs_rerun_core::notification::Notification;
use ecs_rerun_core::slack::{SlackMessage, render_sns};
use ecs_rerun_lambda::{Deadline, Record, RecordHandler};
use tracing::{debug, error, info, warn};

use crate::error::{Error, Kind};
use crate::ports::{Queue, Webhook};
use crate::sns::Incoming;

/// Longest Retry-After we wait for inside one invocation.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);

/// Per-message backoff for transient Slack errors (5xx, timeouts, connection errors): the record's
/// visibility is set to `base × 2^(receives − 1)`, at most `cap` (README "Slack delivery, retries
/// and dead letters" for the numbers and why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failed receive.
    pub base: Duration,
    /// Longest delay.
    pub cap: Duration,
}

impl Backoff {
    /// 30 s doubling up to 15 min: with maxReceiveCount 12 a record is tried for 1 h 45 min.
    pub const DEFAULT: Backoff = Backoff {
        base: Duration::from_secs(30),
        cap: Duration::from_secs(900),
    };

    /// The delay after the `receives`-th receive failed (1 for the first).
    pub fn delay(&self, receives: u32) -> Duration {
        let doublings = receives.saturating_sub(1).min(20);
        self.base.saturating_mul(1 << doublings).min(self.cap)
    }
}

/// The notifier's handler: the [`Webhook`] and [`Queue`] ports and the time one post may take.
#[derive(Debug)]
pub struct Handler<W, Q> {
    webhook: W,
    queue: Q,
    post_timeout: Duration,
    backoff: Backoff,
}

impl<W: Webhook, Q: Queue> Handler<W, Q> {
    /// Wires the ports once per process; `post_timeout` is the webhook's total timeout.
    pub fn new(webhook: W, queue: Q, post_timeout: Duration) -> Self {
        Self {
            webhook,
            queue,
            post_timeout,
            backoff: Backoff::DEFAULT,
        }
    }

    /// Another backoff (the configured one; the burst benchmark's, in seconds rather than minutes).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The queue port (tests).
    #[cfg(test)]
    pub fn queue(&self) -> &Q {
        &self.queue
    }

    /// Whether waiting `wait` and posting again still ends before the deadline (with the answer
    /// margin); never when no deadline is known.
    fn fits(&self, wait: Duration, deadline: Deadline) -> bool {
        wait <= MAX_RETRY_WAIT && deadline.fits(wait + self.post_timeout)
    }

    /// Posts `message`; after a 429 whose Retry-After fits, once more; after a 400, once more as
    /// text only. Every post after the first checks the deadline first.
    async fn deliver(&self, message: &SlackMessage, record: &Record<'_>) -> Result<(), Error> {
        let mut result = self.webhook.post(message).await;
        if let Err(Error::RateLimited {
            retry_after: Some(wait),
        }) = result
            && self.fits(wait, record.deadline)
        {
            info!(message_id = %record.message_id, wait_ms = wait.as_millis() as u64, "Slack rate limited us; retrying once after Retry-After");
            tokio::time::sleep(wait).await;
            result = self.webhook.post(message).await;
        }
        match result {
            Err(err @ Error::Rejected { .. })
                if record.deadline.allows_start(self.post_timeout) =>
            {
                warn!(message_id = %record.message_id, error_type = err.error_type(), error = %err, "Slack refused the blocks; posting the text only");
                match self.webhook.post_text(&message.text).await {
                    Err(Error::Rejected { status, body }) => {
                        Err(Error::TextRejected { status, body })
                    }
                    other => other,
                }
            }
            other => other,
        }
    }

    /// A permanent error: to the DLQ now and acknowledged (logged at error level, with its type,
    /// for the notifier-errors alarm); without a DLQ, a batch item failure.
    async fn dead_letter(&self, record: &Record<'_>, err: Error) -> Result<(), Error> {
        match self.queue.dead_letter(record.message, &err).await {
            Ok(true) => {
                error!(
                    message_id = %record.message_id,
                    error_type = err.error_type(),
                    error = %err,
                    "permanent Slack error; record sent to the notifier DLQ, not retried"
                );
                Ok(())
            }
            Ok(false) => Err(err),
            Err(queue_err) => Err(Error::Queue(format!(
                "{queue_err} (moving a record that failed with {}: {err})",
                err.error_type()
            ))),
        }
    }

    /// A record SQS redelivers: not before `delay` (best effort: if SQS refuses, the queue's
    /// visibility timeout applies).
    async fn delay(&self, record: &Record<'_>, delay: Duration) {
        if let Err(e) = self.queue.delay(record.message, delay).await {
            warn!(message_id = %record.message_id, error_type = e.error_type(), error = %e, "cannot delay the redelivery");
        }
    }
}

/// `ApproximateReceiveCount` of a record (1 when SQS did not say).
fn receive_count(record: &Record<'_>) -> u32 {
    record
        .message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

impl<W: Webhook, Q: Queue> RecordHandler for Handler<W, Q> {
    type Error = Error;

    /// One post: a record is not started unless a whole post fits before the deadline. Every
    /// later post (after a 429, as text after a 400) checks the deadline again.
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

        let Err(err) = self.deliver(&message, &record).await else {
            info!(message_id = %message_id, sns_message_id = %sns_message_id, kind = %kind, "posted to Slack");
            return Ok(());
        };
        match err.kind() {
            Kind::Permanent => return self.dead_letter(&record, err).await,
            Kind::RateLimited(Some(wait)) => self.delay(&record, wait).await,
            Kind::RateLimited(None) | Kind::Transient => {
                self.delay(&record, self.backoff.delay(receive_count(&record)))
                    .await;
            }
            Kind::BadPayload | Kind::Other => {}
        }
        Err(err)
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

    use aws_lambda_events::sqs::SqsMessage;
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

        async fn post_text(&self, text: &str) -> Result<(), Error> {
            self.posted.borrow_mut().push(SlackMessage {
                text: text.to_owned(),
                blocks: vec![],
            });
            self.script.borrow_mut().pop_front().unwrap_or(Ok(()))
        }
    }

    /// The notifier's own queue port, recording what the handler asked (the SQS adapter is
    /// tested against the SDK's test utilities in aws.rs).
    #[derive(Default)]
    pub(crate) struct RecordingQueue {
        pub dlq: bool,
        pub dead_lettered: RefCell<Vec<(String, &'static str)>>,
        pub delayed: RefCell<Vec<(String, Duration)>>,
    }

    impl RecordingQueue {
        pub fn with_dlq() -> Self {
            Self {
                dlq: true,
                ..Default::default()
            }
        }
    }

    impl Queue for RecordingQueue {
        async fn dead_letter(&self, record: &SqsMessage, error: &Error) -> Result<bool, Error> {
            if self.dlq {
                self.dead_lettered.borrow_mut().push((
                    record.message_id.clone().unwrap_or_default(),
                    error.error_type(),
                ));
            }
            Ok(self.dlq)
        }

        async fn delay(&self, record: &SqsMessage, delay: Duration) -> Result<(), Error> {
            self.delayed
                .borrow_mut()
                .push((record.message_id.clone().unwrap_or_default(), delay));
            Ok(())
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
            Err(rejected()),
            Err(Error::SlackUnavailable {
                status: 500,
                body: "x".into(),
            }),
            Err(Error::Timeout(Duration::from_secs(5))),
            Ok(()),
        ]);
        let handler = Handler::new(fake, RecordingQueue::default(), Duration::from_secs(5));
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
                SlackMessage {
                    text: render_sns(None, "raw delivery, plain text").text,
                    blocks: vec![],
                },
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
        let handler = Handler::new(fake, RecordingQueue::default(), Duration::from_secs(5));
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
            let handler = Handler::new(
                FakeWebhook::answering(script),
                RecordingQueue::default(),
                Duration::from_secs(5),
            );
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
        let handler = Handler::new(
            FakeWebhook::default(),
            RecordingQueue::default(),
            Duration::from_secs(5),
        );
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
            SlackWebhook::new(c.webhook.expect_url(), c.timeout).expect("client"),
            RecordingQueue::default(),
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
            SlackWebhook::new(c.webhook.expect_url(), c.timeout).expect("client"),
            RecordingQueue::default(),
            c.timeout,
        );
        let resp = run_batch(&handler, batch(vec![record("m2", Some(&body))]), later()).await;
        assert_failed(&resp, &["m2"]);

        let posts = sink.posts();
        assert_eq!(posts.len(), 4, "m1 twice, m2 as blocks then as text only");
        for post in &posts[..3] {
            let got: serde_json::Value = serde_json::from_str(&post.body).expect("JSON");
            assert_eq!(got, want);
        }
        let text: serde_json::Value = serde_json::from_str(&posts[3].body).expect("JSON");
        assert_eq!(text, serde_json::json!({ "text": want["text"] }));
    }

    /// A record as SQS delivers it to the notifier, received `receives` times.
    fn received(id: &str, body: &str, receives: u32) -> SqsMessage {
        let mut m = record(id, Some(body));
        m.attributes
            .insert("ApproximateReceiveCount".into(), receives.to_string());
        m
    }

    /// Sink mode (what Slack answers) → what becomes of the record: a batch item failure or not,
    /// the DLQ (with which error type), the redelivery delay set, the posts made. Real HTTP.
    #[tokio::test]
    async fn each_slack_answer_by_kind() {
        type Row = (
            &'static str,
            u32,
            bool,
            Option<&'static str>,
            Option<Duration>,
            usize,
        );
        let rows: &[Row] = &[
            ("ok", 1, false, None, None, 1),
            // 400 invalid_blocks: text only, accepted
            ("invalid-blocks", 1, false, None, None, 2),
            // 400 on the text too: dead-lettered at once
            (
                "invalid",
                1,
                false,
                Some("EcsRerunNotifier.SlackTextRejected"),
                None,
                2,
            ),
            (
                "gone",
                1,
                false,
                Some("EcsRerunNotifier.SlackPermanent"),
                None,
                1,
            ),
            (
                "forbidden",
                3,
                false,
                Some("EcsRerunNotifier.SlackPermanent"),
                None,
                1,
            ),
            (
                "archived",
                1,
                false,
                Some("EcsRerunNotifier.SlackPermanent"),
                None,
                1,
            ),
            (
                "unauthorized",
                1,
                false,
                Some("EcsRerunNotifier.SlackPermanent"),
                None,
                1,
            ),
            // transient: redelivered, with backoff growing by receive
            ("error", 1, true, None, Some(Duration::from_secs(30)), 1),
            ("error", 3, true, None, Some(Duration::from_secs(120)), 1),
            (
                "error-html",
                9,
                true,
                None,
                Some(Duration::from_secs(900)),
                1,
            ),
            // 429 with a Retry-After too long to wait here: visible again after it
            (
                "ratelimit-long",
                1,
                true,
                None,
                Some(Duration::from_secs(30)),
                1,
            ),
            // 429 without Retry-After: the backoff
            (
                "ratelimit-no-header",
                2,
                true,
                None,
                Some(Duration::from_secs(60)),
                1,
            ),
        ];
        for &(mode, receives, failed, dlq, delay, posts) in rows {
            let sink = Sink::start().await;
            let c = crate::config::Config::from_lookup(|k| {
                (k == "SLACK_WEBHOOK_URL").then(|| sink.url(mode))
            })
            .expect("valid config");
            let handler = Handler::new(
                SlackWebhook::new(c.webhook.expect_url(), c.timeout).expect("client"),
                RecordingQueue::with_dlq(),
                c.timeout,
            );
            let resp = run_batch(
                &handler,
                batch(vec![received("m1", &envelope("s", "hello"), receives)]),
                later(),
            )
            .await;
            let want_failed: &[&str] = if failed { &["m1"] } else { &[] };
            assert_eq!(failed_ids(&resp), want_failed, "{mode}");
            let dead: Vec<_> = handler.queue.dead_lettered.borrow().clone();
            assert_eq!(
                dead,
                dlq.map(|t| ("m1".to_owned(), t))
                    .into_iter()
                    .collect::<Vec<_>>(),
                "{mode}"
            );
            let delayed: Vec<_> = handler.queue.delayed.borrow().clone();
            assert_eq!(
                delayed,
                delay
                    .map(|d| ("m1".to_owned(), d))
                    .into_iter()
                    .collect::<Vec<_>>(),
                "{mode}"
            );
            assert_eq!(sink.posts().len(), posts, "{mode}");
        }
    }

    /// Without NOTIFIER_DLQ_URL a permanent error is a batch item failure (the redrive policy
    /// moves it), never lost.
    #[tokio::test]
    async fn permanent_without_a_dlq_is_left_to_the_redrive_policy() {
        let fake = FakeWebhook::answering(vec![Err(Error::Permanent {
            status: 404,
            body: "no_service".into(),
        })]);
        let handler = Handler::new(fake, RecordingQueue::default(), Duration::from_secs(5));
        let resp = run_batch(&handler, batch(vec![record("m1", Some("a"))]), later()).await;
        assert_failed(&resp, &["m1"]);
        assert!(
            handler.queue.delayed.borrow().is_empty(),
            "no backoff for it"
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff::DEFAULT;
        let delays: Vec<u64> = (1..=12).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(
            delays,
            [30, 60, 120, 240, 480, 900, 900, 900, 900, 900, 900, 900]
        );
        // with maxReceiveCount 12, the last try is at least an hour after the first
        let to_last: u64 = delays[..11].iter().sum();
        assert!(to_last >= 3600, "{to_last}");
        assert_eq!(b.delay(0), Duration::from_secs(30));
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(900));
    }

    /// A shared buffer the tracing subscriber writes to.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The notifier's logs (debug level, JSON like on Lambda) on success and on every failure
    /// path: bad or missing secret, 4xx, 5xx, 429, timeout, connection refused, bad payload. The
    /// webhook URL, its path and its token appear nowhere.
    #[tokio::test]
    async fn no_log_line_contains_the_webhook_url() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let sink = Sink::start().await;
        let closed = Sink::closed_port_url().await;
        let mut urls: Vec<String> = [
            "ok",
            "invalid-blocks",
            "invalid",
            "gone",
            "forbidden",
            "archived",
            "error",
            "error-html",
            "ratelimit",
            "ratelimit-long",
            "ratelimit-no-header",
            "redirect",
            "hang",
        ]
        .iter()
        .map(|m| sink.url(m))
        .collect();
        urls.push(closed.clone());
        for url in &urls {
            let c = crate::config::Config::from_lookup(|k| match k {
                "SLACK_WEBHOOK_URL" => Some(url.clone()),
                "SLACK_TIMEOUT_MS" => Some("300".into()),
                _ => None,
            })
            .expect("valid config");
            let handler = Handler::new(
                SlackWebhook::new(c.webhook.expect_url(), c.timeout).expect("client"),
                RecordingQueue::with_dlq(),
                c.timeout,
            );
            let resp = run_batch(
                &handler,
                batch(vec![
                    received("m1", &envelope("s", "hello"), 1),
                    record("m-empty", Some(" ")),
                ]),
                later(),
            )
            .await;
            assert!(resp.batch_item_failures.len() <= 2);
        }
        // the secret's failure paths, as main.rs reports them
        for secret in [
            "hooks.slack.com/services/T0/B0/SECRETTOKEN",
            "http://hooks.slack.com/services/T0/B0/SECRETTOKEN",
            r#"{"url": "SECRETTOKEN"}"#,
            r#"{"link": "https://hooks.slack.com/services/T0/B0/SECRETTOKEN"}"#,
        ] {
            let err = crate::aws::webhook_from_secret(secret).expect_err("bad secret");
            tracing::error!(error_type = err.error_type(), error = %err, "cannot start");
        }
        let err = crate::config::Config::from_lookup(|k| match k {
            "SLACK_WEBHOOK_URL" => Some(sink.url("ok")),
            "SLACK_WEBHOOK_SECRET_ARN" => Some("ecs-rerun/slack".into()),
            _ => None,
        })
        .expect_err("both set");
        tracing::error!(error_type = err.error_type(), error = %err, "cannot start");

        let logs = String::from_utf8(captured.0.lock().expect("log lock").clone()).expect("utf-8");
        for kind in [
            "EcsRerunNotifier.SlackPermanent",
            "EcsRerunNotifier.SlackTextRejected",
            "EcsRerunNotifier.SlackRejected",
            "EcsRerunNotifier.SlackUnavailable",
            "EcsRerunNotifier.RateLimited",
            "EcsRerunNotifier.Timeout",
            "EcsRerunNotifier.Connect",
            "EcsRerunNotifier.Request",
            "EcsRerunNotifier.EmptyBody",
            "EcsRerunNotifier.Secret",
            "EcsRerunNotifier.ConflictingEnv",
            "posted to Slack",
        ] {
            assert!(logs.contains(kind), "the logs cover {kind}:\n{logs}");
        }
        // the host may show (hyper's debug lines name it; hooks.slack.com is public), the path
        // with its token never
        for leak in ["/services/", "SECRET/", "SECRETTOKEN"] {
            assert!(!logs.contains(leak), "{leak} in the logs:\n{logs}");
        }
        assert!(!logs.contains(&closed), "{logs}");
        assert!(!logs.contains(&sink.url("ok")), "{logs}");
    }
}
