//! [`Webhook`] over HTTPS with reqwest (rustls + ring): one client, built once, with connect and
//! total timeouts. Errors never contain the URL.

use std::error::Error as _;
use std::time::Duration;

use ecs_rerun_core::slack::SlackMessage;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};

use crate::config::WebhookUrl;
use crate::error::Error;
use crate::ports::Webhook;

/// Longest time allowed to open the connection (within the total timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Slack's answers are short (`ok`, `invalid_payload`, …); longer bodies are cut.
const MAX_BODY_CHARS: usize = 200;

/// Posts to a Slack incoming webhook.
#[derive(Debug, Clone)]
pub struct SlackWebhook {
    client: reqwest::Client,
    url: WebhookUrl,
    timeout: Duration,
}

impl SlackWebhook {
    /// Builds the one HTTP client. Installs rustls' `ring` provider as the process default if
    /// none is installed yet (reqwest is built with `rustls-no-provider`: no aws-lc).
    pub fn new(url: WebhookUrl, timeout: Duration) -> Result<Self, Error> {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Err only if another thread installed one meanwhile: that one is used, fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let client = reqwest::Client::builder()
            .connect_timeout(timeout.min(CONNECT_TIMEOUT))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ecs-rerun-notifier/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::HttpClient(chain(&e.without_url())))?;
        Ok(Self {
            client,
            url,
            timeout,
        })
    }

    fn transport_error(&self, err: reqwest::Error) -> Error {
        let err = err.without_url();
        if err.is_timeout() {
            Error::Timeout(self.timeout)
        } else if err.is_connect() {
            Error::Connect(chain(&err))
        } else {
            Error::Request(chain(&err))
        }
    }
}

impl Webhook for SlackWebhook {
    async fn post(&self, message: &SlackMessage) -> Result<(), Error> {
        let body = serde_json::to_vec(message)
            .map_err(|e| Error::Request(format!("cannot encode the message: {e}")))?;
        self.send(body).await
    }

    async fn post_text(&self, text: &str) -> Result<(), Error> {
        let body = serde_json::to_vec(&serde_json::json!({ "text": text }))
            .map_err(|e| Error::Request(format!("cannot encode the message: {e}")))?;
        self.send(body).await
    }
}

impl SlackWebhook {
    async fn send(&self, body: Vec<u8>) -> Result<(), Error> {
        let resp = self
            .client
            .post(self.url.expose().clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = match resp.text().await {
            Ok(text) => short(&text),
            Err(e) => return Err(self.transport_error(e)),
        };
        let code = status.as_u16();
        Err(match code {
            429 => Error::RateLimited { retry_after },
            400 => Error::Rejected {
                status: code,
                body: text,
            },
            401..=499 => Error::Permanent {
                status: code,
                body: text,
            },
            500..=599 => Error::SlackUnavailable {
                status: code,
                body: text,
            },
            _ => Error::Request(format!("unexpected HTTP {code} {text}")),
        })
    }
}

/// The error and its sources on one line (`a: b: c`).
fn chain(err: &reqwest::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    one_line(&out)
}

fn short(body: &str) -> String {
    let line = one_line(body);
    match line.char_indices().nth(MAX_BODY_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use ecs_rerun_core::slack::render_sns;

    use super::*;
    use crate::test_sink::Sink;

    fn webhook(url: &str, timeout_ms: u64) -> SlackWebhook {
        let config = crate::config::Config::from_lookup(|k| match k {
            "SLACK_WEBHOOK_URL" => Some(url.to_owned()),
            "SLACK_TIMEOUT_MS" => Some(timeout_ms.to_string()),
            _ => None,
        })
        .expect("valid config");
        SlackWebhook::new(config.webhook.expect_url(), config.timeout).expect("client")
    }

    fn message() -> SlackMessage {
        render_sns(Some("subject"), "ECS task <nightly-batch> & friends")
    }

    fn assert_no_url(err: &Error, sink: &Sink) {
        let msg = err.to_string();
        assert!(!msg.contains("SECRET"), "{msg} leaks the URL");
        assert!(!msg.contains(&sink.addr.to_string()), "{msg} leaks the URL");
        assert!(!msg.contains('\n'), "{msg}");
    }

    #[tokio::test]
    async fn ok_posts_the_rendered_json() {
        let sink = Sink::start().await;
        let msg = message();
        webhook(&sink.url("ok"), 2000)
            .post(&msg)
            .await
            .expect("2xx is Ok");
        let posts = sink.posts();
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].content_type, "application/json");
        let got: serde_json::Value = serde_json::from_str(&posts[0].body).expect("JSON body");
        assert_eq!(got, serde_json::to_value(&msg).expect("json"));
    }

    #[tokio::test]
    async fn http_errors_are_typed_with_status_and_slack_body() {
        let sink = Sink::start().await;
        let cases = [
            (
                "invalid",
                "EcsRerunNotifier.SlackRejected",
                "HTTP 400 invalid_payload",
            ),
            (
                "invalid-blocks",
                "EcsRerunNotifier.SlackRejected",
                "HTTP 400 invalid_blocks",
            ),
            (
                "gone",
                "EcsRerunNotifier.SlackPermanent",
                "HTTP 404 no_service",
            ),
            (
                "forbidden",
                "EcsRerunNotifier.SlackPermanent",
                "HTTP 403 action_prohibited",
            ),
            (
                "archived",
                "EcsRerunNotifier.SlackPermanent",
                "HTTP 410 channel_is_archived",
            ),
            (
                "unauthorized",
                "EcsRerunNotifier.SlackPermanent",
                "HTTP 401 invalid_token",
            ),
            (
                "error",
                "EcsRerunNotifier.SlackUnavailable",
                "HTTP 500 internal_error",
            ),
            (
                "redirect",
                "EcsRerunNotifier.Request",
                "unexpected HTTP 302",
            ),
        ];
        for (mode, want_type, want_text) in cases {
            let err = webhook(&sink.url(mode), 2000)
                .post(&message())
                .await
                .expect_err("must fail");
            assert_eq!(err.error_type(), want_type, "{mode}: {err}");
            assert!(err.to_string().contains(want_text), "{mode}: {err}");
            assert_no_url(&err, &sink);
        }
        assert_eq!(sink.posts().len(), 8, "each was posted exactly once");
    }

    #[tokio::test]
    async fn long_error_bodies_are_cut_to_one_short_line() {
        let sink = Sink::start().await;
        let err = webhook(&sink.url("error-html"), 2000)
            .post(&message())
            .await
            .expect_err("must fail");
        let Error::SlackUnavailable { status, body } = &err else {
            panic!("unexpected {err:?}");
        };
        assert_eq!(*status, 502);
        assert!(body.starts_with("<html> <head>"), "{body}");
        assert!(body.chars().count() <= MAX_BODY_CHARS + 1, "{body}");
        assert!(!body.contains('\n'));
    }

    #[tokio::test]
    async fn rate_limited_carries_retry_after() {
        let sink = Sink::start().await;
        for (mode, want) in [
            ("ratelimit", Some(Duration::from_secs(1))),
            ("ratelimit-no-header", None),
        ] {
            let err = webhook(&sink.url(mode), 2000)
                .post(&message())
                .await
                .expect_err("429 is an error");
            assert!(
                matches!(err, Error::RateLimited { retry_after } if retry_after == want),
                "{mode}: {err:?}"
            );
            assert_no_url(&err, &sink);
        }
    }

    #[tokio::test]
    async fn hanging_server_times_out() {
        let sink = Sink::start().await;
        let started = Instant::now();
        let err = webhook(&sink.url("hang"), 300)
            .post(&message())
            .await
            .expect_err("must time out");
        assert_eq!(err.error_type(), "EcsRerunNotifier.Timeout", "{err}");
        assert_eq!(err.to_string(), "Slack did not answer within 300 ms");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn closed_port_is_connect_error() {
        let sink = Sink::start().await;
        let closed = Sink::closed_port_url().await;
        let err = webhook(&closed, 2000)
            .post(&message())
            .await
            .expect_err("must fail");
        assert_eq!(err.error_type(), "EcsRerunNotifier.Connect", "{err}");
        assert!(err.to_string().to_lowercase().contains("refused"), "{err}");
        assert_no_url(&err, &sink);
        assert!(!err.to_string().contains(&closed), "{err}");
    }
}
