//! One status per expected run (closed set, docs/CONTRACT.md §9) and the rule that picks it.

use chrono::{DateTime, Utc};

use crate::facts::{Fate, Launch};

/// What happened to one expected run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Nothing by the decision time.
    Missed,
    /// RunTask answered failures (or an error) and no re-run started the task.
    LaunchFailed,
    /// The task was accepted and stopped without ever running.
    FailedToStart,
    /// The task ran and a container exited non-zero.
    Failed,
    /// RunTask started the task, but its fate is not known (no RUNNING or STOPPED seen).
    Launched,
    /// The decision time is later than the window's end and nothing decided it yet.
    Pending,
    /// The launch failed and an ecs-rerun re-run reached RUNNING.
    Recovered,
    /// A task of this run reached RUNNING and no container exited non-zero.
    Ran,
}

impl Status {
    /// Every status, problems first (the table's order).
    pub const ALL: [Status; 8] = [
        Status::Missed,
        Status::LaunchFailed,
        Status::FailedToStart,
        Status::Failed,
        Status::Launched,
        Status::Pending,
        Status::Recovered,
        Status::Ran,
    ];

    /// The name in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ran => "ran",
            Status::Failed => "failed",
            Status::Recovered => "recovered",
            Status::LaunchFailed => "launch-failed",
            Status::FailedToStart => "failed-to-start",
            Status::Missed => "missed",
            Status::Pending => "pending",
            Status::Launched => "launched",
        }
    }

    /// Decided: the facts say how the run went (`pending` and `launched` are not decided).
    pub fn decided(self) -> bool {
        !matches!(self, Status::Pending | Status::Launched)
    }

    /// Decided and neither `ran` nor `recovered`: makes the audit exit 1.
    pub fn is_problem(self) -> bool {
        self.decided() && !matches!(self, Status::Ran | Status::Recovered)
    }
}

/// The verdict on one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The status.
    pub status: Status,
    /// Every task of the run (its own, then its re-runs').
    pub task_arns: Vec<String>,
    /// Why: RunTask failures, stoppedReason, exit codes, what was waited for.
    pub reasons: Vec<String>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// How one task went, worst first; `None` when nothing says.
fn task(arn: &str, fate: Option<&Fate>, reasons: &mut Vec<String>) -> Option<Status> {
    let f = fate?;
    let short = arn.rsplit('/').next().unwrap_or(arn);
    let stopped = || {
        let mut r = Vec::new();
        if let Some(c) = &f.stop_code {
            r.push(format!("stopCode {c}"));
        }
        if let Some(s) = &f.stopped_reason {
            r.push(format!("stoppedReason {s}"));
        }
        r.extend(f.container_reasons.iter().cloned());
        r
    };
    if f.stopped && !f.ran {
        reasons.push(format!(
            "task {short} stopped without running: {}",
            stopped().join("; ")
        ));
        return Some(Status::FailedToStart);
    }
    if f.stopped && !f.nonzero_exits.is_empty() {
        let exits: Vec<String> = f
            .nonzero_exits
            .iter()
            .map(|(n, c)| format!("container {n} exited with code {c}"))
            .collect();
        let mut r = exits;
        r.extend(stopped());
        reasons.push(format!("task {short}: {}", r.join("; ")));
        return Some(Status::Failed);
    }
    f.ran.then_some(Status::Ran)
}

fn launch_problems(l: &Launch) -> Vec<String> {
    let mut r: Vec<String> = l
        .error
        .iter()
        .map(|e| format!("RunTask error {e}"))
        .collect();
    if !l.failures.is_empty() {
        r.push(format!("RunTask failures: {}", l.failures.join(", ")));
    }
    r
}

/// Classifies one run from its launches and their re-runs. `fate` looks a task up;
/// `signature` and the times only shape the reasons and the pending rule.
pub fn classify<'a>(
    launches: &[&Launch],
    reruns: &[&Launch],
    fate: impl Fn(&str) -> Option<&'a Fate>,
    signature: &str,
    decision: DateTime<Utc>,
    window_end: DateTime<Utc>,
) -> Verdict {
    let mut reasons = Vec::new();
    let pending = decision > window_end;
    if launches.is_empty() {
        let (status, why) = if pending {
            (
                Status::Pending,
                format!(
                    "no RunTask with startedBy {signature} yet; decided at {}",
                    ts(decision)
                ),
            )
        } else {
            (
                Status::Missed,
                format!("no RunTask with startedBy {signature} by {}", ts(decision)),
            )
        };
        return Verdict {
            status,
            task_arns: Vec::new(),
            reasons: vec![why],
        };
    }
    let own: Vec<String> = launches
        .iter()
        .flat_map(|l| l.tasks.iter().cloned())
        .collect();
    let rerun_tasks: Vec<String> = reruns
        .iter()
        .flat_map(|l| l.tasks.iter().cloned())
        .collect();
    let launch_failed = launches
        .iter()
        .any(|l| l.error.is_some() || !l.failures.is_empty());
    let mut task_arns = own.clone();
    task_arns.extend(rerun_tasks.iter().cloned());
    if launch_failed {
        for l in launches {
            reasons.extend(launch_problems(l));
        }
        let running: Vec<&String> = rerun_tasks
            .iter()
            .filter(|t| fate(t).is_some_and(|f| f.ran))
            .collect();
        let status = if let Some(t) = running.first() {
            reasons.push(format!(
                "re-run task {} reached RUNNING",
                t.rsplit('/').next().unwrap_or(t)
            ));
            Status::Recovered
        } else if !rerun_tasks.is_empty() {
            let mut worst = None;
            for t in &rerun_tasks {
                let s = task(t, fate(t), &mut reasons);
                worst = match (worst, s) {
                    (None, s) => s,
                    (w, None) => w,
                    (Some(a), Some(b)) => Some(a.min(b)),
                };
            }
            match worst {
                Some(_) => Status::LaunchFailed,
                None => {
                    reasons.push("a re-run started a task whose fate is not known".into());
                    Status::Launched
                }
            }
        } else {
            for r in reruns {
                reasons.extend(
                    launch_problems(r)
                        .into_iter()
                        .map(|p| format!("re-run {}: {p}", r.event_id)),
                );
            }
            if pending {
                reasons.push(format!(
                    "no re-run started a task yet; decided at {}",
                    ts(decision)
                ));
                Status::Pending
            } else {
                if reruns.is_empty() {
                    reasons.push("no ecs-rerun re-run".into());
                }
                Status::LaunchFailed
            }
        };
        return Verdict {
            status,
            task_arns,
            reasons,
        };
    }
    let mut worst: Option<Status> = None;
    let mut unknown = Vec::new();
    for t in &own {
        match task(t, fate(t), &mut reasons) {
            Some(s) => worst = Some(worst.map_or(s, |w| w.min(s))),
            None => unknown.push(t.rsplit('/').next().unwrap_or(t).to_string()),
        }
    }
    let status = match worst {
        Some(s) => s,
        None if !unknown.is_empty() => {
            reasons.push(format!(
                "no RUNNING or STOPPED state known for task {}",
                unknown.join(", ")
            ));
            if pending {
                Status::Pending
            } else {
                Status::Launched
            }
        }
        None => {
            reasons.push("RunTask answered neither tasks nor failures".into());
            Status::LaunchFailed
        }
    };
    Verdict {
        status,
        task_arns,
        reasons,
    }
}
