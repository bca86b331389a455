//! Walks `tests/fixtures/audit`: each `aws_schedules_<variant>.json` with its
//! `eventbridge_events_<variant>.json` is audited for the week 2026-03-02 .. 2026-03-09 (UTC);
//! the table is compared with `tests/golden/audit/<variant>.txt` (`UPDATE_GOLDEN=1` rewrites it)
//! and the runs the fixture was built to show are checked one by one.

use chrono::{DateTime, TimeDelta, Utc};
use ecs_rerun_audit::{Facts, Status, audit, source};
use ecs_rerun_repo_tests::fixtures::read;
use serde_json::Value;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test time")
        .with_timezone(&Utc)
}

/// (schedule name, due, status, a word its reasons must hold) the week was built to show.
const WEEK: [(&str, &str, Status, &str); 13] = [
    ("nightly-report", "2026-03-02T02:00:00Z", Status::Ran, ""),
    (
        "nightly-report",
        "2026-03-03T02:00:00Z",
        Status::Failed,
        "exited with code 1",
    ),
    (
        "nightly-report",
        "2026-03-04T02:00:00Z",
        Status::Recovered,
        "RESOURCE:MEMORY",
    ),
    (
        "nightly-report",
        "2026-03-05T02:00:00Z",
        Status::LaunchFailed,
        "re-run",
    ),
    (
        "nightly-report",
        "2026-03-06T02:00:00Z",
        Status::FailedToStart,
        "CannotPullContainerError",
    ),
    // a task of the same family started by hand at 02:03 does not count
    (
        "nightly-report",
        "2026-03-07T02:00:00Z",
        Status::Missed,
        "events-rule/nightly-report",
    ),
    (
        "billing-export",
        "2026-03-04T07:30:00Z",
        Status::Launched,
        "no RUNNING or STOPPED",
    ),
    (
        "billing-export",
        "2026-03-06T07:30:00Z",
        Status::LaunchFailed,
        "AccessDeniedException",
    ),
    // launched 7 minutes late, inside its 10-minute flexible window
    ("billing-export", "2026-03-07T07:30:00Z", Status::Ran, ""),
    (
        "poll-queue",
        "2026-03-05T13:13:00Z",
        Status::Missed,
        "2026-03-05T13:28:00Z",
    ),
    (
        "month-end-close",
        "2026-03-08T23:55:00Z",
        Status::Pending,
        "2026-03-09T00:10:00Z",
    ),
    // 06:45 in Berlin is 05:45 UTC in March
    ("cache-warm-berlin", "2026-03-04T05:45:00Z", Status::Ran, ""),
    (
        "warehouse-load-eu-west-1-catchup",
        "2026-03-04T04:00:00Z",
        Status::Ran,
        "",
    ),
];

#[test]
fn every_fixture_week() {
    let mut walked = 0;
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(repo().join("tests/fixtures/audit"))
        .expect("tests/fixtures/audit")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let Some(variant) = name
            .strip_prefix("aws_schedules_")
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        walked += 1;
        let doc: Value = serde_json::from_str(&read(&path)).expect("schedules JSON");
        let schedules = source::parse(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
        let events_path = repo().join(format!(
            "tests/fixtures/audit/eventbridge_events_{variant}.json"
        ));
        let events: Vec<Value> = serde_json::from_str(&read(&events_path)).expect("events JSON");
        let facts = Facts::from_events(&events).unwrap_or_else(|e| panic!("{variant}: {e}"));
        let report = audit(
            &schedules,
            &facts,
            t("2026-03-02T00:00:00Z"),
            t("2026-03-09T00:00:00Z"),
            TimeDelta::minutes(15),
        )
        .expect("audit");
        // the JSON order: due, then schedule ARN
        let keys: Vec<(DateTime<Utc>, &str)> = report
            .runs
            .iter()
            .map(|r| (r.due, r.schedule.as_str()))
            .collect();
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "{variant}: runs not sorted by due then ARN"
        );
        if variant == "week" {
            for (sched, due, status, word) in WEEK {
                let run = report
                    .runs
                    .iter()
                    .find(|r| r.name == sched && r.due == t(due))
                    .unwrap_or_else(|| panic!("no run of {sched} due {due}"));
                assert_eq!(run.status, status, "{sched} {due}: {:?}", run.reasons);
                assert!(
                    word.is_empty() || run.reasons.iter().any(|r| r.contains(word)),
                    "{sched} {due}: {:?} lacks {word:?}",
                    run.reasons
                );
            }
            let every: std::collections::BTreeSet<Status> =
                report.runs.iter().map(|r| r.status).collect();
            assert_eq!(
                every.len(),
                Status::ALL.len(),
                "the week shows every status: {every:?}"
            );
            // billing-export in New York: Mon..Sat, the 02:30 of 2026-03-08 does not exist
            assert_eq!(
                report
                    .runs
                    .iter()
                    .filter(|r| r.name == "billing-export")
                    .count(),
                6
            );
            // rate(6 hours) of a rule: phased on its first run, 4 a day
            assert_eq!(
                report
                    .runs
                    .iter()
                    .filter(|r| r.name == "poll-queue")
                    .count(),
                28
            );
            // StartDate after the window: no runs; disabled and shared-prefix rules are warnings
            assert!(!report.runs.iter().any(|r| r.name == "spring-promo"));
            assert!(
                report
                    .warnings
                    .iter()
                    .any(|w| w.contains("disabled rule old-cleanup"))
            );
            assert!(
                report
                    .warnings
                    .iter()
                    .any(|w| w.contains("events-rule/warehouse-load-eu-west-1 "))
            );
            // non-ECS targets (an SQS rule, a Lambda schedule) are not audited
            assert!(
                !report
                    .schedules
                    .iter()
                    .any(|s| s.name == "ecs-task-failures" || s.name == "notify-lambda")
            );
            assert!(!report.all_ran());
        }
        let table = report.table();
        let golden = repo().join(format!("tests/golden/audit/{variant}.txt"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &table).expect("write golden");
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
            panic!(
                "{}: missing golden (run with UPDATE_GOLDEN=1)",
                golden.display()
            )
        });
        assert_eq!(
            table,
            want,
            "{variant}: table differs from {}",
            golden.display()
        );
    }
    assert!(walked > 0, "no aws_schedules_*.json fixtures");
}

/// The repository root, from this crate's own manifest (the shared target dir may hold another
/// checkout's build of the repo-tests crate).
fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
