//! Nothing the core is fed may panic: every fixture, cut at many points and with every value
//! replaced by each JSON type in turn, either parses or fails with a one-line error; every SNS
//! message so mutated still renders within Slack's limits.

use std::fs;

use ecs_rerun_core::event::RunTaskEvent;
use ecs_rerun_core::plan::{PlanConfig, build_plan};
use ecs_rerun_core::slack::{self, render_sns};
use ecs_rerun_repo_tests::fixtures::json_files as files;
use serde_json::{Value, json};

/// Every JSON pointer in `v`.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        _ => {}
    }
}

fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(0),
        json!(-1.5),
        json!(""),
        json!("<!channel> & >"),
        json!([]),
        json!({}),
        json!(true),
    ]
}

/// Variants of `v` with one value replaced, at up to `max_points` places spread over it.
fn mutations(v: &Value, max_points: usize) -> Vec<Value> {
    let mut ptrs = Vec::new();
    pointers(v, String::new(), &mut ptrs);
    let step = (ptrs.len() / max_points.max(1)).max(1);
    let mut out = Vec::new();
    for p in ptrs.iter().step_by(step) {
        for r in replacements() {
            let mut m = v.clone();
            if let Some(slot) = m.pointer_mut(p) {
                *slot = r;
                out.push(m);
            }
        }
    }
    out
}

/// About `n` cut points spread over the text.
fn prefixes(text: &str, n: usize) -> Vec<&str> {
    (0..text.len())
        .step_by((text.len() / n.max(1)).max(1))
        .filter(|i| text.is_char_boundary(*i))
        .map(|i| &text[..i])
        .collect()
}

#[test]
fn events_never_panic() {
    let config = PlanConfig::default();
    let mut parsed = 0;
    let mut rejected = 0;
    for file in files("tests/fixtures/events") {
        let text = fs::read_to_string(&file).expect("fixture");
        let value: Value = serde_json::from_str(&text).expect("fixture is JSON");
        let inputs: Vec<String> = prefixes(&text, 300)
            .into_iter()
            .map(str::to_string)
            .chain(mutations(&value, usize::MAX).iter().map(Value::to_string))
            .collect();
        for input in inputs {
            match RunTaskEvent::from_json(&input) {
                Ok(event) => {
                    let plan = build_plan(&event, &config);
                    assert!(plan.execution_name.chars().count() <= 80);
                    let msg = render_sns(None, &plan.notice.to_json());
                    assert!(!msg.blocks.is_empty() && msg.blocks.len() <= slack::MAX_BLOCKS);
                    parsed += 1;
                }
                Err(e) => {
                    assert!(!e.to_string().contains('\n'), "{e}");
                    assert!(e.error_type().starts_with("EcsRerun."));
                    rejected += 1;
                }
            }
        }
    }
    assert!(
        parsed > 100 && rejected > 100,
        "parsed {parsed}, rejected {rejected}"
    );
}

#[test]
fn sns_messages_never_panic() {
    for file in files("tests/fixtures/sns") {
        let envelope: Value =
            serde_json::from_str(&fs::read_to_string(&file).expect("fixture")).expect("JSON");
        let message = envelope["Message"].as_str().expect("Message").to_string();
        let mut inputs: Vec<String> = prefixes(&message, 60)
            .into_iter()
            .map(str::to_string)
            .collect();
        if let Ok(v) = serde_json::from_str::<Value>(&message) {
            inputs.extend(mutations(&v, 25).iter().map(Value::to_string));
        }
        for input in inputs {
            let m = render_sns(Some("subject"), &input);
            assert!(!m.blocks.is_empty() && m.blocks.len() <= slack::MAX_BLOCKS);
            assert!(m.text.chars().count() <= slack::MAX_TEXT);
            let text = serde_json::to_string(&m).expect("serializes");
            assert!(!text.contains("<!"), "mention leaked for {input}");
        }
    }
}
