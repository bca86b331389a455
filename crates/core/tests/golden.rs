//! Golden tests: one test per fixture folder walks it, so adding a fixture adds a case.
//!
//! - `tests/fixtures/events/*.json` → `tests/golden/plan/<stem>.json` (plan, default config).
//! - `tests/fixtures/sns/*.json` (SNS envelopes) → `tests/golden/slack/<stem>.json` (render).
//!
//! `UPDATE_GOLDEN=1 cargo test -p ecs-rerun-core --test golden` rewrites the goldens; a missing
//! golden is a failure otherwise.

use std::fs;
use std::path::{Path, PathBuf};

use ecs_rerun_core::event::RunTaskEvent;
use ecs_rerun_core::notification::{Kind, Notification};
use ecs_rerun_core::plan::{Plan, PlanConfig, build_plan};
use ecs_rerun_core::slack::{self, render_sns};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(repo().join(dir))
        .unwrap_or_else(|e| panic!("cannot read {dir}: {e}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {dir}");
    files
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .and_then(|s| s.to_str())
        .expect("utf-8 file name")
        .to_string()
}

/// Compares `got` with the golden file; returns a problem description, or rewrites it.
fn check_golden(golden: &Path, got: &Value) -> Option<String> {
    let pretty = format!(
        "{}\n",
        serde_json::to_string_pretty(got).expect("serializable")
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(golden.parent().expect("parent")).expect("create golden dir");
        fs::write(golden, pretty).expect("write golden");
        return None;
    }
    let Ok(text) = fs::read_to_string(golden) else {
        return Some(format!(
            "{}: missing golden (run with UPDATE_GOLDEN=1)",
            golden.display()
        ));
    };
    let want: Value = serde_json::from_str(&text).expect("golden is JSON");
    if &want != got {
        return Some(format!(
            "{}: differs from the golden (review, then UPDATE_GOLDEN=1)\n--- got:\n{pretty}",
            golden.display()
        ));
    }
    None
}

#[test]
fn every_event_fixture_matches_its_plan_golden() {
    let mut problems = Vec::new();
    for file in fixtures("tests/fixtures/events") {
        let text = fs::read_to_string(&file).expect("read fixture");
        let event =
            RunTaskEvent::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let plan = build_plan(&event, &PlanConfig::default());

        // Invariants every plan keeps, whatever the golden says.
        assert!(plan.execution_name.len() <= 80);
        assert_eq!(
            plan.notice.id.as_deref(),
            Some(
                format!(
                    "{}/{}",
                    plan.execution_name,
                    if plan.retryable {
                        "launch-failed"
                    } else {
                        "not-retryable"
                    }
                )
                .as_str()
            )
        );
        assert_eq!(plan.run_task.is_some(), plan.retryable);
        if let Some(rt) = &plan.run_task {
            assert!(rt.get("ClientToken").is_none(), "{}", file.display());
            assert_eq!(
                rt["StartedBy"],
                Value::String(format!("ecs-rerun/{}", plan.event_id))
            );
            assert_eq!(rt["Count"], Value::from(plan.missing_count));
            assert_eq!(plan.client_tokens.len(), plan.max_attempts as usize);
            assert_eq!(plan.wait_seconds.len(), plan.max_attempts as usize);
        }
        let back = Notification::parse(&plan.notice.to_json()).expect("notice parses");
        assert!(back.is_ecs_rerun());

        let got = serde_json::to_value(&plan).expect("plan serializes");
        let golden = repo()
            .join("tests/golden/plan")
            .join(format!("{}.json", stem(&file)));
        problems.extend(check_golden(&golden, &got));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn assert_slack_safe(name: &str, msg: &Value) {
    let blocks = msg["blocks"].as_array().expect("blocks array");
    assert!(
        !blocks.is_empty() && blocks.len() <= slack::MAX_BLOCKS,
        "{name}"
    );
    assert!(
        msg["text"]
            .as_str()
            .is_some_and(|t| t.chars().count() <= slack::MAX_TEXT)
    );
    let mut texts = vec![msg["text"].as_str().unwrap_or_default().to_string()];
    for b in blocks {
        match b["type"].as_str() {
            Some("header") => {
                let t = b["text"]["text"].as_str().expect("header text");
                assert!(t.chars().count() <= slack::MAX_HEADER, "{name}: header");
                texts.push(t.to_string());
            }
            Some("section") => {
                if let Some(t) = b["text"]["text"].as_str() {
                    assert!(
                        t.chars().count() <= slack::MAX_SECTION_TEXT,
                        "{name}: section"
                    );
                    texts.push(t.to_string());
                }
                if let Some(fields) = b["fields"].as_array() {
                    assert!(fields.len() <= slack::MAX_FIELDS, "{name}: fields");
                    for f in fields {
                        let t = f["text"].as_str().expect("field text");
                        assert!(t.chars().count() <= slack::MAX_FIELD_TEXT, "{name}: field");
                        texts.push(t.to_string());
                    }
                }
            }
            Some("context") => {
                let els = b["elements"].as_array().expect("elements");
                assert!(els.len() <= slack::MAX_CONTEXT_ELEMENTS, "{name}: context");
                texts.extend(
                    els.iter()
                        .filter_map(|e| e["text"].as_str().map(str::to_string)),
                );
            }
            Some("actions") => {
                for e in b["elements"].as_array().expect("elements") {
                    let url = e["url"].as_str().expect("button url");
                    assert!(
                        url.starts_with("https://") && url.len() <= 3000,
                        "{name}: {url}"
                    );
                    assert!(!url.contains(['<', '>', '|', ' ']), "{name}: {url}");
                }
            }
            other => panic!("{name}: unexpected block type {other:?}"),
        }
    }
    // No data can ping or forge a link: the only `<` are our own `<https://…|label>` links.
    for t in texts {
        let mut rest = t.as_str();
        while let Some(i) = rest.find('<') {
            assert!(
                rest[i..].starts_with("<https://"),
                "{name}: raw '<' in {t:?}"
            );
            rest = &rest[i + 1..];
        }
        assert!(!t.contains("<!"), "{name}: mention in {t:?}");
    }
}

fn first_notices() -> Vec<Plan> {
    fixtures("tests/fixtures/events")
        .iter()
        .map(|f| {
            let event = RunTaskEvent::from_json(&fs::read_to_string(f).expect("read fixture"))
                .expect("valid fixture");
            build_plan(&event, &PlanConfig::default())
        })
        .collect()
}

#[test]
fn every_sns_fixture_matches_its_slack_golden() {
    let mut problems = Vec::new();
    for file in fixtures("tests/fixtures/sns") {
        let name = file.display().to_string();
        let envelope: Value =
            serde_json::from_str(&fs::read_to_string(&file).expect("read fixture"))
                .expect("SNS envelope is JSON");
        assert_eq!(envelope["Type"], "Notification", "{name}");
        let message = envelope["Message"].as_str().expect("Message is a string");
        let subject = envelope["Subject"].as_str();
        let rendered = serde_json::to_value(render_sns(subject, message)).expect("serializes");
        assert_slack_safe(&name, &rendered);
        // Ours carry the SNS attributes the contract names, equal to the message's context.
        if let Ok(n) = Notification::parse(message) {
            if n.is_ecs_rerun() {
                let kind = n.kind().expect("kind");
                assert_eq!(
                    envelope["MessageAttributes"]["kind"]["Value"],
                    kind.as_str(),
                    "{name}"
                );
                assert_eq!(
                    envelope["MessageAttributes"]["cluster"]["Value"].as_str(),
                    n.context("clusterName"),
                    "{name}"
                );
                // A first notice is exactly what the core builds for its event (no stale fixture).
                if matches!(kind, Kind::LaunchFailed | Kind::NotRetryable) {
                    let event_id = n.context("eventId").expect("eventId");
                    let notice = first_notices()
                        .into_iter()
                        .find(|p| p.event_id == event_id)
                        .unwrap_or_else(|| {
                            panic!("{name}: no event fixture with eventID {event_id}")
                        })
                        .notice;
                    assert_eq!(n, notice, "{name}: differs from the plan's notice");
                }
            }
        }
        let golden = repo()
            .join("tests/golden/slack")
            .join(format!("{}.json", stem(&file)));
        problems.extend(check_golden(&golden, &rendered));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
