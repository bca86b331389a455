//! [`Executions`] on AWS Step Functions (`StartExecution`).

use aws_sdk_sfn::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::error::Error;
use crate::ports::{Executions, StartOutcome};

/// Error codes that mean "slow down": SQS redelivers the record later.
const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "KmsThrottlingException",
];

/// The Step Functions client, built once at start-up from the Lambdas' shared SDK configuration
/// (`ecs_rerun_lambda::sdk_config`: rustls with the ring provider, not aws-lc; the figures are in
/// docs/PERFORMANCE.md and the README).
pub async fn sfn_client() -> aws_sdk_sfn::Client {
    aws_sdk_sfn::Client::new(&ecs_rerun_lambda::sdk_config().await)
}

/// Starts executions with the Step Functions SDK client (endpoint from the standard
/// `AWS_ENDPOINT_URL` locally).
#[derive(Debug, Clone)]
pub struct SfnExecutions {
    client: aws_sdk_sfn::Client,
}

impl SfnExecutions {
    /// Wraps a client built once at start-up.
    pub fn new(client: aws_sdk_sfn::Client) -> Self {
        Self { client }
    }
}

impl Executions for SfnExecutions {
    async fn start(
        &self,
        state_machine_arn: &str,
        name: &str,
        input: &str,
    ) -> Result<StartOutcome, Error> {
        let result = self
            .client
            .start_execution()
            .state_machine_arn(state_machine_arn)
            .name(name)
            .input(input)
            .send()
            .await;
        match result {
            Ok(out) => Ok(StartOutcome::Started {
                execution_arn: out.execution_arn().to_owned(),
            }),
            Err(SdkError::ServiceError(ctx)) => {
                let err = ctx.into_err();
                if err.is_execution_already_exists() {
                    return Ok(StartOutcome::AlreadyStarted);
                }
                let Some(code) = err.code().map(str::to_owned) else {
                    // no error code: not an answer from Step Functions (proxy page, garbage)
                    return Err(Error::StartExecutionUnavailable(one_line(
                        &DisplayErrorContext(&err).to_string(),
                    )));
                };
                let message = one_line(err.message().unwrap_or("no message"));
                if THROTTLING_CODES.contains(&code.as_str()) {
                    Err(Error::Throttled { code, message })
                } else {
                    Err(Error::StartExecutionRejected { code, message })
                }
            }
            Err(other) => Err(Error::StartExecutionUnavailable(one_line(
                &DisplayErrorContext(&other).to_string(),
            ))),
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use aws_sdk_sfn::Client;
    use aws_sdk_sfn::operation::start_execution::StartExecutionOutput;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::DateTime;

    use super::*;

    const ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:ecs-rerun#AgentThenOk";
    const NAME: &str = "nightly-batch-6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b";
    const INPUT: &str = r#"{"executionName":"nightly-batch-6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b"}"#;

    /// An awsJson1_0 error answer, exactly as Step Functions sends it over the wire.
    fn aws_error(status: u16, code: &str, message: &str) -> aws_smithy_runtime_api::http::Response {
        let body = serde_json::json!({ "__type": code, "message": message }).to_string();
        let mut resp = aws_smithy_runtime_api::http::Response::new(
            status.try_into().expect("valid status"),
            aws_smithy_types::body::SdkBody::from(body),
        );
        resp.headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        resp.headers_mut()
            .insert("x-amzn-query-error", format!("{code};Sender"));
        resp
    }

    #[tokio::test]
    async fn started_passes_name_input_and_test_case_arn_through() {
        let rule = mock!(Client::start_execution)
            .match_requests(|req| {
                req.state_machine_arn() == Some(ARN)
                    && req.name() == Some(NAME)
                    && req.input() == Some(INPUT)
            })
            .then_output(|| {
                StartExecutionOutput::builder()
                    .execution_arn(format!(
                        "arn:aws:states:us-east-1:123456789012:execution:ecs-rerun:{NAME}"
                    ))
                    .start_date(DateTime::from_secs(1_795_000_000))
                    .build()
                    .expect("valid output")
            });
        let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&rule]);
        let got = SfnExecutions::new(client)
            .start(ARN, NAME, INPUT)
            .await
            .expect("started");
        assert_eq!(
            got,
            StartOutcome::Started {
                execution_arn: format!(
                    "arn:aws:states:us-east-1:123456789012:execution:ecs-rerun:{NAME}"
                )
            }
        );
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn execution_already_exists_is_already_started() {
        let rule = mock!(Client::start_execution).then_http_response(|| {
            aws_error(
                400,
                "ExecutionAlreadyExists",
                &format!("Execution Already Exists: 'arn:aws:states:us-east-1:123456789012:execution:ecs-rerun:{NAME}'"),
            )
        });
        let client = mock_client!(aws_sdk_sfn, [&rule]);
        let got = SfnExecutions::new(client)
            .start(ARN, NAME, INPUT)
            .await
            .expect("a duplicate is not an error");
        assert_eq!(got, StartOutcome::AlreadyStarted);
    }

    #[tokio::test]
    async fn service_errors_keep_a_stable_type_and_the_code() {
        let cases = [
            (
                400,
                "ThrottlingException",
                "Rate exceeded",
                "EcsRerunStarter.Throttled",
            ),
            (
                400,
                "StateMachineDoesNotExist",
                "State Machine Does Not Exist: 'arn:aws:states:us-east-1:123456789012:stateMachine:ecs-rerun'",
                "EcsRerunStarter.StartExecutionRejected",
            ),
            (
                400,
                "InvalidExecutionInput",
                "Invalid execution input",
                "EcsRerunStarter.StartExecutionRejected",
            ),
            (
                500,
                "InternalFailure",
                "internal error",
                "EcsRerunStarter.StartExecutionRejected",
            ),
        ];
        for (status, code, message, want_type) in cases {
            // `repeatedly`: the SDK's own retry policy may ask more than once for throttling/5xx
            let rule = mock!(Client::start_execution)
                .sequence()
                .http_response(move || aws_error(status, code, message))
                .repeatedly()
                .build();
            let client = mock_client!(aws_sdk_sfn, [&rule]);
            let err = SfnExecutions::new(client)
                .start(ARN, NAME, INPUT)
                .await
                .expect_err("must fail");
            assert_eq!(err.error_type(), want_type, "{code}");
            let msg = err.to_string();
            assert!(msg.contains(code), "{msg}");
            assert!(msg.contains(message), "{msg}");
        }
    }

    #[tokio::test]
    async fn unparseable_answer_is_unavailable() {
        let rule = mock!(Client::start_execution)
            .sequence()
            .http_response(|| {
                aws_smithy_runtime_api::http::Response::new(
                    200.try_into().expect("valid status"),
                    aws_smithy_types::body::SdkBody::from("<html>proxy error</html>"),
                )
            })
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_sfn, [&rule]);
        let err = SfnExecutions::new(client)
            .start(ARN, NAME, INPUT)
            .await
            .expect_err("must fail");
        assert_eq!(
            err.error_type(),
            "EcsRerunStarter.StartExecutionUnavailable",
            "{err}"
        );
        assert!(!err.to_string().contains('\n'));
    }
}
