//! The SQS per-record loop: [`run_batch`] hands each record of a batch to a [`RecordHandler`] and
//! answers with the partial batch response (`batchItemFailures`).
//!
//! Every record is handled on its own: a failed record becomes a batch item failure (SQS
//! redelivers it, then moves it to the DLQ: nothing is lost); the others are deleted. A record is
//! not started when what is left of the invocation may not be enough to finish it: it is reported
//! as a failure untried, instead of a timeout failing the whole batch and redelivering the records
//! already done.

use std::future::Future;
use std::time::Duration;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use tracing::{error, warn};

use crate::deadline::{ANSWER_MARGIN, Deadline};
use crate::error::{Error, ErrorType};

/// One SQS record, as a [`RecordHandler`] gets it.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The SQS message id (what a batch item failure names); empty if SQS sent none.
    pub message_id: &'a str,
    /// The whole SQS message.
    pub message: &'a SqsMessage,
    /// The invocation's deadline, for a handler that would wait (e.g. for a Retry-After).
    pub deadline: Deadline,
}

impl<'a> Record<'a> {
    /// The message body, when there is one.
    pub fn body(&self) -> Option<&'a str> {
        self.message.body.as_deref()
    }
}

/// What a Lambda does with one SQS record.
pub trait RecordHandler {
    /// The Lambda's error; it wraps the shell's [`Error`] (a record not started for lack of time
    /// is reported as `Self::Error::from(Error::OutOfTime { .. })`, named by the Lambda).
    type Error: ErrorType + From<Error>;

    /// The longest one record may take. A record is started only if this much is left before the
    /// deadline, plus [`ANSWER_MARGIN`].
    fn record_budget(&self) -> Duration;

    /// Handles one record. Do not log the error: [`run_batch`] logs it once, with its type.
    fn handle(&self, record: Record<'_>) -> impl Future<Output = Result<(), Self::Error>>;

    /// After `error`, whether trying the rest of the batch is pointless for now (the downstream
    /// rate limits us): `Some(e)` reports every later record as `e`, untried. Default: go on.
    fn skip_rest(&self, error: &Self::Error) -> Option<Self::Error> {
        let _ = error;
        None
    }
}

/// Handles one SQS batch that must be answered by `deadline`; never fails as a whole. Each failed
/// record is logged once (`message_id`, `error_type`, `error`: at error when it was tried, at warn
/// when it was left untried) and listed in `batch_item_failures`.
pub async fn run_batch<H: RecordHandler>(
    handler: &H,
    event: SqsEvent,
    deadline: Deadline,
) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    let mut skipping: Option<H::Error> = None;
    for message in &event.records {
        // SQS always sets messageId; an empty identifier makes Lambda retry the whole batch,
        // which is the only way not to lose a record without one.
        let message_id = message.message_id.clone().unwrap_or_default();
        if let Some(err) = &skipping {
            left_for_sqs(&message_id, err);
        } else if !deadline.allows_start(handler.record_budget()) {
            let err = H::Error::from(Error::OutOfTime {
                remaining: deadline.remaining().unwrap_or_default(),
                needed: handler.record_budget() + ANSWER_MARGIN,
            });
            left_for_sqs(&message_id, &err);
        } else {
            let record = Record {
                message_id: &message_id,
                message,
                deadline,
            };
            let Err(err) = handler.handle(record).await else {
                continue;
            };
            error!(
                message_id = %message_id,
                error_type = err.error_type(),
                error = %err,
                "record failed; SQS will redeliver it, then move it to the DLQ"
            );
            skipping = handler.skip_rest(&err);
        }
        response.add_failure(message_id);
    }
    response
}

fn left_for_sqs(message_id: &str, err: &impl ErrorType) {
    warn!(
        message_id = %message_id,
        error_type = err.error_type(),
        error = %err,
        "record left for SQS to redeliver"
    );
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::time::Instant;

    use super::*;
    use crate::test_util::{assert_failed, batch, later, record};

    /// A Lambda error: the shell's, or what the fake handler's script says.
    #[derive(Debug, thiserror::Error)]
    enum FakeError {
        #[error(transparent)]
        Shell(#[from] Error),
        #[error("boom")]
        Boom,
        #[error("slow down")]
        SlowDown,
        #[error("skipped after slow down")]
        Skipped,
    }

    impl ErrorType for FakeError {
        fn error_type(&self) -> &'static str {
            match self {
                FakeError::Shell(e) => e.error_type(),
                FakeError::Boom => "Fake.Boom",
                FakeError::SlowDown => "Fake.SlowDown",
                FakeError::Skipped => "Fake.Skipped",
            }
        }
    }

    /// Answers records from a script, in order (Ok when exhausted), and records what it saw.
    #[derive(Default)]
    struct Fake {
        script: RefCell<VecDeque<Result<(), FakeError>>>,
        seen: RefCell<Vec<(String, Option<String>)>>,
        budget: Duration,
        /// Time each record takes (real time: the deadline is a std `Instant`).
        takes: Duration,
    }

    impl Fake {
        fn answering(script: Vec<Result<(), FakeError>>) -> Self {
            Fake {
                script: RefCell::new(script.into()),
                ..Default::default()
            }
        }

        fn seen_ids(&self) -> Vec<String> {
            self.seen
                .borrow()
                .iter()
                .map(|(id, _)| id.clone())
                .collect()
        }
    }

    impl RecordHandler for Fake {
        type Error = FakeError;

        fn record_budget(&self) -> Duration {
            self.budget
        }

        async fn handle(&self, record: Record<'_>) -> Result<(), FakeError> {
            self.seen.borrow_mut().push((
                record.message_id.to_owned(),
                record.body().map(str::to_owned),
            ));
            std::thread::sleep(self.takes);
            self.script.borrow_mut().pop_front().unwrap_or(Ok(()))
        }

        fn skip_rest(&self, error: &FakeError) -> Option<FakeError> {
            matches!(error, FakeError::SlowDown).then_some(FakeError::Skipped)
        }
    }

    #[tokio::test]
    async fn each_record_on_its_own_failures_listed_in_order() {
        let fake = Fake::answering(vec![
            Ok(()),
            Err(FakeError::Boom),
            Ok(()),
            Err(FakeError::Boom),
        ]);
        let resp = run_batch(
            &fake,
            batch(vec![
                record("m1", Some("a")),
                record("m2", Some("b")),
                record("m3", None),
                record("m4", Some("d")),
                record("m5", Some("e")),
            ]),
            later(),
        )
        .await;
        assert_failed(&resp, &["m2", "m4"]);
        assert_eq!(
            serde_json::to_string(&resp).expect("serializable"),
            r#"{"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m4"}]}"#,
            "what scripts/local/poller.py reads"
        );
        assert_eq!(
            *fake.seen.borrow(),
            [
                ("m1".to_owned(), Some("a".to_owned())),
                ("m2".to_owned(), Some("b".to_owned())),
                ("m3".to_owned(), None),
                ("m4".to_owned(), Some("d".to_owned())),
                ("m5".to_owned(), Some("e".to_owned())),
            ]
        );
    }

    #[tokio::test]
    async fn empty_batch_reports_no_failures() {
        let resp = run_batch(&Fake::default(), batch(vec![]), later()).await;
        assert_failed(&resp, &[]);
        let json = serde_json::to_string(&resp).expect("serializable");
        assert_eq!(json, r#"{"batchItemFailures":[]}"#, "what the poller reads");
    }

    #[tokio::test]
    async fn a_record_without_message_id_fails_with_an_empty_identifier() {
        let mut nameless = record("x", Some("a"));
        nameless.message_id = None;
        let fake = Fake::answering(vec![Err(FakeError::Boom)]);
        let resp = run_batch(&fake, batch(vec![nameless]), later()).await;
        assert_failed(&resp, &[""]);
    }

    #[tokio::test]
    async fn skip_rest_leaves_the_rest_of_the_batch_untried() {
        let fake = Fake::answering(vec![Ok(()), Err(FakeError::SlowDown)]);
        let resp = run_batch(
            &fake,
            batch(vec![
                record("m1", Some("a")),
                record("m2", Some("b")),
                record("m3", Some("c")),
                record("m4", Some("d")),
            ]),
            later(),
        )
        .await;
        assert_failed(&resp, &["m2", "m3", "m4"]);
        assert_eq!(fake.seen_ids(), ["m1", "m2"]);
    }

    #[tokio::test]
    async fn no_record_is_started_that_might_not_finish_before_the_deadline() {
        let records = || {
            batch(vec![
                record("m1", Some("a")),
                record("m2", Some("b")),
                record("m3", Some("c")),
            ])
        };
        let budget = Duration::from_secs(5);

        // not enough left for even one record: none is tried, all go back to SQS
        let fake = Fake {
            budget,
            ..Default::default()
        };
        let resp = run_batch(&fake, records(), Deadline::after(budget)).await;
        assert_failed(&resp, &["m1", "m2", "m3"]);
        assert!(fake.seen_ids().is_empty());

        // enough for the first record only: it takes 400 ms, leaving too little for the next
        let fake = Fake {
            budget: Duration::from_millis(100),
            takes: Duration::from_millis(400),
            ..Default::default()
        };
        let deadline = Deadline::at(
            Instant::now()
                + Duration::from_millis(100)
                + ANSWER_MARGIN
                + Duration::from_millis(300),
        );
        let resp = run_batch(&fake, records(), deadline).await;
        assert_failed(&resp, &["m2", "m3"]);
        assert_eq!(fake.seen_ids(), ["m1"]);

        // no deadline known (cargo lambda watch): every record is tried
        let fake = Fake {
            budget,
            ..Default::default()
        };
        let resp = run_batch(&fake, records(), Deadline::unknown()).await;
        assert_failed(&resp, &[]);
        assert_eq!(fake.seen_ids(), ["m1", "m2", "m3"]);
    }

    #[test]
    fn out_of_time_names_what_was_left_and_needed() {
        let err = FakeError::from(Error::OutOfTime {
            remaining: Duration::from_millis(4000),
            needed: Duration::from_millis(5500),
        });
        assert_eq!(err.error_type(), "EcsRerunLambda.OutOfTime");
        assert_eq!(
            err.to_string(),
            "not started: 4000 ms left of the invocation, a record may need 5500 ms"
        );
    }
}
