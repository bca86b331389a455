//! The AWS side of the notifier: the webhook secret (Secrets Manager `GetSecretValue`, once at
//! start-up) and its queues ([`Queue`] over SQS `SendMessage` to the DLQ and
//! `ChangeMessageVisibility`). The HTTPS client is rustls with ring, as in the starter.

use std::time::Duration;

use aws_lambda_events::sqs::SqsMessage;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::MessageAttributeValue;

use crate::config::{WebhookUrl, parse_webhook_url};
use crate::error::Error;
use crate::ports::Queue;

/// Message attribute carrying the error type of a record sent to the DLQ.
pub const ERROR_TYPE_ATTRIBUTE: &str = "EcsRerunErrorType";

/// Reads the webhook URL from the secret `id` (ARN or name): the secret string is the URL itself
/// or JSON `{"url": "…"}`, validated like `SLACK_WEBHOOK_URL`. No error repeats the secret.
pub async fn read_webhook_secret(
    client: &aws_sdk_secretsmanager::Client,
    id: &str,
) -> Result<WebhookUrl, Error> {
    let out = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| {
            // the code and AWS's message (never the value); a transport error by its kind
            let what = match (e.code(), e.message(), e.as_service_error()) {
                (Some(code), Some(msg), _) => format!("{code}: {}", one_line(msg)),
                (Some(code), None, _) => code.to_owned(),
                (None, _, Some(service)) => one_line(&service.to_string()),
                _ => format!("GetSecretValue failed ({})", sdk_error_kind(&e)),
            };
            Error::Secret(what)
        })?;
    let secret = out
        .secret_string()
        .ok_or_else(|| Error::Secret("the secret has no SecretString (a binary secret)".into()))?;
    webhook_from_secret(secret)
}

/// The URL in a secret string: the URL itself, or JSON `{"url": "…"}`.
pub fn webhook_from_secret(secret: &str) -> Result<WebhookUrl, Error> {
    let secret = secret.trim();
    let raw = if secret.starts_with('{') {
        // serde's messages may quote the input: only our own words here
        let value: serde_json::Value = serde_json::from_str(secret)
            .map_err(|_| Error::Secret("the secret string is not valid JSON".into()))?;
        value
            .get("url")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::Secret("the secret's JSON has no string \"url\"".into()))?
    } else {
        secret.to_owned()
    };
    parse_webhook_url(raw.trim())
        .map_err(|problem| Error::Secret(format!("the webhook URL: {problem}")))
}

fn sdk_error_kind<E, R>(e: &aws_sdk_secretsmanager::error::SdkError<E, R>) -> &'static str {
    use aws_sdk_secretsmanager::error::SdkError;
    match e {
        SdkError::ConstructionFailure(_) => "request not built",
        SdkError::TimeoutError(_) => "timeout",
        SdkError::DispatchFailure(_) => "cannot connect",
        SdkError::ResponseError(_) => "bad response",
        SdkError::ServiceError(_) => "service error",
        _ => "unknown error",
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The notifier's queues over SQS.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    dlq_url: Option<String>,
}

impl SqsQueue {
    /// `dlq_url`: `NOTIFIER_DLQ_URL`, if set.
    pub fn new(client: aws_sdk_sqs::Client, dlq_url: Option<String>) -> Self {
        Self { client, dlq_url }
    }
}

/// The queue URL of an SQS queue ARN (`arn:aws:sqs:us-east-1:123456789012:name` →
/// `https://sqs.us-east-1.amazonaws.com/123456789012/name`); SQS takes the URL as a parameter, the
/// endpoint stays the client's.
pub fn queue_url_of_arn(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("sqs"), Some(region), Some(account), Some(name)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    if region.is_empty() || account.is_empty() || name.is_empty() {
        return None;
    }
    let domain = if partition == "aws-cn" {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    Some(format!("https://sqs.{region}.{domain}/{account}/{name}"))
}

fn sqs_error<E: ProvideErrorMetadata, R>(
    call: &str,
    e: &aws_sdk_sqs::error::SdkError<E, R>,
) -> Error {
    Error::Queue(match (e.code(), e.message()) {
        (Some(code), Some(msg)) => format!("{call}: {code}: {}", one_line(msg)),
        (Some(code), None) => format!("{call}: {code}"),
        _ => format!("{call} failed ({})", sdk_error_kind(e)),
    })
}

impl Queue for SqsQueue {
    async fn dead_letter(&self, record: &SqsMessage, error: &Error) -> Result<bool, Error> {
        let Some(dlq_url) = &self.dlq_url else {
            return Ok(false);
        };
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(error.error_type())
            .build()
            .map_err(|e| Error::Queue(format!("SendMessage: {e}")))?;
        self.client
            .send_message()
            .queue_url(dlq_url)
            .message_body(record.body.clone().unwrap_or_default())
            .message_attributes(ERROR_TYPE_ATTRIBUTE, attribute)
            .send()
            .await
            .map_err(|e| sqs_error("SendMessage", &e))?;
        Ok(true)
    }

    async fn delay(&self, record: &SqsMessage, delay: Duration) -> Result<(), Error> {
        let (Some(arn), Some(handle)) = (&record.event_source_arn, &record.receipt_handle) else {
            return Err(Error::Queue(
                "ChangeMessageVisibility: the record has no eventSourceARN or receiptHandle".into(),
            ));
        };
        let url = queue_url_of_arn(arn).ok_or_else(|| {
            Error::Queue(format!(
                "ChangeMessageVisibility: {arn} is not an SQS queue ARN"
            ))
        })?;
        self.client
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(handle)
            .visibility_timeout(i32::try_from(delay.as_secs()).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| sqs_error("ChangeMessageVisibility", &e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_secretsmanager::operation::get_secret_value::{
        GetSecretValueError, GetSecretValueOutput,
    };
    use aws_sdk_secretsmanager::types::error::ResourceNotFoundException;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    const URL: &str = "https://hooks.slack.com/services/T0000000/B0000000/SECRETSECRETSECRET";
    const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecs-rerun/slack-AbCdEf";

    fn client_answering(secret: Option<&str>) -> aws_sdk_secretsmanager::Client {
        let secret = secret.map(str::to_owned);
        let rule = mock!(aws_sdk_secretsmanager::Client::get_secret_value)
            .match_requests(|r| r.secret_id() == Some(ARN))
            .then_output(move || {
                let mut out = GetSecretValueOutput::builder().arn(ARN);
                if let Some(s) = &secret {
                    out = out.secret_string(s);
                }
                out.build()
            });
        mock_client!(aws_sdk_secretsmanager, RuleMode::MatchAny, [&rule])
    }

    #[tokio::test]
    async fn the_url_itself_or_json_with_url() {
        for secret in [
            URL.to_owned(),
            format!(" {URL}\n"),
            format!(r#"{{"url": "{URL}"}}"#),
        ] {
            let url = read_webhook_secret(&client_answering(Some(&secret)), ARN)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(url.expose().as_str(), URL);
            assert!(!format!("{url:?}").contains("SECRET"));
        }
    }

    #[tokio::test]
    async fn bad_secrets_are_typed_and_never_echoed() {
        let cases = [
            (
                Some("hooks.slack.com/services/SECRETSECRETSECRET"),
                "not a URL",
            ),
            (
                Some("http://hooks.slack.com/services/SECRETSECRETSECRET"),
                "must be https://",
            ),
            (
                Some(r#"{"url": 1, "SECRETSECRETSECRET": 2}"#),
                "no string \"url\"",
            ),
            (Some(r#"{"url": "SECRETSECRETSECRET"#), "not valid JSON"),
            (None, "no SecretString"),
        ];
        for (secret, want) in cases {
            let err = read_webhook_secret(&client_answering(secret), ARN)
                .await
                .expect_err("must be refused");
            assert_eq!(err.error_type(), "EcsRerunNotifier.Secret", "{secret:?}");
            let msg = err.to_string();
            assert!(msg.contains(want), "{msg}");
            assert!(!msg.contains("SECRETSECRET"), "{msg}");
        }
    }

    #[tokio::test]
    async fn a_missing_secret_names_the_error_code() {
        let rule = mock!(aws_sdk_secretsmanager::Client::get_secret_value).then_error(|| {
            GetSecretValueError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Secrets Manager can't find the specified secret.")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_secretsmanager, [&rule]);
        let err = read_webhook_secret(&client, ARN)
            .await
            .expect_err("missing");
        assert_eq!(err.error_type(), "EcsRerunNotifier.Secret");
        let msg = err.to_string();
        assert!(
            msg.starts_with("cannot use the webhook secret SLACK_WEBHOOK_SECRET_ARN: "),
            "{msg}"
        );
        assert!(msg.contains("ResourceNotFoundException"), "{msg}");
        assert!(msg.contains("can't find the specified secret"), "{msg}");
    }

    #[test]
    fn queue_urls_from_arns() {
        for (arn, want) in [
            (
                "arn:aws:sqs:us-east-1:123456789012:ecs-rerun-notifier",
                Some("https://sqs.us-east-1.amazonaws.com/123456789012/ecs-rerun-notifier"),
            ),
            (
                "arn:aws-cn:sqs:cn-north-1:123456789012:q",
                Some("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q"),
            ),
            ("arn:aws:sns:us-east-1:123456789012:t", None),
            ("arn:aws:sqs:us-east-1:123456789012", None),
            ("", None),
        ] {
            assert_eq!(queue_url_of_arn(arn).as_deref(), want, "{arn}");
        }
    }

    fn sqs_record() -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some("m1".into());
        m.body = Some("{\"Type\":\"Notification\"}".into());
        m.receipt_handle = Some("AQEB-receipt".into());
        m.event_source_arn = Some("arn:aws:sqs:us-east-1:123456789012:ecs-rerun-notifier".into());
        m
    }

    const DLQ: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/ecs-rerun-notifier-dlq";

    #[tokio::test]
    async fn dead_letter_sends_the_body_with_its_error_type_to_the_dlq() {
        use aws_sdk_sqs::operation::send_message::SendMessageOutput;
        let rule = mock!(aws_sdk_sqs::Client::send_message)
            .match_requests(|r| {
                r.queue_url() == Some(DLQ)
                    && r.message_body() == Some("{\"Type\":\"Notification\"}")
                    && r.message_attributes()
                        .and_then(|a| a.get(ERROR_TYPE_ATTRIBUTE))
                        .and_then(|v| v.string_value())
                        == Some("EcsRerunNotifier.SlackPermanent")
            })
            .then_output(|| SendMessageOutput::builder().message_id("d1").build());
        let client = mock_client!(aws_sdk_sqs, [&rule]);
        let err = Error::Permanent {
            status: 404,
            body: "no_service".into(),
        };
        let queue = SqsQueue::new(client.clone(), Some(DLQ.into()));
        assert!(queue.dead_letter(&sqs_record(), &err).await.expect("sent"));
        assert_eq!(rule.num_calls(), 1);
        // no DLQ configured: nothing sent, the caller leaves it to the redrive policy
        let queue = SqsQueue::new(client, None);
        assert!(
            !queue
                .dead_letter(&sqs_record(), &err)
                .await
                .expect("no call")
        );
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn delay_changes_the_visibility_on_the_record_queue() {
        use aws_sdk_sqs::operation::change_message_visibility::{
            ChangeMessageVisibilityError, ChangeMessageVisibilityOutput,
        };
        let rule = mock!(aws_sdk_sqs::Client::change_message_visibility)
            .match_requests(|r| {
                r.queue_url()
                    == Some("https://sqs.us-east-1.amazonaws.com/123456789012/ecs-rerun-notifier")
                    && r.receipt_handle() == Some("AQEB-receipt")
                    && r.visibility_timeout() == Some(120)
            })
            .then_output(|| ChangeMessageVisibilityOutput::builder().build());
        let refused = mock!(aws_sdk_sqs::Client::change_message_visibility)
            .then_error(|| ChangeMessageVisibilityError::unhandled("ReceiptHandleIsInvalid"));
        let client = mock_client!(aws_sdk_sqs, RuleMode::Sequential, [&rule, &refused]);
        let queue = SqsQueue::new(client, None);
        queue
            .delay(&sqs_record(), Duration::from_secs(120))
            .await
            .expect("changed");
        let err = queue
            .delay(&sqs_record(), Duration::from_secs(120))
            .await
            .expect_err("refused");
        assert_eq!(err.error_type(), "EcsRerunNotifier.Queue");
        assert!(
            err.to_string().starts_with("SQS: ChangeMessageVisibility"),
            "{err}"
        );
        let mut bare = sqs_record();
        bare.receipt_handle = None;
        assert!(queue.delay(&bare, Duration::from_secs(1)).await.is_err());
    }
}
