//! One SQS record → EventBridge RunTask event → plan (core) → StartExecution (port). The batch
//! around it (batch item failures, the deadline) is `ecs_rerun_lambda::run_batch`.
//!
//! A body that is not a RunTask event can never succeed, and is still reported as a failure on
//! purpose: it then reaches the DLQ, where a human sees it, instead of vanishing. A duplicate
//! delivery is not a failure: the execution name is derived from the event, and Step Functions'
//! `ExecutionAlreadyExists` means it was started before.

use std::time::Duration;

use ecs_rerun_core::event::RunTaskEvent;
use ecs_rerun_core::plan::{build_plan, execution_input};
use ecs_rerun_lambda::{Record, RecordHandler};
use tracing::{debug, info};

use crate::config::Config;
use crate::error::Error;
use crate::ports::{Executions, StartOutcome};

/// The longest one record may take: StartExecution answers in tens of milliseconds, the SDK's own
/// retries of a throttled or failed call take a few seconds. A record is not started with less
/// than this (plus the answer margin) left of the invocation.
pub const RECORD_BUDGET: Duration = Duration::from_secs(5);

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
}

impl<E: Executions> RecordHandler for Handler<E> {
    type Error = Error;

    fn record_budget(&self) -> Duration {
        RECORD_BUDGET
    }

    async fn handle(&self, record: Record<'_>) -> Result<(), Error> {
        let message_id = record.message_id;
        let body = record.body().ok_or(Error::EmptyBody)?;
        debug!(message_id = %message_id, body = %body, "record received");
        let event = RunTaskEvent::from_json(body)?;
        let plan = build_plan(&event, &self.config.plan);
        // a plan over StartExecution's input limit is EcsRerun.PlanTooLarge: never retryable
        let input = execution_input(&plan)?;
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
    use ecs_rerun_lambda::test_util::{assert_failed, batch, failed_ids, later, record};
    use ecs_rerun_lambda::{Deadline, run_batch};

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
        let resp = run_batch(&handler, event, later()).await;

        assert_failed(
            &resp,
            &["m-not-json", "m-not-runtask", "m-no-body", "m-throttled"],
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

    /// The file names of a fixture folder, sorted.
    fn fixture_names(dir: &str) -> Vec<String> {
        ecs_rerun_repo_tests::fixtures::json_files(dir)
            .iter()
            .map(|p| format!("{}.json", ecs_rerun_repo_tests::fixtures::stem(p)))
            .collect()
    }

    #[tokio::test]
    async fn every_event_fixture_starts_one_execution() {
        let names = fixture_names("tests/fixtures/events");
        let handler = Handler::new(config(), FakeExecutions::default());
        let records: Vec<_> = names.iter().map(|n| record(n, Some(&fixture(n)))).collect();
        let resp = run_batch(&handler, batch(records), later()).await;
        assert_failed(&resp, &[]);
        assert_eq!(handler.executions.started.borrow().len(), names.len());
    }

    /// Bodies that can never succeed are still reported as failures, so that they reach the DLQ.
    #[tokio::test]
    async fn every_invalid_fixture_is_a_batch_item_failure() {
        let names = fixture_names("tests/fixtures/events/invalid");
        let records: Vec<_> = names
            .iter()
            .map(|n| record(n, Some(&fixture(&format!("invalid/{n}")))))
            .collect();
        let handler = Handler::new(config(), FakeExecutions::default());
        let resp = run_batch(&handler, batch(records), later()).await;
        assert_eq!(failed_ids(&resp), names);
        assert!(handler.executions.started.borrow().is_empty());
    }

    #[tokio::test]
    async fn empty_batch_reports_no_failures() {
        let handler = Handler::new(config(), FakeExecutions::default());
        let resp = run_batch(&handler, batch(vec![]), later()).await;
        assert_failed(&resp, &[]);
    }

    /// Less than the record budget (plus the answer margin) left: no execution is started, every
    /// record goes back to SQS, named `EcsRerunStarter.OutOfTime` in the log.
    #[tokio::test]
    async fn no_execution_is_started_without_the_time_to_finish() {
        let agent = fixture("cloudtrail_runtask_agent.json");
        let handler = Handler::new(config(), FakeExecutions::default());
        let event = batch(vec![record("m1", Some(&agent)), record("m2", Some(&agent))]);
        let resp = run_batch(&handler, event, Deadline::after(RECORD_BUDGET)).await;
        assert_failed(&resp, &["m1", "m2"]);
        assert!(handler.executions.started.borrow().is_empty());
    }
}
