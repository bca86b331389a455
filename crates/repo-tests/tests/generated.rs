//! Generated inputs: real events and SNS notices, mutated (fields missing, extra and mistyped,
//! huge arrays, deep nesting, unicode and control characters), through everything the core does
//! with them. Properties:
//! - nothing panics; every error is a typed error with a stable `EcsRerun.*` name and one line;
//! - every plan's execution input fits Step Functions' 256 KiB, or the core says
//!   `EcsRerun.PlanTooLarge`;
//! - when the event's own request is a valid RunTask request, so is every re-run request of its
//!   plan (ECS's API model, `ecs_model`);
//! - every Slack payload is within Block Kit's limits with no markup from the data
//!   (`slack_limits`), for the plan's first notice and for every mutated SNS message.
//!
//! `cargo test` runs `ECS_RERUN_GENERATED_CASES` cases per property (default 10,000, two
//! properties). The full run, a million inputs:
//! `ECS_RERUN_GENERATED_CASES=500000 cargo test --release -p ecs-rerun-repo-tests --test generated -- --nocapture`.
//! A failing case is shrunk and its seed kept in `tests/fixtures/generated/proptest-regressions.txt`,
//! which every run replays first; inputs worth keeping as files live in
//! `tests/fixtures/generated/{events,sns}/` and are replayed by one test per folder.

use std::sync::atomic::{AtomicUsize, Ordering};

use ecs_rerun_core::event::RunTaskEvent;
use ecs_rerun_core::notification::Notification;
use ecs_rerun_core::plan::{
    MARKER_PREFIX, MAX_EXECUTION_INPUT_BYTES, OtherStateMachines, Plan, PlanConfig, build_plan,
    execution_input,
};
use ecs_rerun_core::slack::{self, render_notification, render_sns};
use ecs_rerun_repo_tests::{ecs_model, fixtures, slack_limits};
use proptest::prelude::*;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestCaseError, TestRng, TestRunner,
};
use serde_json::{Map, Value, json};

const DEFAULT_CASES: u32 = 4_000;
const DEFAULT_SEED: u64 = 0x5EED_0000_EC5E_4E20;
/// Relative to the crate (cargo runs tests there).
const REGRESSIONS: &str = "../../tests/fixtures/generated/proptest-regressions.txt";

static EVENTS: AtomicUsize = AtomicUsize::new(0);
static PLANS: AtomicUsize = AtomicUsize::new(0);
static REQUESTS: AtomicUsize = AtomicUsize::new(0);
static PAYLOADS: AtomicUsize = AtomicUsize::new(0);
static NOTICES: AtomicUsize = AtomicUsize::new(0);

/// (name, text) of every JSON file of a fixture folder.
fn json_files(dir: &str) -> Vec<(String, String)> {
    fixtures::json_files(dir)
        .into_iter()
        .map(|p| (p.display().to_string(), fixtures::read(&p)))
        .collect()
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) if v.starts_with("0x") => {
            u64::from_str_radix(&v[2..], 16).unwrap_or_else(|_| panic!("{name}={v}: not a number"))
        }
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a number")),
        Err(_) => default,
    }
}

fn limits() -> slack_limits::Limits {
    slack_limits::Limits {
        blocks: slack::MAX_BLOCKS,
        text: slack::MAX_TEXT,
        header: slack::MAX_HEADER,
        section: slack::MAX_SECTION_TEXT,
        fields: slack::MAX_FIELDS,
        field: slack::MAX_FIELD_TEXT,
        context: slack::MAX_CONTEXT_ELEMENTS,
        button: slack::MAX_BUTTON_TEXT,
    }
}

// -- mutations ------------------------------------------------------------------------------

/// One change to a JSON document; `usize` selects a node (modulo the node count, root included).
#[derive(Debug, Clone)]
enum Mutation {
    Remove(usize),
    Set(usize, Value),
    Insert(usize, String, Value),
    /// Make an array this long, each copy's strings made distinct.
    Grow(usize, usize),
    /// Wrap a node in this many arrays/objects.
    Nest(usize, usize),
}

fn pointers(v: &Value, at: &str, out: &mut Vec<String>) {
    out.push(at.to_owned());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                pointers(
                    x,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn parent_and_key(pointer: &str) -> Option<(&str, String)> {
    let (parent, key) = pointer.rsplit_once('/')?;
    Some((parent, key.replace("~1", "/").replace("~0", "~")))
}

fn distinct(v: &Value, i: usize) -> Value {
    match v {
        Value::String(s) => Value::String(format!("{s}-{i}")),
        Value::Array(a) => Value::Array(a.iter().map(|x| distinct(x, i)).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), distinct(x, i))).collect())
        }
        other => other.clone(),
    }
}

fn apply(doc: &mut Value, m: &Mutation) {
    let mut nodes = Vec::new();
    pointers(doc, "", &mut nodes);
    let pick = |sel: usize| nodes[sel % nodes.len()].clone();
    match m {
        Mutation::Remove(sel) => {
            if let Some((parent, key)) = parent_and_key(&pick(*sel)) {
                match doc.pointer_mut(parent) {
                    Some(Value::Object(o)) => {
                        o.remove(&key);
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = key.parse::<usize>() {
                            if i < a.len() {
                                a.remove(i);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Mutation::Set(sel, v) => {
            if let Some(node) = doc.pointer_mut(&pick(*sel)) {
                *node = v.clone();
            }
        }
        Mutation::Insert(sel, key, v) => {
            if let Some(node) = doc.pointer_mut(&pick(*sel)) {
                match node {
                    Value::Object(o) => {
                        o.insert(key.clone(), v.clone());
                    }
                    Value::Array(a) => a.push(v.clone()),
                    other => *other = json!({ key.clone(): v.clone() }),
                }
            }
        }
        Mutation::Grow(sel, n) => {
            if let Some(Value::Array(a)) = doc.pointer_mut(&pick(*sel)) {
                if let Some(first) = a.first().cloned() {
                    a.extend((a.len()..*n).map(|i| distinct(&first, i)));
                }
            }
        }
        Mutation::Nest(sel, depth) => {
            if let Some(node) = doc.pointer_mut(&pick(*sel)) {
                let mut v = node.take();
                for d in 0..*depth {
                    v = if d % 2 == 0 {
                        json!([v])
                    } else {
                        json!({ "n": v })
                    };
                }
                *node = v;
            }
        }
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,16}",
        proptest::collection::vec(any::<char>(), 0..16).prop_map(|c| c.into_iter().collect()),
        Just("<!channel> & <@U0123ABC> <https://evil.example|click here> *bold* `code`".to_owned()),
        Just("\u{202e}\u{0}\u{7}\t\r\n\u{feff}ünï©ødé 🚀".to_owned()),
        Just("AGENT".to_owned()),
        Just("RESOURCE:MEMORY".to_owned()),
        Just("arn:aws:ecs:us-east-1:123456789012:cluster/prod".to_owned()),
        (1usize..6000).prop_map(|n| "x".repeat(n)),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (0u32..12).prop_map(Value::from),
        (-1e12f64..1e12).prop_map(|f| json!(f)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => any::<usize>().prop_map(Mutation::Remove),
        3 => (any::<usize>(), json_value()).prop_map(|(s, v)| Mutation::Set(s, v)),
        2 => (any::<usize>(), text(), json_value()).prop_map(|(s, k, v)| Mutation::Insert(s, k, v)),
        1 => (any::<usize>(), 0usize..1500).prop_map(|(s, n)| Mutation::Grow(s, n)),
        1 => (any::<usize>(), 1usize..160).prop_map(|(s, d)| Mutation::Nest(s, d)),
    ]
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    proptest::collection::vec(mutation(), 0..5)
}

fn runner(name: &str) -> TestRunner {
    let cases = u32::try_from(env_number(
        "ECS_RERUN_GENERATED_CASES",
        u64::from(DEFAULT_CASES),
    ))
    .expect("ECS_RERUN_GENERATED_CASES fits u32");
    let seed = env_number("ECS_RERUN_GENERATED_SEED", DEFAULT_SEED);
    let mut config = Config::with_cases(cases);
    config.failure_persistence = Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS)));
    config.source_file = Some(file!());
    config.test_name = Some(Box::leak(name.to_owned().into_boxed_str()));
    let mut bytes = [0u8; 32];
    for (i, b) in seed.to_le_bytes().iter().cycle().take(32).enumerate() {
        bytes[i] = b.wrapping_add(u8::try_from(i).unwrap_or(0));
    }
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

// -- properties -----------------------------------------------------------------------------

fn configs() -> [PlanConfig; 2] {
    [
        PlanConfig::default(),
        PlanConfig {
            retryable_reasons: vec!["AGENT".into(), "RESOURCE:MEMORY".into(), "ATTRIBUTE".into()],
            max_attempts: 10,
            target_clusters: vec!["*".into()],
            state_machine_role_arn: Some(
                "arn:aws:iam::123456789012:role/ecs-rerun-StateMachineRole-EXAMPLE1A2B".into(),
            ),
            other_state_machines: OtherStateMachines::Rerun,
            ..PlanConfig::default()
        },
    ]
}

/// The re-run request of every attempt, as "Prepare Rerun" builds it: `runTask` merged with
/// `clientTokens[i]`.
fn requests(plan: &Plan) -> Vec<Value> {
    let Some(run_task) = &plan.run_task else {
        return Vec::new();
    };
    plan.client_tokens
        .iter()
        .map(|t| {
            let mut r = run_task.clone();
            r.insert("ClientToken".into(), Value::String(t.client_token.clone()));
            Value::Object(r)
        })
        .collect()
}

fn recase(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (ecs_model::pascal(k), recase(x)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(recase).collect()),
        other => other.clone(),
    }
}

/// Whether the event's own request, as a re-run would send it, is a valid RunTask request.
fn own_request_is_valid(event: &RunTaskEvent) -> bool {
    let mut r = match recase(&Value::Object(event.request_parameters().clone())) {
        Value::Object(m) => m,
        _ => return false,
    };
    r.remove("ClientToken");
    r.entry("Cluster").or_insert_with(|| json!("default"));
    // the re-run asks for the missing tasks, never more than the call asked for
    r.entry("Count").or_insert_with(|| json!(1));
    r.insert(
        "StartedBy".into(),
        json!(format!("{MARKER_PREFIX}{}", event.event_id())),
    );
    r.insert("ClientToken".into(), json!("0".repeat(64)));
    ecs_model::validate(&Value::Object(r), "RunTaskRequest").is_ok()
}

fn typed(e: &ecs_rerun_core::Error) -> Result<(), TestCaseError> {
    let name = e.error_type();
    prop_assert!(name.starts_with("EcsRerun."), "error type {name}");
    prop_assert!(!e.to_string().contains('\n'), "multi-line error: {e}");
    Ok(())
}

fn slack_safe(what: &str, msg: &slack::SlackMessage) -> Result<(), TestCaseError> {
    let v = serde_json::to_value(msg).map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
    let problems = slack_limits::problems(&v, &limits());
    PAYLOADS.fetch_add(1, Ordering::Relaxed);
    prop_assert!(problems.is_empty(), "{what}: {}", problems.join("; "));
    Ok(())
}

fn check_event(text: &str) -> Result<(), TestCaseError> {
    EVENTS.fetch_add(1, Ordering::Relaxed);
    let event = match RunTaskEvent::from_json(text) {
        Ok(event) => event,
        Err(e) => return typed(&e),
    };
    let valid = own_request_is_valid(&event);
    for config in configs() {
        let plan = build_plan(&event, &config);
        PLANS.fetch_add(1, Ordering::Relaxed);
        prop_assert!(plan.execution_name.chars().count() <= 80);
        match execution_input(&plan) {
            Ok(input) => prop_assert!(input.len() <= MAX_EXECUTION_INPUT_BYTES),
            Err(e) => prop_assert_eq!(e.error_type(), "EcsRerun.PlanTooLarge"),
        }
        if valid {
            for request in requests(&plan) {
                REQUESTS.fetch_add(1, Ordering::Relaxed);
                if let Err(problems) = ecs_model::validate(&request, "RunTaskRequest") {
                    prop_assert!(
                        false,
                        "valid event, invalid re-run request: {}",
                        problems.join("; ")
                    );
                }
            }
        }
        slack_safe("first notice", &render_notification(&plan.notice))?;
    }
    Ok(())
}

/// What the notifier hands the core: the envelope's Subject and Message (any JSON it finds).
fn check_sns(envelope: &Value) -> Result<(), TestCaseError> {
    NOTICES.fetch_add(1, Ordering::Relaxed);
    let subject = envelope["Subject"].as_str();
    let message = match &envelope["Message"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if let Err(e) = Notification::parse(&message) {
        typed(&e)?;
    }
    slack_safe("SNS message", &render_sns(subject, &message))
}

fn mutate_sns(base: &Value, inner: &[Mutation], outer: &[Mutation]) -> Value {
    let mut envelope = base.clone();
    if let Some(Ok(mut message)) = envelope["Message"]
        .as_str()
        .map(serde_json::from_str::<Value>)
    {
        for m in inner {
            apply(&mut message, m);
        }
        envelope["Message"] = Value::String(message.to_string());
    }
    for m in outer {
        apply(&mut envelope, m);
    }
    envelope
}

fn run<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    if let Err(e) = runner(name).run(&strategy, test) {
        panic!("{name}: {e}");
    }
}

#[test]
fn generated_events_never_break_the_planner() {
    let bases: Vec<Value> = json_files("tests/fixtures/events")
        .into_iter()
        .map(|(name, text)| serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect();
    let n = bases.len();
    run("events", (0..n, mutations()), |(i, muts)| {
        let mut doc = bases[i].clone();
        for m in &muts {
            apply(&mut doc, m);
        }
        check_event(&doc.to_string())
    });
    eprintln!(
        "generated events: {} events, {} plans, {} re-run requests valid against ECS's model, {} Slack payloads",
        EVENTS.load(Ordering::Relaxed),
        PLANS.load(Ordering::Relaxed),
        REQUESTS.load(Ordering::Relaxed),
        PAYLOADS.load(Ordering::Relaxed)
    );
}

#[test]
fn generated_notifications_always_render_within_slack_limits() {
    let bases: Vec<Value> = json_files("tests/fixtures/sns")
        .into_iter()
        .map(|(name, text)| serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect();
    let n = bases.len();
    run(
        "notifications",
        (0..n, mutations(), mutations()),
        |(i, inner, outer)| check_sns(&mutate_sns(&bases[i], &inner, &outer)),
    );
    eprintln!(
        "generated notifications: {} SNS messages rendered",
        NOTICES.load(Ordering::Relaxed)
    );
}

#[test]
fn kept_generated_events_and_notifications_pass() {
    for (name, text) in json_files("tests/fixtures/generated/events") {
        check_event(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (name, text) in json_files("tests/fixtures/generated/sns") {
        let envelope: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_sns(&envelope).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// 20,000 failures of one reason (the realistic flood) fit; 20,000 distinct reasons may not, and
/// then the core says so with a typed error (the starter's record goes to the DLQ, alarmed).
#[test]
fn a_20000_failure_event_still_fits_one_execution_input() {
    let (_, text) = json_files("tests/fixtures/events")
        .into_iter()
        .find(|(name, _)| name.ends_with("cloudtrail_runtask_agent.json"))
        .expect("the AGENT fixture");
    let mut doc: Value = serde_json::from_str(&text).expect("JSON");
    let failures = doc
        .pointer_mut("/detail/responseElements/failures")
        .and_then(Value::as_array_mut)
        .expect("failures");
    // one reason (what a large cluster answers), 20,000 container instances
    let first = failures[0].clone();
    failures.extend((1..20_000).map(|i| {
        let mut f = first.clone();
        f["arn"] = json!(format!("{}-{i}", first["arn"].as_str().unwrap_or_default()));
        f
    }));
    let event = RunTaskEvent::from_json(&doc.to_string()).expect("still a RunTask event");
    let plan = build_plan(&event, &PlanConfig::default());
    let input = execution_input(&plan).expect("fits");
    assert!(
        input.len() <= MAX_EXECUTION_INPUT_BYTES,
        "{} bytes",
        input.len()
    );
    assert!(plan.retryable, "{}", plan.why);
    let failures = doc
        .pointer_mut("/detail/responseElements/failures")
        .and_then(Value::as_array_mut)
        .expect("failures");
    for (i, f) in failures.iter_mut().enumerate() {
        f["reason"] = json!(format!("RESOURCE:CUSTOM_{i}"));
    }
    let event = RunTaskEvent::from_json(&doc.to_string()).expect("still a RunTask event");
    match execution_input(&build_plan(&event, &PlanConfig::default())) {
        Ok(input) => assert!(input.len() <= MAX_EXECUTION_INPUT_BYTES),
        Err(e) => assert_eq!(e.error_type(), "EcsRerun.PlanTooLarge"),
    }
}
