"""The `watchdog` scenarios (CONTRACT §10): real schedules on LocalStack (EventBridge rules and
Scheduler schedules with ECS targets), facts through the real pipeline (ECS Task State Change and
RunTask failure events PutEvents'ed onto the bus -> TaskStateChangeRule / RunTaskFailureRule ->
FactsQueue -> poller -> ecs-rerun-recorder -> DynamoDB in moto), CloudWatch FailedInvocations
datapoints (PutMetricData on LocalStack), CloudTrail RunTask calls from recorded LookupEvents
responses (trail.py), and ecs-rerun-watchdog invoked through `cargo lambda watch`'s Invoke API with
the "Scheduled Event" WatchdogScheduleRule would send; its clock is that event's `time`.

Times are relative to the real clock (due = now - N minutes, to the minute) so that CloudWatch
and Scheduler take them; each schedule's expression is a cron of that one minute of that one day
and year (`cron(M H D Mon ? YYYY)`), so it has exactly one run ever. Names are unique per run
(`wd-<scenario>-<id>-<6 hex>`) and every schedule is deleted when its scenario ends, so no later
scenario's watchdog run sees it; the assertions look only at the scenario's own schedules and
eventIDs (the watchdog sees the whole account).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import time
import uuid
from typing import Any

import boto3
from botocore.config import Config

import sink as sinkmod
import trail as trailmod
from checks import kind_of, notifier_records, parse_notification
from common import CLOCK, ROOT, TERMINAL, Env, Fail, check, say, short
from history import executions_for

ACCOUNT = "123456789012"
CLUSTER = f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/prod"
TASK_DEFINITION = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/nightly-report:7"
TARGET_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecs-rerun-local-schedule-role"  # any ARN: nothing assumes it
WATCHDOG = "ecs-rerun-watchdog"
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "watchdog")

WATCHDOG_KEYS = {"schedules", "failedInvocations", "taskStates", "launchFailure", "trailOnly", "originalLaunch", "invocations", "quietSeconds"}
SCHEDULE_KEYS = {"id", "type", "state", "dueMinutesAgo", "name"}
TASK_STATE_KEYS = {"schedule", "fixture", "afterDueSeconds"}
LAUNCH_KEYS = {"schedule", "fixture", "afterDueSeconds", "rerunRunning", "notifications"}
TRAIL_KEYS = {"id", "fixture", "minutesAgo", "notifications"}
ORIGINAL_KEYS = {"schedule", "fixture", "afterDueSeconds", "notifications"}
INVOCATION_KEYS = {"laterMinutes", "published", "reconciled", "rerun", "slackContains"}


def watchdog_problems(name: str, w: dict[str, Any]) -> list[str]:
    """Unknown keys of a `watchdog` scenario (scenarios.py's scenario_problems calls this)."""
    out = [f"scenario {name}: unknown key watchdog.{k}" for k in sorted(set(w) - WATCHDOG_KEYS)]
    ids = set()
    for i, s in enumerate(w.get("schedules") or []):
        out += [f"scenario {name}: unknown key watchdog.schedules[{i}].{k}" for k in sorted(set(s) - SCHEDULE_KEYS)]
        if s.get("type") not in ("rule", "schedule"):
            out.append(f"scenario {name}: watchdog.schedules[{i}].type must be rule or schedule")
        ids.add(s.get("id"))
    for i, t in enumerate(w.get("taskStates") or []):
        out += [f"scenario {name}: unknown key watchdog.taskStates[{i}].{k}" for k in sorted(set(t) - TASK_STATE_KEYS)]
        if not os.path.isfile(os.path.join(FIXTURES, f"ecs_task-state-change_{t.get('fixture')}.json")):
            out.append(f"scenario {name}: no fixture tests/fixtures/watchdog/ecs_task-state-change_{t.get('fixture')}.json")
    lf = w.get("launchFailure")
    if lf is not None:
        out += [f"scenario {name}: unknown key watchdog.launchFailure.{k}" for k in sorted(set(lf) - LAUNCH_KEYS)]
    ol = w.get("originalLaunch")
    if ol is not None:
        out += [f"scenario {name}: unknown key watchdog.originalLaunch.{k}" for k in sorted(set(ol) - ORIGINAL_KEYS)]
        if ol.get("schedule") not in {t.get("schedule") for t in w.get("taskStates") or []}:
            out.append(f"scenario {name}: watchdog.originalLaunch.schedule names no schedule with taskStates")
    for i, t in enumerate(([lf] if lf else []) + ([ol] if ol else []) + list(w.get("trailOnly") or [])):
        if not os.path.isfile(trailmod.fixture_path(str(t.get("fixture")))):
            out.append(f"scenario {name}: no fixture tests/fixtures/watchdog/cloudtrail_lookupevents_{t.get('fixture')}.json")
    for i, t in enumerate(w.get("trailOnly") or []):
        out += [f"scenario {name}: unknown key watchdog.trailOnly[{i}].{k}" for k in sorted(set(t) - TRAIL_KEYS)]
    for i, inv in enumerate(w.get("invocations") or []):
        out += [f"scenario {name}: unknown key watchdog.invocations[{i}].{k}" for k in sorted(set(inv) - INVOCATION_KEYS)]
        for p in inv.get("published") or []:
            if p.get("schedule") not in ids:
                out.append(f"scenario {name}: watchdog.invocations[{i}].published names an unknown schedule {p.get('schedule')!r}")
    for x in list(w.get("failedInvocations") or []) + [t.get("schedule") for t in w.get("taskStates") or []]:
        if x not in ids:
            out.append(f"scenario {name}: watchdog names an unknown schedule {x!r}")
    if not w.get("invocations"):
        out.append(f"scenario {name}: watchdog.invocations: at least one")
    return out


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def cron_at(t: dt.datetime) -> str:
    """The cron expression with exactly one run, at minute t (both EventBridge and Scheduler)."""
    return f"cron({t.minute} {t.hour} {t.day} {t.month} ? {t.year})"


def scheduled_event(now: dt.datetime, rule_arn: str) -> dict[str, Any]:
    """What WatchdogScheduleRule sends the watchdog (EventBridge's Scheduled Event)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": iso(now),
        "region": "us-east-1",
        "resources": [rule_arn],
        "detail": {},
    }


class Run:
    """One watchdog scenario's world: its clients, schedules, events and invocations."""

    def __init__(self, e: Env, sc: dict[str, Any]):
        self.e = e
        self.sc = sc
        self.w = sc["watchdog"]
        kw = {"endpoint_url": e.args.endpoint, "region_name": e.deployed.region}
        cfg = Config(retries={"max_attempts": 2, "mode": "standard"})
        self.events = e.clients.events
        self.scheduler = boto3.client("scheduler", config=cfg, **kw)
        self.cloudwatch = e.clients.cloudwatch
        self.uniq = uuid.uuid4().hex[:6]
        self.now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        self.schedules: dict[str, dict[str, Any]] = {}
        self.event_ids: dict[str, str] = {}  # launchFailure / trailOnly id -> eventID
        self.task_arns: dict[str, str] = {}  # originalLaunch schedule id -> the task it started
        self.watch_rule_arn = f"arn:aws:events:{e.deployed.region}:{e.deployed.account}:rule/{e.deployed.stack_name}-WatchdogScheduleRule-LOCAL"
        endpoint = e.watch_endpoints["default"]
        self.lam = boto3.client(
            "lambda",
            endpoint_url=endpoint,
            region_name=e.deployed.region,
            aws_access_key_id=e.base_env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key="test",
            # one attempt: a retried watchdog run would hide a failed one
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=180),
        )

    # -- schedules ---------------------------------------------------------------------------
    def create(self, s: dict[str, Any]) -> dict[str, Any]:
        due = self.now - dt.timedelta(minutes=int(s.get("dueMinutesAgo", 20)))
        name = s.get("name") or f"wd-{self.sc['name'].removeprefix('watchdog-')}-{s['id']}-{self.uniq}"
        state = s.get("state", "ENABLED")
        expr = cron_at(due)
        if s["type"] == "rule":
            arn = self.events.put_rule(Name=name, ScheduleExpression=expr, State=state, Description="ecs-rerun local watchdog scenario")["RuleArn"]
            r = self.events.put_targets(
                Rule=name,
                Targets=[
                    {
                        "Id": "ecs",
                        "Arn": CLUSTER,
                        "RoleArn": TARGET_ROLE,
                        "EcsParameters": {"TaskDefinitionArn": TASK_DEFINITION, "TaskCount": 1, "LaunchType": "EC2"},
                    }
                ],
            )
            check(r.get("FailedEntryCount", 0) == 0, f"PutTargets {name}: {r}")
            signature = f"events-rule/{name}"[:36]
        else:
            arn = self.scheduler.create_schedule(
                Name=name,
                ScheduleExpression=expr,
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                State=state,
                Target={
                    "Arn": CLUSTER,
                    "RoleArn": TARGET_ROLE,
                    "EcsParameters": {"TaskDefinitionArn": TASK_DEFINITION, "TaskCount": 1, "LaunchType": "EC2"},
                },
            )["ScheduleArn"]
            signature = f"chronos-schedule/{name}"[:36]
        out = {**s, "name": name, "arn": arn, "due": due, "expression": expr, "signature": signature, "state": state}
        self.schedules[s["id"]] = out
        say(f"  {s['type']} {name} ({state}, {expr}, due {iso(due)}, startedBy {signature})")
        return out

    def delete_all(self) -> None:
        for s in self.schedules.values():
            try:
                if s["type"] == "rule":
                    self.events.remove_targets(Rule=s["name"], Ids=["ecs"])
                    self.events.delete_rule(Name=s["name"])
                else:
                    self.scheduler.delete_schedule(Name=s["name"])
            except Exception as ex:  # noqa: BLE001 - cleanup: say it, never hide the scenario's result
                say(f"  cleanup: {s['name']}: {type(ex).__name__}: {ex}")

    # -- facts -------------------------------------------------------------------------------
    def failed_invocations(self, sid: str) -> None:
        s = self.schedules[sid]
        self.cloudwatch.put_metric_data(
            Namespace="AWS/Events",
            MetricData=[
                {
                    "MetricName": "FailedInvocations",
                    "Dimensions": [{"Name": "RuleName", "Value": s["name"]}],
                    "Timestamp": s["due"],
                    "Value": 1.0,
                    "Unit": "Count",
                }
            ],
        )
        say(f"  CloudWatch: AWS/Events FailedInvocations 1 at {iso(s['due'])} (RuleName {s['name']})")

    def put(self, ev: dict[str, Any]) -> None:
        r = self.events.put_events(
            Entries=[
                {
                    "Source": ev["source"],
                    "DetailType": ev["detail-type"],
                    "Detail": json.dumps(ev["detail"]),
                    "Resources": ev.get("resources") or [],
                    "EventBusName": self.e.bus,
                }
            ]
        )
        check(r.get("FailedEntryCount", 0) == 0, f"PutEvents failed: {r.get('Entries')}")

    def task_state(self, fixture: str, started_by: str, created: dt.datetime, task_id: str) -> dict[str, Any]:
        """A recorded ECS Task State Change moved to this task: its ARN, startedBy and times
        (created, +2 s pulled/started, +40 s stopped, as the fixture's own distances)."""
        with open(os.path.join(FIXTURES, f"ecs_task-state-change_{fixture}.json")) as f:
            ev = json.load(f)
        ev = copy.deepcopy(ev)
        d = ev["detail"]
        base = dt.datetime.strptime(d["createdAt"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
        for k in ("createdAt", "startedAt", "stoppedAt", "stoppingAt", "pullStartedAt", "pullStoppedAt", "connectivityAt", "executionStoppedAt", "updatedAt"):
            if k in d:
                t = dt.datetime.strptime(d[k], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
                d[k] = iso_ms(created + (t - base))
        old_arn = d["taskArn"]
        new_arn = old_arn.rsplit("/", 1)[0] + "/" + task_id
        text = json.dumps(ev).replace(old_arn, new_arn)
        ev = json.loads(text)
        ev["detail"]["startedBy"] = started_by
        ev["id"] = str(uuid.uuid4())
        ev["time"] = iso(created)
        return ev

    def facts_count(self, pk: str) -> int:
        ddb = self.e.clients.dynamodb
        table = self.e.deployed.function_env.get(WATCHDOG, {}).get("FACTS_TABLE")
        if ddb is None or not table:
            return -1
        r = ddb.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": pk}}, Select="COUNT")
        return int(r["Count"])

    def wait_facts(self, pk: str, want: int, timeout: float = 30) -> None:
        end = time.time() + timeout
        n = self.facts_count(pk)
        while n < want and time.time() < end:
            time.sleep(0.5)
            n = self.facts_count(pk)
        check(n >= want, f"the recorder wrote {n} fact(s) under {pk} in {timeout:.0f} s, want {want}")
        say(f"  facts: {n} item(s) under {pk} (recorder -> moto)")

    # -- the watchdog --------------------------------------------------------------------------
    def invoke(self, now: dt.datetime) -> dict[str, Any]:
        t0 = time.time()
        ev = scheduled_event(now, self.watch_rule_arn)
        try:
            r = self.lam.invoke(FunctionName=WATCHDOG, Payload=json.dumps(ev).encode())
        except Exception as ex:  # cargo lambda watch answers a function error with HTTP 500
            raise Fail(f"{WATCHDOG} at {iso(now)} failed ({type(ex).__name__}): {last_error(self.e)}") from None
        payload = r["Payload"].read().decode()
        check(not r.get("FunctionError"), f"{WATCHDOG} failed: {short(payload, 400)}")
        try:
            summary = json.loads(payload)
        except ValueError:
            raise Fail(f"{WATCHDOG} answered no JSON summary: {short(payload, 200)}") from None
        say(f"  {WATCHDOG} at {iso(now)} ({time.time() - t0:.2f} s): {short(summary, 400)}")
        for k in ("now", "schedules", "decided", "published", "disabledReported", "reconciled"):
            check(k in summary, f"the summary has no {k!r}: {summary}")
        check(summary["now"] == iso(now), f"summary now {summary['now']}, the event's time {iso(now)}")
        return summary


def last_error(e: Env) -> str:
    """The watchdog's last logged error (its log under the run dir), one line."""
    path = os.path.join(e.args.run_dir, f"{WATCHDOG}-default.log")
    try:
        with open(path, errors="replace") as f:
            lines = [x for x in f if "ERROR" in x and "invocation failed" in x]
    except OSError:
        lines = []
    if not lines:
        return f"see {os.path.relpath(path, ROOT)}"
    text = lines[-1]
    i = text.find("error_type=")
    return short(text[i if i >= 0 else 0 :].strip(), 400)


def _mine(run: Run, summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    arns = {s["arn"]: sid for sid, s in run.schedules.items()}
    return sorted((p["kind"], arns[p["schedule"]], p.get("due", "")) for p in summary["published"] if p.get("schedule") in arns)


def _watch_records(e: Env, invs: list[Any], arns: set[str]) -> list[dict[str, Any]]:
    out = []
    for inv in invs:
        if inv.label != "notifier":
            continue
        for body in inv.bodies:
            n = parse_notification(body)
            ctx = (n or {}).get("metadata", {}).get("additionalContext", {})
            if ctx.get("scheduleArn") in arns:
                out.append(n)
    return out


def _posts_naming(posts: list[sinkmod.Post], names: list[str], but: set[str] | None = None) -> list[sinkmod.Post]:
    """Accepted posts that name one of the schedules, except the re-run pipeline's own posts of the
    scenario's launch failures (they say the schedule's startedBy, and an eventID of `but`; a
    watchdog post may name that eventID too, in the execution that re-runs its task)."""
    out = []
    for p in posts:
        text = json.dumps(p.body)
        ours = WATCH_HEADER.search(sinkmod.header(p.body) or "") is not None
        if p.accepted and any(n in text for n in names) and (ours or not any(x in text for x in but or set())):
            out.append(p)
    return out


# the headers of the watchdog's own notices (crates/core/src/watch.rs titles)
WATCH_HEADER = re.compile(r"^:[a-z_]+: (Scheduled run (missed|failed to start|failed)|Schedule disabled): ")


def wait_pipeline(e: Env, eid: str, kinds: list[str], seq0: int, inv0: int, timeout: float) -> list[dict[str, Any]]:
    """The re-run pipeline for one launch failure: its execution(s) finished and the notifier's
    notifications of `kinds` for its eventID posted to Slack. Returns the executions."""
    end = time.time() + timeout
    while True:
        execs = executions_for(e, eid)
        recs = notifier_records(e, e.poller.since(inv0), eid)
        got = sorted(kind_of(n["notification"]) for inv, n in recs if inv.deleted)
        if execs and all(x.get("status") in TERMINAL for x in execs) and got == sorted(kinds):
            return execs
        if time.time() > end:
            raise Fail(f"eventID {eid}: executions {[x.get('status') for x in execs]}, notifications posted {got}, want {kinds}")
        time.sleep(0.5)


def run_watchdog_scenario(e: Env, sc: dict[str, Any], deadline: float) -> None:
    check(WATCHDOG in e.run_bins, f"the template has no function for {WATCHDOG} (WatchdogFunction): nothing to run")
    check(e.clients.dynamodb is not None, "no DynamoDB endpoint (scripts/demo starts moto and passes --dynamodb-endpoint)")
    run = Run(e, sc)
    w = run.w
    seq0 = e.sink.last_seq()
    inv0 = e.poller.count()
    CLOCK["t0"] = time.time()
    try:
        for s in w.get("schedules") or []:
            run.create(s)
        for sid in w.get("failedInvocations") or []:
            run.failed_invocations(sid)

        # ECS Task State Changes of a schedule's task, through TaskStateChangeRule -> recorder
        per_pk: dict[str, int] = {}
        task_ids: dict[str, str] = {}
        for t in w.get("taskStates") or []:
            s = run.schedules[t["schedule"]]
            tid = task_ids.setdefault(t["schedule"], uuid.uuid4().hex)
            created = s["due"] + dt.timedelta(seconds=int(t.get("afterDueSeconds", 2)))
            ev = run.task_state(t["fixture"], s["signature"], created, tid)
            run.put(ev)
            per_pk[f"sb#{s['signature']}"] = per_pk.get(f"sb#{s['signature']}", 0) + 1
            say(f"  PutEvents ECS Task State Change {ev['detail']['lastStatus']} task {tid} startedBy {s['signature']} createdAt {ev['detail']['createdAt']}")

        # a launch that failed: in CloudTrail and PutEvents'ed (RunTaskFailureRule -> starter + facts)
        lf = w.get("launchFailure")
        if lf:
            s = run.schedules[lf["schedule"]]
            at = s["due"] + dt.timedelta(seconds=int(lf.get("afterDueSeconds", 1)))
            (ct,) = trailmod.place(trailmod.load_fixture(lf["fixture"]), at, {"{RULE_NAME}": s["name"]})
            e.trail.add([ct])
            ev = trailmod.as_eventbridge(ct)
            eid = ev["detail"]["eventID"]
            run.event_ids["launchFailure"] = eid
            check(ev["detail"]["requestParameters"].get("startedBy") == s["signature"], f"the fixture's startedBy is {ev['detail']['requestParameters'].get('startedBy')}, want {s['signature']}")
            run.put(ev)
            per_pk[f"sb#{s['signature']}"] = per_pk.get(f"sb#{s['signature']}", 0) + 1
            say(f"  PutEvents RunTask failure eventID {eid} at {ev['detail']['eventTime']} (also in CloudTrail)")
            execs = wait_pipeline(e, eid, list(lf.get("notifications") or ["launch-failed", "recovered"]), seq0, inv0, max(10.0, deadline - time.time() - 20))
            say(f"  re-run execution(s): {[(x['name'][-12:], x.get('status')) for x in execs]}")
            if lf.get("rerunRunning", True):
                # the re-run's task (the mock's RunTask answer) reaches RUNNING: its state change
                ecs_arn = _rerun_task_arn(e, execs)
                tid = ecs_arn.rsplit("/", 1)[-1]
                ev2 = run.task_state("running-rerun", f"ecs-rerun/{eid}", at + dt.timedelta(seconds=70), tid)
                run.put(ev2)
                run.wait_facts(f"sb#ecs-rerun/{eid}", 1)
                say(f"  PutEvents ECS Task State Change RUNNING task {tid} startedBy ecs-rerun/{eid}")
        for pk, n in per_pk.items():
            run.wait_facts(pk, n)

        # the successful RunTask call that started a schedule's task (CloudTrail only, as on AWS:
        # RunTaskFailureRule takes failures only): the watchdog finds it by the task ARN to re-run
        # a task that stopped before running for a transient cause
        ol = w.get("originalLaunch")
        if ol:
            s = run.schedules[ol["schedule"]]
            at = s["due"] + dt.timedelta(seconds=int(ol.get("afterDueSeconds", 1)))
            tid = task_ids[ol["schedule"]]
            (ct,) = trailmod.place(trailmod.load_fixture(ol["fixture"]), at, {"{RULE_NAME}": s["name"], "{TASK_ID}": tid})
            e.trail.add([ct])
            run.event_ids["originalLaunch"] = ct["EventId"]
            run.task_arns[ol["schedule"]] = json.loads(ct["CloudTrailEvent"])["responseElements"]["tasks"][0]["taskArn"]
            say(f"  CloudTrail only: the RunTask call eventID {ct['EventId']} at {iso(at)} that started task {tid}")

        # RunTask failures CloudTrail has and EventBridge never delivered (the reconciler's)
        for t in w.get("trailOnly") or []:
            at = run.now - dt.timedelta(minutes=int(t.get("minutesAgo", 10)))
            (ct,) = trailmod.place(trailmod.load_fixture(t["fixture"]), at)
            e.trail.add([ct])
            run.event_ids[t.get("id", "trailOnly")] = ct["EventId"]
            say(f"  CloudTrail only (never PutEvents'ed): RunTask failure eventID {ct['EventId']} at {iso(at)}")

        # the watchdog's runs
        names = [s["name"] for s in run.schedules.values()]
        arns = {s["arn"] for s in run.schedules.values()}
        for i, inv in enumerate(w["invocations"]):
            at = run.now + dt.timedelta(minutes=float(inv.get("laterMinutes", 0)))
            seq_i = e.sink.last_seq()
            inv_i = e.poller.count()
            CLOCK["t0"] = time.time()  # the sink's "+N s" of this invocation's posts: from the invoke
            summary = run.invoke(at)
            got = _mine(run, summary)
            want = sorted(
                (p["kind"], p["schedule"], iso(run.schedules[p["schedule"]]["due"]) if p["kind"] != "disabled" else "")
                for p in inv.get("published") or []
            )
            check(got == want, f"invocation {i + 1}: published for this scenario's schedules {got}, want {want}")
            want_rec = [run.event_ids[x] for x in inv.get("reconciled") or []]
            mine_rec = [x for x in summary["reconciled"] if x in set(run.event_ids.values())]
            check(mine_rec == want_rec, f"invocation {i + 1}: reconciled {mine_rec} of this scenario's eventIDs, want {want_rec}")
            want_rerun = [run.task_arns[x] for x in inv.get("rerun") or []]
            mine_rerun = [x for x in summary.get("rerun") or [] if x in set(run.task_arns.values())]
            check(mine_rerun == want_rerun, f"invocation {i + 1}: re-ran {mine_rerun} of this scenario's tasks, want {want_rerun}")
            # each publication reaches Slack through the topic, the notifier queue and the notifier
            if want:
                ids = set(run.event_ids.values())
                ok = e.sink.wait_for(lambda ps, n=len(want): len(_posts_naming([p for p in ps if p.seq > seq_i], names, ids)) >= n, max(5.0, deadline - time.time()))
                posts = _posts_naming(e.sink.since(seq_i), names, ids)
                check(ok, f"invocation {i + 1}: {len(posts)} Slack post(s) name this scenario's schedules, want {len(want)}")
                # the notifier's invocation is recorded once it returns (just after its post)
                end = time.time() + 10
                recs = _watch_records(e, e.poller.since(inv_i), arns)
                while len(recs) < len(want) and time.time() < end:
                    time.sleep(0.2)
                    recs = _watch_records(e, e.poller.since(inv_i), arns)
                for kind, sid, due in want:
                    s = run.schedules[sid]
                    rec = [n for n in recs if n["metadata"]["additionalContext"].get("scheduleArn") == s["arn"] and kind_of(n) == kind]
                    check(len(rec) >= 1, f"the notifier received no {kind} notification for {s['name']}")
                    ctx = rec[0]["metadata"]["additionalContext"]
                    check(ctx.get("source") == "ecs-rerun-watchdog", f"{kind} {s['name']}: additionalContext.source {ctx.get('source')!r}")
                    check(ctx.get("dueAt") == due and ctx.get("scheduleName") == s["name"], f"{kind} {s['name']}: dueAt {ctx.get('dueAt')!r} scheduleName {ctx.get('scheduleName')!r}")
                    check(rec[0].get("id") == f"watch/{s['name']}/{due}/{kind}", f"{kind} {s['name']}: id {rec[0].get('id')!r}")
                    post = [p for p in posts if s["name"] in json.dumps(p.body)]
                    check(len(post) == 1, f"{kind} {s['name']}: {len(post)} Slack posts name it, want 1")
                    text = json.dumps(post[0].body)
                    for c in inv.get("slackContains", {}).get(kind, []):
                        c = c.replace("{name}", s["name"]).replace("{due}", due)
                        check(c in text, f"{kind} {s['name']}: the Slack post does not say {c!r}: {short(sinkmod.message_text(post[0].body), 300)}")
                    say(f"  slack: {kind} for {s['name']} (due {due or '-'}), header {sinkmod.header(post[0].body)!r}")
            # a never-started task's re-run goes through the starter and the state machine
            if inv.get("rerun"):
                eid = run.event_ids["originalLaunch"]
                execs = wait_pipeline(e, eid, list(ol.get("notifications") or ["launch-failed", "recovered"]), seq0, inv0, max(10.0, deadline - time.time()))
                check(len(execs) == 1 and execs[0].get("status") == "SUCCEEDED", f"re-run of {eid}: executions {[x.get('status') for x in execs]}")
                say(f"  re-run {eid}: execution {execs[0]['name']} {execs[0].get('status')}, Slack launch-failed + recovered")
            # the reconciled launches run through the re-run pipeline like delivered ones
            for x in inv.get("reconciled") or []:
                eid = run.event_ids[x]
                spec = next(t for t in w.get("trailOnly") or [] if t.get("id", "trailOnly") == x)
                execs = wait_pipeline(e, eid, list(spec.get("notifications") or ["launch-failed", "recovered"]), seq0, inv0, max(10.0, deadline - time.time()))
                check(len(execs) == 1 and execs[0].get("status") == "SUCCEEDED", f"reconciled {eid}: executions {[x.get('status') for x in execs]}")
                say(f"  reconciled {eid}: execution {execs[0]['name']} {execs[0].get('status')}, Slack launch-failed + recovered")

        # nothing more: no other post names these schedules
        time.sleep(float(w.get("quietSeconds", 2)))
        all_posts = _posts_naming(e.sink.since(seq0), names, set(run.event_ids.values()))
        want_total = sum(len(inv.get("published") or []) for inv in w["invocations"])
        check(len(all_posts) == want_total, f"{len(all_posts)} Slack post(s) name this scenario's schedules, want {want_total}")
        if lf:
            recs = _watch_records(e, e.poller.since(inv0), arns)
            check(not recs, f"the watchdog notified {[kind_of(n) for n in recs]} for a run that recovered")
    finally:
        run.delete_all()


def _rerun_task_arn(e: Env, execs: list[dict[str, Any]]) -> str:
    """The task the re-run started (the Rerun Task mock's answer, in the execution's history)."""
    for x in execs:
        h = e.clients.sfn.get_execution_history(executionArn=x["executionArn"], maxResults=1000)["events"]
        for ev in h:
            out = (ev.get("taskSucceededEventDetails") or {}).get("output")
            if out and '"TaskArn"' in out:
                tasks = json.loads(out).get("Tasks") or []
                if tasks:
                    return tasks[0]["TaskArn"]
    raise Fail("the re-run started no task (no TaskArn in the Rerun Task output)")
