//! The EventBridge "AWS API Call via CloudTrail" event for ECS `RunTask` (CONTRACT §1), typed at
//! the edge and tolerant: everything but `detail.eventID`, `detail.eventName` and
//! `detail.requestParameters` (with its `taskDefinition`) may be absent.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::text::{json_type, one_line};

/// EventBridge `detail-type` of CloudTrail API-call events.
pub const DETAIL_TYPE: &str = "AWS API Call via CloudTrail";
/// EventBridge `source` of ECS events.
pub const SOURCE: &str = "aws.ecs";
/// CloudTrail `eventSource` of ECS.
pub const EVENT_SOURCE: &str = "ecs.amazonaws.com";
/// CloudTrail `eventName` we handle.
pub const EVENT_NAME: &str = "RunTask";
/// The service principal CloudTrail records for calls Step Functions makes for a state machine.
pub const STEP_FUNCTIONS_PRINCIPAL: &str = "states.amazonaws.com";

/// The whole EventBridge event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunTaskEvent {
    /// EventBridge schema version (`"0"`).
    #[serde(default)]
    pub version: Option<String>,
    /// EventBridge event id (differs per delivery of the same CloudTrail event).
    #[serde(default)]
    pub id: Option<String>,
    /// `AWS API Call via CloudTrail`.
    #[serde(default, rename = "detail-type")]
    pub detail_type: Option<String>,
    /// `aws.ecs`.
    #[serde(default)]
    pub source: Option<String>,
    /// Account the event was delivered in.
    #[serde(default)]
    pub account: Option<String>,
    /// EventBridge time.
    #[serde(default)]
    pub time: Option<String>,
    /// Region of the event.
    #[serde(default)]
    pub region: Option<String>,
    /// Resource ARNs (usually empty for API calls).
    #[serde(default)]
    pub resources: Vec<String>,
    /// The CloudTrail record.
    pub detail: RunTaskDetail,
}

/// The CloudTrail record of a `RunTask` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunTaskDetail {
    /// CloudTrail record version.
    #[serde(default)]
    pub event_version: Option<String>,
    /// Who called.
    #[serde(default)]
    pub user_identity: Option<UserIdentity>,
    /// When the call was made.
    #[serde(default)]
    pub event_time: Option<String>,
    /// `ecs.amazonaws.com`.
    #[serde(default)]
    pub event_source: Option<String>,
    /// `RunTask`.
    pub event_name: String,
    /// Region of the call.
    #[serde(default)]
    pub aws_region: Option<String>,
    /// Caller IP or service principal.
    #[serde(default, rename = "sourceIPAddress")]
    pub source_ip_address: Option<String>,
    /// Caller user agent.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// The request as sent (camelCase, only what the caller sent).
    pub request_parameters: Map<String, Value>,
    /// The response (`tasks`, `failures`); absent when the call itself failed.
    #[serde(default)]
    pub response_elements: Option<ResponseElements>,
    /// Request id of the call.
    #[serde(default, rename = "requestID")]
    pub request_id: Option<String>,
    /// CloudTrail event id: the same for every delivery of one call.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// `false` for RunTask.
    #[serde(default)]
    pub read_only: Option<bool>,
    /// `AwsApiCall`.
    #[serde(default)]
    pub event_type: Option<String>,
    /// `true` for RunTask.
    #[serde(default)]
    pub management_event: Option<bool>,
    /// Account that received the record.
    #[serde(default)]
    pub recipient_account_id: Option<String>,
    /// `Management`.
    #[serde(default)]
    pub event_category: Option<String>,
    /// Error code when the call itself failed (then there is no response).
    #[serde(default)]
    pub error_code: Option<String>,
    /// Error message when the call itself failed.
    #[serde(default)]
    pub error_message: Option<String>,
}

/// CloudTrail `userIdentity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    /// `AssumedRole`, `IAMUser`, …
    #[serde(default, rename = "type")]
    pub identity_type: Option<String>,
    /// Principal id.
    #[serde(default)]
    pub principal_id: Option<String>,
    /// Principal ARN.
    #[serde(default)]
    pub arn: Option<String>,
    /// Principal account.
    #[serde(default)]
    pub account_id: Option<String>,
    /// Service that called on the principal's behalf (`events.amazonaws.com`).
    #[serde(default)]
    pub invoked_by: Option<String>,
    /// Session context, kept as sent.
    #[serde(default)]
    pub session_context: Option<Value>,
}

/// CloudTrail `responseElements` of RunTask.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseElements {
    /// Tasks that were started.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tasks: Vec<StartedTask>,
    /// Failures.
    #[serde(default, deserialize_with = "null_as_default")]
    pub failures: Vec<Failure>,
}

/// A started task (only what ecs-rerun needs; the rest is ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartedTask {
    /// Task ARN.
    #[serde(default)]
    pub task_arn: Option<String>,
}

/// One `failures[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// ARN of the failed resource (container instance, cluster, …).
    #[serde(default)]
    pub arn: Option<String>,
    /// Failure reason (`AGENT`, `RESOURCE:MEMORY`, free text…).
    #[serde(default)]
    pub reason: Option<String>,
    /// Details, when ECS gives any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn str_at<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

/// The envelope says this is a CloudTrail RunTask record (a field that is absent is not checked).
fn check_identity(
    detail_type: Option<&str>,
    source: Option<&str>,
    event_source: Option<&str>,
) -> Result<(), Error> {
    if let Some(dt) = detail_type.filter(|dt| *dt != DETAIL_TYPE) {
        return Err(Error::NotRunTask(format!(
            "detail-type is {dt:?}, expected {DETAIL_TYPE:?}"
        )));
    }
    if let Some(src) = source.filter(|s| *s != SOURCE) {
        return Err(Error::NotRunTask(format!(
            "source is {src:?}, expected {SOURCE:?}"
        )));
    }
    if let Some(es) = event_source.filter(|s| *s != EVENT_SOURCE) {
        return Err(Error::NotRunTask(format!(
            "detail.eventSource is {es:?}, expected {EVENT_SOURCE:?}"
        )));
    }
    Ok(())
}

/// The request parameters a re-run needs are there and well-typed.
fn check_request_parameters(params: &Map<String, Value>) -> Result<(), Error> {
    match params.get("taskDefinition") {
        None | Some(Value::Null) => {
            return Err(Error::MissingField(
                "detail.requestParameters.taskDefinition".into(),
            ));
        }
        Some(Value::String(td)) if !td.trim().is_empty() => {}
        Some(other) => {
            return Err(invalid(
                "detail.requestParameters.taskDefinition",
                "a non-empty string",
                other,
            ));
        }
    }
    for (key, want) in [("cluster", "a string"), ("startedBy", "a string")] {
        if let Some(other) = params.get(key).filter(|v| !v.is_string() && !v.is_null()) {
            return Err(invalid(
                &format!("detail.requestParameters.{key}"),
                want,
                other,
            ));
        }
    }
    if let Some(count) = params.get("count").filter(|v| !v.is_null()) {
        if count.as_u64().is_none() {
            return Err(invalid(
                "detail.requestParameters.count",
                "a non-negative integer",
                count,
            ));
        }
    }
    Ok(())
}

impl RunTaskEvent {
    /// Parses and validates an event from JSON text.
    pub fn from_json(s: &str) -> Result<RunTaskEvent, Error> {
        // Fast path: straight into the typed event, then the same checks on its typed fields.
        // Only input that does not fit the types pays for the Value walk that names the problem
        // (parsing through a Value was about half of planning an event).
        if let Ok(event) = serde_json::from_str::<RunTaskEvent>(s) {
            check_identity(
                event.detail_type.as_deref(),
                event.source.as_deref(),
                event.detail.event_source.as_deref(),
            )?;
            if event.detail.event_name != EVENT_NAME {
                return Err(Error::NotRunTask(format!(
                    "detail.eventName is {:?}",
                    event.detail.event_name
                )));
            }
            if event.detail.event_id.trim().is_empty() {
                return Err(invalid(
                    "detail.eventID",
                    "a non-empty string",
                    &Value::String(event.detail.event_id),
                ));
            }
            check_request_parameters(&event.detail.request_parameters)?;
            return Ok(event);
        }
        let v: Value =
            serde_json::from_str(s).map_err(|e| Error::InvalidJson(one_line(&e.to_string())))?;
        RunTaskEvent::from_value(v)
    }

    /// Parses and validates an event from a JSON value.
    pub fn from_value(v: Value) -> Result<RunTaskEvent, Error> {
        let Some(obj) = v.as_object() else {
            return Err(Error::NotAnEventBridgeEvent(format!(
                "expected a JSON object, got {}",
                json_type(&v)
            )));
        };
        let detail = match obj.get("detail") {
            Some(Value::Object(d)) => d,
            Some(other) => {
                return Err(Error::NotAnEventBridgeEvent(format!(
                    "detail is {}, expected an object",
                    json_type(other)
                )));
            }
            None => return Err(Error::NotAnEventBridgeEvent("no detail object".into())),
        };
        check_identity(
            str_at(obj, "detail-type"),
            str_at(obj, "source"),
            str_at(detail, "eventSource"),
        )?;
        match detail.get("eventName") {
            None | Some(Value::Null) => return Err(Error::MissingField("detail.eventName".into())),
            Some(Value::String(name)) if name == EVENT_NAME => {}
            Some(Value::String(name)) => {
                return Err(Error::NotRunTask(format!("detail.eventName is {name:?}")));
            }
            Some(other) => return Err(invalid("detail.eventName", "a string", other)),
        }
        match detail.get("eventID") {
            None | Some(Value::Null) => return Err(Error::MissingField("detail.eventID".into())),
            Some(Value::String(id)) if !id.trim().is_empty() => {}
            Some(other) => return Err(invalid("detail.eventID", "a non-empty string", other)),
        }
        let params = match detail.get("requestParameters") {
            None | Some(Value::Null) => {
                return Err(Error::MissingField("detail.requestParameters".into()));
            }
            Some(Value::Object(p)) => p,
            Some(other) => return Err(invalid("detail.requestParameters", "an object", other)),
        };
        check_request_parameters(params)?;
        serde_json::from_value(v).map_err(|e| Error::InvalidField {
            path: "detail".into(),
            problem: one_line(&e.to_string()),
        })
    }

    /// CloudTrail `eventID` (stable across duplicate deliveries).
    pub fn event_id(&self) -> &str {
        &self.detail.event_id
    }

    /// Region: `detail.awsRegion`, else the envelope's `region`, else `""`.
    pub fn region(&self) -> &str {
        self.detail
            .aws_region
            .as_deref()
            .or(self.region.as_deref())
            .unwrap_or("")
    }

    /// Account: the envelope's, else `recipientAccountId`, else the caller's, else `""`.
    pub fn account(&self) -> &str {
        self.account
            .as_deref()
            .or(self.detail.recipient_account_id.as_deref())
            .or(self
                .detail
                .user_identity
                .as_ref()
                .and_then(|u| u.account_id.as_deref()))
            .unwrap_or("")
    }

    /// Request parameters as sent (camelCase).
    pub fn request_parameters(&self) -> &Map<String, Value> {
        &self.detail.request_parameters
    }

    /// `requestParameters.startedBy`, if sent.
    pub fn started_by(&self) -> Option<&str> {
        str_at(&self.detail.request_parameters, "startedBy")
    }

    /// `requestParameters.cluster`, default `default`.
    pub fn cluster(&self) -> &str {
        str_at(&self.detail.request_parameters, "cluster").unwrap_or("default")
    }

    /// `requestParameters.taskDefinition` (validated present).
    pub fn task_definition(&self) -> &str {
        str_at(&self.detail.request_parameters, "taskDefinition").unwrap_or("")
    }

    /// `requestParameters.count`, default 1.
    pub fn requested_count(&self) -> u32 {
        self.detail
            .request_parameters
            .get("count")
            .and_then(Value::as_u64)
            .map_or(1, |c| u32::try_from(c).unwrap_or(u32::MAX))
    }

    /// Failures in the response (empty when none).
    pub fn failures(&self) -> &[Failure] {
        self.detail
            .response_elements
            .as_ref()
            .map_or(&[], |r| r.failures.as_slice())
    }

    /// Started tasks in the response (empty when none).
    pub fn tasks(&self) -> &[StartedTask] {
        self.detail
            .response_elements
            .as_ref()
            .map_or(&[], |r| r.tasks.as_slice())
    }

    /// `userIdentity.sessionContext.sessionIssuer.arn`: the role whose session made the call
    /// (`arn:aws:iam::<account>:role/<path><name>`), when the caller was an assumed role.
    pub fn session_issuer_arn(&self) -> Option<&str> {
        self.detail
            .user_identity
            .as_ref()?
            .session_context
            .as_ref()?
            .get("sessionIssuer")?
            .get("arn")?
            .as_str()
    }

    /// Whether Step Functions made the call on a state machine's behalf: CloudTrail records the
    /// service principal as `userIdentity.invokedBy`, `sourceIPAddress` or `userAgent`.
    pub fn called_by_step_functions(&self) -> bool {
        let d = &self.detail;
        [
            d.user_identity
                .as_ref()
                .and_then(|u| u.invoked_by.as_deref()),
            d.source_ip_address.as_deref(),
            d.user_agent.as_deref(),
        ]
        .into_iter()
        .flatten()
        .any(|v| v == STEP_FUNCTIONS_PRINCIPAL)
    }

    /// ARNs of the started tasks.
    pub fn task_arns(&self) -> Vec<String> {
        self.tasks()
            .iter()
            .filter_map(|t| t.task_arn.clone())
            .collect()
    }
}

fn invalid(path: &str, want: &str, got: &Value) -> Error {
    Error::InvalidField {
        path: path.into(),
        problem: format!("expected {want}, got {}", json_type(got)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({
            "version": "0", "id": "e1", "detail-type": DETAIL_TYPE, "source": SOURCE,
            "account": "123456789012", "time": "2026-11-24T02:00:01Z", "region": "us-east-1",
            "resources": [],
            "detail": {
                "eventSource": EVENT_SOURCE, "eventName": "RunTask", "awsRegion": "us-east-1",
                "eventID": "6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b",
                "requestParameters": {"cluster": "prod", "taskDefinition": "nightly-batch:12", "count": 2},
                "responseElements": {
                    "tasks": [{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/abc"}],
                    "failures": [{"arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/i1", "reason": "AGENT"}]
                }
            }
        })
    }

    /// The typed fast path of `from_json` and the Value walk of `from_value` accept and reject
    /// the same events, with the same error.
    type Edit = Box<dyn Fn(&mut Value)>;

    #[test]
    fn fast_path_and_value_walk_agree() {
        let edits: Vec<(&str, Edit)> = vec![
            ("valid", Box::new(|_| {})),
            (
                "detail-type",
                Box::new(|e| e["detail-type"] = json!("ECS Task State Change")),
            ),
            ("source", Box::new(|e| e["source"] = json!("aws.ec2"))),
            (
                "eventSource",
                Box::new(|e| e["detail"]["eventSource"] = json!("ec2.amazonaws.com")),
            ),
            (
                "eventName",
                Box::new(|e| e["detail"]["eventName"] = json!("StopTask")),
            ),
            (
                "eventName null",
                Box::new(|e| e["detail"]["eventName"] = Value::Null),
            ),
            (
                "eventID blank",
                Box::new(|e| e["detail"]["eventID"] = json!("  ")),
            ),
            (
                "eventID number",
                Box::new(|e| e["detail"]["eventID"] = json!(7)),
            ),
            (
                "no requestParameters",
                Box::new(|e| e["detail"]["requestParameters"] = Value::Null),
            ),
            (
                "taskDefinition blank",
                Box::new(|e| e["detail"]["requestParameters"]["taskDefinition"] = json!("")),
            ),
            (
                "no taskDefinition",
                Box::new(|e| {
                    e["detail"]["requestParameters"]
                        .as_object_mut()
                        .map(|p| p.remove("taskDefinition"));
                }),
            ),
            (
                "cluster number",
                Box::new(|e| e["detail"]["requestParameters"]["cluster"] = json!(1)),
            ),
            (
                "startedBy object",
                Box::new(|e| e["detail"]["requestParameters"]["startedBy"] = json!({})),
            ),
            (
                "count negative",
                Box::new(|e| e["detail"]["requestParameters"]["count"] = json!(-1)),
            ),
            (
                "count null",
                Box::new(|e| e["detail"]["requestParameters"]["count"] = Value::Null),
            ),
            (
                "detail not an object",
                Box::new(|e| e["detail"] = json!([])),
            ),
        ];
        for (name, edit) in edits {
            let mut v = event();
            edit(&mut v);
            let fast = RunTaskEvent::from_json(&v.to_string());
            let walk = RunTaskEvent::from_value(v);
            match (&fast, &walk) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{name}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{name}"),
                _ => panic!("{name}: from_json {fast:?} but from_value {walk:?}"),
            }
        }
    }

    #[test]
    fn parses_a_minimal_event() {
        let e = RunTaskEvent::from_value(event()).expect("valid event");
        assert_eq!(e.event_id(), "6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b");
        assert_eq!(e.cluster(), "prod");
        assert_eq!(e.requested_count(), 2);
        assert_eq!(e.failures().len(), 1);
        assert_eq!(e.task_arns().len(), 1);
        assert_eq!(e.region(), "us-east-1");
        assert_eq!(e.account(), "123456789012");
        assert_eq!(e.started_by(), None);
    }

    #[test]
    fn tolerant_of_absent_optional_fields() {
        let v = json!({"detail": {"eventName": "RunTask", "eventID": "x",
            "requestParameters": {"taskDefinition": "fam"}, "responseElements": null}});
        let e = RunTaskEvent::from_value(v).expect("tolerant");
        assert_eq!(e.cluster(), "default");
        assert_eq!(e.requested_count(), 1);
        assert!(e.failures().is_empty());
        assert_eq!(e.region(), "");
    }

    #[test]
    fn rejects_with_named_problem() {
        let mut stop = event();
        stop["detail"]["eventName"] = json!("StopTask");
        let mut no_params = event();
        no_params["detail"]
            .as_object_mut()
            .expect("object")
            .remove("requestParameters");
        let mut no_td = event();
        no_td["detail"]["requestParameters"]
            .as_object_mut()
            .expect("object")
            .remove("taskDefinition");
        let mut bad_failures = event();
        bad_failures["detail"]["responseElements"]["failures"] = json!("AGENT");
        let mut other_source = event();
        other_source["source"] = json!("aws.ec2");
        let mut bad_count = event();
        bad_count["detail"]["requestParameters"]["count"] = json!("two");
        let cases: Vec<(Value, &str, &str)> = vec![
            (
                json!([1]),
                "EcsRerun.NotAnEventBridgeEvent",
                "expected a JSON object, got an array",
            ),
            (
                json!({"a": 1}),
                "EcsRerun.NotAnEventBridgeEvent",
                "no detail object",
            ),
            (
                stop,
                "EcsRerun.NotRunTask",
                "not a CloudTrail RunTask event: detail.eventName is \"StopTask\"",
            ),
            (
                no_params,
                "EcsRerun.MissingField",
                "missing field detail.requestParameters",
            ),
            (
                no_td,
                "EcsRerun.MissingField",
                "missing field detail.requestParameters.taskDefinition",
            ),
            (
                bad_failures,
                "EcsRerun.InvalidField",
                "invalid field detail",
            ),
            (other_source, "EcsRerun.NotRunTask", "source is \"aws.ec2\""),
            (
                bad_count,
                "EcsRerun.InvalidField",
                "detail.requestParameters.count",
            ),
        ];
        for (v, ty, msg) in cases {
            let err = RunTaskEvent::from_value(v).expect_err(msg);
            assert_eq!(err.error_type(), ty, "{err}");
            assert!(err.to_string().contains(msg), "{err} should contain {msg}");
            assert!(!err.to_string().contains('\n'));
        }
        let err = RunTaskEvent::from_json("{not json").expect_err("invalid");
        assert_eq!(err.error_type(), "EcsRerun.InvalidJson");
    }
}
