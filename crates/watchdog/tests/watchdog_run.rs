//! One watchdog run end to end on the port, with the account in memory: the rules a run decides
//! by, the idempotence of publishing, the failed-publish retry, the daily disabled report and the
//! reconciler's bound. (The same runs on LocalStack + moto: tests/local/scenarios.json.)

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, TimeZone, Utc};
use ecs_rerun_core::notification::Notification;
use ecs_rerun_core::watch::{WatchKind, watch_kind};
use ecs_rerun_watchdog::Error;
use ecs_rerun_watchdog::config::WatchdogConfig;
use ecs_rerun_watchdog::decide::{Decision, FactsRange};
use ecs_rerun_watchdog::ports::World;
use ecs_rerun_watchdog::watchdog::Watchdog;
use serde_json::{Value, json};

const SM: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:ecs-rerun";

#[derive(Default)]
struct Account {
    doc: Value,
    facts: BTreeMap<(String, String), String>,
    claims: RefCell<HashMap<(String, String), BTreeSet<String>>>,
    published: RefCell<Vec<(String, String)>>,
    publish_fails: RefCell<u32>,
    metrics: HashMap<String, f64>,
    trail: Vec<Value>,
    executions: RefCell<BTreeSet<String>>,
    sent: RefCell<Vec<String>>,
    put_metrics: RefCell<Vec<(String, f64)>>,
    inventory_reads: RefCell<u32>,
}

impl World for Account {
    async fn schedules_doc(&self) -> Result<Value, Error> {
        *self.inventory_reads.borrow_mut() += 1;
        Ok(self.doc.clone())
    }
    async fn facts(&self, r: &FactsRange) -> Result<Vec<String>, Error> {
        Ok(self
            .facts
            .iter()
            .filter(|((pk, sk), _)| *pk == r.pk && *sk >= r.from && *sk <= r.to)
            .map(|(_, e)| e.clone())
            .collect())
    }
    async fn claim(&self, d: &Decision, kind: &str, _: i64) -> Result<bool, Error> {
        Ok(self
            .claims
            .borrow_mut()
            .entry((d.pk.clone(), d.sk.clone()))
            .or_default()
            .insert(kind.to_string()))
    }
    async fn release(&self, d: &Decision, kind: &str) -> Result<(), Error> {
        if let Some(k) = self
            .claims
            .borrow_mut()
            .get_mut(&(d.pk.clone(), d.sk.clone()))
        {
            k.remove(kind);
        }
        Ok(())
    }
    async fn publish(&self, message: &str, kind: &str) -> Result<(), Error> {
        let mut fails = self.publish_fails.borrow_mut();
        if *fails > 0 {
            *fails -= 1;
            return Err(Error::Aws {
                call: "Publish",
                message: "InternalError".into(),
            });
        }
        self.published
            .borrow_mut()
            .push((kind.to_string(), message.to_string()));
        Ok(())
    }
    async fn metric_sum(
        &self,
        _: &str,
        metric: &str,
        _: &[(&'static str, String)],
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<f64, Error> {
        Ok(self.metrics.get(metric).copied().unwrap_or(0.0))
    }
    async fn run_task_events(
        &self,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<Vec<Value>, Error> {
        Ok(self.trail.clone())
    }
    async fn execution_exists(&self, arn: &str) -> Result<bool, Error> {
        Ok(self.executions.borrow().contains(arn))
    }
    async fn send_to_starter(&self, body: &str) -> Result<(), Error> {
        self.sent.borrow_mut().push(body.to_string());
        Ok(())
    }
    async fn put_metric(&self, name: &str, value: f64, _: DateTime<Utc>) -> Result<(), Error> {
        self.put_metrics
            .borrow_mut()
            .push((name.to_string(), value));
        Ok(())
    }
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, h, m, 0)
        .single()
        .expect("a time")
}

fn config(env: &[(&str, &str)]) -> WatchdogConfig {
    let mut vars: HashMap<String, String> = [
        ("FACTS_TABLE", "facts"),
        (
            "NOTIFICATION_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:ecs-rerun",
        ),
        ("STARTER_QUEUE_URL", "http://127.0.0.1/123456789012/starter"),
        ("STATE_MACHINE_ARN", SM),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in env {
        vars.insert(k.to_string(), v.to_string());
    }
    WatchdogConfig::from_lookup(move |k| vars.get(k).cloned()).expect("valid config")
}

fn rule(name: &str, expr: &str, state: &str) -> Value {
    json!({"Name": name, "Arn": format!("arn:aws:events:us-east-1:123456789012:rule/{name}"),
        "ScheduleExpression": expr, "State": state,
        "Targets": [{"Id": "t", "Arn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
            "EcsParameters": {"TaskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/nightly-batch:7"}}]})
}

fn trail_event(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("JSON")
}

/// The starter's part: an execution, named as it names them, for every event sent to its queue.
fn start_what_was_sent(a: &Account) {
    let names: Vec<String> = a
        .sent
        .borrow()
        .iter()
        .map(|body| {
            let e: Value = serde_json::from_str(body).expect("JSON");
            let ev = ecs_rerun_core::event::RunTaskEvent::from_value(e)
                .expect("an event the starter takes");
            let plan =
                ecs_rerun_core::plan::build_plan(&ev, &ecs_rerun_core::plan::PlanConfig::default());
            ecs_rerun_core::plan::execution_arn(SM, &plan.execution_name)
        })
        .collect();
    a.executions.borrow_mut().extend(names);
}

fn kinds(a: &Account) -> Vec<(WatchKind, String)> {
    a.published
        .borrow()
        .iter()
        .map(|(k, m)| {
            let n = Notification::parse(m).expect("a notification");
            assert_eq!(watch_kind(&n).map(|w| w.as_str()), Some(k.as_str()));
            (
                watch_kind(&n).expect("ours"),
                n.context("scheduleName").unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn a_missed_run_is_published_once_with_why_and_a_failed_publish_is_retried() {
    let account = Account {
        doc: json!({"rules": [rule("nightly-batch", "cron(0 2 * * ? *)", "ENABLED")]}),
        metrics: HashMap::from([("FailedInvocations".to_string(), 1.0)]),
        publish_fails: RefCell::new(1),
        ..Account::default()
    };
    let w = Watchdog::new(config(&[]), account);
    assert!(
        w.run(at(2, 20)).await.is_err(),
        "the publish failed: the invocation fails"
    );
    assert!(w.world().published.borrow().is_empty());
    let s = w.run(at(2, 25)).await.expect("a run");
    assert_eq!(s.decided, 1);
    assert_eq!(s.published.len(), 1, "{s:?}");
    let s = w.run(at(2, 30)).await.expect("a run");
    assert!(s.published.is_empty(), "published once: {s:?}");
    assert_eq!(
        kinds(w.world()),
        vec![(WatchKind::Missed, "nightly-batch".to_string())]
    );
    let n = Notification::parse(&w.world().published.borrow()[0].1).expect("parses");
    assert!(
        n.context("missedBecause")
            .unwrap_or("")
            .contains("FailedInvocations 1"),
        "{n:?}"
    );
    assert_eq!(
        *w.world().inventory_reads.borrow(),
        1,
        "the inventory is kept between runs"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_disabled_rule_is_reported_once_a_day_and_the_inventory_is_read_again_after_its_refresh()
{
    let account = Account {
        doc: json!({"rules": [rule("old-batch", "cron(0 3 * * ? *)", "DISABLED")]}),
        ..Account::default()
    };
    let w = Watchdog::new(config(&[("INVENTORY_REFRESH_MINUTES", "60")]), account);
    assert_eq!(w.run(at(9, 0)).await.expect("run").disabled_reported, 1);
    assert_eq!(w.run(at(9, 5)).await.expect("run").disabled_reported, 0);
    assert_eq!(*w.world().inventory_reads.borrow(), 1);
    assert_eq!(
        w.run(at(10, 5)).await.expect("run").disabled_reported,
        0,
        "same day"
    );
    assert_eq!(
        *w.world().inventory_reads.borrow(),
        2,
        "refreshed after 60 minutes"
    );
    let next_day = Utc
        .with_ymd_and_hms(2026, 12, 3, 9, 0, 0)
        .single()
        .expect("t");
    assert_eq!(w.run(next_day).await.expect("run").disabled_reported, 1);
    assert_eq!(kinds(w.world()).len(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn the_reconciler_sends_what_the_stack_never_saw_once_and_within_its_bound() {
    let a = trail_event("cloudtrail_runtask_agent.json");
    let mut b = trail_event("cloudtrail_runtask_agent.json");
    b["detail"]["eventID"] = json!("7e2d0d2f-3c1b-4d2f-8b66-4a1e9f6d2b3c");
    let account = Account {
        doc: json!({"rules": []}),
        trail: vec![
            a,
            b,
            trail_event("cloudtrail_runtask_startedby-ecs-rerun.json"),
        ],
        ..Account::default()
    };
    let w = Watchdog::new(config(&[("RECONCILE_MAX", "1")]), account);
    let s = w.run(at(2, 30)).await.expect("run");
    assert_eq!(s.reconciled.len(), 1);
    assert_eq!(s.reconcile_deferred, 1);
    assert_eq!(
        w.world().put_metrics.borrow().as_slice(),
        &[("ReconciledLaunches".to_string(), 1.0)]
    );
    // the starter started what it was sent: the next run sends the other one only
    start_what_was_sent(w.world());
    let s = w.run(at(2, 35)).await.expect("run");
    assert_eq!((s.reconciled.len(), s.reconcile_deferred), (1, 0));
    start_what_was_sent(w.world());
    let s = w.run(at(2, 40)).await.expect("run");
    assert!(s.reconciled.is_empty());
    assert_eq!(w.world().sent.borrow().len(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn a_recovered_launch_publishes_nothing_and_a_failed_run_only_when_asked() {
    let failed = trail_event("cloudtrail_runtask_agent.json");
    let id = "6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b";
    let t = failed
        .pointer("/detail/eventTime")
        .and_then(Value::as_str)
        .expect("eventTime")
        .to_string();
    let rerun = json!({"detail-type": "ECS Task State Change", "source": "aws.ecs", "time": t,
        "detail": {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/rerun1", "startedBy": format!("ecs-rerun/{id}"),
            "createdAt": t, "lastStatus": "RUNNING", "startedAt": t}});
    let due = DateTime::parse_from_rfc3339(&t)
        .expect("time")
        .with_timezone(&Utc);
    let cron = format!(
        "cron({} {} * * ? *)",
        chrono::Timelike::minute(&due),
        chrono::Timelike::hour(&due)
    );
    let mut facts = BTreeMap::new();
    for e in [&failed, &rerun] {
        let item = ecs_rerun_watchdog::record::fact_item(e, chrono::TimeDelta::days(3))
            .expect("ok")
            .expect("a fact");
        facts.insert((item.pk, item.sk), item.event);
    }
    let account = Account {
        doc: json!({"rules": [rule("nightly-batch", &cron, "ENABLED")]}),
        facts,
        ..Account::default()
    };
    let w = Watchdog::new(
        config(&[("ALERT_KINDS", "missed,failed-to-start,failed")]),
        account,
    );
    let s = w
        .run(due + chrono::TimeDelta::minutes(20))
        .await
        .expect("run");
    assert_eq!(s.decided, 1);
    assert!(s.published.is_empty(), "recovered: {s:?}");
    assert!(w.world().claims.borrow().is_empty());
    // the control: the same schedule without its facts is missed, and published
    let bare = Account {
        doc: json!({"rules": [rule("nightly-batch", &cron, "ENABLED")]}),
        ..Account::default()
    };
    let w = Watchdog::new(
        config(&[("ALERT_KINDS", "missed,failed-to-start,failed")]),
        bare,
    );
    let s = w
        .run(due + chrono::TimeDelta::minutes(20))
        .await
        .expect("run");
    assert_eq!(s.published.len(), 1);
    assert_eq!(
        kinds(w.world()),
        vec![(WatchKind::Missed, "nightly-batch".to_string())]
    );
}

#[test]
fn bad_configuration_is_one_line_naming_the_variable() {
    let err = WatchdogConfig::from_lookup(|k| (k == "FACTS_TABLE").then(|| "t".to_string()))
        .expect_err("missing");
    assert_eq!(
        err.to_string(),
        "missing environment variable NOTIFICATION_TOPIC_ARN"
    );
    let vars: HashMap<&str, &str> = [
        ("FACTS_TABLE", "t"),
        ("NOTIFICATION_TOPIC_ARN", "a"),
        ("STARTER_QUEUE_URL", "q"),
        ("STATE_MACHINE_ARN", SM),
        ("ALERT_KINDS", "missed,late"),
    ]
    .into();
    let err = WatchdogConfig::from_lookup(move |k| vars.get(k).map(|v| v.to_string()))
        .expect_err("bad kind");
    assert_eq!(err.error_type(), "EcsRerunWatchdog.InvalidEnv");
    assert!(
        err.to_string().contains("\"late\" is none of them"),
        "{err}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_task_stopped_for_a_transient_cause_is_rerun_once_through_the_starter() {
    let mut call = trail_event("cloudtrail_runtask_agent.json");
    let task = "arn:aws:ecs:us-east-1:123456789012:task/prod/eni1";
    call["detail"]["responseElements"]["tasks"] = json!([{"taskArn": task}]);
    call["detail"]["responseElements"]["failures"] = json!([]);
    let t = call
        .pointer("/detail/eventTime")
        .and_then(Value::as_str)
        .expect("eventTime")
        .to_string();
    let mut facts = BTreeMap::new();
    for status in ["PENDING", "STOPPED"] {
        let e = json!({"detail-type": "ECS Task State Change", "source": "aws.ecs", "time": t,
            "detail": {"taskArn": task, "startedBy": "events-rule/nightly-batch", "createdAt": t, "lastStatus": status,
                "stopCode": "TaskFailedToStart", "stoppedReason": "Timeout waiting for network interface provisioning to complete."}});
        let item = ecs_rerun_watchdog::record::fact_item(&e, chrono::TimeDelta::days(3))
            .expect("ok")
            .expect("a fact");
        facts.insert((item.pk, item.sk), item.event);
    }
    let due = DateTime::parse_from_rfc3339(&t)
        .expect("time")
        .with_timezone(&Utc);
    let cron = format!(
        "cron({} {} * * ? *)",
        chrono::Timelike::minute(&due),
        chrono::Timelike::hour(&due)
    );
    let account = Account {
        doc: json!({"rules": [rule("nightly-batch", &cron, "ENABLED")]}),
        facts,
        trail: vec![call],
        ..Account::default()
    };
    let w = Watchdog::new(
        config(&[(
            "TRANSIENT_STOPPED_REASONS",
            "network interface provisioning",
        )]),
        account,
    );
    let s = w
        .run(due + chrono::TimeDelta::minutes(20))
        .await
        .expect("run");
    assert_eq!(s.rerun, vec![task.to_string()]);
    let sent: Value = serde_json::from_str(&w.world().sent.borrow()[0]).expect("JSON");
    assert_eq!(
        sent["detail"]["responseElements"]["failures"][0]["reason"],
        "STOPPED_BEFORE_RUNNING"
    );
    let n = Notification::parse(&w.world().published.borrow()[0].1)
        .expect("the failed-to-start notice");
    assert_eq!(watch_kind(&n), Some(WatchKind::FailedToStart));
    assert!(
        n.context("details")
            .unwrap_or("")
            .contains("re-run: the stoppedReason is listed as transient"),
        "{n:?}"
    );
    let s = w
        .run(due + chrono::TimeDelta::minutes(25))
        .await
        .expect("run");
    assert!(s.rerun.is_empty() && s.published.is_empty(), "once: {s:?}");
    assert_eq!(
        w.world().sent.borrow().len(),
        1,
        "the reconciler did not take it: it has no failures of its own"
    );
}
