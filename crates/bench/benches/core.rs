//! Criterion benches of the pure core, at several event sizes (to show the cost grows linearly):
//!
//! - `plan`: what the starter does per SQS record — `RunTaskEvent::from_json` + `build_plan`;
//! - `plan_only`: `build_plan` on an already parsed event;
//! - `render`: what the notifier does per record — `slack::render_sns` of the plan's first notice +
//!   serialising the Slack message to the JSON body it posts.
//!
//! Size N means: the CloudTrail event's request carries N environment variables in a container
//! override and its response N failures (each on its own container instance); everything else comes
//! from a real fixture under `tests/fixtures/events/`. N = 1 is the realistic case the targets refer to.
//!
//! Run: `cargo bench -p ecs-rerun-bench --bench core-bench` (`scripts/perf` runs it too).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ecs_rerun_core::event::RunTaskEvent;
use ecs_rerun_core::plan::{PlanConfig, build_plan};
use ecs_rerun_core::slack::render_sns;
use serde_json::{Value, json};

const SIZES: [usize; 4] = [1, 10, 100, 1000];

/// `tests/fixtures/events`, or the folder named by `ECS_RERUN_BENCH_EVENTS`.
fn fixtures_dir() -> PathBuf {
    std::env::var_os("ECS_RERUN_BENCH_EVENTS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/events"),
        PathBuf::from,
    )
}

/// The base event: the first fixture whose plan is retryable — the path that does the most work
/// (request rebuild, tokens, notice) — preferring `*_agent.json`, then `*agent*`, then by name.
fn base_event() -> (PathBuf, Value) {
    let dir = fixtures_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no event fixtures at {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort_by_key(|p| {
        let stem = p
            .file_stem()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let rank = if stem.ends_with("_agent") {
            0
        } else if stem.contains("agent") {
            1
        } else {
            2
        };
        (rank, p.clone())
    });
    let config = PlanConfig::default();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(event) = RunTaskEvent::from_json(&text) else {
            continue;
        };
        if build_plan(&event, &config).retryable
            && let Ok(v) = serde_json::from_str::<Value>(&text)
        {
            return (path, v);
        }
    }
    panic!(
        "no fixture under {} parses to a retryable plan",
        dir.display()
    );
}

/// The base event with `n` environment overrides and `n` AGENT failures.
fn sized_event(base: &Value, n: usize) -> String {
    let mut v = base.clone();
    let detail = &mut v["detail"];

    let env: Vec<Value> = (0..n)
        .map(|i| json!({"name": format!("BATCH_VAR_{i}"), "value": format!("value-{i:08}")}))
        .collect();
    let overrides = &mut detail["requestParameters"]["overrides"];
    let first = overrides["containerOverrides"]
        .as_array()
        .and_then(|a| a.first().cloned())
        .unwrap_or_else(|| json!({"name": "app"}));
    let mut container = first;
    container["environment"] = Value::Array(env);
    overrides["containerOverrides"] = json!([container]);

    let template = detail["responseElements"]["failures"]
        .as_array()
        .and_then(|a| a.first().cloned())
        .unwrap_or_else(|| json!({"reason": "AGENT"}));
    let arn = template["arn"].as_str().unwrap_or(
        "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/00000000000000000000000000000000",
    );
    let prefix = arn.rsplit_once('/').map_or(arn, |(p, _)| p).to_owned();
    let failures: Vec<Value> = (0..n)
        .map(|i| {
            let mut f = template.clone();
            f["arn"] = json!(format!("{prefix}/{i:032x}"));
            f["reason"] = json!("AGENT");
            f
        })
        .collect();
    detail["responseElements"]["failures"] = Value::Array(failures);
    v.to_string()
}

fn benches(c: &mut Criterion) {
    let (path, base) = base_event();
    eprintln!("base event: {}", path.display());
    let config = PlanConfig::default();

    let mut plan = c.benchmark_group("plan");
    for n in SIZES {
        let text = sized_event(&base, n);
        plan.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| {
                let event = RunTaskEvent::from_json(black_box(text)).expect("fixture parses");
                build_plan(&event, &config)
            });
        });
    }
    plan.finish();

    let mut plan_only = c.benchmark_group("plan_only");
    for n in SIZES {
        let event = RunTaskEvent::from_json(&sized_event(&base, n)).expect("fixture parses");
        plan_only.bench_with_input(BenchmarkId::from_parameter(n), &event, |b, event| {
            b.iter(|| build_plan(black_box(event), &config));
        });
    }
    plan_only.finish();

    let mut render = c.benchmark_group("render");
    for n in SIZES {
        let event = RunTaskEvent::from_json(&sized_event(&base, n)).expect("fixture parses");
        let p = build_plan(&event, &config);
        let message = serde_json::to_string(&p.notice).expect("notice serialises");
        let subject = format!("ECS task {} failed to launch", p.task_family);
        render.bench_with_input(BenchmarkId::from_parameter(n), &message, |b, message| {
            b.iter(|| {
                let slack = render_sns(Some(black_box(&subject)), black_box(message));
                serde_json::to_vec(&slack).expect("Slack message serialises")
            });
        });
    }
    render.finish();
}

fn config() -> Criterion {
    // Short runs (warm-up and measurement well under criterion's defaults) keep `scripts/perf`
    // quick; docs/PERFORMANCE.md says how noisy the figures are.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
}

criterion_group! {
    name = core;
    config = config();
    targets = benches
}
criterion_main!(core);
