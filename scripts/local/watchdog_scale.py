"""The watchdog at scale (scripts/perf-watchdog-scale): 1,000 ECS schedules on LocalStack (half
EventBridge rules, half Scheduler schedules, cron and rate mixed), a day of their tasks' facts in
moto's FactsTable, then ecs-rerun-watchdog invoked twice through `cargo lambda watch`: cold (its
first run reads the inventory) and warm (the inventory kept, INVENTORY_REFRESH_MINUTES 60).
Prints the wall time of each invocation and what it cost: AWS API calls by operation (LocalStack's
request log, a counting proxy in front of moto, trail.py's requests) and DynamoDB items read
(the Query answers' Count). A measurement, not a timed assertion.

Every run of every schedule in the last 24 hours has a RUNNING fact, so each decided run is `ran`
and nothing is published (the figures are the reading, not Slack).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cfn  # noqa: E402
import trail as trailmod  # noqa: E402
from procs import Children, free_port, wait_port  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
ACCOUNT = "123456789012"
CLUSTER = f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/prod"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecs-rerun-scale-role"
# (expression, minutes between runs or None for the cron's hours) — mixed cron and rate
RULE_EXPRESSIONS = ["cron(0 * * * ? *)", "cron(15 */2 * * ? *)", "rate(1 hour)", "rate(3 hours)", "cron(30 6 * * ? *)"]
SCHEDULE_EXPRESSIONS = ["cron(5 * * * ? *)", "cron(45 */3 * * ? *)", "rate(2 hours)", "rate(30 minutes)", "cron(0 4 * * ? *)"]


class CountingProxy:
    """HTTP proxy to moto that counts DynamoDB operations (X-Amz-Target) and the items Query read."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.ops: Counter[str] = Counter()
        self.items = 0
        self.lock = threading.Lock()
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *_a: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                op = (self.headers.get("X-Amz-Target") or "?").rsplit(".", 1)[-1]
                req = urllib.request.Request(outer.upstream + self.path, data=body, method="POST")
                for k, v in self.headers.items():
                    if k.lower() not in ("host", "content-length"):
                        req.add_header(k, v)
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310 - loopback moto
                        status, data, headers = r.status, r.read(), r.headers
                except urllib.error.HTTPError as e:
                    status, data, headers = e.code, e.read(), e.headers
                with outer.lock:
                    outer.ops[op] += 1
                    if op == "Query" and status == 200:
                        try:
                            outer.items += int(json.loads(data).get("Count", 0))
                        except ValueError:
                            pass
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.srv.server_address[1]}"

    def snapshot(self) -> tuple[Counter[str], int]:
        with self.lock:
            return Counter(self.ops), self.items


def ls_ops(log_path: str, offset: int) -> tuple[Counter[str], int]:
    """LocalStack's `AWS <service>.<Operation> => <status>` request lines after `offset`."""
    with open(log_path, errors="replace") as f:
        f.seek(offset)
        text = f.read()
        end = f.tell()
    return Counter(m.group(1) for m in re.finditer(r"AWS (\w+\.\w+) =>", text)), end


def runs_in(expr: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The runs of the (simple) expressions above in [start, end), UTC."""
    out = []
    t = start.replace(second=0, microsecond=0)
    m = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours)\)", expr)
    if m:
        step = dt.timedelta(minutes=int(m.group(1)) * (60 if m.group(2).startswith("hour") else 1))
        t = start.replace(minute=0, second=0, microsecond=0)
        while t < end:
            if t >= start:
                out.append(t)
            t += step
        return out
    minute, hour = expr[5:-1].split()[:2]
    while t < end:
        hs = hour == "*" or (hour.startswith("*/") and t.hour % int(hour[2:]) == 0) or (hour.isdigit() and t.hour == int(hour))
        if t.minute == int(minute) and hs:
            out.append(t)
        t += dt.timedelta(minutes=1)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--dynamodb-endpoint", required=True)
    ap.add_argument("--localstack-log", required=True)
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--cargo-lambda", required=True)
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--schedules", type=int, default=1000)
    a = ap.parse_args()
    region = "us-east-1"
    os.environ.update({"AWS_ACCESS_KEY_ID": ACCOUNT, "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": region})
    cfg = Config(retries={"max_attempts": 3, "mode": "standard"})
    mk = lambda svc, ep=a.endpoint: boto3.client(svc, endpoint_url=ep, region_name=region, config=cfg)  # noqa: E731
    events, scheduler, sns, sqs, ddb = mk("events"), mk("scheduler"), mk("sns"), mk("sqs"), mk("dynamodb", a.dynamodb_endpoint)

    # the table as the template declares it (FactsTable's Properties)
    tpl = cfn.load_template(os.path.join(ROOT, "cloudformation", "template.yaml"))
    props = cfn.Resolver(tpl, {}, {}, {}, {"AWS::Region": region, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws", "AWS::NoValue": cfn.NO_VALUE}).eval(
        tpl["Resources"]["FactsTable"]["Properties"]
    )
    table = "ecs-rerun-scale-FactsTable"
    ddb.create_table(TableName=table, KeySchema=props["KeySchema"], AttributeDefinitions=props["AttributeDefinitions"], BillingMode=props["BillingMode"])
    topic = sns.create_topic(Name="ecs-rerun-scale")["TopicArn"]
    queue = sqs.create_queue(QueueName="ecs-rerun-scale-starter")["QueueUrl"]

    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    t0 = time.time()
    n_rules = a.schedules // 2
    made: list[tuple[str, str, str]] = []  # (kind, name, expression)
    for i in range(a.schedules):
        if i < n_rules:
            expr = RULE_EXPRESSIONS[i % len(RULE_EXPRESSIONS)]
            name = f"scale-r{i:04d}"
            events.put_rule(Name=name, ScheduleExpression=expr, State="ENABLED")
            events.put_targets(Rule=name, Targets=[{"Id": "ecs", "Arn": CLUSTER, "RoleArn": ROLE, "EcsParameters": {"TaskDefinitionArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/job-{i % 50}:1", "TaskCount": 1}}])
            made.append(("rule", name, expr))
        else:
            expr = SCHEDULE_EXPRESSIONS[i % len(SCHEDULE_EXPRESSIONS)]
            name = f"scale-s{i:04d}"
            scheduler.create_schedule(
                Name=name, ScheduleExpression=expr, ScheduleExpressionTimezone="UTC", FlexibleTimeWindow={"Mode": "OFF"},
                State="ENABLED",  # StartDate: AWS refuses one more than 5 minutes back
                Target={"Arn": CLUSTER, "RoleArn": ROLE, "EcsParameters": {"TaskDefinitionArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/job-{i % 50}:1", "TaskCount": 1}},
            )
            made.append(("schedule", name, expr))
    t_sched = time.time() - t0

    # a day of facts: every run's task RUNNING, written as the recorder writes them (§10)
    t1 = time.time()
    items = 0
    batch: list[dict[str, Any]] = []
    expires = int((now + dt.timedelta(days=3)).timestamp())

    def flush() -> None:
        nonlocal batch
        while batch:
            r = ddb.batch_write_item(RequestItems={table: batch[:25]})
            batch = batch[25:] + list((r.get("UnprocessedItems") or {}).get(table, []))

    for kind, name, expr in made:
        sig = (f"events-rule/{name}" if kind == "rule" else f"chronos-schedule/{name}")[:36]
        for due in runs_in(expr, now - dt.timedelta(days=1), now):
            created = due + dt.timedelta(seconds=3)
            task = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/prod/{uuid.uuid4().hex}"
            ev = {
                "version": "0", "id": str(uuid.uuid4()), "detail-type": "ECS Task State Change", "source": "aws.ecs",
                "account": ACCOUNT, "time": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region, "resources": [task],
                "detail": {"taskArn": task, "clusterArn": CLUSTER, "taskDefinitionArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/job-0:1",
                           "startedBy": sig, "lastStatus": "RUNNING", "desiredStatus": "RUNNING",
                           "createdAt": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "startedAt": (created + dt.timedelta(seconds=9)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                           "containers": [{"name": "app", "lastStatus": "RUNNING"}]},
            }
            ts = created.strftime("%Y-%m-%dT%H:%M:%SZ")
            batch.append({"PutRequest": {"Item": {"pk": {"S": f"sb#{sig}"}, "sk": {"S": f"{ts}#{task}#RUNNING"}, "event": {"S": json.dumps(ev)}, "expiresAt": {"N": str(expires)}}}})
            items += 1
            if len(batch) >= 25:
                flush()
    flush()
    t_facts = time.time() - t1
    print(f"setup: {n_rules} rules + {a.schedules - n_rules} Scheduler schedules in {t_sched:.1f} s; {items} facts (a day) in moto in {t_facts:.1f} s", flush=True)

    # the watchdog under cargo lambda watch, DynamoDB through the counting proxy, CloudTrail from trail.py
    proxy = CountingProxy(a.dynamodb_endpoint)
    trail = trailmod.Trail().start()
    children = Children(os.path.join(a.run_dir, "scale.pids"))
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update({"AWS_ENDPOINT_URL": a.endpoint, "AWS_ENDPOINT_URL_DYNAMODB": proxy.url(), "AWS_ENDPOINT_URL_CLOUDTRAIL": trail.url(),
                 "AWS_ACCESS_KEY_ID": ACCOUNT, "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": region, "AWS_DEFAULT_REGION": region, "RUST_LOG": "warn"})
    try:
        w = children.start("watch", [a.cargo_lambda, "lambda", "watch", "--only-lambda-apis", "--invoke-address", "127.0.0.1", "--invoke-port", str(port), "--timeout", "300"], dict(base), os.path.join(a.run_dir, "scale-watch.log"), ROOT)
        if not wait_port(port, 60, w):
            raise SystemExit("error: cargo lambda watch did not start")
        env = dict(base)
        env.update({
            "FACTS_TABLE": table, "NOTIFICATION_TOPIC_ARN": topic, "STARTER_QUEUE_URL": queue,
            "STATE_MACHINE_ARN": f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:ecs-rerun-scale",
            "STATE_MACHINE_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/ecs-rerun-scale-sm", "STACK_NAME": "ecs-rerun-scale",
            "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{port}/.rt/ecs-rerun-watchdog", "AWS_LAMBDA_FUNCTION_NAME": "ecs-rerun-watchdog",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        })
        children.start("ecs-rerun-watchdog", [os.path.join(a.bin_dir, "ecs-rerun-watchdog")], env, os.path.join(a.run_dir, "scale-watchdog.log"), ROOT)
        lam = boto3.client("lambda", endpoint_url=f"http://127.0.0.1:{port}", region_name=region, config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=300))
        offset = os.path.getsize(a.localstack_log)
        print("invocation  wall s  schedules decided published  DynamoDB items read  API calls (by operation)")
        for label, minutes in (("cold", 0), ("warm", 1)):
            at = now + dt.timedelta(minutes=minutes)
            ev = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events", "account": ACCOUNT,
                  "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region, "resources": [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/ecs-rerun-scale-watchdog"], "detail": {}}
            ops0, items0 = proxy.snapshot()
            trail0 = len(trail.calls)
            t = time.time()
            r = lam.invoke(FunctionName="ecs-rerun-watchdog", Payload=json.dumps(ev).encode())
            wall = time.time() - t
            payload = r["Payload"].read().decode()
            if r.get("FunctionError"):
                raise SystemExit(f"error: the watchdog failed: {payload[:400]}")
            s = json.loads(payload)
            time.sleep(0.5)  # LocalStack writes its request lines asynchronously
            ls, offset = ls_ops(a.localstack_log, offset)
            ops1, items1 = proxy.snapshot()
            ddb_ops = ops1 - ops0
            calls = Counter({f"dynamodb.{k}": v for k, v in ddb_ops.items()}) + ls
            calls["cloudtrail.LookupEvents"] += len(trail.calls) - trail0
            total = sum(calls.values())
            print(f"{label:<10} {wall:7.2f}  {s['schedules']:9} {s['decided']:7} {len(s['published']):9}  {items1 - items0:19}  {total} ({', '.join(f'{k} {v}' for k, v in sorted(calls.items()))})", flush=True)
    finally:
        children.stop_all()
        trail.stop()
        proxy.srv.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
