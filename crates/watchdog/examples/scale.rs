//! The watchdog's core at scale: one watchdog run over N ECS schedules (default 1,000: a third
//! hourly crons, a third daily crons, a third 5-minute rates; every run with its PENDING, RUNNING
//! and STOPPED facts, 1 % missed, 1 % failed to start), timed, with the reads it makes.
//!
//! `cargo run --release -p ecs-rerun-watchdog --example scale [-- N [RUNS]]`
//! Prints figures; asserts nothing about time (a benchmark, not a test).

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use ecs_rerun_audit::Facts;
use ecs_rerun_audit::source;
use ecs_rerun_core::watch::WatchKind;
use ecs_rerun_watchdog::decide::{Settings, decide, facts_range};
use ecs_rerun_watchdog::record::{fact_item, ts};
use serde_json::{Value, json};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(1000);
    let runs = args.get(1).copied().unwrap_or(12);
    let now = Utc
        .with_ymd_and_hms(2026, 12, 2, 12, 0, 0)
        .single()
        .expect("time");
    let set = Settings {
        grace: TimeDelta::minutes(15),
        lookback: TimeDelta::minutes(60),
        alert: vec![
            WatchKind::Missed,
            WatchKind::FailedToStart,
            WatchKind::Disabled,
        ],
        silenced: Vec::new(),
        transient: Vec::new(),
    };
    let mut rules = Vec::new();
    for i in 0..n {
        let expr = match i % 3 {
            0 => format!("cron({} * * * ? *)", i % 60),
            1 => format!("cron({} {} * * ? *)", i % 60, i % 24),
            _ => "rate(5 minutes)".to_string(),
        };
        rules.push(json!({"Name": format!("batch-{i:04}"),
            "Arn": format!("arn:aws:events:us-east-1:123456789012:rule/batch-{i:04}"),
            "ScheduleExpression": expr, "State": "ENABLED",
            "Targets": [{"Id": "t", "Arn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
                "EcsParameters": {"TaskDefinitionArn": format!("arn:aws:ecs:us-east-1:123456789012:task-definition/batch-{i:04}:1")}}]}));
    }
    let schedules = source::parse(&json!({"rules": rules})).expect("schedules");
    // the table: every run of the last 3 hours, as the recorder writes it
    let mut table: BTreeMap<(String, String), String> = BTreeMap::new();
    let from = now - TimeDelta::hours(3);
    let mut k = 0usize;
    for s in &schedules {
        let anchor = from;
        for due in ecs_rerun_audit::expected(s, anchor, from, now) {
            k += 1;
            if k % 100 == 0 {
                continue; // missed
            }
            let created = due + TimeDelta::seconds(2);
            let task = format!("arn:aws:ecs:us-east-1:123456789012:task/prod/{k:032x}");
            let never_ran = k % 100 == 50;
            for status in ["PENDING", "RUNNING", "STOPPED"] {
                if never_ran && status == "RUNNING" {
                    continue;
                }
                let e = json!({"detail-type": "ECS Task State Change", "source": "aws.ecs", "time": ts(created),
                    "detail": {"taskArn": task, "startedBy": ecs_rerun_audit::correlate::signature(s.kind, &s.name),
                        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
                        "createdAt": ts(created), "lastStatus": status,
                        "startedAt": if never_ran { Value::Null } else { json!(ts(created + TimeDelta::seconds(20))) },
                        "stoppedReason": if never_ran { json!("CannotPullContainerError: not found") } else { json!("Essential container in task exited") },
                        "containers": [{"name": "app", "exitCode": if never_ran { Value::Null } else { json!(0) }}]}});
                let item = fact_item(&e, TimeDelta::days(3))
                    .expect("fact")
                    .expect("recorded");
                table.insert((item.pk, item.sk), item.event);
            }
        }
    }
    println!(
        "{n} schedules, {} fact items in the table (3 hours)",
        table.len()
    );
    let mut times = Vec::new();
    let (mut queries, mut items, mut decided, mut alerts) = (0, 0, 0, 0);
    for r in 0..runs {
        let at: DateTime<Utc> = now - TimeDelta::minutes(5 * (runs - 1 - r) as i64);
        let t0 = Instant::now();
        let (mut q, mut it, mut d, mut a) = (0, 0, 0, 0);
        for s in &schedules {
            let Some(range) = facts_range(s, at, &set) else {
                continue;
            };
            q += 1;
            let events: Vec<Value> = table
                .range(
                    (range.pk.clone(), range.from.clone())..=(range.pk.clone(), range.to.clone()),
                )
                .map(|(_, e)| serde_json::from_str(e).expect("JSON"))
                .collect();
            it += events.len();
            let facts = Facts::from_events(&events).expect("facts");
            let (n, out) = decide(s, &facts, at, &set).expect("decided");
            d += n;
            a += out.len();
        }
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        (queries, items, decided, alerts) = (q, it, d, a);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "one watchdog run (core, in memory): min {:.1} ms, median {:.1} ms, max {:.1} ms over {runs} runs",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
    println!(
        "per run: {queries} facts queries, {items} items read, {decided} runs decided, {alerts} to publish"
    );
}
