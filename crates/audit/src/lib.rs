//! `ecs-rerun-audit`: for every run each schedule should have made in a window, what happened?
//! Pure: no I/O, no environment, no clock (the caller gives the window and the facts).
//!
//! - [`schedule`]: `cron`/`rate`/`at` as AWS evaluates them, in a time zone ([`schedule::zone`]);
//! - [`source`]: the schedules document (rules with their targets, Scheduler schedules);
//! - [`facts`]: the events (RunTask calls, ECS task state changes);
//! - [`correlate`]: launches → schedules by `startedBy`, re-runs → launches by eventID;
//! - [`status`]: one status per expected run; [`report`]: table and JSON.
//!
//! Matching (docs/CONTRACT.md §9): a schedule's expected run due at `d` is decided at
//! `d + flexible window + grace`. Its launches are its RunTask calls (in time order) with
//! `d <= eventTime < decision`: each goes to the earliest such run that has none yet, else to the
//! latest such run (a second call for the same run). A rate schedule fires at
//! `anchor + k·period`: Scheduler's anchor is `StartDate` (else `CreationDate`); a rule's rate has
//! none in the API, so its anchor is its first launch at or after `from − period` (to the minute),
//! else `from`: the audit checks one run per period, phased on what ran.

pub mod correlate;
pub mod error;
pub mod facts;
pub mod report;
pub mod schedule;
pub mod source;
pub mod status;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

pub use error::Error;
pub use facts::Facts;
pub use report::{Report, Run};
pub use source::Schedule;
pub use status::Status;

/// The grace when none is given.
pub const DEFAULT_GRACE_MINUTES: i64 = 15;

/// The expected runs of one schedule with due in `[from, to)`, within StartDate/EndDate.
pub fn expected(
    s: &Schedule,
    anchor: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let from = s.start.map_or(from, |st| st.max(from));
    let to = s.end.map_or(to, |e| e.min(to));
    s.expression.instants(s.tz, anchor, from, to)
}

/// Audits `schedules` against `facts` for runs due in `[from, to)`.
pub fn audit(
    schedules: &[Schedule],
    facts: &Facts,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    grace: TimeDelta,
) -> Result<Report, Error> {
    if from >= to {
        return Err(Error::InvalidWindow(format!(
            "from {} is not before to {}",
            report::ts(from),
            report::ts(to)
        )));
    }
    if grace < TimeDelta::zero() {
        return Err(Error::InvalidWindow("grace is negative".into()));
    }
    let attr = correlate::attribute(schedules, facts);
    let mut runs = Vec::new();
    let mut warnings = Vec::new();
    let mut audited = Vec::new();
    for (i, s) in schedules.iter().enumerate() {
        let kind = match s.kind {
            source::Kind::Rule => "rule",
            source::Kind::Schedule => "schedule",
        };
        if !s.enabled {
            warnings.push(format!(
                "disabled {kind} {} ({}) has an ECS target and makes no runs: {}",
                s.name, s.expression_text, s.arn
            ));
            continue;
        }
        audited.push(report::Audited {
            arn: s.arn.clone(),
            name: s.name.clone(),
            expression: s.expression_text.clone(),
            zone: s.tz.name().to_string(),
        });
        let sig = correlate::signature(s.kind, &s.name);
        let launches = &attr.launches[i];
        let reach = s.flexible + grace;
        let anchor = match s.expression.rate() {
            Some(period) => s.start.or(s.created).unwrap_or_else(|| {
                launches
                    .iter()
                    .map(|&l| attr.all[l].time)
                    .find(|t| *t >= from - period)
                    .and_then(|t| t.duration_trunc(TimeDelta::minutes(1)).ok())
                    .unwrap_or(from)
            }),
            None => from,
        };
        // runs due before `from` take their own launches, so these do not land in the window
        let dues = expected(s, anchor, from - reach, to);
        let mut assigned: Vec<Vec<usize>> = vec![Vec::new(); dues.len()];
        for &li in launches {
            let t = attr.all[li].time;
            let fits: Vec<usize> = (0..dues.len())
                .filter(|&k| dues[k] <= t && t < dues[k] + reach.max(TimeDelta::minutes(1)))
                .collect();
            match fits.iter().find(|&&k| assigned[k].is_empty()).or(fits.last()) {
                Some(&k) => assigned[k].push(li),
                None if t >= from && t < to => warnings.push(format!(
                    "{kind} {}: RunTask {} at {} fits no expected run (due + flexible window + grace)",
                    s.name,
                    if attr.all[li].event_id.is_empty() { attr.all[li].tasks.join(" ") } else { attr.all[li].event_id.clone() },
                    report::ts(t)
                )),
                None => {}
            }
        }
        for (k, due) in dues.iter().enumerate().filter(|(_, d)| **d >= from) {
            let own: Vec<&facts::Launch> = assigned[k].iter().map(|&l| &attr.all[l]).collect();
            let reruns: Vec<&facts::Launch> = assigned[k]
                .iter()
                .flat_map(|&l| correlate::reruns_of(&attr, l))
                .map(|r| &attr.all[r])
                .collect();
            let decision = *due + reach;
            let v = status::classify(&own, &reruns, |t| facts.fates.get(t), &sig, decision, to);
            runs.push(Run {
                schedule: s.arn.clone(),
                name: s.name.clone(),
                due: *due,
                decision,
                status: v.status,
                task_arns: v.task_arns,
                reasons: v.reasons,
            });
        }
    }
    for (sig, who) in &attr.shared {
        let names: Vec<&str> = who.iter().map(|&i| schedules[i].name.as_str()).collect();
        warnings.push(format!(
            "startedBy {sig} (cut to {} characters) is shared by {}: their launches are told apart by cluster and task definition only",
            correlate::STARTED_BY_MAX,
            names.join(", ")
        ));
    }
    for (li, cands) in &attr.ambiguous {
        let l = &attr.all[*li];
        let names: Vec<&str> = cands.iter().map(|&i| schedules[i].name.as_str()).collect();
        warnings.push(format!(
            "RunTask {} at {} with startedBy {} could be {}: counted for none",
            if l.event_id.is_empty() {
                l.tasks.join(" ")
            } else {
                l.event_id.clone()
            },
            report::ts(l.time),
            l.started_by.as_deref().unwrap_or_default(),
            names.join(" or ")
        ));
    }
    runs.sort_by(|a, b| (a.due, &a.schedule).cmp(&(b.due, &b.schedule)));
    audited.sort_by(|a, b| a.arn.cmp(&b.arn));
    Ok(Report {
        from,
        to,
        grace,
        schedules: audited,
        runs,
        warnings,
    })
}
