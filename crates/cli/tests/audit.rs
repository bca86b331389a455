//! `ecs-rerun audit` as a user runs it: the fixture week offline, JSON shape and order, exit codes
//! 0/1/2, and one line naming the file on bad input.

use std::process::Command;

use serde_json::Value;

fn audit(args: &[&str]) -> (i32, String, String) {
    // fixture paths are relative to the repository root
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if a.starts_with("tests/") {
                repo().join(a).to_string_lossy().into_owned()
            } else {
                a.to_string()
            }
        })
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_ecs-rerun"))
        .arg("audit")
        .args(&args)
        .output()
        .expect("run ecs-rerun");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const S: &str = "tests/fixtures/audit/aws_schedules_week.json";
const E: &str = "tests/fixtures/audit/eventbridge_events_week.json";

#[test]
fn week_json_is_sorted_and_exits_1() {
    let (code, out, err) = audit(&[
        "--schedules",
        S,
        "--events",
        E,
        "--from",
        "2026-03-02T00:00:00Z",
        "--to",
        "2026-03-09T00:00:00Z",
        "--output",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("decided runs neither ran nor recovered"),
        "{err}"
    );
    let runs: Vec<Value> = serde_json::from_str(&out).expect("JSON array");
    assert_eq!(runs.len(), 63);
    let keys: Vec<(String, String)> = runs
        .iter()
        .map(|r| {
            (
                r["due"].as_str().unwrap_or_default().to_string(),
                r["schedule"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "not sorted by due then schedule"
    );
    for r in &runs {
        let due = r["due"].as_str().unwrap_or_default();
        assert!(due.len() == 20 && due.ends_with('Z'), "{due}");
        assert!(r["taskArns"].is_array() && r["reasons"].is_array() && r["status"].is_string());
    }
    let failed = runs
        .iter()
        .find(|r| {
            r["due"] == "2026-03-03T02:00:00Z"
                && r["schedule"]
                    .as_str()
                    .is_some_and(|s| s.ends_with("rule/nightly-report"))
        })
        .expect("the failed run");
    assert_eq!(failed["status"], "failed");
}

#[test]
fn a_good_day_exits_0_and_a_pending_run_does_not_fail() {
    // 2026-03-08: everything ran; month-end-close (23:55) is still pending at the window's end
    let (code, out, err) = audit(&[
        "--schedules",
        S,
        "--events",
        E,
        "--from",
        "2026-03-08T00:00:00Z",
        "--to",
        "2026-03-09T00:00:00Z",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("pending"), "{out}");
    // a larger grace changes nothing there; a grace of 0 turns the 7-minutes-late flexible run into... still ran
    let (code, _, err) = audit(&[
        "--schedules",
        S,
        "--events",
        E,
        "--from",
        "2026-03-07T07:00:00Z",
        "--to",
        "2026-03-07T08:00:00Z",
        "--grace",
        "0",
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn bad_input_is_one_line_naming_the_file_exit_2() {
    let dir = std::env::temp_dir().join(format!("ecs-rerun-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let bad_expr = dir.join("schedules.json");
    std::fs::write(&bad_expr, r#"{"rules":[{"Name":"n","Arn":"arn:aws:events:us-east-1:123456789012:rule/n","ScheduleExpression":"cron(0 12 * * * *)","Targets":[{"Id":"1","Arn":"arn:aws:ecs:us-east-1:123456789012:cluster/c","EcsParameters":{"TaskDefinitionArn":"td"}}]}]}"#).expect("write");
    let not_array = dir.join("events.json");
    std::fs::write(&not_array, "{}").expect("write");
    let bad_event = dir.join("bad-event.json");
    std::fs::write(
        &bad_event,
        r#"[{"detail-type":"ECS Task State Change","detail":{}}]"#,
    )
    .expect("write");
    let (b, n, v) = (
        bad_expr.to_string_lossy().into_owned(),
        not_array.to_string_lossy().into_owned(),
        bad_event.to_string_lossy().into_owned(),
    );
    let w = [
        "--from",
        "2026-03-02T00:00:00Z",
        "--to",
        "2026-03-09T00:00:00Z",
    ];
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["--schedules", &b, "--events", E],
            &b,
            "one of day-of-month and day-of-week must be ?",
        ),
        (
            vec!["--schedules", S, "--events", &n],
            &n,
            "expected a JSON array",
        ),
        (
            vec!["--schedules", S, "--events", &v],
            &v,
            "event 0: missing detail.taskArn",
        ),
        (
            vec![
                "--schedules",
                "tests/fixtures/audit/none.json",
                "--events",
                E,
            ],
            "none.json",
            "cannot read",
        ),
    ];
    for (args, file, problem) in cases {
        let mut all = args.clone();
        all.extend(w);
        let (code, _, err) = audit(&all);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(file) && err.contains(problem), "{err}");
    }
    let (code, _, err) = audit(&[
        "--schedules",
        S,
        "--events",
        E,
        "--from",
        "yesterday",
        "--to",
        "2026-03-09T00:00:00Z",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--from"), "{err}");
    let (code, _, err) = audit(&[
        "--schedules",
        S,
        "--events",
        E,
        "--from",
        "2026-03-09T00:00:00Z",
        "--to",
        "2026-03-02T00:00:00Z",
    ]);
    assert_eq!(code, 2, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The repository root, from this crate's own manifest (the shared target dir may hold another
/// checkout's build of the repo-tests crate).
fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
