//! `lambda-coldstart`: a minimal local AWS Lambda Runtime API that starts a `bootstrap` binary and
//! measures it — time from exec to the first *answered* invocation, per-invocation latency over many
//! warm invocations, and peak RSS (`VmHWM`).
//!
//! It speaks the real Runtime API paths (`/2018-06-01/runtime/invocation/next`, `…/{id}/response`,
//! `…/{id}/error`, `…/init/error`) with the real headers, so any runtime that implements the API can be
//! pointed at it. Optionally it also serves the Lambda's network peer on loopback — a Step Functions
//! `StartExecution` endpoint (plain HTTP) or a Slack-webhook sink (HTTPS with a certificate generated at
//! start, trusted through `SSL_CERT_FILE`) — and checks that every invocation reached it.
//!
//! This is a benchmark instrument, not a test double used by tests: the peers answer fixed,
//! well-formed responses so that the figures measure the Lambda, not a remote service.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, ValueEnum};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};

const ACCOUNT: &str = "123456789012";

/// Start a Lambda `bootstrap` behind a local Runtime API and measure cold start, warm latency and peak RSS.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The Lambda `bootstrap` executable to start (a native build: the harness executes it).
    #[arg(long)]
    bootstrap: PathBuf,

    /// Invocation payload, sent verbatim (a JSON file).
    #[arg(long, group = "payload")]
    event: Option<PathBuf>,

    /// Send a one-record SQS event whose record body is this file's content
    /// (e.g. an EventBridge event delivered to SQS by a rule target).
    #[arg(long, group = "payload")]
    sqs_body: Option<PathBuf>,

    /// Send a one-record SQS event whose body is an SNS `Notification` envelope carrying this file's
    /// content as `Message` (SNS → SQS without raw message delivery).
    #[arg(long, group = "payload")]
    sqs_sns_message: Option<PathBuf>,

    /// `Subject` of the SNS envelope (with --sqs-sns-message).
    #[arg(long)]
    sns_subject: Option<String>,

    /// Number of cold starts (a fresh process each).
    #[arg(long, default_value_t = 5)]
    runs: usize,

    /// Warm invocations after the first one, per run.
    #[arg(long, default_value_t = 1000)]
    warm: usize,

    /// Serve a Step Functions StartExecution endpoint on loopback and point the Lambda at it with
    /// AWS_ENDPOINT_URL and STATE_MACHINE_ARN (credentials are dummies). `http` (the default) or `https`
    /// (certificate as for --webhook-sink https).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "http")]
    sfn_stub: Option<SinkScheme>,

    /// Serve a Slack incoming-webhook sink on loopback and set SLACK_WEBHOOK_URL. `https` generates a CA
    /// and a server certificate and hands the Lambda a CA bundle (system roots + that CA) via SSL_CERT_FILE.
    #[arg(long, value_enum)]
    webhook_sink: Option<SinkScheme>,

    /// With --webhook-sink: hand the Lambda the sink's URL through a Secrets Manager secret instead
    /// of SLACK_WEBHOOK_URL: serve GetSecretValue on loopback (plain HTTP, AWS_ENDPOINT_URL) and set
    /// SLACK_WEBHOOK_SECRET_ARN (the notifier reads it once during init).
    #[arg(long, requires = "webhook_sink")]
    webhook_secret: bool,

    /// Do not hand the Lambda a CA bundle file (SSL_CERT_FILE): its TLS roots then come from the
    /// host's own layout (on Debian every entry of /etc/ssl/certs as well as the bundle: more init
    /// than Lambda's single bundle file, docs/PERFORMANCE.md says how much). Incompatible with an
    /// https peer.
    #[arg(long)]
    no_ca_bundle: bool,

    /// Extra environment for the Lambda, KEY=VALUE (repeatable; overrides the defaults).
    #[arg(long = "env", value_parser = parse_kv)]
    env: Vec<(String, String)>,

    /// AWS_LAMBDA_FUNCTION_NAME.
    #[arg(long, default_value = "bench-function")]
    function_name: String,

    /// AWS_LAMBDA_FUNCTION_MEMORY_SIZE (informational: nothing limits memory or CPU here).
    #[arg(long, default_value_t = 128)]
    memory_mb: u32,

    /// AWS_LAMBDA_LOG_FORMAT (`JSON` or `Text`), as the function's LoggingConfig would set it.
    #[arg(long, default_value = "JSON")]
    log_format: String,

    /// Where the Lambda's stdout and stderr go (default: a file in the temporary directory).
    #[arg(long)]
    log: Option<PathBuf>,

    /// Give up on an invocation after this many seconds.
    #[arg(long, default_value_t = 10)]
    timeout_s: u64,

    /// Also write the summary as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum SinkScheme {
    Http,
    Https,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}

type Body = Full<Bytes>;

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

/// Accept loop: one HTTP/1.1 connection per task, Nagle off (the Lambda keeps its connection alive).
async fn serve_http<F, Fut>(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    handler: F,
) where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Body>> + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let handler = handler.clone();
                async move { Ok::<_, std::convert::Infallible>(handler(req).await) }
            });
            match tls {
                None => {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                }
                Some(acceptor) => {
                    if let Ok(tls_stream) = acceptor.accept(stream).await {
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(tls_stream), svc)
                            .await;
                    }
                }
            }
        });
    }
}

async fn read_body(req: Request<Incoming>) -> Bytes {
    match req.into_body().collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => Bytes::new(),
    }
}

/// An AWS JSON-protocol request: its `X-Amz-Target` operation and its body (`null` when not JSON).
async fn aws_json_request(req: Request<Incoming>) -> (String, Value) {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = read_body(req).await;
    (target, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

// ---------------------------------------------------------------------------------------------
// Runtime API

struct Invocation {
    id: String,
    payload: Bytes,
    done: oneshot::Sender<Outcome>,
}

#[derive(Debug)]
enum OutcomeKind {
    Response,
    Error,
}

#[derive(Debug)]
struct Outcome {
    kind: OutcomeKind,
    body: Bytes,
    handed_out: Instant,
    answered: Instant,
}

struct RuntimeApi {
    queue: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    pending: Mutex<HashMap<String, (Instant, oneshot::Sender<Outcome>)>>,
    first_next: Mutex<Option<Instant>>,
    init_error: Mutex<Option<String>>,
    function_arn: String,
    timeout: Duration,
}

impl RuntimeApi {
    async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<Body> {
        const PREFIX: &str = "/2018-06-01/runtime/";
        let path = req.uri().path().to_owned();
        let Some(rest) = path.strip_prefix(PREFIX) else {
            return reply(StatusCode::NOT_FOUND, "text/plain", "not found");
        };
        match (req.method(), rest) {
            (&Method::GET, "invocation/next") => self.next().await,
            (&Method::POST, "init/error") => {
                let body = read_body(req).await;
                if let Ok(mut e) = self.init_error.lock() {
                    *e = Some(String::from_utf8_lossy(&body).into_owned());
                }
                reply(
                    StatusCode::ACCEPTED,
                    "application/json",
                    r#"{"status":"OK"}"#,
                )
            }
            (&Method::POST, rest) if rest.starts_with("invocation/") => {
                let tail = &rest["invocation/".len()..];
                let (id, kind) = match tail.rsplit_once('/') {
                    Some((id, "response")) => (id.to_owned(), OutcomeKind::Response),
                    Some((id, "error")) => (id.to_owned(), OutcomeKind::Error),
                    _ => return reply(StatusCode::NOT_FOUND, "text/plain", "not found"),
                };
                let body = read_body(req).await;
                let answered = Instant::now();
                let entry = self.pending.lock().ok().and_then(|mut p| p.remove(&id));
                match entry {
                    Some((handed_out, done)) => {
                        let _ = done.send(Outcome {
                            kind,
                            body,
                            handed_out,
                            answered,
                        });
                        reply(
                            StatusCode::ACCEPTED,
                            "application/json",
                            r#"{"status":"OK"}"#,
                        )
                    }
                    None => reply(
                        StatusCode::BAD_REQUEST,
                        "application/json",
                        r#"{"errorType":"InvalidRequestID","errorMessage":"unknown request id"}"#,
                    ),
                }
            }
            _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found"),
        }
    }

    async fn next(&self) -> Response<Body> {
        if let Ok(mut f) = self.first_next.lock() {
            f.get_or_insert_with(Instant::now);
        }
        let inv = {
            let mut q = self.queue.lock().await;
            q.recv().await
        };
        let Some(inv) = inv else {
            // The harness is done: park the runtime until it is killed.
            std::future::pending::<()>().await;
            unreachable!()
        };
        let deadline_ms = SystemTime::now()
            .checked_add(self.timeout)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis());
        let mut r = reply(StatusCode::OK, "application/json", inv.payload);
        let h = r.headers_mut();
        let trace = format!(
            "Root=1-{:08x}-{:024x};Parent={:016x};Sampled=0",
            deadline_ms / 1000,
            hash64(&inv.id),
            hash64(&inv.id) ^ 0x5bd1_e995
        );
        for (k, v) in [
            ("lambda-runtime-aws-request-id", inv.id.clone()),
            ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                self.function_arn.clone(),
            ),
            ("lambda-runtime-trace-id", trace),
        ] {
            if let Ok(v) = v.parse() {
                h.insert(k, v);
            }
        }
        if let Ok(mut p) = self.pending.lock() {
            p.insert(inv.id, (Instant::now(), inv.done));
        }
        r
    }
}

fn hash64(s: &str) -> u64 {
    // FNV-1a: only to make distinct-looking trace ids.
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ---------------------------------------------------------------------------------------------
// Network peers of the Lambdas (benchmark stand-ins on loopback)

#[derive(Default)]
struct PeerStats {
    requests: AtomicUsize,
    unexpected: AtomicUsize,
}

/// Step Functions JSON-1.0 endpoint answering `StartExecution` with the ARN the real service would return.
async fn sfn_handle(stats: Arc<PeerStats>, req: Request<Incoming>) -> Response<Body> {
    let (target, parsed) = aws_json_request(req).await;
    let sm = parsed["stateMachineArn"].as_str();
    let name = parsed["name"].as_str();
    match (target.as_str(), sm, name) {
        ("AWSStepFunctions.StartExecution", Some(sm), Some(name)) => {
            stats.requests.fetch_add(1, Ordering::Relaxed);
            let sm = sm.split('#').next().unwrap_or(sm);
            let exec = format!("{}:{name}", sm.replacen(":stateMachine:", ":execution:", 1));
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            let out = json!({ "executionArn": exec, "startDate": (now * 1000.0).round() / 1000.0 });
            reply(
                StatusCode::OK,
                "application/x-amz-json-1.0",
                out.to_string(),
            )
        }
        _ => {
            stats.unexpected.fetch_add(1, Ordering::Relaxed);
            let out = json!({"__type": "UnknownOperationException",
                             "message": format!("benchmark peer only answers StartExecution, got {target:?}")});
            reply(
                StatusCode::BAD_REQUEST,
                "application/x-amz-json-1.0",
                out.to_string(),
            )
        }
    }
}

/// Slack incoming-webhook sink: a JSON POST gets `200 ok`, as Slack answers.
async fn slack_handle(stats: Arc<PeerStats>, req: Request<Incoming>) -> Response<Body> {
    let ok_method = req.method() == Method::POST;
    let body = read_body(req).await;
    if ok_method && serde_json::from_slice::<Value>(&body).is_ok() {
        stats.requests.fetch_add(1, Ordering::Relaxed);
        reply(StatusCode::OK, "text/plain", "ok")
    } else {
        stats.unexpected.fetch_add(1, Ordering::Relaxed);
        reply(StatusCode::BAD_REQUEST, "text/plain", "invalid_payload")
    }
}

/// Secrets Manager JSON-1.1 endpoint answering `GetSecretValue` with the webhook URL.
async fn secret_handle(url: Arc<String>, req: Request<Incoming>) -> Response<Body> {
    let (target, parsed) = aws_json_request(req).await;
    let id = parsed["SecretId"].as_str().map(str::to_owned);
    match (target.as_str(), id) {
        ("secretsmanager.GetSecretValue", Some(id)) => reply(
            StatusCode::OK,
            "application/x-amz-json-1.1",
            json!({
                "ARN": id,
                "Name": "ecs-rerun/slack",
                "VersionId": "00000000-0000-0000-0000-000000000001",
                "SecretString": url.as_str(),
                "VersionStages": ["AWSCURRENT"],
                "CreatedDate": 1.7e9,
            })
            .to_string(),
        ),
        _ => reply(
            StatusCode::BAD_REQUEST,
            "application/x-amz-json-1.1",
            r#"{"__type":"InvalidRequestException","message":"unexpected request"}"#,
        ),
    }
}

/// A CA and a server certificate for 127.0.0.1/localhost, generated now; returns the TLS acceptor and
/// the CA in PEM.
fn tls_material() -> Result<(tokio_rustls::TlsAcceptor, String)> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "lambda-coldstart benchmark CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate()?;
    let mut leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf = leaf_params.signed_by(&leaf_key, &issuer)?;

    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(vec![leaf.der().clone(), ca_cert.der().clone()], key)?;
    Ok((
        tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        ca_cert.pem(),
    ))
}

/// The system CA bundle (what a Lambda's verifier loads) followed by the benchmark CAs, if any.
fn write_ca_bundle(dir: &Path, ca_pem: &str) -> Result<PathBuf> {
    let system = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok())
    .unwrap_or_default();
    if system.is_empty() && ca_pem.is_empty() {
        bail!("no system CA bundle found (looked in /etc/ssl/certs, /etc/pki/tls/certs, /etc/ssl)");
    }
    let path = dir.join("ca-bundle.pem");
    std::fs::write(&path, format!("{system}\n{ca_pem}"))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

async fn bind() -> Result<(TcpListener, SocketAddr)> {
    let l = TcpListener::bind("127.0.0.1:0").await?;
    let a = l.local_addr()?;
    Ok((l, a))
}

// ---------------------------------------------------------------------------------------------
// Payloads

fn sqs_event(body: &str, source_arn: &str) -> Value {
    json!({"Records": [{
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1764036001000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1764036001010"
        },
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": "us-east-1"
    }]})
}

fn sns_envelope(message: &str, subject: Option<&str>) -> Value {
    json!({
        "Type": "Notification",
        "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        "TopicArn": format!("arn:aws:sns:us-east-1:{ACCOUNT}:ecs-rerun-notifications"),
        "Subject": subject,
        "Message": message,
        "Timestamp": "2026-11-25T02:00:05.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
        "UnsubscribeURL": format!("https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:{ACCOUNT}:ecs-rerun-notifications:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"),
        "MessageAttributes": {}
    })
}

fn payload(args: &Args) -> Result<Bytes> {
    let read =
        |p: &Path| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));
    let v = if let Some(p) = &args.event {
        let s = read(p)?;
        serde_json::from_str::<Value>(&s)
            .with_context(|| format!("{} is not JSON", p.display()))?;
        return Ok(Bytes::from(s));
    } else if let Some(p) = &args.sqs_body {
        sqs_event(
            &read(p)?,
            &format!("arn:aws:sqs:us-east-1:{ACCOUNT}:ecs-rerun-events"),
        )
    } else if let Some(p) = &args.sqs_sns_message {
        let env = sns_envelope(&read(p)?, args.sns_subject.as_deref());
        sqs_event(
            &env.to_string(),
            &format!("arn:aws:sqs:us-east-1:{ACCOUNT}:ecs-rerun-notifications"),
        )
    } else {
        bail!("no payload: give --event, --sqs-body or --sqs-sns-message");
    };
    Ok(Bytes::from(v.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Measurement

struct RunResult {
    init: Option<Duration>,
    first_answered: Duration,
    warm: Vec<Duration>,
    hwm_after_first_kib: Option<u64>,
    hwm_kib: Option<u64>,
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn check_outcome(o: &Outcome, what: &str) -> Result<()> {
    let body = String::from_utf8_lossy(&o.body);
    if let OutcomeKind::Error = o.kind {
        bail!("{what}: the function reported an error: {body}");
    }
    if let Ok(v) = serde_json::from_slice::<Value>(&o.body)
        && v["batchItemFailures"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    {
        bail!("{what}: the function reported failed SQS records: {body}");
    }
    Ok(())
}

async fn await_outcome(
    rx: oneshot::Receiver<Outcome>,
    child: &mut Child,
    api: &RuntimeApi,
    timeout: Duration,
    what: &str,
) -> Result<Outcome> {
    tokio::select! {
        o = rx => o.map_err(|_| anyhow!("{what}: the runtime API dropped the invocation")),
        status = child.wait() => {
            let init = api.init_error.lock().ok().and_then(|e| e.clone());
            match init {
                Some(e) => bail!("{what}: init error reported: {e}"),
                None => bail!("{what}: the function exited ({})", status.map_or_else(|e| e.to_string(), |s| s.to_string())),
            }
        }
        () = tokio::time::sleep(timeout) => {
            let init = api.init_error.lock().ok().and_then(|e| e.clone());
            bail!("{what}: no answer within {timeout:?}{}", init.map(|e| format!(" (init error: {e})")).unwrap_or_default())
        }
    }
}

async fn one_run(
    args: &Args,
    run: usize,
    payload: &Bytes,
    env: &[(String, String)],
    log: &Path,
) -> Result<RunResult> {
    let (tx, rx) = mpsc::channel::<Invocation>(1);
    let timeout = Duration::from_secs(args.timeout_s);
    let api = Arc::new(RuntimeApi {
        queue: tokio::sync::Mutex::new(rx),
        pending: Mutex::new(HashMap::new()),
        first_next: Mutex::new(None),
        init_error: Mutex::new(None),
        function_arn: format!(
            "arn:aws:lambda:us-east-1:{ACCOUNT}:function:{}",
            args.function_name
        ),
        timeout,
    });
    let (listener, addr) = bind().await?;
    let server = {
        let api = api.clone();
        tokio::spawn(serve_http(listener, None, move |req| {
            api.clone().handle(req)
        }))
    };

    let invocation = |i: usize| {
        let (done, rx) = oneshot::channel();
        let id = format!("{run:08x}-0000-4000-8000-{i:012x}");
        (
            Invocation {
                id,
                payload: payload.clone(),
                done,
            },
            rx,
        )
    };

    // The first event is queued before exec, as on a cold start triggered by an invocation.
    let (inv, first_rx) = invocation(0);
    tx.send(inv).await.map_err(|_| anyhow!("queue closed"))?;

    let logfile = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    let mut cmd = Command::new(&args.bootstrap);
    cmd.env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .stdin(Stdio::null())
        .stdout(logfile.try_clone()?)
        .stderr(logfile)
        .kill_on_drop(true);
    let t0 = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", args.bootstrap.display()))?;
    let pid = child.id().context("child has no pid")?;

    let first = await_outcome(first_rx, &mut child, &api, timeout, "first invocation").await?;
    let first_answered = first.answered - t0;
    check_outcome(&first, "first invocation")?;
    let hwm_after_first_kib = proc_status_kib(pid, "VmHWM");
    let init = api.first_next.lock().ok().and_then(|f| *f).map(|t| t - t0);

    let mut warm = Vec::with_capacity(args.warm);
    for i in 1..=args.warm {
        let (inv, rx) = invocation(i);
        tx.send(inv).await.map_err(|_| anyhow!("queue closed"))?;
        let what = format!("warm invocation {i}");
        let o = await_outcome(rx, &mut child, &api, timeout, &what).await?;
        check_outcome(&o, &what)?;
        warm.push(o.answered - o.handed_out);
    }
    let hwm_kib = proc_status_kib(pid, "VmHWM");

    drop(tx);
    let _ = child.start_kill();
    let _ = child.wait().await;
    server.abort();
    Ok(RunResult {
        init,
        first_answered,
        warm,
        hwm_after_first_kib,
        hwm_kib,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Nearest-rank percentile of a sorted slice.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn lambda_env(args: &Args) -> Vec<(String, String)> {
    let name = &args.function_name;
    let mut env: Vec<(String, String)> = [
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin"),
        ("LANG", "en_US.UTF-8"),
        ("TZ", ":UTC"),
        ("_HANDLER", "bootstrap"),
        ("LAMBDA_TASK_ROOT", "/var/task"),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("AWS_SESSION_TOKEN", "benchmark-session-token"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    env.push(("AWS_LAMBDA_FUNCTION_NAME".into(), name.clone()));
    env.push((
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
        args.memory_mb.to_string(),
    ));
    env.push((
        "AWS_LAMBDA_LOG_GROUP_NAME".into(),
        format!("/aws/lambda/{name}"),
    ));
    env.push((
        "AWS_LAMBDA_LOG_STREAM_NAME".into(),
        "2026/11/25/[$LATEST]0123456789abcdef0123456789abcdef".into(),
    ));
    env.push(("AWS_LAMBDA_LOG_FORMAT".into(), args.log_format.clone()));
    env
}

fn set(env: &mut Vec<(String, String)>, k: &str, v: String) {
    env.retain(|(ek, _)| ek != k);
    env.push((k.to_owned(), v));
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("lambda-coldstart: error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let payload = payload(&args)?;
    let bootstrap_size = std::fs::metadata(&args.bootstrap)
        .with_context(|| format!("{}", args.bootstrap.display()))?
        .len();
    let work = std::env::temp_dir().join(format!("lambda-coldstart-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let result = measure(&args, &payload, &work, bootstrap_size).await;
    if args.log.is_some() || result.is_ok() {
        let _ = std::fs::remove_dir_all(&work);
    }
    result
}

async fn measure(args: &Args, payload: &Bytes, work: &Path, bootstrap_size: u64) -> Result<()> {
    let mut env = lambda_env(args);
    let stats = Arc::new(PeerStats::default());
    let mut peer = "none";
    let mut extra_cas: Vec<String> = Vec::new();

    if let Some(scheme) = args.sfn_stub {
        let (l, addr) = bind().await?;
        let s = stats.clone();
        let tls = if scheme == SinkScheme::Https {
            let (acceptor, ca_pem) = tls_material()?;
            extra_cas.push(ca_pem);
            peer = "Step Functions StartExecution (https, loopback)";
            Some(acceptor)
        } else {
            peer = "Step Functions StartExecution (http, loopback)";
            None
        };
        tokio::spawn(serve_http(l, tls, move |req| sfn_handle(s.clone(), req)));
        let scheme = if scheme == SinkScheme::Https {
            "https"
        } else {
            "http"
        };
        set(&mut env, "AWS_ENDPOINT_URL", format!("{scheme}://{addr}"));
        set(
            &mut env,
            "STATE_MACHINE_ARN",
            format!("arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:ecs-rerun"),
        );
    }
    if let Some(scheme) = args.webhook_sink {
        let (l, addr) = bind().await?;
        let s = stats.clone();
        let tls = if scheme == SinkScheme::Https {
            let (acceptor, ca_pem) = tls_material()?;
            extra_cas.push(ca_pem);
            peer = "Slack webhook sink (https, loopback)";
            Some(acceptor)
        } else {
            peer = "Slack webhook sink (http, loopback)";
            None
        };
        tokio::spawn(serve_http(l, tls, move |req| slack_handle(s.clone(), req)));
        let scheme = if scheme == SinkScheme::Https {
            "https"
        } else {
            "http"
        };
        let url =
            format!("{scheme}://{addr}/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX");
        if args.webhook_secret {
            let (l, sm_addr) = bind().await?;
            let secret = Arc::new(url);
            tokio::spawn(serve_http(l, None, move |req| {
                secret_handle(secret.clone(), req)
            }));
            set(&mut env, "AWS_ENDPOINT_URL", format!("http://{sm_addr}"));
            set(
                &mut env,
                "SLACK_WEBHOOK_SECRET_ARN",
                format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:ecs-rerun/slack-AbCdEf"),
            );
            peer = "Slack webhook sink (loopback), URL from a Secrets Manager GetSecretValue (http, loopback)";
        } else {
            set(&mut env, "SLACK_WEBHOOK_URL", url);
        }
    }
    // Lambda (provided.al2023) keeps its roots in one bundle file; give the function the same shape:
    // this host's roots, plus the benchmark CA when a peer speaks https.
    if args.no_ca_bundle {
        if !extra_cas.is_empty() {
            bail!("--no-ca-bundle: an https peer needs its CA in the bundle");
        }
    } else {
        let bundle = write_ca_bundle(work, &extra_cas.concat())?;
        set(&mut env, "SSL_CERT_FILE", bundle.display().to_string());
    }
    for (k, v) in &args.env {
        set(&mut env, k, v.clone());
    }
    let log = args
        .log
        .clone()
        .unwrap_or_else(|| work.join("function.log"));

    let mut results = Vec::with_capacity(args.runs);
    for run in 0..args.runs {
        let r = one_run(args, run, payload, &env, &log)
            .await
            .with_context(|| format!("run {} (function log: {})", run + 1, log.display()))?;
        eprintln!(
            "run {}: exec→first answered {:.2} ms (exec→first /next {}), warm p50 {:.0} µs, VmHWM {} KiB",
            run + 1,
            ms(r.first_answered),
            r.init.map_or("-".into(), |d| format!("{:.2} ms", ms(d))),
            us(percentile(&sorted(&r.warm), 50.0)),
            r.hwm_kib.map_or("-".into(), |k| k.to_string()),
        );
        results.push(r);
    }

    let invocations = args.runs * (1 + args.warm);
    let requests = stats.requests.load(Ordering::Relaxed);
    let unexpected = stats.unexpected.load(Ordering::Relaxed);
    if peer != "none" && (requests != invocations || unexpected != 0) {
        bail!(
            "{invocations} invocations answered, but the peer ({peer}) got {requests} well-formed requests and {unexpected} unexpected ones: the figures would not measure the intended path"
        );
    }

    let firsts = sorted(&results.iter().map(|r| r.first_answered).collect::<Vec<_>>());
    let inits = sorted(&results.iter().filter_map(|r| r.init).collect::<Vec<_>>());
    let warm = sorted(
        &results
            .iter()
            .flat_map(|r| r.warm.iter().copied())
            .collect::<Vec<_>>(),
    );
    let peak = results.iter().filter_map(|r| r.hwm_kib).max();
    let peak_first = results.iter().filter_map(|r| r.hwm_after_first_kib).max();

    let summary = json!({
        "bootstrap": args.bootstrap.display().to_string(),
        "bootstrapBytes": bootstrap_size,
        "runs": args.runs,
        "warmPerRun": args.warm,
        "peer": peer,
        "peerRequests": requests,
        "firstAnsweredMs": {
            "median": ms(percentile(&firsts, 50.0)),
            "min": ms(firsts[0]),
            "max": ms(firsts[firsts.len() - 1]),
            "all": firsts.iter().map(|d| ms(*d)).collect::<Vec<_>>(),
        },
        "initMs": {
            "median": inits.first().map(|_| ms(percentile(&inits, 50.0))),
        },
        "warmUs": {
            "count": warm.len(),
            "p50": us(percentile(&warm, 50.0)),
            "p90": us(percentile(&warm, 90.0)),
            "p99": us(percentile(&warm, 99.0)),
            "max": us(percentile(&warm, 100.0)),
        },
        "peakRssKib": peak,
        "peakRssAfterFirstKib": peak_first,
    });

    println!(
        "bootstrap            {} ({} bytes)",
        args.bootstrap.display(),
        bootstrap_size
    );
    println!("peer                 {peer}: {requests} requests for {invocations} invocations");
    println!(
        "exec→first answered  median {:.2} ms  (min {:.2}, max {:.2}; {} cold starts)",
        ms(percentile(&firsts, 50.0)),
        ms(firsts[0]),
        ms(firsts[firsts.len() - 1]),
        firsts.len()
    );
    if !inits.is_empty() {
        println!(
            "exec→first /next     median {:.2} ms  (init only)",
            ms(percentile(&inits, 50.0))
        );
    }
    println!(
        "warm invocation      p50 {:.0} µs  p90 {:.0} µs  p99 {:.0} µs  max {:.0} µs  ({} invocations)",
        us(percentile(&warm, 50.0)),
        us(percentile(&warm, 90.0)),
        us(percentile(&warm, 99.0)),
        us(percentile(&warm, 100.0)),
        warm.len()
    );
    let mib = |k: Option<u64>| k.map_or("-".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    println!(
        "peak RSS (VmHWM)     {} after {} invocations  ({} after the first)",
        mib(peak),
        1 + args.warm,
        mib(peak_first)
    );
    if let Some(p) = &args.json {
        std::fs::write(p, format!("{summary:#}\n"))
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

fn sorted(v: &[Duration]) -> Vec<Duration> {
    let mut v = v.to_vec();
    v.sort_unstable();
    v
}
