//! Peak-memory probe for the README's figures: `cargo run --release -p ecs-rerun-audit --example
//! peak -- <schedules> <hours>` under `/usr/bin/time -v` (maximum resident set size). Builds the
//! benchmark's synthetic load, audits it once and prints the run counts.

#[path = "../benches/synth.rs"]
mod synth;

use chrono::{DateTime, TimeDelta, Utc};
use ecs_rerun_audit::{Facts, audit, source};

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().ok());
    let (Some(Some(n)), Some(Some(hours))) = (args.next(), args.next()) else {
        eprintln!("usage: peak <schedules> <hours>");
        std::process::exit(2);
    };
    let (doc, events) = synth::load(n, hours);
    let from: DateTime<Utc> = match "2026-06-01T00:00:00Z".parse() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let result = source::parse(&doc)
        .and_then(|s| Facts::from_events(&events).map(|f| (s, f)))
        .and_then(|(s, f)| {
            audit(
                &s,
                &f,
                from,
                from + TimeDelta::hours(hours as i64),
                TimeDelta::minutes(15),
            )
        });
    match result {
        Ok(r) => println!(
            "{} events, {} runs, {} problems",
            events.len(),
            r.runs.len(),
            r.runs.iter().filter(|r| r.status.is_problem()).count()
        ),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
