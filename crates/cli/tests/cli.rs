//! Runs the built `ecs-rerun` binary on every fixture.
//!
//! - every event fixture: `plan` prints exactly its golden plan; `preview` prints a Slack payload;
//! - every invalid fixture: exit code 2 and exactly one line on stderr, for both subcommands.

use std::fs;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use ecs_rerun_repo_tests::fixtures::{json_files, repo};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ecs-rerun");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("ecs-rerun runs")
}

fn stdout_json(out: &Output, what: &str) -> Value {
    assert!(
        out.status.success(),
        "{what}: exit {:?}, stderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: stdout is not JSON: {e}"))
}

#[test]
fn plan_of_every_event_equals_its_golden() {
    for file in json_files("tests/fixtures/events") {
        let path = file.to_str().expect("utf-8 path");
        let got = stdout_json(&run(&["plan", path]), path);
        let stem = file.file_stem().and_then(|s| s.to_str()).expect("stem");
        let golden = repo().join(format!("tests/golden/plan/{stem}.json"));
        let want: Value = serde_json::from_str(
            &fs::read_to_string(&golden).unwrap_or_else(|e| panic!("{}: {e}", golden.display())),
        )
        .expect("golden is JSON");
        assert_eq!(got, want, "{path}: plan differs from {}", golden.display());
        for key in [
            "executionName",
            "eventId",
            "reasons",
            "retryable",
            "why",
            "missingCount",
            "runTask",
        ] {
            assert!(got.get(key).is_some(), "{path}: no {key}");
        }
    }
}

#[test]
fn preview_of_every_event_is_a_slack_payload() {
    for file in json_files("tests/fixtures/events") {
        let path = file.to_str().expect("utf-8 path");
        let got = stdout_json(&run(&["preview", path]), path);
        assert!(
            got["text"].as_str().is_some_and(|t| !t.is_empty()),
            "{path}"
        );
        let blocks = got["blocks"].as_array().expect("blocks");
        assert!(!blocks.is_empty(), "{path}");
        assert_eq!(blocks[0]["type"], "header", "{path}");
        let plan = stdout_json(&run(&["plan", path]), path);
        let want = if plan["retryable"] == Value::Bool(true) {
            "retrying"
        } else {
            "not retried"
        };
        assert!(
            blocks[0]["text"]["text"]
                .as_str()
                .is_some_and(|t| t.contains(want)),
            "{path}: header should say {want}"
        );
    }
}

#[test]
fn stdin_and_flags_shape_the_plan() {
    let file =
        repo().join("tests/fixtures/events/cloudtrail_runtask_fargate-capacity-unavailable.json");
    let event = fs::read_to_string(&file).expect("fixture");
    let reason = "Capacity is unavailable at this time. Please try again later or in a different availability zone";
    let mut child = Command::new(BIN)
        .args([
            "plan",
            "--retryable-reasons",
            &format!("AGENT,{reason}"),
            "--max-attempts",
            "2",
            "--interval-seconds",
            "30",
            "--backoff-rate",
            "3",
            "--state-machine-arn",
            "arn:aws:states:us-east-1:123456789012:stateMachine:rerun-prod",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(event.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    let plan = stdout_json(&out, "stdin");
    assert_eq!(plan["retryable"], true, "{}", plan["why"]);
    assert_eq!(plan["waitSeconds"], serde_json::json!([30, 90]));
    assert_eq!(plan["clientTokens"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        plan["executionArn"],
        "arn:aws:states:us-east-1:123456789012:execution:rerun-prod:thumbnailer-8b0d2f4b-6d8f-4b0d-9f4b-6d8f0b2d4f6b"
    );
    assert_eq!(plan["runTask"]["LaunchType"], "FARGATE");
    assert_eq!(
        plan["runTask"]["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"],
        "DISABLED"
    );

    let out = run(&[
        "plan",
        "--target-clusters",
        "prod,staging",
        file.to_str().expect("path"),
    ]);
    let plan = stdout_json(&out, "target clusters");
    assert_eq!(plan["retryable"], false);
}

fn assert_one_line_error(out: &Output, what: &str, must_contain: &str) {
    assert_eq!(out.status.code(), Some(2), "{what}: exit code");
    assert!(out.stdout.is_empty(), "{what}: stdout should be empty");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().count(),
        1,
        "{what}: stderr must be one line: {stderr:?}"
    );
    assert!(stderr.ends_with('\n'), "{what}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(
        stderr.contains(must_contain),
        "{what}: {stderr:?} should contain {must_contain:?}"
    );
}

#[test]
fn every_invalid_fixture_exits_2_with_one_line() {
    for file in json_files("tests/fixtures/events/invalid") {
        let path = file.to_str().expect("utf-8 path");
        for sub in ["plan", "preview"] {
            let out = run(&[sub, path]);
            assert_one_line_error(&out, &format!("{sub} {path}"), "ecs-rerun: error: ");
        }
    }
    let dir = "tests/fixtures/events/invalid";
    for (file, msg) in [
        (
            "cloudtrail_stoptask_valid.json",
            "not a CloudTrail RunTask event: detail.eventName is \"StopTask\"",
        ),
        (
            "cloudtrail_runtask_no-requestparameters.json",
            "missing field detail.requestParameters [EcsRerun.MissingField]",
        ),
        ("cloudtrail_runtask_not-json.json", "[EcsRerun.InvalidJson]"),
        ("cloudtrail_runtask_raw-trail-file.json", "no detail object"),
        ("cloudtrail_runtask_empty.json", "empty input"),
    ] {
        let path = repo().join(dir).join(file);
        let out = run(&["plan", path.to_str().expect("path")]);
        assert_one_line_error(&out, file, msg);
    }
}

#[test]
fn bad_paths_and_bad_config_exit_2_with_one_line() {
    let ok = repo().join("tests/fixtures/events/cloudtrail_runtask_agent.json");
    let ok = ok.to_str().expect("path");
    let out = run(&["plan", "/nonexistent/event.json"]);
    assert_one_line_error(&out, "missing file", "/nonexistent/event.json: cannot read");
    let out = run(&["plan", "--max-attempts", "0", ok]);
    assert_one_line_error(&out, "max attempts", "max attempts must be 1-10");
    let out = run(&["plan", "--backoff-rate", "0.5", ok]);
    assert_one_line_error(&out, "backoff", "backoff rate must be a number >= 1");
    let out = run(&["preview", "--state-machine-arn", "not-an-arn", ok]);
    assert_one_line_error(&out, "arn", "is not an arn:");
}

#[test]
fn links_refuse_waits_longer_than_one_execution() {
    let template = repo().join("cloudformation/template.yaml");
    let template = template.to_str().expect("utf-8 path").to_string();
    let link = |params: &[&str]| {
        let mut args = vec![
            "quick-create-url",
            "--template-url",
            "https://ecs-rerun-artifacts.s3.us-east-1.amazonaws.com/ecs-rerun/v0.1.0/template.yaml",
            "--template-file",
            &template,
        ];
        for p in params {
            args.extend(["--param", p]);
        }
        run(&args)
    };
    let too_long = link(&["MaxAttempts=10", "RetryIntervalSeconds=86400"]);
    assert_eq!(too_long.status.code(), Some(2), "{too_long:?}");
    let err = String::from_utf8_lossy(&too_long.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    for name in [
        "MaxAttempts=10",
        "RetryIntervalSeconds=86400",
        "BackoffRate=2",
        "31536000",
    ] {
        assert!(err.contains(name), "{err} should name {name}");
    }
    let fits = link(&[
        "MaxAttempts=10",
        "RetryIntervalSeconds=86400",
        "BackoffRate=1",
    ]);
    assert!(fits.status.success(), "{fits:?}");
}

#[test]
fn links_refuse_no_echo_params() {
    // CloudFormation ignores NoEcho parameters in a quick-create link: the binary says so, exit 2,
    // one line, without repeating the value; with --param and no template to read, it refuses too.
    let template = repo().join("cloudformation/template.yaml");
    let template = template.to_str().expect("utf-8 path");
    let url =
        "https://ecs-rerun-artifacts.s3.us-east-1.amazonaws.com/ecs-rerun/v0.1.0/template.yaml";
    let webhook = "SlackWebhookUrl=https://hooks.slack.com/services/T000/B000/XXXX";
    let out = run(&[
        "quick-create-url",
        "--template-url",
        url,
        "--template-file",
        template,
        "--param",
        webhook,
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "ecs-rerun: error: SlackWebhookUrl is NoEcho: a quick-create link cannot carry it"
        ),
        "{err}"
    );
    assert!(!err.contains("hooks.slack.com"), "{err}");
    let out = run(&[
        "quick-create-url",
        "--template-url",
        url,
        "--param",
        "MaxAttempts=3",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pass --template-file"),
        "{out:?}"
    );
    let out = run(&["quick-create-url", "--template-url", url]);
    assert!(
        out.status.success(),
        "no --param, no template needed: {out:?}"
    );
}

#[test]
fn doctor_reads_its_event_before_any_aws_call() {
    // No endpoint, no credentials needed: a bad --event is exit 2 with one line before the first
    // request (the checks themselves are tested with aws-smithy-mocks and scripts/doctor-test).
    let out = run(&[
        "doctor",
        "--stack-name",
        "ecs-rerun",
        "--region",
        "us-east-1",
        "--event",
        "/nonexistent/event.json",
    ]);
    assert_one_line_error(
        &out,
        "doctor --event",
        "/nonexistent/event.json: cannot read",
    );
    let invalid = repo().join("tests/fixtures/events/invalid/cloudtrail_stoptask_valid.json");
    let out = run(&[
        "doctor",
        "--stack-name",
        "ecs-rerun",
        "--event",
        invalid.to_str().expect("path"),
    ]);
    assert_one_line_error(
        &out,
        "doctor --event StopTask",
        "not a CloudTrail RunTask event",
    );
}
