//! Configuration, read once from the environment (docs/CONTRACT.md §7). The webhook URL is a
//! secret: it is redacted in `Debug` and never repeated in an error.

use std::fmt;
use std::time::Duration;

use ecs_rerun_lambda::Env;
use reqwest::Url;

use crate::error::Error;
use crate::handler::Backoff;

/// `SLACK_WEBHOOK_URL`: the Slack incoming webhook (secret).
pub const SLACK_WEBHOOK_URL: &str = "SLACK_WEBHOOK_URL";
/// `SLACK_WEBHOOK_SECRET_ARN`: a Secrets Manager secret (ARN or name) holding the webhook URL,
/// either as the whole secret string or as JSON `{"url": "…"}`; read once at start-up.
pub const SLACK_WEBHOOK_SECRET_ARN: &str = "SLACK_WEBHOOK_SECRET_ARN";
/// `NOTIFIER_DLQ_URL`: the notifier's dead-letter queue, where permanent Slack errors go at once.
pub const NOTIFIER_DLQ_URL: &str = "NOTIFIER_DLQ_URL";
/// `SLACK_RETRY_BASE_SECONDS`: delay before a record whose post failed transiently is tried
/// again, doubling per receive (default: [`Backoff::DEFAULT`]).
pub const SLACK_RETRY_BASE_SECONDS: &str = "SLACK_RETRY_BASE_SECONDS";
/// `SLACK_RETRY_MAX_SECONDS`: the longest of those delays.
pub const SLACK_RETRY_MAX_SECONDS: &str = "SLACK_RETRY_MAX_SECONDS";
/// Largest accepted retry delay: SQS's longest visibility timeout (12 h).
pub const MAX_RETRY_SECONDS: u64 = 43_200;
/// `SLACK_TIMEOUT_MS`: total time allowed for one POST to Slack.
pub const SLACK_TIMEOUT_MS: &str = "SLACK_TIMEOUT_MS";
/// Default of `SLACK_TIMEOUT_MS`.
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;
/// Largest accepted `SLACK_TIMEOUT_MS`.
pub const MAX_TIMEOUT_MS: u64 = 60_000;

/// The webhook URL; `Debug` shows only the scheme and host.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    /// The URL, for the HTTP adapter only. Never log it.
    pub fn expose(&self) -> &Url {
        &self.0
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"{}://{}/<redacted>\"",
            self.0.scheme(),
            self.0.host_str().unwrap_or("")
        )
    }
}

/// Where the webhook URL comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookSource {
    /// `SLACK_WEBHOOK_URL` (a quick trial: visible in the Lambda console).
    Url(WebhookUrl),
    /// `SLACK_WEBHOOK_SECRET_ARN`: read from Secrets Manager at start-up.
    Secret(String),
}

#[cfg(test)]
impl WebhookSource {
    /// The URL of a `SLACK_WEBHOOK_URL` configuration (tests).
    pub fn expect_url(self) -> WebhookUrl {
        match self {
            WebhookSource::Url(url) => url,
            WebhookSource::Secret(_) => panic!("a secret, not a URL"),
        }
    }
}

/// The notifier's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where messages are posted.
    pub webhook: WebhookSource,
    /// `NOTIFIER_DLQ_URL`: where permanent errors are sent at once (unset: they are left to the
    /// queue's redrive policy).
    pub dlq_url: Option<String>,
    /// Total time allowed for one POST (connect included).
    pub timeout: Duration,
    /// Per-message backoff after a transient failure.
    pub backoff: Backoff,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::read(&Env::from_process())
    }

    /// Reads the configuration through `lookup` (a map in tests).
    #[cfg(test)]
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        Self::read(&Env::new(lookup))
    }

    fn read(env: &Env<impl Fn(&str) -> Option<String>>) -> Result<Self, Error> {
        // required() never repeats the value: the URL is a secret
        let webhook = match (
            env.optional(SLACK_WEBHOOK_URL),
            env.optional(SLACK_WEBHOOK_SECRET_ARN),
        ) {
            (Some(_), Some(_)) => return Err(Error::ConflictingWebhook),
            (None, Some(id)) => WebhookSource::Secret(id),
            _ => WebhookSource::Url(
                parse_webhook_url(&env.required(SLACK_WEBHOOK_URL)?).map_err(|problem| {
                    Error::from(ecs_rerun_lambda::Error::invalid_secret(
                        SLACK_WEBHOOK_URL,
                        &problem,
                    ))
                })?,
            ),
        };
        let dlq_url = env.optional(NOTIFIER_DLQ_URL);
        let timeout_ms = env
            .parse_where(
                SLACK_TIMEOUT_MS,
                &format!("milliseconds from 1 to {MAX_TIMEOUT_MS}"),
                |ms: &u64| (1..=MAX_TIMEOUT_MS).contains(ms),
            )?
            .unwrap_or(DEFAULT_TIMEOUT_MS);
        let seconds = |name: &'static str, default: Duration| {
            env.parse_where(
                name,
                &format!("seconds from 0 to {MAX_RETRY_SECONDS}"),
                |s: &u64| *s <= MAX_RETRY_SECONDS,
            )
            .map(|v| v.map_or(default, Duration::from_secs))
        };
        let backoff = Backoff {
            base: seconds(SLACK_RETRY_BASE_SECONDS, Backoff::DEFAULT.base)?,
            cap: seconds(SLACK_RETRY_MAX_SECONDS, Backoff::DEFAULT.cap)?,
        };
        Ok(Config {
            webhook,
            dlq_url,
            timeout: Duration::from_millis(timeout_ms),
            backoff,
        })
    }
}

/// `https://…` anywhere; `http://…` only to a loopback host (local runs against a sink). The
/// problem, when there is one, never contains the input.
pub fn parse_webhook_url(raw: &str) -> Result<WebhookUrl, String> {
    let invalid = |problem: &str| problem.to_owned();
    // the parser's message never contains the input
    let url = Url::parse(raw).map_err(|e| invalid(&format!("not a URL ({e})")))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("has no host"));
    }
    match url.scheme() {
        "https" => Ok(WebhookUrl(url)),
        "http" if is_loopback(&url) => Ok(WebhookUrl(url)),
        "http" => Err(invalid(
            "must be https:// (http:// is accepted only for 127.0.0.1, [::1] or localhost)",
        )),
        _ => Err(invalid("must be an https:// URL")),
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const SECRET: &str = "https://hooks.slack.com/services/T0000000/B0000000/SECRETSECRETSECRET";

    fn load(vars: &[(&str, &str)]) -> Result<Config, Error> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_and_debug_redaction() {
        let c = load(&[(SLACK_WEBHOOK_URL, SECRET)]).expect("valid");
        let WebhookSource::Url(url) = &c.webhook else {
            panic!("{c:?}")
        };
        assert_eq!(url.expose().as_str(), SECRET);
        assert_eq!(c.dlq_url, None);
        assert_eq!(c.timeout, Duration::from_millis(5000));
        let debug = format!("{c:?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(!debug.contains("/services/"), "{debug}");
        assert!(
            debug.contains("https://hooks.slack.com/<redacted>"),
            "{debug}"
        );
    }

    #[test]
    fn timeout_and_local_http() {
        for url in [
            "http://127.0.0.1:9999/hook",
            "http://localhost:9999/hook",
            "http://[::1]:9999/hook",
        ] {
            let c = load(&[(SLACK_WEBHOOK_URL, url), (SLACK_TIMEOUT_MS, "250")])
                .unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(c.timeout, Duration::from_millis(250));
        }
    }

    #[test]
    fn the_webhook_from_a_secret_and_the_dlq() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecs-rerun/slack-AbCdEf";
        let dlq = "https://sqs.us-east-1.amazonaws.com/123456789012/ecs-rerun-notifier-dlq";
        let c = load(&[(SLACK_WEBHOOK_SECRET_ARN, arn), (NOTIFIER_DLQ_URL, dlq)]).expect("valid");
        assert_eq!(c.webhook, WebhookSource::Secret(arn.to_owned()));
        assert_eq!(c.dlq_url.as_deref(), Some(dlq));
        let err = load(&[(SLACK_WEBHOOK_SECRET_ARN, arn), (SLACK_WEBHOOK_URL, SECRET)])
            .expect_err("both set");
        assert_eq!(err.error_type(), "EcsRerunNotifier.ConflictingEnv");
        assert!(!err.to_string().contains("SECRETSECRET"), "{err}");
    }

    #[test]
    fn the_retry_backoff_defaults_and_overrides() {
        let c = load(&[(SLACK_WEBHOOK_URL, SECRET)]).expect("valid");
        assert_eq!(c.backoff, Backoff::DEFAULT);
        let c = load(&[
            (SLACK_WEBHOOK_URL, SECRET),
            (SLACK_RETRY_BASE_SECONDS, "1"),
            (SLACK_RETRY_MAX_SECONDS, "2"),
        ])
        .expect("valid");
        assert_eq!(
            c.backoff,
            Backoff {
                base: Duration::from_secs(1),
                cap: Duration::from_secs(2)
            }
        );
    }

    /// Variables set, error type wanted, name the message must contain.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

    #[test]
    fn bad_values_name_the_variable_and_never_echo_the_url() {
        let cases: &[Case] = &[
            (&[], "EcsRerunNotifier.MissingEnv", SLACK_WEBHOOK_URL),
            (
                &[(SLACK_WEBHOOK_URL, "  ")],
                "EcsRerunNotifier.MissingEnv",
                SLACK_WEBHOOK_URL,
            ),
            (
                &[(
                    SLACK_WEBHOOK_URL,
                    "hooks.slack.com/services/SECRETSECRETSECRET",
                )],
                "EcsRerunNotifier.InvalidEnv",
                SLACK_WEBHOOK_URL,
            ),
            (
                &[(
                    SLACK_WEBHOOK_URL,
                    "http://hooks.slack.com/services/SECRETSECRETSECRET",
                )],
                "EcsRerunNotifier.InvalidEnv",
                SLACK_WEBHOOK_URL,
            ),
            (
                &[(
                    SLACK_WEBHOOK_URL,
                    "ftp://hooks.slack.com/SECRETSECRETSECRET",
                )],
                "EcsRerunNotifier.InvalidEnv",
                SLACK_WEBHOOK_URL,
            ),
            (
                &[(SLACK_WEBHOOK_URL, SECRET), (SLACK_TIMEOUT_MS, "0")],
                "EcsRerunNotifier.InvalidEnv",
                SLACK_TIMEOUT_MS,
            ),
            (
                &[(SLACK_WEBHOOK_URL, SECRET), (SLACK_TIMEOUT_MS, "5s")],
                "EcsRerunNotifier.InvalidEnv",
                SLACK_TIMEOUT_MS,
            ),
            (
                &[(SLACK_WEBHOOK_URL, SECRET), (SLACK_TIMEOUT_MS, "60001")],
                "EcsRerunNotifier.InvalidEnv",
                SLACK_TIMEOUT_MS,
            ),
            (
                &[
                    (SLACK_WEBHOOK_URL, SECRET),
                    (SLACK_RETRY_BASE_SECONDS, "43201"),
                ],
                "EcsRerunNotifier.InvalidEnv",
                SLACK_RETRY_BASE_SECONDS,
            ),
            (
                &[(SLACK_WEBHOOK_URL, SECRET), (SLACK_RETRY_MAX_SECONDS, "-1")],
                "EcsRerunNotifier.InvalidEnv",
                SLACK_RETRY_MAX_SECONDS,
            ),
        ];
        for (vars, want_type, want_name) in cases {
            let err = load(vars).expect_err("must be rejected");
            assert_eq!(err.error_type(), *want_type, "{vars:?}");
            let msg = err.to_string();
            assert!(msg.contains(want_name), "{msg} should name {want_name}");
            assert!(!msg.contains("SECRET"), "{msg} leaks the URL");
            assert!(!msg.contains('\n'));
        }
    }
}
