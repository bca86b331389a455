//! The recorder: one SQS record (an EventBridge event from `TaskStateChangeRule` or
//! `RunTaskFailureRule`) → one fact item (`record::fact_item`) → `PutItem`. A body that is not a
//! fact fails on purpose: after the redrive policy it is in the DLQ, where someone sees it.

use std::time::Duration;

use ecs_rerun_lambda::{Record, RecordHandler};
use tracing::debug;

use crate::config::RecorderConfig;
use crate::error::Error;
use crate::ports::FactStore;
use crate::record::fact_item;

/// One `PutItem`, with the SDK's retries.
pub const RECORD_BUDGET: Duration = Duration::from_secs(5);

/// The recorder's handler.
#[derive(Debug)]
pub struct Recorder<S> {
    config: RecorderConfig,
    store: S,
}

impl<S: FactStore> Recorder<S> {
    /// Wires the configuration and the port.
    pub fn new(config: RecorderConfig, store: S) -> Self {
        Recorder { config, store }
    }
}

impl<S: FactStore> RecordHandler for Recorder<S> {
    type Error = Error;

    fn record_budget(&self) -> Duration {
        RECORD_BUDGET
    }

    async fn handle(&self, record: Record<'_>) -> Result<(), Error> {
        let body = record.body().ok_or(Error::EmptyBody)?;
        let event: serde_json::Value = serde_json::from_str(body)
            .map_err(|e| Error::NotAFact(format!("body is not JSON: {e}")))?;
        match fact_item(&event, self.config.retention)? {
            Some(item) => {
                self.store.put_fact(&item).await?;
                debug!(pk = %item.pk, sk = %item.sk, "fact recorded");
            }
            None => debug!(message_id = %record.message_id, "no startedBy: nobody's fact"),
        }
        Ok(())
    }
}
