//! The ports on AWS: DynamoDB (facts, claims), EventBridge + Scheduler (the inventory, through
//! `ecs_rerun_reads`), CloudTrail (RunTask calls), CloudWatch (metrics), SNS, SQS, Step Functions.
//! Clients are built once from `ecs_rerun_lambda::sdk_config` (rustls + ring; endpoints from the
//! standard `AWS_ENDPOINT_URL[_<SERVICE>]` locally).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::decide::{Decision, FactsRange};
use crate::error::Error;
use crate::ports::{FactStore, World};
use crate::record::FactItem;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn smithy_time(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(t.timestamp())
}

/// The facts table, for the recorder.
#[derive(Debug, Clone)]
pub struct DynamoFacts {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoFacts {
    /// The table `table` through `client`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        DynamoFacts { client, table }
    }
}

impl FactStore for DynamoFacts {
    async fn put_fact(&self, item: &FactItem) -> Result<(), Error> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&item.pk))
            .item("sk", s(&item.sk))
            .item("event", s(&item.event))
            .item("expiresAt", AttributeValue::N(item.expires_at.to_string()))
            .send()
            .await
            .map_err(|e| Error::aws("PutItem", e))?;
        Ok(())
    }
}

/// Every client the watchdog uses.
#[derive(Debug, Clone)]
pub struct Aws {
    /// The facts table.
    pub facts: DynamoFacts,
    /// EventBridge.
    pub events: aws_sdk_eventbridge::Client,
    /// Scheduler.
    pub scheduler: aws_sdk_scheduler::Client,
    /// CloudTrail.
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    /// CloudWatch.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// SNS.
    pub sns: aws_sdk_sns::Client,
    /// SQS.
    pub sqs: aws_sdk_sqs::Client,
    /// Step Functions.
    pub sfn: aws_sdk_sfn::Client,
    /// The notification topic.
    pub topic_arn: String,
    /// The starter's queue.
    pub starter_queue_url: String,
    /// The `Stack` dimension.
    pub stack_name: String,
}

impl Aws {
    /// Every client from one SDK configuration.
    pub fn new(sdk: &aws_config::SdkConfig, c: &crate::config::WatchdogConfig) -> Self {
        Aws {
            facts: DynamoFacts::new(aws_sdk_dynamodb::Client::new(sdk), c.table.clone()),
            events: aws_sdk_eventbridge::Client::new(sdk),
            scheduler: aws_sdk_scheduler::Client::new(sdk),
            cloudtrail: aws_sdk_cloudtrail::Client::new(sdk),
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
            sns: aws_sdk_sns::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            sfn: aws_sdk_sfn::Client::new(sdk),
            topic_arn: c.topic_arn.clone(),
            starter_queue_url: c.starter_queue_url.clone(),
            stack_name: c.stack_name.clone(),
        }
    }
}

/// Adds the kind unless present; fails the condition when it is.
const CLAIM: &str = "attribute_not_exists(published) OR NOT contains(published, :kind)";

impl World for Aws {
    async fn schedules_doc(&self) -> Result<Value, Error> {
        Ok(json!({
            "rules": ecs_rerun_reads::rules(&self.events).await?,
            "schedules": ecs_rerun_reads::schedules(&self.scheduler).await?,
        }))
    }

    async fn facts(&self, range: &FactsRange) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let mut q = self
                .facts
                .client
                .query()
                .table_name(&self.facts.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(&range.pk))
                .expression_attribute_values(":from", s(&range.from))
                .expression_attribute_values(":to", s(&range.to))
                .projection_expression("#e")
                .expression_attribute_names("#e", "event");
            if let Some(k) = start.take() {
                q = q.set_exclusive_start_key(Some(k));
            }
            let page = q.send().await.map_err(|e| Error::aws("Query", e))?;
            for item in page.items() {
                if let Some(AttributeValue::S(e)) = item.get("event") {
                    out.push(e.clone());
                }
            }
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn claim(&self, d: &Decision, kind: &str, expires_at: i64) -> Result<bool, Error> {
        let r = self
            .facts
            .client
            .update_item()
            .table_name(&self.facts.table)
            .key("pk", s(&d.pk))
            .key("sk", s(&d.sk))
            .update_expression(
                "ADD published :kinds SET #status = :status, decidedAt = :decided, expiresAt = :expires",
            )
            .condition_expression(CLAIM)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":kinds", AttributeValue::Ss(vec![kind.to_string()]))
            .expression_attribute_values(":kind", s(kind))
            .expression_attribute_values(":status", s(d.status))
            .expression_attribute_values(":decided", s(&d.run.decided_at))
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
            .send()
            .await;
        match r {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(Error::aws("UpdateItem", e)),
        }
    }

    async fn release(&self, d: &Decision, kind: &str) -> Result<(), Error> {
        self.facts
            .client
            .update_item()
            .table_name(&self.facts.table)
            .key("pk", s(&d.pk))
            .key("sk", s(&d.sk))
            .update_expression("DELETE published :kinds")
            .expression_attribute_values(":kinds", AttributeValue::Ss(vec![kind.to_string()]))
            .send()
            .await
            .map_err(|e| Error::aws("UpdateItem", e))?;
        Ok(())
    }

    async fn publish(&self, message: &str, kind: &str) -> Result<(), Error> {
        let attr = aws_sdk_sns::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(kind)
            .build()
            .map_err(|e| Error::aws("Publish", e))?;
        self.sns
            .publish()
            .topic_arn(&self.topic_arn)
            .message(message)
            .message_attributes("kind", attr)
            .send()
            .await
            .map_err(|e| Error::aws("Publish", e))?;
        Ok(())
    }

    async fn metric_sum(
        &self,
        namespace: &str,
        metric: &str,
        dimensions: &[(&'static str, String)],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<f64, Error> {
        use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
        let dims: Vec<Dimension> = dimensions
            .iter()
            .map(|(n, v)| Dimension::builder().name(*n).value(v).build())
            .collect();
        let period = ((to - from).num_seconds().max(60) + 59) / 60 * 60;
        let q = MetricDataQuery::builder()
            .id("m")
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace(namespace)
                            .metric_name(metric)
                            .set_dimensions(Some(dims))
                            .build(),
                    )
                    .period(i32::try_from(period).unwrap_or(i32::MAX))
                    .stat("Sum")
                    .build(),
            )
            .build();
        let out = self
            .cloudwatch
            .get_metric_data()
            .metric_data_queries(q)
            .start_time(smithy_time(from))
            .end_time(smithy_time(to))
            .send()
            .await
            .map_err(|e| Error::aws("GetMetricData", e))?;
        Ok(out
            .metric_data_results()
            .iter()
            .flat_map(|r| r.values().iter().copied())
            .sum())
    }

    async fn run_task_events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Value>, Error> {
        Ok(ecs_rerun_reads::run_task_events(&self.cloudtrail, from, to).await?)
    }

    async fn execution_exists(&self, execution_arn: &str) -> Result<bool, Error> {
        match self
            .sfn
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_execution_does_not_exist()) =>
            {
                Ok(false)
            }
            Err(e) => Err(Error::aws("DescribeExecution", e)),
        }
    }

    async fn send_to_starter(&self, body: &str) -> Result<(), Error> {
        self.sqs
            .send_message()
            .queue_url(&self.starter_queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| Error::aws("SendMessage", e))?;
        Ok(())
    }

    async fn put_metric(&self, name: &str, value: f64, at: DateTime<Utc>) -> Result<(), Error> {
        use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
        let datum = MetricDatum::builder()
            .metric_name(name)
            .dimensions(
                Dimension::builder()
                    .name("Stack")
                    .value(&self.stack_name)
                    .build(),
            )
            .timestamp(smithy_time(at))
            .unit(StandardUnit::Count)
            .value(value)
            .build();
        self.cloudwatch
            .put_metric_data()
            .namespace(crate::METRICS_NAMESPACE)
            .metric_data(datum)
            .send()
            .await
            .map_err(|e| Error::aws("PutMetricData", e))?;
        Ok(())
    }
}
