//! Which schedules a watchdog run looks at, what it reads for each, and what it publishes
//! (docs/CONTRACT.md §10). Pure: the clock is the invocation's `time`, the facts are given.
//!
//! A run at `now` decides every run whose decision time (§9: due + flexible window + grace) is in
//! `(now − lookback, now]`. Each is decided on every watchdog run of that window (a fact that came
//! late still counts); what is published once is the claim's business (`run#<arn>` / `<due>`).

use chrono::{DateTime, TimeDelta, Utc};
use ecs_rerun_audit::source::{Kind, Schedule};
use ecs_rerun_audit::{Facts, Status, audit, correlate, expected};
use ecs_rerun_core::watch::{ScheduleType, WatchKind, WatchRun};

use crate::error::Error;
use crate::record::{fact_pk, ts};

/// What a watchdog run is told to do (from the environment).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Added to due + flexible window: the decision time.
    pub grace: TimeDelta,
    /// Runs decided in `(now − lookback, now]` are looked at.
    pub lookback: TimeDelta,
    /// The kinds published.
    pub alert: Vec<WatchKind>,
    /// Disabled schedules not reported (names or ARNs).
    pub silenced: Vec<String>,
    /// `stoppedReason` texts (matched case-insensitively, anywhere) that make a task that
    /// stopped before running worth a re-run; empty: never.
    pub transient: Vec<String>,
}

/// One `Query` of the facts table: `pk`, `sk BETWEEN from AND to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactsRange {
    /// `sb#<signature>`.
    pub pk: String,
    /// The lowest `sk`.
    pub from: String,
    /// The highest `sk` (`~` sorts after every `#…` suffix).
    pub to: String,
}

/// A decision to publish (after the claim on `pk`/`sk` succeeds).
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// `run#<schedule ARN>` or `disabled#<schedule ARN>`.
    pub pk: String,
    /// The due time, or the UTC day of a disabled report.
    pub sk: String,
    /// The audit's status (`disabled` for a disabled schedule).
    pub status: &'static str,
    /// The notification's facts.
    pub run: WatchRun,
    /// The run's own tasks that stopped before running for a transient cause:
    /// `(task ARN, stoppedReason)` (§10 step 6).
    pub transient: Vec<(String, String)>,
}

fn reach(s: &Schedule, set: &Settings) -> TimeDelta {
    (s.flexible + set.grace).max(TimeDelta::minutes(1))
}

/// The first due time whose runs this watchdog run decides.
fn window_from(s: &Schedule, now: DateTime<Utc>, set: &Settings) -> DateTime<Utc> {
    now - set.lookback - reach(s, set)
}

/// The facts to read for `s` at `now`, or `None` when no run of it is decided in the window (a
/// disabled schedule, a daily cron between its runs). A rule's rate has no anchor in the API
/// (§9): its facts go back one more period, where the audit finds it.
pub fn facts_range(s: &Schedule, now: DateTime<Utc>, set: &Settings) -> Option<FactsRange> {
    if !s.enabled {
        return None;
    }
    let r = reach(s, set);
    let from = window_from(s, now, set);
    let read_from = match (s.kind, s.expression.rate()) {
        (Kind::Rule, Some(period)) => from - r - period,
        _ => {
            let anchor = s.start.or(s.created).unwrap_or(from);
            let dues = expected(s, anchor, from, now);
            if !dues
                .iter()
                .any(|d| *d + r > now - set.lookback && *d + r <= now)
            {
                return None;
            }
            from - r
        }
    };
    Some(FactsRange {
        pk: fact_pk(&correlate::signature(s.kind, &s.name)),
        from: ts(read_from),
        to: format!("{}~", ts(now)),
    })
}

/// The re-runs' partitions to read too: one per launch with failures (its `ecs-rerun/<eventID>`).
pub fn rerun_ranges(facts: &Facts, now: DateTime<Utc>) -> Vec<FactsRange> {
    let mut ids: Vec<&str> = facts
        .launches
        .iter()
        .filter(|l| !l.failures.is_empty() || l.error.is_some())
        .map(|l| l.event_id.as_str())
        .filter(|id| !id.is_empty())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .map(|id| FactsRange {
            pk: fact_pk(&format!("{}{id}", correlate::RERUN_PREFIX)),
            // DynamoDB refuses an empty key value: "0" sorts before every timestamp
            from: "0".to_string(),
            to: format!("{}~", ts(now)),
        })
        .collect()
}

fn watch_kind(s: Status) -> Option<WatchKind> {
    match s {
        Status::Missed => Some(WatchKind::Missed),
        Status::FailedToStart => Some(WatchKind::FailedToStart),
        Status::Failed => Some(WatchKind::Failed),
        _ => None,
    }
}

fn watch_run(s: &Schedule, kind: WatchKind, now: DateTime<Utc>) -> WatchRun {
    let (cluster, task_definition) = s.targets.first().cloned().unwrap_or_default();
    let (schedule_type, group, bus) = match s.kind {
        Kind::Rule => (ScheduleType::Rule, String::new(), s.bus.clone()),
        Kind::Schedule => (ScheduleType::Schedule, s.group.clone(), String::new()),
    };
    WatchRun {
        kind,
        schedule_arn: s.arn.clone(),
        schedule_name: s.name.clone(),
        schedule_type,
        schedule_group: group,
        event_bus: bus,
        expression: s.expression_text.clone(),
        timezone: s.tz.name().to_string(),
        due_at: String::new(),
        decided_at: ts(now),
        cluster,
        task_definition,
        task_arns: Vec::new(),
        details: Vec::new(),
        missed_because: String::new(),
    }
}

/// The runs of `s` decided in the window, from its facts, that are worth publishing (their status
/// is an alert kind). `decided` counts every run decided, published or not.
pub fn decide(
    s: &Schedule,
    facts: &Facts,
    now: DateTime<Utc>,
    set: &Settings,
) -> Result<(usize, Vec<Decision>), Error> {
    let from = window_from(s, now, set);
    let report = audit(std::slice::from_ref(s), facts, from, now, set.grace)?;
    let mut decided = 0;
    let mut out = Vec::new();
    for r in report.runs {
        if r.decision <= now - set.lookback || r.decision > now || !r.status.decided() {
            continue;
        }
        decided += 1;
        let Some(kind) = watch_kind(r.status).filter(|k| set.alert.contains(k)) else {
            continue;
        };
        let mut run = watch_run(s, kind, now);
        run.due_at = ts(r.due);
        run.decided_at = ts(r.decision);
        let transient = if kind == WatchKind::FailedToStart {
            transient_tasks(s, facts, &r.task_arns, &set.transient)
        } else {
            Vec::new()
        };
        run.task_arns = r.task_arns;
        run.details = r.reasons;
        out.push(Decision {
            pk: format!("run#{}", s.arn),
            sk: ts(r.due),
            status: r.status.as_str(),
            run,
            transient,
        });
    }
    Ok((decided, out))
}

/// A disabled ECS schedule's report of the UTC day, unless it is silenced or `disabled` is not
/// an alert kind.
pub fn disabled(s: &Schedule, now: DateTime<Utc>, set: &Settings) -> Option<Decision> {
    if s.enabled
        || !set.alert.contains(&WatchKind::Disabled)
        || set.silenced.iter().any(|x| *x == s.name || *x == s.arn)
    {
        return None;
    }
    let kind = match s.kind {
        Kind::Rule => "rule",
        Kind::Schedule => "schedule",
    };
    let mut run = watch_run(s, WatchKind::Disabled, now);
    run.details = vec![format!(
        "{kind} {} ({}) is disabled and has an ECS target: it starts no task until it is enabled or deleted",
        s.name, s.expression_text
    )];
    Some(Decision {
        pk: format!("disabled#{}", s.arn),
        sk: now.format("%Y-%m-%d").to_string(),
        status: "disabled",
        run,
        transient: Vec::new(),
    })
}

/// The tasks of a run the schedule itself started (not re-runs) that stopped before running with
/// a `stoppedReason` (or a container reason) that contains an entry of `list`.
pub fn transient_tasks(
    s: &Schedule,
    facts: &Facts,
    tasks: &[String],
    list: &[String],
) -> Vec<(String, String)> {
    if list.is_empty() {
        return Vec::new();
    }
    let sig = correlate::signature(s.kind, &s.name);
    tasks
        .iter()
        .filter_map(|t| {
            let f = facts.fates.get(t)?;
            if !f.stopped || f.ran || f.started_by.as_deref() != Some(sig.as_str()) {
                return None;
            }
            let mut why: Vec<String> = f.stopped_reason.iter().cloned().collect();
            why.extend(f.container_reasons.iter().cloned());
            let text = why.join("; ");
            let lower = text.to_lowercase();
            list.iter()
                .any(|x| lower.contains(&x.to_lowercase()))
                .then(|| (t.clone(), text))
        })
        .collect()
}

/// Why a `missed` run was missed, from the sums of the schedule's error metrics around its due
/// time (`(metric, sum)`; §10 step 3); `""` when AWS says nothing.
pub fn missed_because(kind: Kind, sums: &[(String, f64)]) -> String {
    let hits: Vec<String> = sums
        .iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(m, v)| format!("{m} {v}"))
        .collect();
    if hits.is_empty() {
        return String::new();
    }
    match kind {
        Kind::Rule => format!(
            "the rule fired and could not call ECS ({}): usually the rule's role (iam:PassRole, ecs:RunTask) or the target's parameters",
            hits.join(", ")
        ),
        Kind::Schedule => format!(
            "the schedule group reports target errors around the due time ({}): usually the schedule's role or the target's parameters; see the schedule's dead-letter queue",
            hits.join(", ")
        ),
    }
}

/// A CloudWatch metric: `(namespace, metric, dimensions)`.
pub type MetricId = (&'static str, &'static str, Vec<(&'static str, String)>);

/// The metrics that say why a run of `s` was missed.
pub fn missed_metrics(s: &Schedule) -> Vec<MetricId> {
    match s.kind {
        Kind::Rule => {
            let mut dims = vec![("RuleName", s.name.clone())];
            if !s.bus.is_empty() && s.bus != "default" {
                dims.push(("EventBusName", s.bus.clone()));
            }
            vec![("AWS/Events", "FailedInvocations", dims)]
        }
        Kind::Schedule => {
            let dims = vec![("ScheduleGroup", s.group.clone())];
            // the names aws-cdk's ScheduleGroup metrics use (metricTargetErrors, metricDropped,
            // metricThrottled)
            vec![
                ("AWS/Scheduler", "TargetErrorCount", dims.clone()),
                ("AWS/Scheduler", "InvocationDroppedCount", dims.clone()),
                ("AWS/Scheduler", "InvocationThrottleCount", dims),
            ]
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::{Value, json};

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, h, m, 0)
            .single()
            .expect("a time")
    }

    fn settings(alert: &[WatchKind]) -> Settings {
        Settings {
            grace: TimeDelta::minutes(15),
            lookback: TimeDelta::minutes(60),
            alert: alert.to_vec(),
            silenced: Vec::new(),
            transient: Vec::new(),
        }
    }

    fn rule(name: &str, expr: &str, state: &str) -> Schedule {
        let doc = json!({"rules": [{
            "Name": name, "Arn": format!("arn:aws:events:us-east-1:123456789012:rule/{name}"),
            "ScheduleExpression": expr, "State": state,
            "Targets": [{"Id": "t", "Arn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
                "EcsParameters": {"TaskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/nightly-batch:7"}}]}]});
        ecs_rerun_audit::source::parse(&doc)
            .expect("a rule")
            .remove(0)
    }

    fn task_change(
        started_by: &str,
        created: &str,
        status: &str,
        started: bool,
        reason: Option<&str>,
    ) -> Value {
        json!({"detail-type": "ECS Task State Change", "source": "aws.ecs", "time": created,
            "detail": {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/t1", "startedBy": started_by,
                "createdAt": created, "lastStatus": status,
                "startedAt": if started { json!(created) } else { Value::Null },
                "stopCode": reason.map(|_| "TaskFailedToStart"), "stoppedReason": reason,
                "containers": [{"name": "app"}]}})
    }

    #[test]
    fn a_cron_run_is_looked_at_from_its_decision_time_for_the_lookback() {
        let s = rule("nightly-batch", "cron(0 2 * * ? *)", "ENABLED");
        let set = settings(&DEFAULT_ALERTS);
        assert_eq!(facts_range(&s, at(2, 14), &set), None, "decided at 02:15");
        let r = facts_range(&s, at(2, 15), &set).expect("decided now");
        assert_eq!(r.pk, "sb#events-rule/nightly-batch");
        assert_eq!(
            (r.from.as_str(), r.to.as_str()),
            ("2026-12-02T00:45:00Z", "2026-12-02T02:15:00Z~")
        );
        assert!(facts_range(&s, at(3, 14), &set).is_some());
        assert_eq!(
            facts_range(&s, at(3, 15), &set),
            None,
            "out of the lookback"
        );
    }

    const DEFAULT_ALERTS: [WatchKind; 3] = [
        WatchKind::Missed,
        WatchKind::FailedToStart,
        WatchKind::Disabled,
    ];

    #[test]
    fn nothing_by_the_decision_time_is_missed_and_a_task_that_never_ran_failed_to_start() {
        let s = rule("nightly-batch", "cron(0 2 * * ? *)", "ENABLED");
        let set = settings(&DEFAULT_ALERTS);
        let (n, d) = decide(&s, &Facts::default(), at(2, 20), &set).expect("decided");
        assert_eq!(n, 1);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].pk.as_str(), d[0].sk.as_str(), d[0].status),
            (
                "run#arn:aws:events:us-east-1:123456789012:rule/nightly-batch",
                "2026-12-02T02:00:00Z",
                "missed"
            )
        );
        assert_eq!(d[0].run.kind, WatchKind::Missed);
        assert_eq!(d[0].run.due_at, "2026-12-02T02:00:00Z");
        assert_eq!(d[0].run.decided_at, "2026-12-02T02:15:00Z");
        assert_eq!(
            d[0].run.cluster,
            "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
        );
        assert_eq!(d[0].run.event_bus, "default");
        assert!(
            d[0].run.details[0].contains("no RunTask with startedBy events-rule/nightly-batch"),
            "{:?}",
            d[0].run.details
        );

        let events = [
            task_change(
                "events-rule/nightly-batch",
                "2026-12-02T02:00:04Z",
                "PENDING",
                false,
                None,
            ),
            task_change(
                "events-rule/nightly-batch",
                "2026-12-02T02:00:04Z",
                "STOPPED",
                false,
                Some("CannotPullContainerError: image not found"),
            ),
        ];
        let facts = Facts::from_events(&events).expect("facts");
        let (_, d) = decide(&s, &facts, at(2, 20), &set).expect("decided");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].run.kind, WatchKind::FailedToStart);
        assert_eq!(
            d[0].run.task_arns,
            vec!["arn:aws:ecs:us-east-1:123456789012:task/prod/t1".to_string()]
        );
        assert!(
            d[0].run.details[0].contains("CannotPullContainerError"),
            "{:?}",
            d[0].run.details
        );
    }

    #[test]
    fn only_a_listed_stopped_reason_of_the_schedules_own_task_is_transient() {
        let s = rule("nightly-batch", "cron(0 2 * * ? *)", "ENABLED");
        let mut set = settings(&DEFAULT_ALERTS);
        let stop = |sb: &str, why: &str| {
            Facts::from_events(&[
                task_change(sb, "2026-12-02T02:00:04Z", "PENDING", false, None),
                task_change(sb, "2026-12-02T02:00:04Z", "STOPPED", false, Some(why)),
            ])
            .expect("facts")
        };
        let eni = stop(
            "events-rule/nightly-batch",
            "ResourceInitializationError: ENI provisioning timed out",
        );
        let (_, d) = decide(&s, &eni, at(2, 20), &set).expect("decided");
        assert!(d[0].transient.is_empty(), "off unless the list is set");
        set.transient = vec![
            "resourceinitializationerror".into(),
            "Timeout waiting for network interface provisioning".into(),
        ];
        let (_, d) = decide(&s, &eni, at(2, 20), &set).expect("decided");
        assert_eq!(d[0].transient.len(), 1);
        assert_eq!(
            d[0].transient[0].0,
            "arn:aws:ecs:us-east-1:123456789012:task/prod/t1"
        );
        assert!(
            d[0].transient[0]
                .1
                .starts_with("ResourceInitializationError")
        );
        let pull = stop(
            "events-rule/nightly-batch",
            "CannotPullContainerError: manifest unknown",
        );
        let (_, d) = decide(&s, &pull, at(2, 20), &set).expect("decided");
        assert_eq!(d[0].run.kind, WatchKind::FailedToStart);
        assert!(
            d[0].transient.is_empty(),
            "a missing image is not transient"
        );
    }

    #[test]
    fn a_run_that_ran_or_a_kind_not_alerted_publishes_nothing() {
        let s = rule("nightly-batch", "cron(0 2 * * ? *)", "ENABLED");
        let ran = [task_change(
            "events-rule/nightly-batch",
            "2026-12-02T02:00:04Z",
            "RUNNING",
            true,
            None,
        )];
        let facts = Facts::from_events(&ran).expect("facts");
        let (n, d) = decide(&s, &facts, at(2, 20), &settings(&DEFAULT_ALERTS)).expect("decided");
        assert_eq!((n, d.len()), (1, 0));
        let (_, d) = decide(
            &s,
            &Facts::default(),
            at(2, 20),
            &settings(&[WatchKind::Failed]),
        )
        .expect("decided");
        assert!(d.is_empty());
    }

    #[test]
    fn a_disabled_schedule_is_reported_once_a_day_unless_silenced() {
        let s = rule("old-batch", "cron(0 3 * * ? *)", "DISABLED");
        let mut set = settings(&DEFAULT_ALERTS);
        assert_eq!(facts_range(&s, at(3, 20), &set), None);
        let d = disabled(&s, at(3, 20), &set).expect("reported");
        assert_eq!(
            (d.pk.as_str(), d.sk.as_str()),
            (
                "disabled#arn:aws:events:us-east-1:123456789012:rule/old-batch",
                "2026-12-02"
            )
        );
        assert_eq!(d.run.kind, WatchKind::Disabled);
        assert_eq!(d.run.due_at, "");
        set.silenced = vec!["old-batch".into()];
        assert_eq!(disabled(&s, at(3, 20), &set), None);
        set.silenced = vec![s.arn.clone()];
        assert_eq!(disabled(&s, at(3, 20), &set), None);
        assert_eq!(
            disabled(&s, at(3, 20), &settings(&[WatchKind::Missed])),
            None
        );
        assert_eq!(
            disabled(
                &rule("x", "rate(5 minutes)", "ENABLED"),
                at(3, 20),
                &settings(&DEFAULT_ALERTS)
            ),
            None
        );
    }

    #[test]
    fn a_rule_rate_reads_one_more_period_and_a_missed_run_says_why_when_aws_does() {
        let s = rule("every-5", "rate(5 minutes)", "ENABLED");
        let r = facts_range(&s, at(10, 0), &settings(&DEFAULT_ALERTS)).expect("always looked at");
        assert_eq!(r.from, "2026-12-02T08:25:00Z");
        assert_eq!(
            missed_because(Kind::Rule, &[("FailedInvocations".into(), 0.0)]),
            ""
        );
        let why = missed_because(Kind::Rule, &[("FailedInvocations".into(), 1.0)]);
        assert!(
            why.starts_with("the rule fired and could not call ECS (FailedInvocations 1)"),
            "{why}"
        );
        assert_eq!(missed_metrics(&s)[0].0, "AWS/Events");
        assert_eq!(
            missed_metrics(&s)[0].2,
            vec![("RuleName", "every-5".to_string())]
        );
    }

    #[test]
    fn a_failed_launch_reads_its_reruns_partition() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/events/cloudtrail_runtask_agent.json"
        );
        let e: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
        let facts = Facts::from_events(&[e]).expect("facts");
        let r = rerun_ranges(&facts, at(2, 20));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].pk, "sb#ecs-rerun/6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b");
        assert!(
            !r[0].from.is_empty() && r[0].from.as_str() < "1970",
            "DynamoDB refuses an empty key value"
        );
    }
}
