//! One watchdog run (docs/CONTRACT.md §10): inventory → each schedule's runs decided → what went
//! wrong published once → disabled schedules reported daily → lost launch failures reconciled.
//! The clock is the invocation's `time`; the AWS calls are the [`World`] port's.

use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};
use ecs_rerun_audit::Facts;
use ecs_rerun_audit::source::{self, Schedule};
use ecs_rerun_core::watch::{WatchKind, watch_notice};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;
use tracing::{error, info, warn};

use crate::config::WatchdogConfig;
use crate::decide::{
    Decision, decide, disabled, facts_range, missed_because, missed_metrics, rerun_ranges,
};
use crate::error::Error;
use crate::ports::World;
use crate::reconcile::{candidates, transient_rerun};
use crate::record::ts;

/// CloudTrail calls younger than this are left to EventBridge (it has had its chance after).
pub const RECONCILE_DELAY_MINUTES: i64 = 5;
/// The reconciler reads CloudTrail's RunTask calls of this many minutes (ending
/// [`RECONCILE_DELAY_MINUTES`] ago) on each run: three runs at the default interval see each call
/// (LookupEvents answers 2 requests a second per account: the window keeps its pages few).
pub const RECONCILE_WINDOW_MINUTES: i64 = 15;
/// The metric the reconciler counts in (namespace `ecs-rerun`).
pub const RECONCILED_METRIC: &str = "ReconciledLaunches";

/// Schedules decided at once (their Queries and publishes in flight together).
pub const CONCURRENCY: usize = 16;

/// What deciding one schedule did.
#[derive(Debug, Default)]
struct Looked {
    decided: usize,
    disabled: usize,
    published: Vec<Published>,
    rerun: Vec<String>,
}

/// The claim that marks a run's never-started tasks as re-run.
pub const RERUN_CLAIM: &str = "rerun";

/// One published notification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Published {
    /// The kind.
    pub kind: String,
    /// The schedule ARN.
    pub schedule: String,
    /// The due time (`""` for `disabled`).
    pub due: String,
}

/// What a run did (the invocation's answer, and its log line).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The run's clock.
    pub now: String,
    /// ECS schedules in the inventory.
    pub schedules: usize,
    /// Runs decided in the window.
    pub decided: usize,
    /// Published now.
    pub published: Vec<Published>,
    /// Disabled schedules reported now.
    pub disabled_reported: usize,
    /// Launch failures sent to the starter (eventIDs).
    pub reconciled: Vec<String>,
    /// Tasks that stopped before running for a transient cause, re-run now.
    pub rerun: Vec<String>,
    /// Launch failures not looked up once `RECONCILE_MAX` were sent (the next run takes them).
    pub reconcile_deferred: usize,
}

/// The watchdog: its configuration, the port and the inventory kept between invocations.
pub struct Watchdog<W> {
    config: WatchdogConfig,
    world: W,
    inventory: Mutex<Option<(DateTime<Utc>, Vec<Schedule>)>>,
}

impl<W: World> Watchdog<W> {
    /// Wires the configuration and the port, once per process.
    pub fn new(config: WatchdogConfig, world: W) -> Self {
        Watchdog {
            config,
            world,
            inventory: Mutex::new(None),
        }
    }

    /// The port (tests look inside).
    pub fn world(&self) -> &W {
        &self.world
    }

    async fn schedules(&self, now: DateTime<Utc>) -> Result<Vec<Schedule>, Error> {
        let cached = self
            .inventory
            .lock()
            .map_err(|_| Error::InvalidInvocation("inventory lock poisoned".into()))?
            .clone();
        if let Some((at, s)) = cached
            && now >= at
            && now - at < self.config.inventory_refresh
        {
            return Ok(s);
        }
        let doc = self.world.schedules_doc().await?;
        let schedules = source::parse(&doc)?;
        if let Ok(mut g) = self.inventory.lock() {
            *g = Some((now, schedules.clone()));
        }
        Ok(schedules)
    }

    /// Claims and publishes one decision; `Ok(false)` when it was published before.
    async fn publish_once(&self, d: &Decision, now: DateTime<Utc>) -> Result<bool, Error> {
        let kind = d.run.kind.as_str();
        let expires = (now + self.config.retention).timestamp();
        if !self.world.claim(d, kind, expires).await? {
            return Ok(false);
        }
        let message = watch_notice(&d.run).to_json();
        if let Err(e) = self.world.publish(&message, kind).await {
            if let Err(r) = self.world.release(d, kind).await {
                error!(error_type = r.error_type(), error = %r, pk = %d.pk, sk = %d.sk,
                    "could not release the claim after a failed publish: this run is not published");
            }
            return Err(e);
        }
        Ok(true)
    }

    /// Decides one schedule: what it published, and how many runs it decided.
    async fn look(&self, s: &Schedule, now: DateTime<Utc>) -> Result<Looked, Error> {
        let set = &self.config.settings;
        let mut out = Looked::default();
        if let Some(d) = disabled(s, now, set) {
            if self.publish_once(&d, now).await? {
                out.disabled = 1;
                out.published.push(published(&d));
            }
            return Ok(out);
        }
        let Some(range) = facts_range(s, now, set) else {
            return Ok(out);
        };
        let mut events = self.parse(self.world.facts(&range).await?)?;
        let mut facts = Facts::from_events(&events)?;
        let reruns = rerun_ranges(&facts, now);
        // read again only when re-runs were added (most schedules have no failed launch)
        if !reruns.is_empty() {
            for r in &reruns {
                events.extend(self.parse(self.world.facts(r).await?)?);
            }
            facts = Facts::from_events(&events)?;
        }
        let (decided, decisions) = decide(s, &facts, now, set)?;
        out.decided = decided;
        for mut d in decisions {
            if d.run.kind == WatchKind::Missed {
                d.run.missed_because = self.why_missed(s, &d).await;
            }
            if !d.transient.is_empty()
                && let Some(note) = self.rerun(&d, &mut out).await?
            {
                d.run.details.push(note);
            }
            if self.publish_once(&d, now).await? {
                out.published.push(published(&d));
            }
        }
        Ok(out)
    }

    /// Re-runs the run's tasks that stopped before running for a transient cause, once (claim
    /// `rerun`), through the starter's queue; the sentence the notice adds.
    async fn rerun(&self, d: &Decision, out: &mut Looked) -> Result<Option<String>, Error> {
        let c = &self.config;
        let (Ok(due), Ok(decision)) = (
            DateTime::parse_from_rfc3339(&d.run.due_at),
            DateTime::parse_from_rfc3339(&d.run.decided_at),
        ) else {
            return Ok(None);
        };
        let now = decision.with_timezone(&Utc);
        if !self
            .world
            .claim(d, RERUN_CLAIM, (now + c.retention).timestamp())
            .await?
        {
            return Ok(None);
        }
        let from = due.with_timezone(&Utc) - TimeDelta::minutes(1);
        let events = self
            .world
            .run_task_events(from, now + TimeDelta::minutes(1))
            .await?;
        let tasks: Vec<&str> = d.transient.iter().map(|(t, _)| t.as_str()).collect();
        let Some(cand) = transient_rerun(&events, &d.transient, &c.state_machine_arn) else {
            warn!(tasks = ?tasks, "the RunTask call of a task to re-run is not in CloudTrail: not re-run");
            return Ok(Some(format!(
                "not re-run: the RunTask call that started {} is not among CloudTrail's RunTask calls of {} to {}",
                tasks.join(", "),
                ts(from),
                ts(now)
            )));
        };
        if self.world.execution_exists(&cand.execution_arn).await? {
            return Ok(Some(format!(
                "not re-run: execution {} of that RunTask call exists already",
                cand.execution_arn
            )));
        }
        self.world.send_to_starter(&cand.body).await?;
        warn!(event_id = %cand.event_id, execution_arn = %cand.execution_arn, tasks = ?tasks,
            "stopped before running for a transient cause: re-run sent to the starter");
        out.rerun.extend(tasks.iter().map(|t| t.to_string()));
        Ok(Some(format!(
            "re-run: the stoppedReason is listed as transient, so the task goes through the re-run state machine (execution {})",
            cand.execution_arn
        )))
    }

    fn parse(&self, items: Vec<String>) -> Result<Vec<Value>, Error> {
        items
            .iter()
            .map(|i| {
                serde_json::from_str(i)
                    .map_err(|e| Error::NotAFact(format!("a stored fact is not JSON: {e}")))
            })
            .collect()
    }

    /// The metrics' word on a missed run; a metric that cannot be read says nothing (logged).
    async fn why_missed(&self, s: &Schedule, d: &Decision) -> String {
        let Ok(due) = DateTime::parse_from_rfc3339(&d.run.due_at) else {
            return String::new();
        };
        let due = due.with_timezone(&Utc);
        let to = DateTime::parse_from_rfc3339(&d.run.decided_at)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(due + TimeDelta::minutes(15));
        let mut sums = Vec::new();
        for (ns, metric, dims) in missed_metrics(s) {
            match self
                .world
                .metric_sum(ns, metric, &dims, due - TimeDelta::minutes(1), to)
                .await
            {
                Ok(v) => sums.push((metric.to_string(), v)),
                Err(e) => warn!(error_type = e.error_type(), error = %e, schedule = %s.arn,
                    "cannot read {ns} {metric}: the missed run's reason stays unknown"),
            }
        }
        missed_because(s.kind, &sums)
    }

    async fn reconcile(&self, now: DateTime<Utc>, sum: &mut Summary) -> Result<(), Error> {
        let c = &self.config;
        let to = now - TimeDelta::minutes(RECONCILE_DELAY_MINUTES);
        let from = to - TimeDelta::minutes(RECONCILE_WINDOW_MINUTES).min(c.settings.lookback);
        if from >= to {
            return Ok(());
        }
        let events = self.world.run_task_events(from, to).await?;
        let cands = candidates(&events, &c.state_machine_arn, &c.state_machine_role_arn);
        for (i, cand) in cands.iter().enumerate() {
            if sum.reconciled.len() >= c.reconcile_max {
                // bounded: what is left is not even looked up, the next run takes it
                sum.reconcile_deferred = cands.len() - i;
                break;
            }
            if self.world.execution_exists(&cand.execution_arn).await? {
                continue;
            }
            self.world.send_to_starter(&cand.body).await?;
            warn!(event_id = %cand.event_id, execution_arn = %cand.execution_arn,
                "reconciled: a launch failure EventBridge never delivered, sent to the starter");
            sum.reconciled.push(cand.event_id.clone());
        }
        if !sum.reconciled.is_empty() {
            self.world
                .put_metric(RECONCILED_METRIC, sum.reconciled.len() as f64, now)
                .await?;
        }
        Ok(())
    }

    /// One run as of `now`. Every schedule is looked at even when another fails; the first
    /// error is returned after all of them (the invocation fails, is retried, then dead-lettered).
    pub async fn run(&self, now: DateTime<Utc>) -> Result<Summary, Error> {
        let schedules = self.schedules(now).await?;
        let mut sum = Summary {
            now: ts(now),
            schedules: schedules.len(),
            ..Summary::default()
        };
        let mut first_error = None;
        let mut looks = futures_util::stream::iter(
            schedules
                .iter()
                .map(|s| async move { (s, self.look(s, now).await) }),
        )
        .buffer_unordered(CONCURRENCY);
        while let Some((s, r)) = looks.next().await {
            match r {
                Ok(l) => {
                    sum.decided += l.decided;
                    sum.disabled_reported += l.disabled;
                    sum.published.extend(l.published);
                    sum.rerun.extend(l.rerun);
                }
                Err(e) => {
                    error!(error_type = e.error_type(), error = %e, schedule = %s.arn, "schedule not decided");
                    first_error.get_or_insert(e);
                }
            }
        }
        drop(looks);
        sum.published
            .sort_by(|a, b| (&a.due, &a.schedule, &a.kind).cmp(&(&b.due, &b.schedule, &b.kind)));
        if let Err(e) = self.reconcile(now, &mut sum).await {
            error!(error_type = e.error_type(), error = %e, "reconciler failed");
            first_error.get_or_insert(e);
        }
        info!(summary = %serde_json::to_string(&sum).unwrap_or_default(), "watchdog run");
        match first_error {
            Some(e) => Err(e),
            None => Ok(sum),
        }
    }
}

fn published(d: &Decision) -> Published {
    Published {
        kind: d.run.kind.as_str().to_string(),
        schedule: d.run.schedule_arn.clone(),
        due: d.run.due_at.clone(),
    }
}

/// The clock of an invocation: the EventBridge scheduled event's `time`.
pub fn invocation_time(event: &Value) -> Result<DateTime<Utc>, Error> {
    let t = event.get("time").and_then(Value::as_str).ok_or_else(|| {
        Error::InvalidInvocation("no time: expected an EventBridge scheduled event".into())
    })?;
    DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Error::InvalidInvocation(format!("time {t:?} is not an RFC 3339 time")))
}
