//! Criterion: the audit of one day — schedules parsed, events read into facts, every expected run
//! classified — at 250 and 1,000 schedules (≈ 12,000 and ≈ 48,000 events), and 1,000 schedules
//! over two days (≈ 96,000 events). Figures in README "Performance"; not run in CI.

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ecs_rerun_audit::{Facts, audit, source};

#[path = "synth.rs"]
mod synth;

fn day(c: &mut Criterion) {
    let from: DateTime<Utc> = "2026-06-01T00:00:00Z".parse().expect("time");
    let mut g = c.benchmark_group("audit");
    g.sample_size(10);
    for (n, hours) in [(250, 24), (1_000, 24), (1_000, 48)] {
        let (doc, events) = synth::load(n, hours);
        let to = from + TimeDelta::hours(hours as i64);
        g.bench_function(format!("{n} schedules, {} events", events.len()), |b| {
            b.iter(|| {
                let schedules = source::parse(black_box(&doc)).expect("schedules");
                let facts = Facts::from_events(black_box(&events)).expect("events");
                audit(&schedules, &facts, from, to, TimeDelta::minutes(15)).expect("audit")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, day);
criterion_main!(benches);
