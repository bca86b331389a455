//! What the two Lambdas need from the outside world (AWS in `adapters`, memory in tests).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::decide::{Decision, FactsRange};
use crate::error::Error;
use crate::record::FactItem;

/// The recorder's one capability.
#[allow(async_fn_in_trait)] // used by this crate's current-thread runtimes only
pub trait FactStore {
    /// Writes one fact (a redelivery overwrites the same item).
    async fn put_fact(&self, item: &FactItem) -> Result<(), Error>;
}

/// Everything the watchdog reads and writes.
#[allow(async_fn_in_trait)] // used by this crate's current-thread runtimes only
pub trait World {
    /// The schedules document (§9): `{"rules": [...], "schedules": [...]}`.
    async fn schedules_doc(&self) -> Result<Value, Error>;
    /// The recorded events of one facts range, oldest first.
    async fn facts(&self, range: &FactsRange) -> Result<Vec<String>, Error>;
    /// Adds `kind` to the decision's `published` set; `true` only for the call that added it.
    async fn claim(&self, d: &Decision, kind: &str, expires_at: i64) -> Result<bool, Error>;
    /// Takes `kind` out again (the publish after a claim failed).
    async fn release(&self, d: &Decision, kind: &str) -> Result<(), Error>;
    /// Publishes a notification to the topic, with the SNS `kind` attribute.
    async fn publish(&self, message: &str, kind: &str) -> Result<(), Error>;
    /// The sum of a metric over `[from, to)`.
    async fn metric_sum(
        &self,
        namespace: &str,
        metric: &str,
        dimensions: &[(&'static str, String)],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<f64, Error>;
    /// CloudTrail's RunTask calls in `[from, to)`, EventBridge-shaped.
    async fn run_task_events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Value>, Error>;
    /// Whether the execution exists.
    async fn execution_exists(&self, execution_arn: &str) -> Result<bool, Error>;
    /// Sends an event to the starter's queue.
    async fn send_to_starter(&self, body: &str) -> Result<(), Error>;
    /// Adds `value` to the stack's `ecs-rerun` metric `name` at `at`.
    async fn put_metric(&self, name: &str, value: f64, at: DateTime<Utc>) -> Result<(), Error>;
}
