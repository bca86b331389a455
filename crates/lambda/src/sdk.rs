//! [`sdk_config`]: the AWS SDK configuration every ecs-rerun Lambda builds its clients from.

/// The shared SDK configuration, loaded once at start-up from the standard AWS environment
/// (region, credentials, `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` locally). Its HTTPS
/// client is rustls with the ring provider, not the SDK default (aws-lc), whose first handshake
/// burns tens of milliseconds of CPU at every cold start (docs/PERFORMANCE.md).
pub async fn sdk_config() -> aws_config::SdkConfig {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await
}
