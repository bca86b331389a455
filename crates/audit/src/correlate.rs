//! Which RunTask call belongs to which schedule: by the `startedBy` ECS sets for the schedule
//! (`events-rule/<rule name>`, `chronos-schedule/<schedule name>`, cut to 36 characters), never by
//! task family. ecs-rerun's re-runs (`ecs-rerun/<eventID>`) belong to the launch whose CloudTrail
//! event they name. Anything else (a task started by hand, another tool) counts for no schedule.

use std::collections::{HashMap, HashSet};

use crate::facts::{Facts, Launch};
use crate::source::{Kind, Schedule};

/// ECS keeps at most this many characters of `startedBy`.
pub const STARTED_BY_MAX: usize = 36;
/// `startedBy` prefix of ecs-rerun's re-runs.
pub const RERUN_PREFIX: &str = "ecs-rerun/";

/// The `startedBy` ECS records for a task the schedule starts.
pub fn signature(kind: Kind, name: &str) -> String {
    let prefix = match kind {
        Kind::Rule => "events-rule/",
        Kind::Schedule => "chronos-schedule/",
    };
    format!("{prefix}{name}")
        .chars()
        .take(STARTED_BY_MAX)
        .collect()
}

/// The launches of each schedule, the re-runs of each launch, and what could not be attributed.
#[derive(Debug, Default)]
pub struct Attribution {
    /// `launches[i]`: launches (indexes into the launch list) of schedule i, by time.
    pub launches: Vec<Vec<usize>>,
    /// Every launch: the facts' RunTask calls, then one per task known only from its state
    /// changes (startedBy of a schedule, no RunTask event seen).
    pub all: Vec<Launch>,
    /// Re-runs by the CloudTrail eventID they name.
    pub reruns: HashMap<String, Vec<usize>>,
    /// Signatures shared by several enabled schedules: (signature, schedule indexes).
    pub shared: Vec<(String, Vec<usize>)>,
    /// Launches that matched a shared signature and no single schedule: (launch, candidates).
    pub ambiguous: Vec<(usize, Vec<usize>)>,
}

fn tail<'a>(s: &'a str, sep: &str) -> &'a str {
    s.rsplit_once(sep).map_or(s, |(_, t)| t)
}

/// Whether a launch's cluster and task definition fit an ECS target of the schedule.
fn fits(s: &Schedule, l: &Launch) -> bool {
    s.targets.iter().any(|(cluster, td)| {
        let td_want = tail(td, "task-definition/");
        let td_got = tail(&l.task_definition, "task-definition/");
        let family = |t: &str| t.split(':').next().unwrap_or(t).to_string();
        tail(cluster, "cluster/") == tail(&l.cluster, "cluster/")
            && (td_want == td_got || family(td_want) == td_got || td_want == family(td_got))
    })
}

/// Attributes every launch.
pub fn attribute(schedules: &[Schedule], facts: &Facts) -> Attribution {
    let mut by_sig: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, s) in schedules.iter().enumerate().filter(|(_, s)| s.enabled) {
        by_sig
            .entry(signature(s.kind, &s.name))
            .or_default()
            .push(i);
    }
    let mut a = Attribution {
        launches: vec![Vec::new(); schedules.len()],
        all: facts.launches.clone(),
        ..Attribution::default()
    };
    let mut shared: Vec<(String, Vec<usize>)> = by_sig
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    shared.sort();
    a.shared = shared;
    // tasks known only from their state changes
    let known: HashSet<&str> = facts
        .launches
        .iter()
        .flat_map(|l| l.tasks.iter().map(String::as_str))
        .collect();
    let mut orphans: Vec<Launch> = facts
        .fates
        .iter()
        .filter(|(arn, f)| {
            !known.contains(arn.as_str())
                && f.started_by
                    .as_ref()
                    .is_some_and(|s| by_sig.contains_key(s))
        })
        .filter_map(|(arn, f)| {
            Some(Launch {
                event_id: String::new(),
                time: f.created?,
                started_by: f.started_by.clone(),
                cluster: arn.split('/').nth(1).unwrap_or_default().to_string(),
                task_definition: String::new(),
                tasks: vec![arn.clone()],
                failures: Vec::new(),
                error: None,
            })
        })
        .collect();
    orphans.sort_by(|x, y| (x.time, &x.tasks).cmp(&(y.time, &y.tasks)));
    let orphan_start = a.all.len();
    a.all.extend(orphans);
    for (li, l) in a.all.iter().enumerate() {
        let Some(sb) = l.started_by.as_deref() else {
            continue;
        };
        if let Some(id) = sb.strip_prefix(RERUN_PREFIX) {
            a.reruns.entry(id.to_string()).or_default().push(li);
            continue;
        }
        let Some(cands) = by_sig.get(sb) else {
            continue;
        };
        let chosen: Vec<usize> = if cands.len() == 1 {
            cands.clone()
        } else if li >= orphan_start {
            // a task without its RunTask event: the cluster is all there is to go on
            cands
                .iter()
                .copied()
                .filter(|&c| {
                    schedules[c]
                        .targets
                        .iter()
                        .any(|(cl, _)| tail(cl, "cluster/") == l.cluster)
                })
                .collect()
        } else {
            cands
                .iter()
                .copied()
                .filter(|&c| fits(&schedules[c], l))
                .collect()
        };
        match chosen.as_slice() {
            [one] => a.launches[*one].push(li),
            _ => a.ambiguous.push((li, cands.clone())),
        }
    }
    for ls in &mut a.launches {
        ls.sort_by_key(|&li| a.all[li].time);
    }
    a
}

/// Every re-run that leads back to launch `li`, following re-runs of re-runs.
pub fn reruns_of(a: &Attribution, li: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut todo = vec![li];
    let mut seen = HashSet::from([li]);
    while let Some(x) = todo.pop() {
        let id = &a.all[x].event_id;
        if id.is_empty() {
            continue;
        }
        for &r in a.reruns.get(id).into_iter().flatten() {
            if seen.insert(r) {
                out.push(r);
                todo.push(r);
            }
        }
    }
    out.sort_by_key(|&r| a.all[r].time);
    out
}
