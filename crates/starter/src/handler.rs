//! SQS batch → one EventBridge RunTask event per record → plan (core) → StartExecution (port).
//!
//! Every record is handled on its own: a failed record becomes a batch item failure (SQS
//! redelivers it, then moves it to the DLQ); the others are deleted. A body that is not a RunTask
//! event can never succeed, and is still reported as a failure on purpose: it then reaches the DLQ,
//! where a human sees it, instead of vanishing.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use ecs_rerun_core::event::RunTaskEvent;
use ecs_rerun_core::plan::build_plan;
use tracing::{debug, error, info};

use crate::config::Config;
use crate::error::Error;
use crate::ports::{Executions, StartOutcome};

/// The starter's handler: configuration plus the [`Executions`] port.
#[derive(Debug)]
pub struct Handler<E> {
    config: Config,
    executions: E,
}

impl<E: Executions> Handler<E> {
    /// Wires the configuration and the port, once per process.
    pub fn new(config: Config, executions: E) -> Self {
        Self { config, executions }
    }

    /// Handles one SQS batch; never fails as a whole. Each failed record is logged once (at
    /// error, with its stable error type) and listed in `batch_item_failures`.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in &event.records {
            // SQS always sets messageId; an empty identifier makes Lambda retry the whole batch,
            // which is the only way not to lose a record without one.
            let message_id = record.message_id.clone().unwrap_or_default();
            if let Err(err) = self.handle_record(&message_id, record).await {
                error!(
                    message_id = %message_id,
                    error_type = err.error_type(),
                    error = %err,
                    "record failed; SQS will redeliver it, then move it to the DLQ"
                );
                response.add_failure(message_id);
            }
        }
        response
    }

    async fn handle_record(&self, message_id: &str, record: &SqsMessage) -> Result<(), Error> {
        let body = record.body.as_deref().ok_or(Error::EmptyBody)?;
        debug!(message_id = %message_id, body = %body, "record received");
        let event = RunTaskEvent::from_json(body)?;
        let plan = build_plan(&event, &self.config.plan);
        let input = serde_json::to_string(&plan).map_err(|e| Error::PlanEncoding(e.to_string()))?;
        let outcome = self
            .executions
            .start(&self.config.state_machine_arn, &plan.execution_name, &input)
            .await?;
        let reasons = plan.reasons.join(", ");
        match outcome {
            StartOutcome::Started { execution_arn } => info!(
                message_id = %message_id,
                event_id = %event.event_id(),
                cluster = %plan.cluster_name,
                task_family = %plan.task_family,
                reasons = %reasons,
                retryable = plan.retryable,
                why = %plan.why,
                execution_arn = %execution_arn,
                "execution started"
            ),
            StartOutcome::AlreadyStarted => info!(
                message_id = %message_id,
                event_id = %event.event_id(),
                cluster = %plan.cluster_name,
                execution_name = %plan.execution_name,
                "duplicate delivery: execution already exists, nothing to do"
            ),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::collections::HashSet;

    use ecs_rerun_core::plan::Plan;

    use super::*;

    const ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:ecs-rerun#AgentThenOk";

    /// Step Functions' naming rule, in memory: a name is started once, then
    /// `ExecutionAlreadyExists`; names listed in `broken` fail like an outage.
    #[derive(Default)]
    struct FakeExecutions {
        started: RefCell<Vec<(String, String, String)>>,
        names: RefCell<HashSet<String>>,
        broken: HashSet<String>,
    }

    impl Executions for FakeExecutions {
        async fn start(
            &self,
            state_machine_arn: &str,
            name: &str,
            input: &str,
        ) -> Result<StartOutcome, Error> {
            if self.broken.contains(name) {
                return Err(Error::Throttled {
                    code: "ThrottlingException".into(),
                    message: "Rate exceeded".into(),
                });
            }
            if !self.names.borrow_mut().insert(name.to_owned()) {
                return Ok(StartOutcome::AlreadyStarted);
            }
            self.started.borrow_mut().push((
                state_machine_arn.to_owned(),
                name.to_owned(),
                input.to_owned(),
            ));
            Ok(StartOutcome::Started {
                execution_arn: format!(
                    "arn:aws:states:us-east-1:123456789012:execution:ecs-rerun:{name}"
                ),
            })
        }
    }

    fn config() -> Config {
        let vars = HashMap::from([
            ("STATE_MACHINE_ARN", ARN),
            ("RETRY_INTERVAL_SECONDS", "1"),
            ("MAX_ATTEMPTS", "2"),
        ]);
        Config::from_lookup(|k| vars.get(k).map(|v| (*v).to_owned())).expect("valid config")
    }

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/../../tests/fixtures/events/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
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

    #[tokio::test]
    async fn good_duplicate_malformed_and_failing_records() {
        let agent = fixture("cloudtrail_runtask_agent.json");
        let other = fixture("cloudtrail_runtask_mixed-reasons.json");
        let other_plan = build_plan(
            &RunTaskEvent::from_json(&other).expect("fixture parses"),
            &config().plan,
        );
        let fake = FakeExecutions {
            broken: HashSet::from([other_plan.execution_name.clone()]),
            ..Default::default()
        };
        let handler = Handler::new(config(), fake);

        let event = batch(vec![
            record("m-good", Some(&agent)),
            record("m-duplicate", Some(&agent)),
            record("m-not-json", Some("{not json")),
            record(
                "m-not-runtask",
                Some(r#"{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}"#),
            ),
            record("m-no-body", None),
            record("m-throttled", Some(&other)),
        ]);
        let resp = handler.handle(event).await;

        assert_eq!(
            failed_ids(&resp),
            ["m-not-json", "m-not-runtask", "m-no-body", "m-throttled"]
        );
        // exactly one execution for the event delivered twice, with the plan as input
        let started = handler.executions.started.borrow();
        assert_eq!(started.len(), 1);
        let (arn, name, input) = &started[0];
        assert_eq!(arn, ARN, "the #TestCase suffix is passed through as-is");
        let plan: Plan = serde_json::from_str(input).expect("input is a plan");
        assert_eq!(&plan.execution_name, name);
        let want = build_plan(
            &RunTaskEvent::from_json(&agent).expect("fixture parses"),
            &config().plan,
        );
        assert_eq!(
            serde_json::to_value(&plan).expect("json"),
            serde_json::to_value(&want).expect("json")
        );
        assert!(plan.retryable);
        assert_eq!(plan.reasons, ["AGENT"]);
    }

    #[tokio::test]
    async fn every_event_fixture_starts_one_execution() {
        let dir = format!("{}/../../tests/fixtures/events", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("cloudtrail_runtask_") && n.ends_with(".json"))
            .collect();
        names.sort();
        assert!(!names.is_empty(), "no fixtures in {dir}");
        let handler = Handler::new(config(), FakeExecutions::default());
        let records: Vec<SqsMessage> = names.iter().map(|n| record(n, Some(&fixture(n)))).collect();
        let resp = handler.handle(batch(records)).await;
        assert_eq!(failed_ids(&resp), Vec::<&str>::new());
        assert_eq!(handler.executions.started.borrow().len(), names.len());
    }

    /// Bodies that can never succeed are still reported as failures, so that they reach the DLQ.
    #[tokio::test]
    async fn every_invalid_fixture_is_a_batch_item_failure() {
        let dir = format!(
            "{}/../../tests/fixtures/events/invalid",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        assert!(!names.is_empty(), "no fixtures in {dir}");
        let records: Vec<SqsMessage> = names
            .iter()
            .map(|n| record(n, Some(&fixture(&format!("invalid/{n}")))))
            .collect();
        let handler = Handler::new(config(), FakeExecutions::default());
        let resp = handler.handle(batch(records)).await;
        assert_eq!(failed_ids(&resp), names);
        assert!(handler.executions.started.borrow().is_empty());
    }

    #[tokio::test]
    async fn empty_batch_reports_no_failures() {
        let handler = Handler::new(config(), FakeExecutions::default());
        let resp = handler.handle(SqsEvent::default()).await;
        assert!(resp.batch_item_failures.is_empty());
    }
}
