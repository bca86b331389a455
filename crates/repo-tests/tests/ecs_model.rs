//! Every re-run request the starter can emit is valid against ECS's own API model.
//!
//! The request Step Functions sends to `aws-sdk:ecs:runTask` is `plan.runTask` shallow-merged with
//! `plan.clientTokens[attempt]` (the ASL's `States.JsonMerge(..., false)`). It is checked against
//! `tests/models/ecs-runtask-input.json` (botocore's RunTask input shapes, see `scripts/ecs-model`)
//! by `ecs_rerun_repo_tests::ecs_model`:
//! - every event fixture (`tests/fixtures/events/*.json`, not `invalid/`) under several configs;
//! - events generated from the model itself: random valid `requestParameters` (camelCase, as
//!   CloudTrail records them) wrapped in a RunTask event with an `AGENT` failure and a partial
//!   placement. `ECS_MODEL_SEED` and `ECS_MODEL_CASES` reproduce or widen a run, `ECS_MODEL_DUMP=n`
//!   prints the first n generated events;
//! - negative cases proving the validator rejects what ECS would, naming the path.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use ecs_rerun_core::event::RunTaskEvent;
use ecs_rerun_core::plan::{MARKER_PREFIX, Plan, PlanConfig, build_plan, client_token};
use ecs_rerun_repo_tests::ecs_model::{self, Kind, Limits, Member, Model, Pattern, pascal};
use ecs_rerun_repo_tests::fixtures::{self, repo};
use serde_json::{Map, Value, json};

const INPUT: &str = "RunTaskRequest";
const DEFAULT_SEED: u64 = 0x00EC_5EED_2014_1113;
const DEFAULT_CASES: usize = 2000;

/// `tests/fixtures/events/*.json`, sorted; the `invalid/` subfolder is not walked.
fn event_fixtures() -> Vec<PathBuf> {
    fixtures::json_files("tests/fixtures/events")
}

/// The request of every attempt, built from the plan's JSON as the state machine builds it:
/// `States.JsonMerge($.runTask, States.ArrayGetItem($.clientTokens, $.attempt), false)` (shallow,
/// the token's keys win).
fn requests(plan: &Plan) -> Vec<Value> {
    let plan = serde_json::to_value(plan).expect("the plan serializes");
    let Some(run_task) = plan["runTask"].as_object() else {
        return Vec::new();
    };
    plan["clientTokens"]
        .as_array()
        .expect("clientTokens is a list")
        .iter()
        .map(|token| {
            let mut request = run_task.clone();
            let token = token.as_object().expect("a client token is an object");
            request.extend(token.iter().map(|(k, v)| (k.clone(), v.clone())));
            Value::Object(request)
        })
        .collect()
}

/// Defaults, the longest plan, the shortest, and one that retries every reason the event has.
fn configs(event: &RunTaskEvent) -> Vec<(&'static str, PlanConfig)> {
    let mut reasons: Vec<String> = event
        .failures()
        .iter()
        .filter_map(|f| f.reason.clone())
        .filter(|r| !r.trim().is_empty())
        .collect();
    reasons.dedup();
    let mut out = vec![
        ("defaults", PlanConfig::default()),
        (
            "max_attempts 10",
            PlanConfig {
                max_attempts: 10,
                ..PlanConfig::default()
            },
        ),
        (
            "max_attempts 1, interval 0",
            PlanConfig {
                max_attempts: 1,
                interval_seconds: 0,
                ..PlanConfig::default()
            },
        ),
    ];
    if !reasons.is_empty() {
        out.push((
            "every reason of the event retryable",
            PlanConfig {
                retryable_reasons: reasons,
                max_attempts: 10,
                ..PlanConfig::default()
            },
        ));
    }
    out
}

/// Validates every attempt's request, and checks it is the original request faithfully: with
/// the model's member names put back (map keys, if any, kept), it equals `requestParameters`
/// less `clientToken`, with `cluster`, `count` and `startedBy` as the plan sets them, and the
/// attempt's own client token.
fn check_plan(event: &RunTaskEvent, plan: &Plan, what: &str, problems: &mut Vec<String>) -> usize {
    let model = ecs_model::model();
    let requests = requests(plan);
    assert_eq!(
        requests.len(),
        plan.max_attempts as usize,
        "{what}: one request per attempt"
    );
    let mut want = event.request_parameters().clone();
    want.remove("clientToken");
    want.insert("cluster".into(), Value::String(plan.cluster.clone()));
    want.insert("count".into(), Value::from(plan.missing_count));
    want.insert(
        "startedBy".into(),
        Value::String(format!("{MARKER_PREFIX}{}", plan.event_id)),
    );
    for (i, request) in requests.iter().enumerate() {
        let attempt = i + 1;
        if let Err(errs) = model.validate(request, INPUT) {
            problems.extend(
                errs.into_iter()
                    .map(|e| format!("{what}, attempt {attempt}: {e}")),
            );
        }
        let mut got = request.clone();
        let token = got
            .as_object_mut()
            .and_then(|r| r.remove("ClientToken"))
            .unwrap_or(Value::Null);
        if token != Value::String(client_token(&plan.execution_name, attempt as u32)) {
            problems.push(format!(
                "{what}, attempt {attempt}: $.ClientToken is {token}, not this attempt's token"
            ));
        }
        let got = model_names(model, &got, INPUT);
        if got != Value::Object(want.clone()) {
            problems.push(format!(
                "{what}, attempt {attempt}: the request is not the original one re-cased: got {got}, want {}",
                Value::Object(want.clone())
            ));
        }
    }
    requests.len()
}

/// `value` with the model's member names (camelCase) again; map keys and unknown keys are kept.
fn model_names(model: &Model, value: &Value, shape: &str) -> Value {
    match (&model.shape(shape).kind, value) {
        (Kind::Structure { members, .. }, Value::Object(obj)) => Value::Object(
            obj.iter()
                .map(|(k, v)| match members.iter().find(|m| m.pascal == *k) {
                    Some(m) => (m.name.clone(), model_names(model, v, &m.shape)),
                    None => (k.clone(), v.clone()),
                })
                .collect(),
        ),
        (Kind::List { member }, Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|item| model_names(model, item, member))
                .collect(),
        ),
        (Kind::Map { value: v, .. }, Value::Object(obj)) => Value::Object(
            obj.iter()
                .map(|(k, item)| (k.clone(), model_names(model, item, v)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// A deterministic generator of valid RunTask requests, driven by the model.

/// xorshift64* seeded through splitmix64.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi, "empty range {lo}..={hi}");
        let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
        let r = u128::from(self.next()) % span;
        i64::try_from(i128::from(lo) + r as i128).expect("in range")
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("fits")
    }

    /// True with probability `num / den`.
    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next() % den < num
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16)]))
            .collect()
    }

    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-4{}-{}{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            self.pick(&['8', '9', 'a', 'b']),
            self.hex(3),
            self.hex(12)
        )
    }
}

/// Characters strings are drawn from (filtered by each pattern): printable ASCII and a few
/// letters, numbers and separators from elsewhere in Unicode.
fn candidate_chars() -> Vec<char> {
    let mut chars: Vec<char> = (0x20u8..0x7f).map(char::from).collect();
    chars.extend(['é', 'ß', 'Ω', '日', 'ж', '٣', '½', '\u{a0}']);
    chars
}

fn tighter_min(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn tighter_max(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

struct Gen<'m> {
    model: &'m Model,
    rng: Rng,
    candidates: Vec<char>,
    pools: BTreeMap<String, Vec<char>>,
    /// How often each `Shape.member` was generated.
    coverage: BTreeMap<String, usize>,
}

impl<'m> Gen<'m> {
    fn new(model: &'m Model, seed: u64) -> Gen<'m> {
        let mut coverage = BTreeMap::new();
        for shape in model.shapes.values() {
            if let Kind::Structure { members, .. } = &shape.kind {
                for m in members {
                    coverage.insert(format!("{}.{}", shape.name, m.name), 0);
                }
            }
        }
        Gen {
            model,
            rng: Rng::new(seed),
            candidates: candidate_chars(),
            pools: BTreeMap::new(),
            coverage,
        }
    }

    /// A valid camelCase value of `shape` (with the member's documented limits, if any).
    fn value(&mut self, shape: &str, documented: Option<&Limits>) -> Value {
        let shape = self.model.shape(shape);
        let none = Limits::default();
        let doc = documented.unwrap_or(&none);
        match &shape.kind {
            Kind::Structure {
                members,
                exclusive,
                union,
            } => self.structure(&shape.name, members, exclusive, *union),
            Kind::List { member } => {
                let lo = tighter_min(shape.limits.min, doc.min).unwrap_or(0);
                let hi = tighter_max(shape.limits.max, doc.max);
                let len = match hi {
                    Some(hi) if hi <= 60 && self.rng.chance(1, 15) => hi,
                    _ => self
                        .rng
                        .range(lo, hi.unwrap_or(i64::MAX).min(lo.max(1) + 2)),
                };
                let mut items: Vec<Value> = Vec::new();
                while (items.len() as i64) < len {
                    let item = self.value(member, None);
                    let repeats = doc
                        .unique_by
                        .as_ref()
                        .is_some_and(|by| items.iter().any(|other| other.get(by) == item.get(by)));
                    if !repeats {
                        items.push(item);
                    }
                }
                Value::Array(items)
            }
            Kind::Map { key, value } => {
                let len = self.rng.range(
                    shape.limits.min.unwrap_or(0),
                    shape.limits.max.unwrap_or(3).min(3),
                );
                let mut out = Map::new();
                while (out.len() as i64) < len {
                    let k = self.value(key, None);
                    let v = self.value(value, None);
                    out.insert(k.as_str().expect("map keys are strings").to_string(), v);
                }
                Value::Object(out)
            }
            Kind::String => Value::String(self.string(&shape.limits, doc)),
            Kind::Integer | Kind::Long => {
                let (type_lo, type_hi) = if matches!(shape.kind, Kind::Integer) {
                    (i64::from(i32::MIN), i64::from(i32::MAX))
                } else {
                    (i64::MIN, i64::MAX)
                };
                let lo = tighter_min(shape.limits.min, doc.min);
                let hi = tighter_max(shape.limits.max, doc.max);
                let v = if lo.is_none() && hi.is_none() {
                    if self.rng.chance(1, 20) {
                        type_hi
                    } else {
                        *self
                            .rng
                            .pick(&[0, 1, 2, 128, 256, 512, 1024, 4096, 16384, 30720])
                    }
                } else {
                    let lo = lo.unwrap_or(0);
                    let hi = hi.unwrap_or(lo.saturating_add(100_000));
                    match self.rng.below(6) {
                        0 => lo,
                        1 => hi,
                        _ => self.rng.range(lo, hi),
                    }
                };
                Value::from(v.clamp(type_lo, type_hi))
            }
            Kind::Double => Value::from(self.rng.range(0, 10_000) as f64 / 8.0),
            Kind::Boolean => Value::Bool(self.rng.chance(1, 2)),
            Kind::Timestamp => Value::from(self.rng.range(1_500_000_000, 1_900_000_000)),
            Kind::Blob => Value::String("ZWNzLXJlcnVu".into()),
        }
    }

    fn structure(
        &mut self,
        name: &str,
        members: &[Member],
        exclusive: &[Vec<String>],
        union: bool,
    ) -> Value {
        let mut chosen: Vec<&Member> = if union {
            vec![self.rng.pick(members)]
        } else {
            members
                .iter()
                .filter(|m| m.required || self.rng.chance(1, 2))
                .collect()
        };
        for group in exclusive {
            let set: Vec<&str> = chosen
                .iter()
                .map(|m| m.name.as_str())
                .filter(|n| group.iter().any(|g| g == n))
                .collect();
            if set.len() > 1 {
                let keep = self.rng.pick(&set).to_string();
                chosen.retain(|m| !group.contains(&m.name) || m.name == keep);
            }
        }
        let mut out = Map::new();
        for m in chosen {
            let v = loop {
                let v = self.value(&m.shape, m.documented.as_ref());
                let fits = m
                    .documented
                    .as_ref()
                    .and_then(|d| d.max_json_length)
                    .is_none_or(|max| v.to_string().chars().count() <= max);
                if fits {
                    break v;
                }
            };
            *self
                .coverage
                .get_mut(&format!("{name}.{}", m.name))
                .expect("member in coverage") += 1;
            out.insert(m.name.clone(), v);
        }
        Value::Object(out)
    }

    fn pool(&mut self, patterns: &[&Pattern]) -> Vec<char> {
        let key: Vec<&str> = patterns.iter().map(|p| p.source.as_str()).collect();
        let key = key.join("\u{0}");
        if let Some(pool) = self.pools.get(&key) {
            return pool.clone();
        }
        let pool: Vec<char> = self
            .candidates
            .iter()
            .copied()
            .filter(|c| {
                patterns
                    .iter()
                    .all(|p| p.regex.is_match(c.encode_utf8(&mut [0; 4])))
            })
            .collect();
        assert!(!pool.is_empty(), "no candidate character matches {key:?}");
        self.pools.insert(key, pool.clone());
        pool
    }

    fn string(&mut self, shape: &Limits, doc: &Limits) -> String {
        if let Some(values) = &shape.enum_values {
            let allowed: Vec<&String> = values
                .iter()
                .filter(|v| !doc.not_enum.contains(v))
                .collect();
            return (*self.rng.pick(&allowed)).clone();
        }
        let patterns: Vec<&Pattern> = [&shape.pattern, &doc.pattern]
            .into_iter()
            .flatten()
            .collect();
        let pool = self.pool(&patterns);
        let lo = tighter_min(shape.min, doc.min).unwrap_or(1);
        let hi = tighter_max(shape.max, doc.max);
        let len = match hi {
            Some(hi) if self.rng.chance(1, 12) => hi,
            _ => self
                .rng
                .range(lo, hi.unwrap_or(i64::MAX).min(lo.max(1) + 23)),
        };
        let s: String = (0..len)
            .map(|i| {
                loop {
                    // never a leading blank: CloudTrail fields such as taskDefinition must not be blank
                    let c = *self.rng.pick(&pool);
                    if i > 0 || !c.is_whitespace() || pool.iter().all(|c| c.is_whitespace()) {
                        break c;
                    }
                }
            })
            .collect();
        for p in &patterns {
            assert!(
                p.regex.is_match(&s),
                "generated {s:?} does not match {}",
                p.source
            );
        }
        s
    }

    /// Valid camelCase `requestParameters` whose plan is a re-run (`startedBy` is not a loop
    /// guard's); `count` is set by [`Gen::event`].
    fn request_parameters(&mut self) -> Map<String, Value> {
        let Value::Object(mut params) = self.value(INPUT, None) else {
            panic!("{INPUT} is a structure");
        };
        if params
            .get("startedBy")
            .and_then(Value::as_str)
            .is_some_and(|s| s.starts_with("ecs-rerun/") || s == "AWS Step Functions")
        {
            params.remove("startedBy");
        }
        params
    }

    /// A CloudTrail RunTask event for `params` with a partial placement and `AGENT` failures.
    /// Returns the event and the number of tasks it did not start.
    fn event(&mut self, mut params: Map<String, Value>) -> (Value, u32) {
        let requested = if self.rng.chance(1, 8) {
            params.remove("count");
            1
        } else {
            let n = self.rng.range(1, 10);
            params.insert("count".into(), Value::from(n));
            n
        };
        let started = self.rng.range(0, requested - 1);
        let region = *self.rng.pick(&[
            "us-east-1",
            "eu-west-1",
            "ap-southeast-2",
            "us-gov-west-1",
            "cn-north-1",
        ]);
        let account = "123456789012";
        let partition = if region.starts_with("cn-") {
            "aws-cn"
        } else if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        let arn = |service: &str| format!("arn:{partition}:{service}:{region}:{account}");
        let tasks: Vec<Value> = (0..started)
            .map(|_| {
                json!({"taskArn": format!("{}:task/prod/{}", arn("ecs"), self.rng.hex(32)),
                       "lastStatus": "PROVISIONING", "desiredStatus": "RUNNING"})
            })
            .collect();
        let mut failures: Vec<Value> = (0..requested - started)
            .map(|_| {
                json!({"arn": format!("{}:container-instance/prod/{}", arn("ecs"), self.rng.hex(32)),
                       "reason": "AGENT"})
            })
            .collect();
        if self.rng.chance(1, 4) {
            failures.push(json!({"arn": format!("{}:container-instance/prod/{}", arn("ecs"), self.rng.hex(32)),
                                 "reason": "RESOURCE:MEMORY"}));
        }
        let time = format!(
            "2026-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.rng.range(1, 12),
            self.rng.range(1, 28),
            self.rng.range(0, 23),
            self.rng.range(0, 59),
            self.rng.range(0, 59)
        );
        let event = json!({
            "version": "0", "id": self.rng.uuid(), "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.ecs", "account": account, "time": time, "region": region, "resources": [],
            "detail": {
                "eventVersion": "1.08",
                "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:session",
                                 "arn": format!("arn:{partition}:sts::{account}:assumed-role/scheduler/session"),
                                 "accountId": account, "invokedBy": "events.amazonaws.com"},
                "eventTime": time, "eventSource": "ecs.amazonaws.com", "eventName": "RunTask",
                "awsRegion": region, "sourceIPAddress": "events.amazonaws.com",
                "userAgent": "events.amazonaws.com",
                "requestParameters": params,
                "responseElements": {"tasks": tasks, "failures": failures},
                "requestID": self.rng.uuid(), "eventID": self.rng.uuid(), "readOnly": false,
                "eventType": "AwsApiCall", "managementEvent": true,
                "recipientAccountId": account, "eventCategory": "Management"
            }
        });
        let missing = u32::try_from(requested - started).expect("1..=10");
        (event, missing)
    }
}

/// camelCase → PascalCase with the validator's own rule (not the core's), for the generator's
/// self-check.
fn recase(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (pascal(k), recase(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(recase).collect()),
        other => other.clone(),
    }
}

/// A number from the environment: decimal, or hexadecimal with `0x` (as the seed is printed).
fn env_number(name: &str, default: u64) -> u64 {
    let Ok(text) = std::env::var(name) else {
        return default;
    };
    let t = text.trim();
    match t.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => t.parse(),
    }
    .unwrap_or_else(|_| panic!("{name}={text:?} is not a number"))
}

#[test]
fn every_rerun_request_is_valid_against_the_ecs_model() {
    let model = ecs_model::model();
    let mut problems: Vec<String> = Vec::new();

    // (a) the fixtures, under every config
    let files = event_fixtures();
    let mut fixture_requests = 0;
    let mut retryable_fixtures = std::collections::BTreeSet::new();
    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name");
        let text = std::fs::read_to_string(file).expect("read fixture");
        let event = RunTaskEvent::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (config_name, config) in configs(&event) {
            config.validate().expect("test configs are valid");
            let plan = build_plan(&event, &config);
            if plan.retryable {
                retryable_fixtures.insert(name.to_string());
                fixture_requests += check_plan(
                    &event,
                    &plan,
                    &format!("{name} ({config_name})"),
                    &mut problems,
                );
            }
        }
    }
    assert!(
        retryable_fixtures.contains("cloudtrail_runtask_capacity-provider-overrides.json"),
        "the fixture with every kind of parameter must be re-run under some config"
    );

    // (b) generated events
    let seed = env_number("ECS_MODEL_SEED", DEFAULT_SEED);
    let cases = usize::try_from(env_number("ECS_MODEL_CASES", DEFAULT_CASES as u64))
        .expect("cases fit usize");
    let dump = usize::try_from(env_number("ECS_MODEL_DUMP", 0)).expect("fits usize");
    let mut generator = Gen::new(model, seed);
    let generated_configs = [
        PlanConfig::default(),
        PlanConfig {
            max_attempts: 10,
            ..PlanConfig::default()
        },
        PlanConfig {
            max_attempts: 1,
            interval_seconds: 0,
            ..PlanConfig::default()
        },
    ];
    let mut generated_requests = 0;
    for case in 0..cases {
        let what = format!("generated case {case} (ECS_MODEL_SEED={seed:#x})");
        let params = generator.request_parameters();
        if let Err(errs) = model.validate(&recase(&Value::Object(params.clone())), INPUT) {
            panic!(
                "{what}: the generator made an invalid request, fix the generator: {errs:?}\n{}",
                Value::Object(params)
            );
        }
        let (event, missing) = generator.event(params);
        if case < dump {
            let _ = writeln!(std::io::stderr().lock(), "{what}: {event}");
        }
        let text = event.to_string();
        let parsed =
            RunTaskEvent::from_json(&text).unwrap_or_else(|e| panic!("{what}: {e}\n{text}"));
        let plan = build_plan(&parsed, &generated_configs[case % generated_configs.len()]);
        assert!(plan.retryable, "{what}: not re-run: {}\n{text}", plan.why);
        assert_eq!(plan.missing_count, missing, "{what}");
        let before = problems.len();
        generated_requests += check_plan(&parsed, &plan, &what, &mut problems);
        if problems.len() > before {
            problems.push(format!(
                "{what}: requestParameters were {}",
                event["detail"]["requestParameters"]
            ));
        }
    }
    let never: Vec<&String> = generator
        .coverage
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| k)
        .collect();
    assert!(
        cases < 500 || never.is_empty(),
        "members the generator never produced in {cases} cases: {never:?}"
    );

    let total = fixture_requests + generated_requests;
    let detail = format!(
        "ecs model: {} fixtures ({} re-run under some config), {cases} generated events, seed {seed:#x}",
        files.len(),
        retryable_fixtures.len()
    );
    let line = format!(
        "ecs model: checked {total} requests ({fixture_requests} fixtures, {generated_requests} generated) against ECS {} from botocore {}",
        model.api_version, model.botocore_version
    );
    // straight to the handle: libtest captures print!/eprint!, and this line belongs in the log
    let _ = writeln!(std::io::stderr().lock(), "{detail}\n{line}");
    assert!(
        cases < DEFAULT_CASES || total >= 3000,
        "only {total} requests checked from {cases} events: the generator lost its reach"
    );
    assert!(
        problems.is_empty(),
        "{} problem(s) in re-run requests; first ones:\n{}",
        problems.len(),
        problems
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The validator can fail.

/// A valid request with every member the negative cases touch.
fn base_request() -> Value {
    let text =
        std::fs::read_to_string(repo().join("tests/fixtures/events/cloudtrail_runtask_agent.json"))
            .expect("read fixture");
    let event = RunTaskEvent::from_json(&text).expect("fixture parses");
    let plan = build_plan(&event, &PlanConfig::default());
    let mut request = requests(&plan).remove(0);
    request["Overrides"] = json!({"ContainerOverrides": [{"Name": "app", "Cpu": 256,
        "Environment": [{"Name": "MODE", "Value": "nightly"}]}]});
    request["Tags"] = json!([{"Key": "team", "Value": "batch"}]);
    request["Group"] = json!("nightly");
    request
}

fn rename(request: &mut Value, from: &str, to: &str) {
    let obj = request.as_object_mut().expect("object");
    let v = obj
        .remove(from)
        .unwrap_or_else(|| panic!("no {from} in the base request"));
    obj.insert(to.into(), v);
}

type Edit = fn(&mut Value);

#[test]
fn the_validator_rejects_what_ecs_would_and_names_the_path() {
    let base = base_request();
    assert_eq!(ecs_model::validate(&base, INPUT), Ok(()), "{base}");
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "unknown member",
            |r| r["Foo"] = json!("bar"),
            "$.Foo: RunTaskRequest has no member Foo",
        ),
        (
            "camelCase key",
            |r| rename(r, "Cluster", "cluster"),
            "$.cluster: RunTaskRequest has no member cluster (did you mean Cluster?)",
        ),
        (
            "acronym re-cased",
            |r| rename(r, "EnableECSManagedTags", "EnableEcsManagedTags"),
            "$.EnableEcsManagedTags: RunTaskRequest has no member EnableEcsManagedTags (did you mean EnableECSManagedTags?)",
        ),
        (
            "nested camelCase key",
            |r| r["Overrides"] = json!({"containerOverrides": []}),
            "$.Overrides.containerOverrides: TaskOverride has no member containerOverrides (did you mean ContainerOverrides?)",
        ),
        (
            "Count 11",
            |r| r["Count"] = json!(11),
            "$.Count: 11 is more than the maximum 10 (documented)",
        ),
        (
            "Count 0",
            |r| r["Count"] = json!(0),
            "$.Count: 0 is less than the minimum 1 (documented)",
        ),
        (
            "Count as a string",
            |r| r["Count"] = json!("1"),
            "$.Count: expected integer, got string",
        ),
        (
            "Count as a fraction",
            |r| r["Count"] = json!(1.5),
            "$.Count: expected integer, got number",
        ),
        (
            "ClientToken of 65 characters",
            |r| r["ClientToken"] = json!("a".repeat(65)),
            "$.ClientToken: 65 characters, more than the maximum 64 (documented)",
        ),
        (
            "ClientToken with a space",
            |r| r["ClientToken"] = json!("two words"),
            "$.ClientToken: \"two words\" does not match the pattern [!-~]* (documented)",
        ),
        (
            "StartedBy of 129 characters",
            |r| r["StartedBy"] = json!(format!("ecs-rerun/{}", "x".repeat(119))),
            "$.StartedBy: 129 characters, more than the maximum 128 (documented)",
        ),
        (
            "StartedBy with spaces",
            |r| r["StartedBy"] = json!("AWS Step Functions"),
            "$.StartedBy: \"AWS Step Functions\" does not match the pattern [A-Za-z0-9/_-]* (documented)",
        ),
        (
            "invalid enum",
            |r| r["LaunchType"] = json!("EC3"),
            "$.LaunchType: \"EC3\" is not one of EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES",
        ),
        (
            "enum value RunTask refuses",
            |r| r["PropagateTags"] = json!("SERVICE"),
            "$.PropagateTags: \"SERVICE\" is not allowed here (documented)",
        ),
        (
            "51 tags",
            |r| {
                r["Tags"] = Value::Array(
                    (0..51)
                        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
                        .collect(),
                );
            },
            "$.Tags: 51 items, more than the maximum 50",
        ),
        (
            "tag key of 129 characters",
            |r| r["Tags"][0]["Key"] = json!("k".repeat(129)),
            "$.Tags[0].Key: 129 characters, more than the maximum 128",
        ),
        (
            "tag key outside the pattern",
            |r| r["Tags"][0]["Key"] = json!("team#1"),
            "$.Tags[0].Key: \"team#1\" does not match the pattern ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)",
        ),
        (
            "repeated tag key",
            |r| r["Tags"] = json!([{"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}]),
            "$.Tags[1].Key: \"team\" repeats $.Tags[0].Key, must be unique (documented)",
        ),
        (
            "string where an integer is expected",
            |r| r["Overrides"]["ContainerOverrides"][0]["Cpu"] = json!("256"),
            "$.Overrides.ContainerOverrides[0].Cpu: expected integer, got string",
        ),
        (
            "integer beyond 32 bits",
            |r| r["Overrides"]["ContainerOverrides"][0]["Cpu"] = json!(4_294_967_296_u64),
            "$.Overrides.ContainerOverrides[0].Cpu: 4294967296 does not fit a 32-bit integer (BoxedInteger)",
        ),
        (
            "integer beyond 64 bits",
            |r| r["Count"] = json!(u64::MAX),
            "$.Count: 18446744073709551615 does not fit a 32-bit integer (BoxedInteger)",
        ),
        (
            "string where a boolean is expected",
            |r| r["EnableECSManagedTags"] = json!("false"),
            "$.EnableECSManagedTags: expected boolean, got string",
        ),
        (
            "null member",
            |r| r["Group"] = Value::Null,
            "$.Group: expected string, got null",
        ),
        (
            "object where a list is expected",
            |r| r["Tags"] = json!({"Key": "team"}),
            "$.Tags: expected array, got object",
        ),
        (
            "missing required member",
            |r| {
                r.as_object_mut().expect("object").remove("TaskDefinition");
            },
            "$.TaskDefinition: missing, required by RunTaskRequest",
        ),
        (
            "missing required nested member",
            |r| {
                r["NetworkConfiguration"] =
                    json!({"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED"}})
            },
            "$.NetworkConfiguration.AwsvpcConfiguration.Subnets: missing, required by AwsVpcConfiguration",
        ),
        (
            "launch type and capacity provider strategy",
            |r| {
                r["CapacityProviderStrategy"] =
                    json!([{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}])
            },
            "$: LaunchType and CapacityProviderStrategy are mutually exclusive (documented)",
        ),
        (
            "weight above its range",
            |r| {
                r.as_object_mut().expect("object").remove("LaunchType");
                r["CapacityProviderStrategy"] = json!([{"CapacityProvider": "cp", "Weight": 1001}]);
            },
            "$.CapacityProviderStrategy[0].Weight: 1001 is more than the maximum 1000",
        ),
        (
            "overrides above 8192 characters",
            |r| r["Overrides"]["ContainerOverrides"][0]["Command"] = json!(["x".repeat(8200)]),
            "$.Overrides: 8314 characters of JSON, more than the maximum 8192 (documented)",
        ),
    ];
    let mut failures = Vec::new();
    for (name, edit, want) in cases {
        let mut request = base.clone();
        edit(&mut request);
        match ecs_model::validate(&request, INPUT) {
            Ok(()) => failures.push(format!("{name}: accepted, expected {want:?}")),
            Err(problems) => {
                if !problems.iter().any(|p| p == want) {
                    failures.push(format!("{name}: expected {want:?}, got {problems:?}"));
                }
                if let Some(p) = problems.iter().find(|p| !p.starts_with('$')) {
                    failures.push(format!("{name}: a problem without a path: {p:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_extract_is_the_pinned_botocore_and_covers_runtask() {
    let model = ecs_model::model();
    let common = std::fs::read_to_string(repo().join("scripts/lib/common.sh")).expect("common.sh");
    let pin = common
        .lines()
        .find_map(|l| l.strip_prefix("BOTOCORE_MODEL_PIN=\""))
        .and_then(|l| l.split('"').next())
        .expect("BOTOCORE_MODEL_PIN in scripts/lib/common.sh");
    assert_eq!(
        model.botocore_version,
        pin,
        "{} was extracted from another botocore than the pin: run scripts/ecs-model",
        ecs_model::MODEL_FILE
    );
    assert_eq!(model.input, INPUT);
    let Kind::Structure { members, .. } = &model.shape(INPUT).kind else {
        panic!("{INPUT} is a structure");
    };
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    for member in [
        "cluster",
        "taskDefinition",
        "count",
        "startedBy",
        "clientToken",
        "enableECSManagedTags",
        "overrides",
        "networkConfiguration",
        "tags",
    ] {
        assert!(
            names.contains(&member),
            "{INPUT} has no {member}: {names:?}"
        );
    }
    for (member, min, max) in [
        ("count", Some(1), Some(10)),
        ("startedBy", None, Some(128)),
        ("clientToken", None, Some(64)),
    ] {
        let m = members.iter().find(|m| m.name == member).expect("member");
        let d = m
            .documented
            .as_ref()
            .unwrap_or_else(|| panic!("{member}: no documented limits"));
        assert_eq!((d.min, d.max), (min, max), "{member}");
    }
}
