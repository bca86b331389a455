//! The notifier's one error type. Each variant has a stable name ([`Error::error_type`]) that shows
//! in CloudWatch: treat the names as API. No message ever contains the webhook URL.

use std::time::Duration;

/// Everything that can go wrong in the notifier, at start-up (configuration, HTTP client) or per
/// SQS record (delivery to Slack).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// From the shell (`ecs-rerun-lambda`): an environment variable missing or invalid (the value
    /// of a secret is never repeated), or a record not started for lack of time. Named with this
    /// Lambda's prefix.
    #[error(transparent)]
    Shell(#[from] ecs_rerun_lambda::Error),
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
    /// The SQS record has no body.
    #[error("SQS record has no body")]
    EmptyBody,
    /// Slack answered 429 and the Retry-After delay did not fit (or the retry was limited too).
    #[error("Slack rate limited the webhook (retry after {})", fmt_retry_after(*.retry_after))]
    RateLimited {
        /// Slack's Retry-After, when it sent one in seconds.
        retry_after: Option<Duration>,
    },
    /// Not posted: Slack rate limited an earlier record of this batch.
    #[error("not posted: Slack rate limited an earlier record of this batch")]
    SkippedAfterRateLimit,
    /// Slack refused the payload (HTTP 400: `invalid_blocks`, `invalid_payload`, …): it is posted
    /// once more as text only.
    #[error("Slack rejected the message: HTTP {status} {body}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Slack's short answer, one line, at most 200 characters.
        body: String,
    },
    /// Slack refused the text-only retry of a rejected message too: dead-lettered.
    #[error("Slack rejected the text-only message too: HTTP {status} {body}")]
    TextRejected {
        /// The HTTP status.
        status: u16,
        /// Slack's short answer, one line, at most 200 characters.
        body: String,
    },
    /// The webhook is gone or forbidden (403/404/410 and any other 4xx but 400 and 429:
    /// `action_prohibited`, `channel_not_found`, `channel_is_archived`, `no_service`, `no_team`,
    /// `team_disabled`, `invalid_token`, …): dead-lettered at once, never retried.
    #[error("Slack refused the webhook for good: HTTP {status} {body}")]
    Permanent {
        /// The HTTP status.
        status: u16,
        /// Slack's short answer, one line, at most 200 characters.
        body: String,
    },
    /// Slack failed (5xx).
    #[error("Slack failed: HTTP {status} {body}")]
    SlackUnavailable {
        /// The HTTP status.
        status: u16,
        /// Slack's short answer, one line, at most 200 characters.
        body: String,
    },
    /// No answer within `SLACK_TIMEOUT_MS`.
    #[error("Slack did not answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The connection could not be made (DNS, refused, TLS).
    #[error("cannot connect to Slack: {0}")]
    Connect(String),
    /// `SLACK_WEBHOOK_URL` and `SLACK_WEBHOOK_SECRET_ARN` are both set: which one is meant?
    #[error("set one of SLACK_WEBHOOK_URL and SLACK_WEBHOOK_SECRET_ARN, not both")]
    ConflictingWebhook,
    /// The webhook secret could not be read or is not a webhook URL (the message never contains
    /// the secret's value).
    #[error("cannot use the webhook secret SLACK_WEBHOOK_SECRET_ARN: {0}")]
    Secret(String),
    /// An SQS call failed (moving a record to the DLQ).
    #[error("SQS: {0}")]
    Queue(String),
    /// Any other transport failure (connection reset, unexpected status class, …).
    #[error("request to Slack failed: {0}")]
    Request(String),
}

fn fmt_retry_after(d: Option<Duration>) -> String {
    match d {
        Some(d) => format!("{} s", d.as_secs()),
        None => "unknown".to_owned(),
    }
}

impl Error {
    /// Stable error-type name, e.g. `EcsRerunNotifier.RateLimited`.
    pub fn error_type(&self) -> &'static str {
        use ecs_rerun_lambda::Error as Shell;
        match self {
            Error::Shell(Shell::MissingEnv { .. }) => "EcsRerunNotifier.MissingEnv",
            Error::Shell(Shell::InvalidEnv { .. }) => "EcsRerunNotifier.InvalidEnv",
            Error::Shell(Shell::OutOfTime { .. }) => "EcsRerunNotifier.OutOfTime",
            Error::HttpClient(_) => "EcsRerunNotifier.HttpClient",
            Error::EmptyBody => "EcsRerunNotifier.EmptyBody",
            Error::RateLimited { .. } => "EcsRerunNotifier.RateLimited",
            Error::SkippedAfterRateLimit => "EcsRerunNotifier.SkippedAfterRateLimit",
            Error::Rejected { .. } => "EcsRerunNotifier.SlackRejected",
            Error::TextRejected { .. } => "EcsRerunNotifier.SlackTextRejected",
            Error::Permanent { .. } => "EcsRerunNotifier.SlackPermanent",
            Error::ConflictingWebhook => "EcsRerunNotifier.ConflictingEnv",
            Error::Secret(_) => "EcsRerunNotifier.Secret",
            Error::Queue(_) => "EcsRerunNotifier.Queue",
            Error::SlackUnavailable { .. } => "EcsRerunNotifier.SlackUnavailable",
            Error::Timeout(_) => "EcsRerunNotifier.Timeout",
            Error::Connect(_) => "EcsRerunNotifier.Connect",
            Error::Request(_) => "EcsRerunNotifier.Request",
        }
    }
}

/// What a failed record calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 429: wait for Retry-After (in the invocation if it fits, else as the message's visibility).
    RateLimited(Option<Duration>),
    /// 5xx, timeout, connection or transport error: SQS redelivers it later, with backoff.
    Transient,
    /// 400: post once more as text only.
    BadPayload,
    /// Never worth retrying: straight to the DLQ.
    Permanent,
    /// Not a Slack answer (configuration, empty record, the shell's): SQS redelivers it.
    Other,
}

impl Error {
    /// What this error calls for.
    pub fn kind(&self) -> Kind {
        match self {
            Error::RateLimited { retry_after } => Kind::RateLimited(*retry_after),
            Error::SlackUnavailable { .. }
            | Error::Timeout(_)
            | Error::Connect(_)
            | Error::Request(_) => Kind::Transient,
            Error::Rejected { .. } => Kind::BadPayload,
            Error::TextRejected { .. } | Error::Permanent { .. } => Kind::Permanent,
            _ => Kind::Other,
        }
    }
}

impl ecs_rerun_lambda::ErrorType for Error {
    fn error_type(&self) -> &'static str {
        Error::error_type(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_are_stable_and_messages_one_line() {
        let cases = [
            (
                Error::Shell(ecs_rerun_lambda::Error::MissingEnv {
                    name: "SLACK_WEBHOOK_URL",
                }),
                "EcsRerunNotifier.MissingEnv",
                "missing environment variable SLACK_WEBHOOK_URL",
            ),
            (
                Error::Shell(ecs_rerun_lambda::Error::invalid_secret(
                    "SLACK_WEBHOOK_URL",
                    "x",
                )),
                "EcsRerunNotifier.InvalidEnv",
                "invalid environment variable SLACK_WEBHOOK_URL: x",
            ),
            (
                Error::Shell(ecs_rerun_lambda::Error::invalid(
                    "SLACK_TIMEOUT_MS",
                    "0",
                    "must be milliseconds from 1 to 60000",
                )),
                "EcsRerunNotifier.InvalidEnv",
                "invalid environment variable SLACK_TIMEOUT_MS=\"0\": must be milliseconds from 1 to 60000",
            ),
            (
                Error::Shell(ecs_rerun_lambda::Error::OutOfTime {
                    remaining: Duration::from_millis(4000),
                    needed: Duration::from_millis(5500),
                }),
                "EcsRerunNotifier.OutOfTime",
                "not started: 4000 ms left of the invocation, a record may need 5500 ms",
            ),
            (
                Error::HttpClient("x".into()),
                "EcsRerunNotifier.HttpClient",
                "cannot build the HTTP client: x",
            ),
            (
                Error::EmptyBody,
                "EcsRerunNotifier.EmptyBody",
                "SQS record has no body",
            ),
            (
                Error::RateLimited {
                    retry_after: Some(Duration::from_secs(30)),
                },
                "EcsRerunNotifier.RateLimited",
                "Slack rate limited the webhook (retry after 30 s)",
            ),
            (
                Error::RateLimited { retry_after: None },
                "EcsRerunNotifier.RateLimited",
                "Slack rate limited the webhook (retry after unknown)",
            ),
            (
                Error::SkippedAfterRateLimit,
                "EcsRerunNotifier.SkippedAfterRateLimit",
                "not posted: Slack rate limited an earlier record of this batch",
            ),
            (
                Error::Rejected {
                    status: 400,
                    body: "invalid_payload".into(),
                },
                "EcsRerunNotifier.SlackRejected",
                "Slack rejected the message: HTTP 400 invalid_payload",
            ),
            (
                Error::TextRejected {
                    status: 400,
                    body: "invalid_payload".into(),
                },
                "EcsRerunNotifier.SlackTextRejected",
                "Slack rejected the text-only message too: HTTP 400 invalid_payload",
            ),
            (
                Error::Permanent {
                    status: 404,
                    body: "no_service".into(),
                },
                "EcsRerunNotifier.SlackPermanent",
                "Slack refused the webhook for good: HTTP 404 no_service",
            ),
            (
                Error::ConflictingWebhook,
                "EcsRerunNotifier.ConflictingEnv",
                "set one of SLACK_WEBHOOK_URL and SLACK_WEBHOOK_SECRET_ARN, not both",
            ),
            (
                Error::Secret("ResourceNotFoundException".into()),
                "EcsRerunNotifier.Secret",
                "cannot use the webhook secret SLACK_WEBHOOK_SECRET_ARN: ResourceNotFoundException",
            ),
            (Error::Queue("x".into()), "EcsRerunNotifier.Queue", "SQS: x"),
            (
                Error::SlackUnavailable {
                    status: 503,
                    body: "service_unavailable".into(),
                },
                "EcsRerunNotifier.SlackUnavailable",
                "Slack failed: HTTP 503 service_unavailable",
            ),
            (
                Error::Timeout(Duration::from_millis(5000)),
                "EcsRerunNotifier.Timeout",
                "Slack did not answer within 5000 ms",
            ),
            (
                Error::Connect("refused".into()),
                "EcsRerunNotifier.Connect",
                "cannot connect to Slack: refused",
            ),
            (
                Error::Request("reset".into()),
                "EcsRerunNotifier.Request",
                "request to Slack failed: reset",
            ),
        ];
        for (err, want_type, want_msg) in cases {
            assert_eq!(err.error_type(), want_type);
            assert_eq!(err.to_string(), want_msg);
        }
    }
}
