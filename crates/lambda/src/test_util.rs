//! Test helpers (feature `test-util`, for the Lambdas' dev-dependencies): SQS records and batches
//! from bodies, the batch item failures of a response, a deadline far enough away.

use std::time::Duration;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

use crate::deadline::Deadline;

/// An SQS record with this message id and body (`None`: no body at all).
pub fn record(message_id: &str, body: Option<&str>) -> SqsMessage {
    let mut m = SqsMessage::default();
    m.message_id = Some(message_id.to_owned());
    m.body = body.map(str::to_owned);
    m
}

/// An SQS event carrying `records`, in order.
pub fn batch(records: impl IntoIterator<Item = SqsMessage>) -> SqsEvent {
    let mut e = SqsEvent::default();
    e.records = records.into_iter().collect();
    e
}

/// The message ids listed in `batchItemFailures`, in order.
pub fn failed_ids(response: &SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

/// Asserts that `batchItemFailures` lists exactly `want`, in order (`&[]`: none).
#[track_caller]
pub fn assert_failed(response: &SqsBatchResponse, want: &[&str]) {
    assert_eq!(failed_ids(response), want, "batchItemFailures");
}

/// A deadline a minute away: time is never short.
pub fn later() -> Deadline {
    Deadline::after(Duration::from_secs(60))
}
