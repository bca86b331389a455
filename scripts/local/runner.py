"""ecs-rerun local pipeline: deploy the real template to LocalStack, run the Rust Lambdas under
`cargo lambda watch`, poll the queues, receive Slack posts, and run the scenarios of
tests/local/scenarios.json, asserting each outcome.

Started by scripts/demo (and .ci/run) once LocalStack is up; see scripts/local/README.md.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import hashlib
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

import sink as sinkmod
import stack as stackmod
from poller import Mapping, Poller
from procs import Children, free_port, wait_port

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINS = ["ecs-rerun-starter", "ecs-rerun-notifier"]
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

_print_lock = threading.Lock()
CLOCK = {"t0": time.time()}  # the current scenario's first PutEvents


def say(msg: str = "") -> None:
    with _print_lock:
        print(msg, flush=True)


def short(v: Any, n: int = 110) -> str:
    s = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
    s = s.replace("\n", " ")
    return s if len(s) <= n else s[: n - 1] + "…"


class Fail(Exception):
    pass


def check(cond: bool, why: str) -> None:
    if not cond:
        raise Fail(why)


def pascal(v: Any) -> Any:
    """camelCase CloudTrail requestParameters -> PascalCase RunTask input (keys only, recursively)."""
    if isinstance(v, dict):
        return {(k[:1].upper() + k[1:]): pascal(x) for k, x in v.items()}
    if isinstance(v, list):
        return [pascal(x) for x in v]
    return v


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}.{k}: unexpected {short(b[k], 60)}")
            elif k not in b:
                out.append(f"{path}.{k}: missing (want {short(a[k], 60)})")
            else:
                out.extend(diff(a[k], b[k], f"{path}.{k}"))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out.extend(diff(x, y, f"{path}[{i}]"))
        return out
    return [] if a == b else [f"{path}: want {short(a, 60)}, got {short(b, 60)}"]


def set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        obj = obj.setdefault(p, {})
    obj[parts[-1]] = value


def del_path(obj: dict[str, Any], path: str) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        obj = obj.get(p) or {}
    obj.pop(parts[-1], None)


# -- the running pipeline -------------------------------------------------------------------------
@dataclass
class Env:
    args: argparse.Namespace
    clients: stackmod.Clients
    deployed: stackmod.Deployed
    sink: sinkmod.SlackSink
    poller: Poller
    children: Children
    spec: dict[str, Any]
    sm_arn: str
    sm_name: str
    test_case: str
    starter_queue: Mapping
    notifier_queue: Mapping | None
    notifier_dlq_url: str | None
    bus: str
    rule_pattern: str
    watch_endpoints: dict[str, str] = field(default_factory=dict)  # variant -> endpoint
    starter_variant: str = "default"
    mock_mtime: int = 0
    base_env: dict[str, str] = field(default_factory=dict)
    asl: dict[str, Any] = field(default_factory=dict)
    starter_dlq_url: str | None = None
    mock_source: dict[str, Any] = field(default_factory=dict)


def start_watch(e: Env, variant: str) -> str:
    """Start `cargo lambda watch --only-lambda-apis` (the Lambda Invoke + Runtime APIs) and, behind
    it, the two built function binaries with the template's environment (plus the variant's
    overrides), each as Lambda would run it (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME …).
    The binaries come from `cargo build` (scripts/demo), so no `cargo run` happens mid-scenario.
    Return the Invoke API endpoint."""
    if variant in e.watch_endpoints:
        return e.watch_endpoints[variant]
    overrides = {} if variant == "default" else e.spec["starterVariants"][variant]
    port = free_port()
    argv = [
        e.args.cargo_lambda,
        "lambda",
        "watch",
        "--only-lambda-apis",
        "--invoke-address",
        "127.0.0.1",
        "--invoke-port",
        str(port),
        "--timeout",
        "60",
    ]
    log_path = os.path.join(e.args.run_dir, f"watch-{variant}.log")
    p = e.children.start(f"watch-{variant}", argv, dict(e.base_env), log_path, ROOT)
    if not wait_port(port, 60, p):
        raise SystemExit(f"error: cargo lambda watch ({variant}) did not start; see {log_path}")
    say(
        f"watch[{variant}]: cargo lambda watch --only-lambda-apis on 127.0.0.1:{port} (pid {p.pid}, log {os.path.relpath(log_path, ROOT)})"
    )
    for b in BINS:
        fn_env = dict(e.deployed.function_env.get(b, {}))
        if b == "ecs-rerun-starter":
            fn_env.update(overrides)
        env = dict(e.base_env)
        env.update(fn_env)
        env.update(
            {
                "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{port}/.rt/{b}",
                "AWS_LAMBDA_FUNCTION_NAME": b,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            }
        )
        fn_log = os.path.join(e.args.run_dir, f"{b}-{variant}.log")
        exe = os.path.join(e.args.bin_dir, b)
        if not os.access(exe, os.X_OK):
            raise SystemExit(f"error: {exe} not built (scripts/demo runs cargo build -p {b})")
        e.children.start(f"{b}-{variant}", [exe], env, fn_log, ROOT, restart=True)
        shown = {k: ("<local sink>" if k == "SLACK_WEBHOOK_URL" else v) for k, v in sorted(fn_env.items())}
        say(f"  {b}: {', '.join(f'{k}={v}' for k, v in shown.items())} (log {os.path.relpath(fn_log, ROOT)})")
    endpoint = f"http://127.0.0.1:{port}"
    e.watch_endpoints[variant] = endpoint
    warm(e, endpoint)
    return endpoint


def warm(e: Env, endpoint: str) -> None:
    """Invoke each function once with an empty SQS batch so cargo lambda watch starts the binaries
    now, not inside the first scenario's timings."""
    lam = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name=e.deployed.region,
        aws_access_key_id=e.base_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=600),
    )
    for b in BINS:
        t0 = time.time()
        r = lam.invoke(FunctionName=b, Payload=b'{"Records":[]}')
        payload = r["Payload"].read().decode()
        status = "error " + short(payload, 200) if r.get("FunctionError") else "ok"
        say(f"  warm-up {b}: {time.time() - t0:.1f} s, {status}")


def install_mocks(e: Env, name: str) -> None:
    """Put scenario `name`'s test case of tests/local/sfn-mock-config.json (if it has one) under the
    single test case the starter uses, for the deployed state machine's name."""
    src = e.mock_source
    ((_, machine),) = src["StateMachines"].items()
    test_case: dict[str, str] = dict(machine["TestCases"].get(name) or {})
    mocked = {resp: src["MockedResponses"][resp] for resp in test_case.values()}
    cfg = {
        "StateMachines": {e.sm_name: {"TestCases": {e.test_case: test_case}}},
        "MockedResponses": mocked,
    }
    tmp = e.args.mock_config + ".tmp"
    with open(tmp, "w") as f:
        json.dump(cfg, f, indent=2)
    os.replace(tmp, e.args.mock_config)
    # LocalStack caches the file by its mtime in whole seconds: make every version's mtime distinct.
    e.mock_mtime = max(e.mock_mtime + 1, int(time.time()))
    os.utime(e.args.mock_config, (e.mock_mtime, e.mock_mtime))
    if test_case:
        say(
            f"  mock: {', '.join(f'{st} <- {r}' for st, r in test_case.items())} "
            f"({', '.join(sorted(mocked[next(iter(test_case.values()))]))})"
        )


def build_event(e: Env, sc: dict[str, Any]) -> tuple[dict[str, Any], str]:
    ev_spec = sc["event"]
    candidates = []
    if ev_spec.get("fixture"):
        candidates.append(os.path.join(ROOT, "tests", "fixtures", "events", ev_spec["fixture"]))
    if ev_spec.get("fallback"):
        candidates.append(os.path.join(ROOT, "tests", "local", ev_spec["fallback"]))
    path = next((c for c in candidates if os.path.isfile(c)), None)
    if path is None:
        raise Fail(f"no event file: none of {candidates} exists")
    with open(path) as f:
        ev = json.load(f)
    if "detail" not in ev:  # a bare CloudTrail record: wrap it as EventBridge does
        ev = {
            "version": "0",
            "id": "",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.ecs",
            "account": ev.get("recipientAccountId", e.deployed.account),
            "time": ev.get("eventTime"),
            "region": ev.get("awsRegion", e.deployed.region),
            "resources": [],
            "detail": ev,
        }
    ev = copy.deepcopy(ev)
    # placeholders a `set` value may use: facts of the deployed stack
    facts = {"{STATE_MACHINE_ROLE_ARN}": e.deployed.function_env.get("ecs-rerun-starter", {}).get("STATE_MACHINE_ROLE_ARN", "")}
    for p, v in (ev_spec.get("set") or {}).items():
        if isinstance(v, str):
            for k, fact in facts.items():
                if k in v:
                    check(bool(fact), f"{k}: the deployed stack has no such value")
                    v = v.replace(k, fact)
        set_path(ev, p, v)
    for p in ev_spec.get("remove") or []:
        del_path(ev, p)
    # a fresh identity per run: execution names (and client tokens) derive from the eventID
    eid = str(uuid.uuid4())
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    d = ev["detail"]
    d["eventID"] = eid
    d["requestID"] = str(uuid.uuid4())
    d["eventTime"] = now
    ev["time"] = now
    ev["id"] = str(uuid.uuid4())
    sb = (d.get("requestParameters") or {}).get("startedBy")
    if isinstance(sb, str) and "{eventID}" in sb:
        d["requestParameters"]["startedBy"] = sb.replace("{eventID}", str(uuid.uuid4()))
    return ev, os.path.relpath(path, ROOT)


def put_event(e: Env, ev: dict[str, Any]) -> None:
    r = e.clients.events.put_events(
        Entries=[
            {
                "Source": ev["source"],
                "DetailType": ev["detail-type"],
                "Detail": json.dumps(ev["detail"]),
                "Resources": ev.get("resources") or [],
                "EventBusName": e.bus,
            }
        ]
    )
    check(r.get("FailedEntryCount", 0) == 0, f"PutEvents failed: {r.get('Entries')}")


def executions_for(e: Env, event_id: str) -> list[dict[str, Any]]:
    out = []
    for page in e.clients.sfn.get_paginator("list_executions").paginate(stateMachineArn=e.sm_arn):
        out.extend(x for x in page["executions"] if x["name"].endswith(event_id))
    return sorted(out, key=lambda x: x["startDate"])


def history(e: Env, arn: str) -> list[dict[str, Any]]:
    out = []
    for page in e.clients.sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        out.extend(page["events"])
    return out


def brief(raw: str, plan: dict[str, Any] | None, n: int = 100) -> str:
    """A state's input/output, short: the fields the state machine added or changed on top of the
    execution input (the plan), e.g. `plan + {"next": {...}}`."""
    try:
        doc = json.loads(raw)
    except (TypeError, ValueError):
        return short(raw, n)
    if plan and isinstance(doc, dict) and doc.get("executionName") == plan.get("executionName"):
        delta = {k: v for k, v in doc.items() if plan.get(k, object()) != v}
        return "plan" + (" + " + short(delta, n - 7) if delta else "")
    return short(doc, n)


def event_line(ev: dict[str, Any], names: dict[int, str], plan: dict[str, Any] | None) -> str:
    t = ev["type"]
    details = next((v for k, v in ev.items() if k.endswith("EventDetails")), {}) or {}
    name = details.get("name") or ""
    if name:
        names[ev["id"]] = name
    elif ev.get("previousEventId") in names:
        name = names[ev["previousEventId"]]
        names[ev["id"]] = name
    extra = ""
    if t == "TaskScheduled":
        params = details.get("parameters", "")
        extra = f"{details.get('resourceType')}:{details.get('resource')} {short(params, 110)}"
    elif t == "ExecutionStarted":
        extra = "input=" + short(details.get("input", ""), 100)
    elif "input" in details:
        extra = "input=" + brief(details["input"], plan)
    elif "output" in details:
        extra = "output=" + brief(details["output"], plan)
    elif "error" in details or "cause" in details:
        extra = f"error={details.get('error')} cause={short(details.get('cause', ''), 80)}"
    return f"    {ev['id']:>3}  {t:<26} {name:<22} {extra}"


class Watcher:
    """Prints each execution's history as it grows, like the console's event list."""

    def __init__(self, e: Env, event_id: str):
        self.e = e
        self.event_id = event_id
        self.seen: dict[str, int] = {}
        self.names: dict[str, dict[int, str]] = {}
        self.plans: dict[str, Any] = {}
        self.done: dict[str, str] = {}  # arn -> terminal status

    def step(self) -> list[dict[str, Any]]:
        execs = executions_for(self.e, self.event_id)
        for x in execs:
            arn = x["executionArn"]
            if arn in self.done:
                x["status"] = self.done[arn]
                continue
            if arn not in self.seen:
                say(f"  execution {x['name']}  (state machine {self.e.sm_name}, test case {self.e.test_case})")
                self.seen[arn] = 0
                self.names[arn] = {}
            # status first: when it is terminal, the history read after it is complete
            st = self.e.clients.sfn.describe_execution(executionArn=arn)["status"]
            h = history(self.e, arn)
            if h and arn not in self.plans:
                self.plans[arn] = json.loads(h[0]["executionStartedEventDetails"]["input"])
            for ev in h[self.seen[arn] :]:
                say(event_line(ev, self.names[arn], self.plans.get(arn)))
            self.seen[arn] = len(h)
            x["status"] = st
            if st in TERMINAL:
                entered = sum(1 for ev in h if ev["type"].endswith("StateEntered"))
                say(f"  execution {x['name']}: {st}, {entered} state transitions, {len(h)} events")
                self.done[arn] = st
        return execs


@dataclass
class Result:
    name: str
    ok: bool
    why: str = ""
    seconds: float = 0.0
    transitions: list[int] = field(default_factory=list)
    first_slack_s: float | None = None


def notifier_records(e: Env, invs: list[Any], event_id: str) -> list[tuple[Any, dict[str, Any]]]:
    out = []
    for inv in invs:
        if inv.label != "notifier":
            continue
        for mid, body in zip(inv.message_ids, inv.bodies, strict=True):
            n = parse_notification(body)
            if n and n.get("metadata", {}).get("additionalContext", {}).get("eventId") == event_id:
                out.append((inv, {"messageId": mid, "notification": n}))
    return out


def parse_notification(body: str) -> dict[str, Any] | None:
    try:
        env = json.loads(body)
        msg = env.get("Message", body) if isinstance(env, dict) and "TopicArn" in env else body
        n = json.loads(msg) if isinstance(msg, str) else msg
        return n if isinstance(n, dict) else None
    except ValueError:
        return None


def run_scenario(e: Env, sc: dict[str, Any]) -> Result:
    name = sc["name"]
    exp = sc.get("expect") or {}
    res = Result(name, False)
    timeout = float(sc.get("timeoutSeconds", e.args.scenario_timeout))
    t_start = time.time()
    deadline = t_start + timeout
    say("")
    say(f"=== scenario {name}: {sc.get('description', '')}")
    variant = sc.get("starter", "default")
    try:
        endpoint = start_watch(e, variant)
        e.starter_variant = variant
        if variant != "default":
            say(
                f"  starter: variant {variant} at {endpoint} ({', '.join(f'{k}={v}' for k, v in e.spec['starterVariants'][variant].items())})"
            )
        install_mocks(e, name)
        e.sink.reset()
        sk = sc.get("sink") or {}
        if "failNext" in sk:
            e.sink.fail_next(int(sk["failNext"]), int(sk.get("status", 500)))
            say(f"  slack sink: answers {sk.get('status', 500)} to the next {sk['failNext']} post(s)")
        if "down" in sk:
            e.sink.set_down(int(sk["down"]))
            say(f"  slack sink: down (answers {sk['down']} to every post)")
        ev, ev_path = build_event(e, sc)
        eid = ev["detail"]["eventID"]
        rp = ev["detail"].get("requestParameters") or {}
        say(
            f"  event: RunTask {rp.get('taskDefinition')} on {rp.get('cluster', 'default')}, startedBy="
            f"{rp.get('startedBy', '<absent>')}, failures={[f.get('reason') for f in (ev['detail'].get('responseElements') or {}).get('failures') or []]}"
        )
        say(f"         from {ev_path}, fresh eventID={eid}")
        pattern_match = e.clients.events.test_event_pattern(
            EventPattern=e.rule_pattern,
            Event=json.dumps({**ev, "time": ev["time"], "account": e.deployed.account, "region": e.deployed.region}),
        )["Result"]
        delivered = exp.get("delivered", True)
        check(
            bool(pattern_match) == delivered,
            f"the deployed rule's pattern (TestEventPattern) says match={pattern_match}, scenario expects delivered={delivered}",
        )
        inv0 = e.poller.count()
        slack0 = e.sink.last_seq()
        deliveries = int(sc.get("deliveries", 1))
        t_put = time.time()
        CLOCK["t0"] = t_put
        for i in range(deliveries):
            put_event(e, ev)
            say(f"  PutEvents #{i + 1} (+{time.time() - t_start:.1f} s)")
            if i + 1 < deliveries:
                time.sleep(float(sc.get("deliveryGapSeconds", 0.5)))

        watcher = Watcher(e, eid)
        want_execs = int(exp.get("executions", 1 if delivered else 0))
        want_kinds = list(exp.get("notifications") or [])
        want_dlq = list(exp.get("notifierDlq") or [])
        want_accepted = int(exp.get("slack", len(want_kinds) if not want_dlq else 0))

        def starter_msgs() -> int:
            n = 0
            for inv in e.poller.since(inv0):
                if inv.label == "starter":
                    n += sum(1 for b in inv.bodies if eid in b)
            return n

        dlq_found: list[dict[str, Any]] = []
        # once the executions are over, notifications have this long to arrive (SQS redeliveries)
        grace = float(sc.get("graceSeconds", 15))
        t_finished: float | None = None
        if not delivered:
            quiet = float(sc.get("quietSeconds", 4))
            while time.time() < t_put + quiet:
                watcher.step()
                time.sleep(0.5)
        else:
            # wait for: the deliveries reaching the starter, the executions finishing, the
            # notifications reaching the sink (or the DLQ)
            while True:
                execs = watcher.step()
                accepted = [p for p in e.sink.since(slack0) if p.accepted]
                done = (
                    starter_msgs() >= deliveries
                    and len(execs) >= want_execs
                    and all(x.get("status") in TERMINAL for x in execs)
                    and len(accepted) >= want_accepted
                )
                if want_dlq:
                    dlq_found = drain_dlq(e, eid, dlq_found)
                    done = done and len(dlq_found) >= len(want_dlq)
                if done:
                    break
                finished = (
                    starter_msgs() >= deliveries
                    and len(execs) >= want_execs
                    and all(x.get("status") in TERMINAL for x in execs)
                )
                if finished and t_finished is None:
                    t_finished = time.time()
                if t_finished is not None and time.time() - t_finished > grace:
                    say(f"  executions finished {grace:.0f} s ago and the rest did not happen: checking what did")
                    break
                if time.time() > deadline:
                    raise Fail(
                        f"timed out after {timeout:.0f} s: starter got {starter_msgs()}/{deliveries} deliveries, "
                        f"{len(execs)}/{want_execs} executions ({[x.get('status') for x in execs]}), "
                        f"slack accepted {len(accepted)}/{want_accepted}"
                        + (f", notifier DLQ {len(dlq_found)}/{len(want_dlq)}" if want_dlq else "")
                    )
                time.sleep(0.4)
            time.sleep(float(sc.get("settleSeconds", 1.5)))  # catch anything extra
            watcher.step()

        posts = e.sink.since(slack0)
        if posts:
            res.first_slack_s = posts[0].at - t_put
        execs = executions_for(e, eid)
        invs = e.poller.since(inv0)

        # -- assertions ---------------------------------------------------------------------
        if not delivered:
            check(starter_msgs() == 0, f"the rule delivered the event to the starter queue {starter_msgs()} time(s)")
            check(not execs, f"{len(execs)} execution(s) started, want none")
            check(not posts, f"{len(posts)} Slack post(s), want none")
            say(f"  rule did not match; no queue message, no execution, no Slack post in {sc.get('quietSeconds', 4)} s")
            res.ok = True
            return res
        check(starter_msgs() == deliveries, f"starter received {starter_msgs()} deliveries, want {deliveries}")
        check(len(execs) == want_execs, f"{len(execs)} executions, want {want_execs}")
        for x in execs:
            d = e.clients.sfn.describe_execution(executionArn=x["executionArn"])
            x["status"] = d["status"]
            h = history(e, x["executionArn"])
            res.transitions.append(sum(1 for ev in h if ev["type"].endswith("StateEntered")))
            if "status" in exp:
                check(d["status"] == exp["status"], f"execution {x['name']} is {d['status']}, want {exp['status']}")
            if "endState" in exp:
                entered = [ev["stateEnteredEventDetails"]["name"] for ev in h if "stateEnteredEventDetails" in ev]
                check(entered and entered[-1] == exp["endState"], f"last state {entered[-1:]}, want {exp['endState']}")
            check_reruns(e, ev, h, exp)
            check_waits(h, exp)
            check_failure(h)
            check_attempts(e, eid, invs, posts, h)
        check_notifications(e, eid, invs, posts, want_kinds, want_accepted, execs, exp)
        if want_dlq:
            kinds = [kind_of(n) for n in dlq_found]
            check(sorted(kinds) == sorted(want_dlq), f"notifier DLQ holds {kinds}, want {want_dlq}")
            tries = len(notifier_records(e, invs, eid))
            say(f"  notifier DLQ: {kinds}, moved there by SQS's redrive after {tries} failed notifier invocations")
        if exp.get("redelivered"):
            nrec = notifier_records(e, invs, eid)
            redeliv = [inv for inv, _ in nrec if inv.deleted and max(inv.receive_counts) >= 2]
            check(bool(redeliv), "no notification was delivered on an SQS redelivery (receive count >= 2)")
            say(f"  Slack post succeeded on SQS redelivery (receive count {max(redeliv[0].receive_counts)})")
        if e.starter_dlq_url:
            n = int(
                e.clients.sqs.get_queue_attributes(
                    QueueUrl=e.starter_dlq_url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]["ApproximateNumberOfMessages"]
            )
            check(n == 0, f"{n} event(s) in the starter's DLQ")
        res.ok = True
        return res
    except Fail as f:
        res.why = str(f)
        return res
    except Exception as ex:  # a harness or AWS-API error is a failure of this scenario, not a crash
        res.why = f"{type(ex).__name__}: {ex}"
        return res
    finally:
        res.seconds = time.time() - t_start
        e.sink.reset()
        e.starter_variant = "default"


def kind_of(n: dict[str, Any]) -> str:
    return str(n.get("metadata", {}).get("additionalContext", {}).get("kind", "?"))


def drain_dlq(e: Env, eid: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not e.notifier_dlq_url:
        raise Fail("the template has no notifier DLQ")
    r = e.clients.sqs.receive_message(
        QueueUrl=e.notifier_dlq_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
    )
    for m in r.get("Messages") or []:
        n = parse_notification(m["Body"])
        if n and n.get("metadata", {}).get("additionalContext", {}).get("eventId") == eid:
            n = dict(n)
            n["receives"] = int(m.get("Attributes", {}).get("ApproximateReceiveCount", "0"))
            found.append(n)
            e.clients.sqs.delete_message(QueueUrl=e.notifier_dlq_url, ReceiptHandle=m["ReceiptHandle"])
    return found


RUN_TASK = ("aws-sdk:ecs", "runTask")  # TaskScheduled resourceType, resource of "Rerun Task"


def rerun_calls(h: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The TaskScheduled events of every ECS call, checked to be the SDK integration's RunTask."""
    calls = [x for x in h if x["type"] == "TaskScheduled" and "ecs" in x["taskScheduledEventDetails"]["resourceType"]]
    for c in calls:
        d = c["taskScheduledEventDetails"]
        check(
            (d.get("resourceType"), d.get("resource")) == RUN_TASK,
            f"an ECS call through {d.get('resourceType')}:{d.get('resource')}, want {':'.join(RUN_TASK)}",
        )
    return calls


def check_reruns(e: Env, ev: dict[str, Any], h: list[dict[str, Any]], exp: dict[str, Any]) -> None:
    """Every Rerun Task call as LocalStack recorded it in TaskScheduled (what would go to ECS): the
    original request PascalCased, Count = the missing tasks, StartedBy = the marker, that
    attempt's ClientToken, nothing else."""
    calls = rerun_calls(h)
    plan = json.loads(h[0]["executionStartedEventDetails"]["input"])
    if "rerunCalls" in exp:
        want_calls = exp["rerunCalls"]
        if want_calls == "maxAttempts":  # N = the plan's maxAttempts (the starter's MAX_ATTEMPTS)
            want_calls = int(plan["maxAttempts"])
            env_max = e.deployed.function_env.get("ecs-rerun-starter", {}).get("MAX_ATTEMPTS")
            if env_max is not None and e.starter_variant == "default":
                check(
                    str(want_calls) == str(env_max), f"plan maxAttempts {want_calls} != starter MAX_ATTEMPTS {env_max}"
                )
        check(len(calls) == want_calls, f"{len(calls)} Rerun Task (aws-sdk:ecs:runTask) calls, want {want_calls}")
    if not calls:
        return
    d = ev["detail"]
    rp = d.get("requestParameters") or {}
    requested = int(rp.get("count", 1))
    started = len((d.get("responseElements") or {}).get("tasks") or [])
    want = pascal({k: v for k, v in rp.items() if k not in ("count", "startedBy", "clientToken")})
    want.setdefault("Cluster", "default")
    want["Count"] = int(exp.get("count", requested - started))
    want["StartedBy"] = "ecs-rerun/" + d["eventID"]
    # CONTRACT §4: the token of re-run n = hex(SHA-256("<executionName>#<n>")). A call the
    # Retry repeats keeps its re-run's token, so tokens are compared per re-run (Wait before each).
    attempt = 0
    tokens: list[str] = []
    for c in calls:
        attempt = sum(1 for x in h if x["type"] == "WaitStateExited" and x["id"] < c["id"])
        recorded = c["taskScheduledEventDetails"].get("parameters") or ""
        got = json.loads(recorded) if recorded else {}
        check(bool(got), f"TaskScheduled recorded no parameters for Rerun Task: {recorded!r}")
        token = hashlib.sha256(f"{plan['executionName']}#{attempt}".encode()).hexdigest()
        problems = diff(dict(want, ClientToken=token), got)
        check(
            not problems,
            f"recorded RunTask parameters of re-run {attempt} differ from the request: " + "; ".join(problems[:6]),
        )
        if token not in tokens:
            tokens.append(token)
    check(len(tokens) == attempt, f"{len(tokens)} distinct ClientTokens for {attempt} re-runs")
    say(
        f"  {len(calls)} Rerun Task call(s) in {attempt} re-run(s), aws-sdk:ecs:runTask; recorded TaskScheduled "
        f"parameters = original request (PascalCase) with Count={want['Count']}, StartedBy={want['StartedBy']}, "
        f"ClientToken = sha256(<execution name>#<re-run>); keys: {', '.join(sorted([*want, 'ClientToken']))}"
    )
    if exp.get("showParameters"):
        say("  TaskScheduled parameters of the first Rerun Task, verbatim:")
        say("    " + calls[0]["taskScheduledEventDetails"]["parameters"])


def check_waits(h: list[dict[str, Any]], exp: dict[str, Any]) -> None:
    """Each Wait Before Rerun's duration from the history's timestamps, against the plan's
    waitSeconds (and the scenario's `waits`: what the plan must have computed)."""
    plan = json.loads(h[0]["executionStartedEventDetails"]["input"])
    entered = [x["timestamp"] for x in h if x["type"] == "WaitStateEntered"]
    exited = [x["timestamp"] for x in h if x["type"] == "WaitStateExited"]
    check(len(entered) == len(exited), "a Wait state never exited")
    waited = [(b - a).total_seconds() for a, b in zip(entered, exited, strict=True)]
    want = [float(w) for w in plan["waitSeconds"][: len(waited)]]
    if "waits" in exp:
        check(
            plan["waitSeconds"][: len(exp["waits"])] == exp["waits"],
            f"plan waitSeconds {plan['waitSeconds']}, want {exp['waits']} first",
        )
        check(len(waited) == len(exp["waits"]), f"{len(waited)} waits, want {len(exp['waits'])}")
    for i, (got, w) in enumerate(zip(waited, want, strict=True)):
        check(w - 0.2 <= got <= w + 2.0, f"wait {i + 1} lasted {got:.2f} s, the plan says {w:.0f} s")
    if waited:
        say(f"  waits before the re-runs (history timestamps): {', '.join(f'{x:.2f} s' for x in waited)}; plan {want}")


def check_failure(h: list[dict[str, Any]]) -> None:
    """No execution may end in an error the definition does not raise itself: a States.Runtime (or
    any other uncaught error) would mean no outcome notice was published."""
    for x in h:
        details = next((v for k, v in x.items() if k.endswith("EventDetails")), None) or {}
        check(details.get("error") != "States.Runtime", f"States.Runtime: {short(details.get('cause', ''), 200)}")
        if x["type"] == "ExecutionFailed":
            err = details.get("error", "")
            check(err.startswith("EcsRerun."), f"execution failed with {err!r}, not one of its own Fail states")


def check_attempts(e: Env, eid: str, invs: list[Any], posts: list[Any], h: list[dict[str, Any]]) -> None:
    """The attempt numbers in the notices and in both Slack posts: the first says re-run 1 of N
    is next (attempt 0), the outcome says which re-run it was."""
    plan = json.loads(h[0]["executionStartedEventDetails"]["input"])
    reruns = sum(1 for x in h if x["type"] == "WaitStateExited")
    max_attempts = int(plan["maxAttempts"])
    texts = [sinkmod.message_text(p.body) for p in posts if p.accepted]
    for _, rec in notifier_records(e, invs, eid):
        n = rec["notification"]
        ctx = n["metadata"]["additionalContext"]
        kind = kind_of(n)
        want = 0 if kind in ("launch-failed", "not-retryable") else reruns
        check(ctx.get("attempt") == str(want), f"{kind} notice says attempt {ctx.get('attempt')}, want {want}")
        check(ctx.get("maxAttempts") == str(max_attempts), f"{kind} notice says maxAttempts {ctx.get('maxAttempts')}")
        phrase = {
            "launch-failed": f"re-run 1 of {max_attempts}",
            "recovered": f"re-run {reruns} of {max_attempts}",
            "partially-recovered": f"Re-run {reruns} of {max_attempts}",
            "gave-up": f"{reruns} of {max_attempts}",
        }.get(kind)
        if phrase and texts:
            check(any(phrase in t for t in texts), f"no Slack post says {phrase!r} for {kind}: {texts}")


def check_notifications(
    e: Env,
    eid: str,
    invs: list[Any],
    posts: list[Any],
    want_kinds: list[str],
    want_accepted: int,
    execs: list[dict[str, Any]],
    exp: dict[str, Any],
) -> None:
    # what the state machine published (seen by the notifier's queue), deduplicated by message id
    seen: dict[str, dict[str, Any]] = {}
    for _, rec in notifier_records(e, invs, eid):
        seen.setdefault(rec["messageId"], rec["notification"])
    kinds = [kind_of(n) for n in seen.values()]
    check(sorted(kinds) == sorted(want_kinds), f"notifications published {kinds}, want {want_kinds}")
    accepted = [p for p in posts if p.accepted]
    check(len(accepted) == want_accepted, f"Slack received {len(accepted)} message(s), want {want_accepted}")
    if "slackAttempts" in exp:
        check(len(posts) == exp["slackAttempts"], f"Slack saw {len(posts)} post attempts, want {exp['slackAttempts']}")
    if want_accepted == 0:
        return
    headers_re = e.spec.get("slackHeaders") or {}
    # every published notification must be in Slack, recognisable and with its key facts
    remaining = list(accepted)
    for n in seen.values():
        kind = kind_of(n)
        rx = headers_re.get(kind)
        ctx = n["metadata"]["additionalContext"]
        match = None
        for p in remaining:
            head = sinkmod.header(p.body)
            if rx is None or re.search(rx, head):
                match = p
                break
        check(
            match is not None,
            f"no Slack message with a header matching {rx!r} for {kind} "
            f"(headers: {[sinkmod.header(p.body) for p in remaining]})",
        )
        remaining.remove(match)
        text = sinkmod.message_text(match.body)
        facts = []
        if kind in ("recovered", "partially-recovered"):
            arns = json.loads(ctx.get("taskArns") or "[]")
            check(bool(arns), f"{kind} notice without task ARNs")
            facts += [a.rsplit("/", 1)[-1] for a in arns]  # the task id (links carry it; text shows it)
        if kind == "gave-up":
            facts += [f.get("Reason") for f in json.loads(ctx.get("failures") or "[]") if f.get("Reason")]
        if kind in ("launch-failed", "not-retryable"):
            facts += [r.strip() for r in (ctx.get("reasons") or "").split(",") if r.strip()]
            why = ctx.get("why") or ""
            # the message may lead with its own "Not retried" label instead of the plan's prefix
            forms = {why, re.sub(r"(?i)^not retried:\s*", "", why)}
            check(
                bool(why) and any(f in text or slack_escape(f) in text for f in forms),
                f"Slack {kind} message does not say why: {why!r}",
            )
        facts.append(ctx.get("clusterName") or "")
        for fact in [f for f in facts if f]:
            check(fact in text, f"Slack {kind} message does not show {fact!r}")


def slack_escape(t: str) -> str:
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def print_post(p: sinkmod.Post) -> None:
    lines = sinkmod.message_lines(p.body)
    say(f"  slack #{p.seq} (PutEvents +{p.at - CLOCK['t0']:.1f} s) answered {p.status}")
    for line in lines:
        say("  │ " + line)


SCENARIO_KEYS = {
    "name", "description", "event", "expect", "deliveries", "deliveryGapSeconds", "sink", "starter",
    "timeoutSeconds", "graceSeconds", "quietSeconds", "settleSeconds",
}
EVENT_KEYS = {"fixture", "fallback", "set", "remove"}
EXPECT_KEYS = {
    "delivered", "executions", "status", "endState", "rerunCalls", "count", "notifications", "slack",
    "slackAttempts", "redelivered", "notifierDlq", "waits", "showParameters",
}


def scenario_problems(spec: dict[str, Any]) -> list[str]:
    """Unknown keys (a typo would silently weaken a scenario), duplicate names, unknown starter
    variants and missing fixtures."""
    out: list[str] = []
    names: set[str] = set()
    for sc in spec.get("scenarios") or []:
        name = sc.get("name", "?")
        if name in names:
            out.append(f"scenario {name}: the name is used twice")
        names.add(name)
        for where, got, allowed in (
            ("", sc, SCENARIO_KEYS),
            ("event.", sc.get("event") or {}, EVENT_KEYS),
            ("expect.", sc.get("expect") or {}, EXPECT_KEYS),
        ):
            out += [f"scenario {name}: unknown key {where}{k}" for k in sorted(set(got) - allowed)]
        variant = sc.get("starter")
        if variant is not None and variant not in (spec.get("starterVariants") or {}):
            out.append(f"scenario {name}: unknown starter variant {variant!r}")
        fixture = (sc.get("event") or {}).get("fixture")
        if fixture and not os.path.isfile(os.path.join(ROOT, "tests", "fixtures", "events", fixture)):
            out.append(f"scenario {name}: no fixture tests/fixtures/events/{fixture}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True, help="LocalStack gateway, e.g. http://127.0.0.1:4566")
    ap.add_argument("--scenarios", default=os.path.join(ROOT, "tests", "local", "scenarios.json"))
    ap.add_argument("--scenario", action="append", default=[], help="run only this scenario (repeatable)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--validate-only", action="store_true", help="check the arguments and scenario names, then exit")
    ap.add_argument("--template", default=os.path.join(ROOT, "cloudformation", "template.yaml"))
    ap.add_argument("--asl", default=os.path.join(ROOT, "statemachine", "rerun.asl.json"))
    ap.add_argument("--mock-config", required=True, help="the SFN_MOCK_CONFIG file LocalStack reads")
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--cargo-lambda", default="cargo-lambda")
    ap.add_argument(
        "--bin-dir", default=os.path.join(ROOT, "target", "debug"), help="where cargo build put the function binaries"
    )
    ap.add_argument("--pid-file")
    ap.add_argument("--scenario-timeout", type=float, default=60, help="seconds per scenario unless it says")
    ap.add_argument("--total-timeout", type=float, default=900, help="no new scenario starts after this many seconds")
    ap.add_argument("--ci", action="store_true", help="CI mode: same scenarios, no colour, summary as JSON too")
    args = ap.parse_args()

    with open(args.scenarios) as f:
        spec = json.load(f)
    scenarios = spec["scenarios"]
    problems = scenario_problems(spec)
    if problems:
        for problem in problems:
            print(f"error: {args.scenarios}: {problem}", file=sys.stderr)
        return 2
    if args.list:
        for s in scenarios:
            print(f"{s['name']:<28} {s.get('description', '')}")
        return 0
    if args.scenario:
        names = {s["name"] for s in scenarios}
        unknown = [n for n in args.scenario if n not in names]
        if unknown:
            print(f"error: unknown scenario {', '.join(unknown)}; known: {', '.join(sorted(names))}", file=sys.stderr)
            return 2
        scenarios = [s for s in scenarios if s["name"] in args.scenario]
    for p, what in ((args.template, "template"), (args.asl, "state machine definition")):
        if not os.path.isfile(p):
            print(f"error: {what} not found: {p}", file=sys.stderr)
            return 2
    if args.validate_only:
        return 0

    region = spec.get("region", "us-east-1")
    access_key = spec.get("accessKeyId", "test")
    os.environ.update({"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": region})
    clients = stackmod.Clients(args.endpoint, region)
    children = Children(args.pid_file)

    def on_signal(sig: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {sig}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    sink = sinkmod.SlackSink(0, on_post=print_post).start()
    poller = None
    results: list[Result] = []
    try:
        params = {k: str(v).replace("{SLACK_SINK_URL}", sink.url()) for k, v in spec["stackParameters"].items()}
        d = stackmod.deploy(
            clients,
            args.template,
            args.asl,
            params,
            BINS,
            visibility_timeout=int(spec.get("visibilityTimeout", 3)),
            max_receive_count=spec.get("maxReceiveCount"),
            log=say,
        )
        sm_lid = d.one("AWS::StepFunctions::StateMachine")
        sm_arn = d.physical[sm_lid]
        test_case = spec.get("testCase", "Scenario")
        maps = {m["function"]: m for m in d.info["resolvedMappings"]}
        for b in BINS:
            if b not in maps:
                raise SystemExit(f"error: the template has no event source mapping for {b}")
        mapping_objs = {
            b: Mapping(
                m["queueUrl"],
                m["queueArn"],
                b,
                m["batchSize"],
                m["reportBatchItemFailures"],
                "starter" if b.endswith("starter") else "notifier",
            )
            for b, m in maps.items()
        }

        def dlq_of(queue_url: str) -> str | None:
            rp = clients.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])[
                "Attributes"
            ].get("RedrivePolicy")
            if not rp:
                return None
            arn = json.loads(rp)["deadLetterTargetArn"]
            return clients.sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]

        rule_lid = d.one("AWS::Events::Rule")
        rule_name = d.physical[rule_lid].rsplit("/", 1)[-1]
        rule = clients.events.describe_rule(Name=rule_name)
        bus = rule.get("EventBusName", "default")
        for b, ov in (spec.get("functionEnvOverrides") or {}).items():
            for k, v in ov.items():
                d.function_env.setdefault(b, {})[k] = str(v).replace("{SLACK_SINK_URL}", sink.url())
        # the starter's configured ARN carries the test case (CONTRACT: the suffix is dropped for names)
        for b in BINS:
            envb = d.function_env.get(b, {})
            if "STATE_MACHINE_ARN" in envb:
                if envb["STATE_MACHINE_ARN"] != sm_arn:
                    raise SystemExit(
                        f"error: template wires STATE_MACHINE_ARN={envb['STATE_MACHINE_ARN']}, state machine is {sm_arn}"
                    )
                envb["STATE_MACHINE_ARN"] = f"{sm_arn}#{test_case}"
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        base_env.update(
            {
                "AWS_ENDPOINT_URL": args.endpoint,
                "AWS_ACCESS_KEY_ID": access_key,
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_REGION": region,
                "AWS_DEFAULT_REGION": region,
                "RUST_LOG": os.environ.get("RUST_LOG", "info"),
            }
        )
        say(f"deploy: state machine {sm_arn}; rule {rule_name} on bus {bus}")
        for b, m in mapping_objs.items():
            say(
                f"deploy: {m.label} queue {m.queue_url} -> {b} (BatchSize {m.batch_size}"
                f"{', ReportBatchItemFailures' if m.report_batch_item_failures else ''})"
            )
        dlq_url = dlq_of(mapping_objs["ecs-rerun-notifier"].queue_url)
        starter_dlq_url = dlq_of(mapping_objs["ecs-rerun-starter"].queue_url)
        say(f"deploy: DLQs: starter {starter_dlq_url}, notifier {dlq_url}; Slack sink {sink.url()}")

        e = Env(
            args,
            clients,
            d,
            sink,
            None,
            children,
            spec,
            sm_arn,
            sm_arn.rsplit(":", 1)[-1],
            test_case,  # type: ignore[arg-type]
            mapping_objs["ecs-rerun-starter"],
            mapping_objs["ecs-rerun-notifier"],
            dlq_url,
            bus,
            rule["EventPattern"],
            base_env=base_env,
            starter_dlq_url=starter_dlq_url,
        )
        with open(args.asl) as f:
            e.asl = json.load(f)
        with open(os.path.join(os.path.dirname(args.scenarios), spec.get("mockConfig", "sfn-mock-config.json"))) as f:
            e.mock_source = json.load(f)
        install_mocks(e, "-none-")
        start_watch(e, "default")

        def endpoint_for(m: Mapping) -> str:
            if m.label == "starter":
                return e.watch_endpoints.get(e.starter_variant) or e.watch_endpoints["default"]
            return e.watch_endpoints["default"]

        children.on_restart = lambda name, code: say(f"  {name} exited (code {code}); restarted, as Lambda would")
        poller = Poller(args.endpoint, region, list(mapping_objs.values()), endpoint_for, log=lambda s: say("  " + s))
        e.poller = poller
        poller.start()

        run_deadline = time.time() + args.total_timeout
        for sc in scenarios:
            if time.time() > run_deadline:
                say(
                    f"total time limit ({args.total_timeout:.0f} s) reached: not running {sc['name']} and later scenarios"
                )
                break
            r = run_scenario(e, sc)
            results.append(r)
            say(f"--- scenario {r.name}: {'ok' if r.ok else 'FAIL ' + r.why} ({r.seconds:.1f} s)")
    except KeyboardInterrupt as k:
        say(f"interrupted ({k})")
    finally:
        if poller:
            poller.stop()
        children.stop_all()
        sink.stop()

    say("")
    say("timings: scenario, seconds, state transitions per execution, PutEvents -> first Slack post")
    for r in results:
        fs = f"{r.first_slack_s:.2f} s" if r.first_slack_s is not None else "-"
        say(f"  {r.name:<28} {r.seconds:6.1f} s  transitions {r.transitions or '-'}  first Slack post {fs}")
    for r in results:
        say(f"scenario {r.name}: ok" if r.ok else f"scenario {r.name}: FAIL {r.why}")
    passed = sum(1 for r in results if r.ok)
    not_run = [s["name"] for s in scenarios[len(results) :]]
    for name in not_run:
        say(f"scenario {name}: FAIL not run (interrupted or out of time)")
    failed = len(results) - passed + len(not_run)
    say(f"{passed} passed, {failed} failed")
    if args.ci:
        with open(os.path.join(args.run_dir, "results.json"), "w") as f:
            json.dump([r.__dict__ for r in results], f, indent=2)
    return 0 if failed == 0 and results else 1


if __name__ == "__main__":
    sys.exit(main())
