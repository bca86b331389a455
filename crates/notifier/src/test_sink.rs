//! A real Slack-webhook sink on 127.0.0.1 for tests: records every POST and answers by the last
//! path segment (`ok`, `invalid`, `invalid-blocks` (text only accepted), `gone`, `forbidden`, `archived`,
//! `unauthorized`, `error`, `error-html`, `redirect`, `ratelimit`,
//! `ratelimit-no-header`, `ratelimit-once`, `ratelimit-long`, `hang`).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

/// One request as the sink received it.
#[derive(Debug, Clone)]
pub struct Post {
    pub mode: String,
    /// When the sink received it.
    pub at: std::time::Instant,
    /// What the sink answered.
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

#[derive(Clone, Default)]
struct SinkState {
    posts: Arc<Mutex<Vec<Post>>>,
}

pub struct Sink {
    pub addr: SocketAddr,
    state: SinkState,
    task: tokio::task::JoinHandle<()>,
}

impl Sink {
    pub async fn start() -> Sink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let state = SinkState::default();
        let app = Router::new()
            .route("/services/SECRET/{mode}", post(hook))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("sink serves");
        });
        Sink { addr, state, task }
    }

    /// A webhook URL on this sink; the `SECRET` segment lets tests check it is never leaked.
    pub fn url(&self, mode: &str) -> String {
        format!("http://{}/services/SECRET/{mode}", self.addr)
    }

    /// A URL whose port nobody listens on (connection refused).
    pub async fn closed_port_url() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        drop(listener);
        format!("http://{addr}/services/SECRET/ok")
    }

    pub fn posts(&self) -> Vec<Post> {
        self.state.posts.lock().expect("sink lock").clone()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn is_text_only(body: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(body).is_ok_and(|v| v.get("blocks").is_none())
}

async fn hook(
    State(state): State<SinkState>,
    Path(mode): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let last_body = body.clone();
    let seen = {
        let mut posts = state.posts.lock().expect("sink lock");
        posts.push(Post {
            mode: mode.clone(),
            at: std::time::Instant::now(),
            status: 0,
            content_type: headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            body,
        });
        posts.iter().filter(|p| p.mode == mode).count()
    };
    let response = answer(&mode, &last_body, seen, &state).await;
    if let Some(p) = state
        .posts
        .lock()
        .expect("sink lock")
        .iter_mut()
        .rev()
        .find(|p| p.mode == mode)
    {
        p.status = response.status().as_u16();
    }
    response
}

/// The number in the first `burst-<n>` of `body`.
pub fn burst_token(body: &str) -> Option<u32> {
    let start = body.find("burst-")? + "burst-".len();
    let digits: String = body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

async fn answer(mode: &str, last_body: &str, seen: usize, state: &SinkState) -> Response {
    let rate_limited = |after: &'static str| {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, after)],
            "rate_limited",
        )
            .into_response()
    };
    match mode {
        // the burst: notification n is refused for good when n % 100 == 0 (1 %); its first post
        // is rate limited (Retry-After: 1) when n % 5 == 1 (20 %), fails with 500 when
        // n % 10 == 3 (10 %); everything else is accepted
        "burst" => {
            let Some(n) = burst_token(last_body) else {
                return (StatusCode::BAD_REQUEST, "invalid_payload").into_response();
            };
            let tries = state
                .posts
                .lock()
                .expect("sink lock")
                .iter()
                .filter(|p| p.mode == "burst" && burst_token(&p.body) == Some(n))
                .count();
            match (n % 100, n % 5, n % 10, tries) {
                (0, _, _, _) => (StatusCode::NOT_FOUND, "no_service").into_response(),
                (_, 1, _, 1) => rate_limited("1"),
                (_, _, 3, 1) => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "internal_error").into_response()
                }
                _ => (StatusCode::OK, "ok").into_response(),
            }
        }
        "ok" => (StatusCode::OK, "ok").into_response(),
        "invalid" => (StatusCode::BAD_REQUEST, "invalid_payload").into_response(),
        "gone" => (StatusCode::NOT_FOUND, "no_service").into_response(),
        "forbidden" => (StatusCode::FORBIDDEN, "action_prohibited").into_response(),
        "archived" => (StatusCode::GONE, "channel_is_archived").into_response(),
        "unauthorized" => (StatusCode::UNAUTHORIZED, "invalid_token").into_response(),
        // blocks refused, the text-only post accepted
        "invalid-blocks" if is_text_only(last_body) => (StatusCode::OK, "ok").into_response(),
        "invalid-blocks" => (StatusCode::BAD_REQUEST, "invalid_blocks").into_response(),
        "error" => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error").into_response(),
        "error-html" => (
            StatusCode::BAD_GATEWAY,
            format!("<html>\n<head>{}</head></html>", "x".repeat(500)),
        )
            .into_response(),
        "redirect" => (
            StatusCode::FOUND,
            [(header::LOCATION, "/services/SECRET/ok")],
        )
            .into_response(),
        "ratelimit" => rate_limited("1"),
        "ratelimit-long" => rate_limited("30"),
        "ratelimit-no-header" => (StatusCode::TOO_MANY_REQUESTS, "rate_limited").into_response(),
        "ratelimit-once" if seen == 1 => rate_limited("1"),
        "ratelimit-once" => (StatusCode::OK, "ok").into_response(),
        "hang" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            (StatusCode::OK, "ok").into_response()
        }
        _ => (StatusCode::NOT_FOUND, "no_such_mode").into_response(),
    }
}
