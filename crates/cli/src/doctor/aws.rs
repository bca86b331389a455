//! The AWS side of `doctor`: configuration from the usual chain (environment, profile, SSO, …)
//! with the flags on top, one client per service, SDK errors on one line, and the interceptor that
//! lets TestState reach an endpoint override.

use std::fmt::Debug;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sfn::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sfn::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::endpoint::EndpointPrefix;

use crate::common::InputError;

/// Where a command's AWS calls go (doctor, redrive, audit's live mode): the usual configuration
/// chain, with these flags on top.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct AwsArgs {
    /// Region (default: the AWS configuration: AWS_REGION, profile, …)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Named profile of the AWS configuration (default: AWS_PROFILE, else default)
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Send every request to this endpoint instead of AWS (e.g. LocalStack: http://127.0.0.1:4566)
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

impl AwsArgs {
    /// The AWS configuration these flags select ([`sdk_config`]).
    pub async fn sdk_config(&self) -> anyhow::Result<SdkConfig> {
        sdk_config(
            self.region.as_deref(),
            self.profile.as_deref(),
            self.endpoint_url.as_deref(),
        )
        .await
    }
}

/// Loads the AWS configuration: `--profile`, `--region` and `--endpoint-url` win over the
/// environment and the shared config files.
pub async fn sdk_config(
    region: Option<&str>,
    profile: Option<&str>,
    endpoint_url: Option<&str>,
) -> anyhow::Result<SdkConfig> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    if let Some(url) = endpoint_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(InputError(format!(
                "--endpoint-url {url:?}: expected an http:// or https:// URL"
            ))
            .into());
        }
        loader = loader.endpoint_url(url);
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(InputError(
            "no region: pass --region, or set AWS_REGION or a region in the profile".to_string(),
        )
        .into());
    }
    Ok(sdk)
}

/// One client per service the checks call.
#[derive(Debug, Clone)]
pub struct Clients {
    /// DescribeStacks, DescribeStackResources.
    pub cloudformation: aws_sdk_cloudformation::Client,
    /// DescribeTrails, GetTrailStatus, GetEventSelectors.
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    /// DescribeRule, ListTargetsByRule.
    pub events: aws_sdk_eventbridge::Client,
    /// GetQueueAttributes.
    pub sqs: aws_sdk_sqs::Client,
    /// DescribeStateMachine, ValidateStateMachineDefinition, TestState.
    pub sfn: aws_sdk_sfn::Client,
}

impl Clients {
    /// Clients from one configuration.
    pub fn new(sdk: &SdkConfig) -> Self {
        Clients {
            cloudformation: aws_sdk_cloudformation::Client::new(sdk),
            cloudtrail: aws_sdk_cloudtrail::Client::new(sdk),
            events: aws_sdk_eventbridge::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            sfn: sfn_client(sdk),
        }
    }
}

/// The Step Functions client. TestState is modelled with the host prefix `sync-`
/// (`sync-states.<region>.amazonaws.com`); with an endpoint override such as
/// `http://127.0.0.1:4566` that prefix would make the host `sync-127.0.0.1`, which does not
/// resolve, so the client then drops the prefix ([`NoEndpointPrefix`]).
pub fn sfn_client(sdk: &SdkConfig) -> aws_sdk_sfn::Client {
    let mut config = aws_sdk_sfn::config::Builder::from(sdk);
    if sdk.endpoint_url().is_some() {
        config = config.interceptor(NoEndpointPrefix);
    }
    aws_sdk_sfn::Client::from_conf(config.build())
}

/// Removes the operation's endpoint (host) prefix.
///
/// The generated operation stores its `EndpointPrefix` in the config bag in its own
/// `read_before_execution` hook, which the orchestrator runs after every client interceptor's
/// `read_before_execution`; the endpoint is resolved and applied per attempt, after
/// `modify_before_retry_loop` (aws-smithy-runtime `orchestrator.rs`: `apply_configuration` →
/// `try_op` → `modify_before_retry_loop` → `try_attempt` → `orchestrate_endpoint`). So this hook
/// runs after the prefix is stored and before it is used.
#[derive(Debug, Clone, Copy)]
pub struct NoEndpointPrefix;

impl Intercept for NoEndpointPrefix {
    fn name(&self) -> &'static str {
        "NoEndpointPrefix"
    }

    fn modify_before_retry_loop(
        &self,
        _context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().unset::<EndpointPrefix>();
        Ok(())
    }
}

/// An SDK error on one line: `Code: message` for a service error, else the error chain.
pub fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug,
{
    let text = match err.as_service_error() {
        Some(e) => match (e.code(), e.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_string(),
            _ => DisplayErrorContext(err).to_string(),
        },
        None => DisplayErrorContext(err).to_string(),
    };
    super::report::one_line(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::config::{Credentials, Region};
    use aws_smithy_http_client::test_util::capture_request;

    fn config(
        endpoint: &str,
        http: aws_smithy_http_client::test_util::CaptureRequestHandler,
    ) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_sfn::config::SharedCredentialsProvider::new(
                Credentials::new("test", "test", None, None, "test"),
            ))
            .http_client(http)
            .build()
    }

    async fn send_test_state(client: &aws_sdk_sfn::Client) {
        // The capturing client answers 200 with an empty body; only the request matters here.
        let _ = client.test_state().definition("{}").send().await;
    }

    /// The captured request is the one the HTTP client would send: after endpoint resolution and
    /// the host prefix.
    #[tokio::test]
    async fn test_state_reaches_the_endpoint_override_without_the_sync_prefix() {
        let (http, request) = capture_request(None);
        let client = sfn_client(&config("http://127.0.0.1:4566", http));
        send_test_state(&client).await;
        let sent = request.expect_request();
        assert_eq!(sent.uri(), "http://127.0.0.1:4566/");

        // Without the interceptor the SDK really prefixes the host (so the test above tests
        // something).
        let (http, request) = capture_request(None);
        let plain = aws_sdk_sfn::Client::new(&config("http://127.0.0.1:4566", http));
        send_test_state(&plain).await;
        assert_eq!(
            request.expect_request().uri(),
            "http://sync-127.0.0.1:4566/"
        );

        // Other operations are untouched either way.
        let (http, request) = capture_request(None);
        let client = sfn_client(&config("http://127.0.0.1:4566", http));
        let _ = client.list_state_machines().send().await;
        assert_eq!(request.expect_request().uri(), "http://127.0.0.1:4566/");
    }

    #[tokio::test]
    async fn without_an_override_the_sync_host_stays() {
        let (http, request) = capture_request(None);
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_sfn::config::SharedCredentialsProvider::new(
                Credentials::new("test", "test", None, None, "test"),
            ))
            .http_client(http)
            .build();
        let client = sfn_client(&sdk);
        send_test_state(&client).await;
        assert_eq!(
            request.expect_request().uri(),
            "https://sync-states.eu-west-1.amazonaws.com/"
        );
    }

    #[tokio::test]
    async fn a_bad_endpoint_url_is_an_input_error() {
        let err = sdk_config(Some("us-east-1"), None, Some("127.0.0.1:4566"))
            .await
            .expect_err("no scheme");
        assert_eq!(crate::common::exit_code(&err), crate::common::EXIT_INPUT);
    }
}
