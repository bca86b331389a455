//! Golden tests: one test per fixture folder walks it, so adding a fixture adds a case.
//!
//! - `tests/fixtures/events/*.json` → `tests/golden/plan/<stem>.json` (plan, default config).
//! - `tests/fixtures/sns/*.json` (SNS envelopes) → `tests/golden/slack/<stem>.json` (render); the
//!   first notices and the watchdog's are also checked against what the core builds.
//!
//! `UPDATE_GOLDEN=1 cargo test -p ecs-rerun-core --test golden` rewrites the goldens; a missing
//! golden is a failure otherwise.

use std::fs;
use std::path::Path;

use ecs_rerun_core::event::RunTaskEvent;
use ecs_rerun_core::notification::{Kind, Notification};
use ecs_rerun_core::plan::{Plan, PlanConfig, build_plan};
use ecs_rerun_core::slack::{self, render_sns};
use ecs_rerun_core::watch::{WatchRun, watch_kind, watch_notice};
use ecs_rerun_repo_tests::fixtures::{json_files as fixtures, repo, stem};
use ecs_rerun_repo_tests::slack_limits;
use serde_json::Value;

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
    let limits = slack_limits::Limits {
        blocks: slack::MAX_BLOCKS,
        text: slack::MAX_TEXT,
        header: slack::MAX_HEADER,
        section: slack::MAX_SECTION_TEXT,
        fields: slack::MAX_FIELDS,
        field: slack::MAX_FIELD_TEXT,
        context: slack::MAX_CONTEXT_ELEMENTS,
        button: slack::MAX_BUTTON_TEXT,
    };
    let problems = slack_limits::problems(msg, &limits);
    assert!(problems.is_empty(), "{name}: {}", problems.join("; "));
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
            // The watchdog's carry their kind as the SNS attribute, and are exactly what
            // `watch_notice` builds from their own context (no stale fixture).
            if let Some(kind) = watch_kind(&n) {
                assert_eq!(
                    envelope["MessageAttributes"]["kind"]["Value"],
                    kind.as_str(),
                    "{name}"
                );
                let run = WatchRun::from_notification(&n).expect("a watchdog run");
                assert_eq!(n, watch_notice(&run), "{name}: differs from watch_notice");
            }
        }
        let golden = repo()
            .join("tests/golden/slack")
            .join(format!("{}.json", stem(&file)));
        problems.extend(check_golden(&golden, &rendered));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
