"""The watchdog's recorded fixtures (tests/fixtures/watchdog/) against AWS's own service models, and
the CloudTrail stand-in (trail.py) against boto3's CloudTrail client.

* `cloudtrail_lookupevents_<variant>.json`: a LookupEvents response. Checked against botocore's
  cloudtrail model (`LookupEventsResponse`): every key a member of its shape, every value of the
  shape's type (awsJson1_1: timestamps as epoch seconds), and the `CloudTrailEvent` string a RunTask
  record that agrees with its envelope (EventId, EventName, EventSource, EventTime).
* `ecs_task-state-change_<variant>.json`: an `ECS Task State Change` event as EventBridge delivers
  it. Its `detail` is ECS's `Task` (camelCase, as DescribeTasks returns it; timestamps ISO 8601
  strings in events) plus `updatedAt`, which the event has and the API shape does not: checked
  against botocore's ecs `Task` and `Container` shapes, with the keys the watchdog reads required.
* Every file of the folder is one of the two kinds; a copy with a wrong key or a wrong type must
  be refused (so the check can fail).
* trail.py: LookupEvents through boto3 (its parser checks the wire shape), StartTime/EndTime
  filters inclusive, pages of MaxResults with NextToken, CloudTrail's errors.

Run: .local/localstack-venv/bin/python scripts/local/test_watchdog_fixtures.py   (scripts/demo runs it
before the scenarios). Prints one line per check and `N passed, M failed`; exit 1 on a failure.
"""

from __future__ import annotations

import copy
import datetime as dt
import glob
import gzip
import json
import os
import re
import sys
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import trail  # noqa: E402

FIXTURES = trail.FIXTURES
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
# what the watchdog's facts read of a task state change (CONTRACT §10, the recorder's trimmed event)
TASK_REQUIRED = ["taskArn", "clusterArn", "taskDefinitionArn", "startedBy", "lastStatus", "desiredStatus", "createdAt", "containers"]
CONTAINER_REQUIRED = ["name", "lastStatus"]
TASK_EVENT_ONLY = {"updatedAt"}  # in the event (AWS's documented example), not in the API's Task shape


def botocore_model(service: str) -> dict[str, Any]:
    import botocore  # noqa: PLC0415 - the venv's botocore, only its data files are read

    versions = sorted(glob.glob(os.path.join(os.path.dirname(botocore.__file__), "data", service, "*-*-*")))
    for name in ("service-2.json", "service-2.json.gz"):
        p = os.path.join(versions[-1], name)
        if os.path.isfile(p):
            with (gzip.open if p.endswith(".gz") else open)(p, "rb") as f:
                return json.loads(f.read())
    raise SystemExit(f"error: botocore has no {service} model")


def check_shape(shapes: dict[str, Any], shape: str, v: Any, path: str, ts: str, extra: dict[str, set[str]] | None = None) -> list[str]:
    """Problems of value `v` against botocore shape `shape` (unknown keys, wrong types).
    ts: how timestamps are written ('epoch' on the awsJson wire, 'iso' in events)."""
    s = shapes[shape]
    t = s["type"]
    out: list[str] = []
    if t == "structure":
        if not isinstance(v, dict):
            return [f"{path}: {type(v).__name__}, want an object ({shape})"]
        allowed = set(s.get("members") or {}) | (extra or {}).get(shape, set())
        for k, x in v.items():
            if k not in allowed:
                out.append(f"{path}.{k}: not a member of {shape}")
            elif k in (s.get("members") or {}):
                out += check_shape(shapes, s["members"][k]["shape"], x, f"{path}.{k}", ts, extra)
    elif t == "list":
        if not isinstance(v, list):
            return [f"{path}: {type(v).__name__}, want a list ({shape})"]
        for i, x in enumerate(v):
            out += check_shape(shapes, s["member"]["shape"], x, f"{path}[{i}]", ts, extra)
    elif t == "string":
        if not isinstance(v, str):
            out.append(f"{path}: {type(v).__name__}, want a string ({shape})")
        elif "enum" in s and v not in s["enum"]:
            out.append(f"{path}: {v!r} is not one of {shape}'s values")
    elif t == "timestamp":
        if ts == "epoch" and (isinstance(v, bool) or not isinstance(v, (int, float))):
            out.append(f"{path}: {v!r}, want epoch seconds (awsJson1_1 timestamp)")
        if ts == "iso" and not (isinstance(v, str) and ISO.match(v)):
            out.append(f"{path}: {v!r}, want an ISO 8601 UTC time")
    elif t == "boolean":
        if not isinstance(v, bool):
            out.append(f"{path}: {v!r}, want a boolean")
    elif t in ("integer", "long"):
        if isinstance(v, bool) or not isinstance(v, int):
            out.append(f"{path}: {v!r}, want an integer")
    elif t in ("double", "float"):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            out.append(f"{path}: {v!r}, want a number")
    elif t == "map":
        if not isinstance(v, dict):
            out.append(f"{path}: {type(v).__name__}, want a map")
    return out


def lookupevents_problems(ct: dict[str, Any], body: Any) -> list[str]:
    out = check_shape(ct["shapes"], ct["operations"]["LookupEvents"]["output"]["shape"], body, "$", "epoch")
    if out:
        return out
    if not body.get("Events"):
        out.append("$.Events: empty (a fixture records at least one call)")
    for i, e in enumerate(body.get("Events") or []):
        p = f"$.Events[{i}]"
        try:
            rec = json.loads(e.get("CloudTrailEvent") or "")
        except ValueError:
            out.append(f"{p}.CloudTrailEvent: not JSON")
            continue
        for env_key, rec_key in (("EventId", "eventID"), ("EventName", "eventName"), ("EventSource", "eventSource")):
            if e.get(env_key) != rec.get(rec_key):
                out.append(f"{p}.{env_key} {e.get(env_key)!r} != record {rec_key} {rec.get(rec_key)!r}")
        try:
            t = dt.datetime.strptime(rec.get("eventTime", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            if int(t.timestamp()) != int(e.get("EventTime", -1)):
                out.append(f"{p}.EventTime {e.get('EventTime')} != record eventTime {rec.get('eventTime')}")
        except ValueError:
            out.append(f"{p}.CloudTrailEvent.eventTime: {rec.get('eventTime')!r} is not YYYY-MM-DDTHH:MM:SSZ")
        if rec.get("eventName") != "RunTask" or not isinstance(rec.get("requestParameters"), dict):
            out.append(f"{p}.CloudTrailEvent: not a RunTask record with requestParameters")
    return out


def task_change_problems(ecs: dict[str, Any], ev: Any) -> list[str]:
    out: list[str] = []
    for k in ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"):
        if k not in ev:
            out.append(f"$.{k}: missing")
    if out:
        return out
    if ev["detail-type"] != "ECS Task State Change" or ev["source"] != "aws.ecs":
        out.append("$: not an ECS Task State Change from aws.ecs")
    extra = {"Task": TASK_EVENT_ONLY}
    out += check_shape(ecs["shapes"], "Task", ev["detail"], "$.detail", "iso", extra)
    d = ev["detail"]
    out += [f"$.detail.{k}: missing (the watchdog reads it)" for k in TASK_REQUIRED if k not in d]
    for i, c in enumerate(d.get("containers") or []):
        out += [f"$.detail.containers[{i}].{k}: missing" for k in CONTAINER_REQUIRED if k not in c]
    if d.get("lastStatus") != "STOPPED" and any(k in d for k in ("stoppedAt", "stopCode", "stoppedReason")):
        out.append("$.detail: stoppedAt/stopCode/stoppedReason on a task that is not STOPPED")
    if ev.get("resources") != [d.get("taskArn")]:
        out.append("$.resources: want [detail.taskArn]")
    return out


def main() -> int:
    results: list[tuple[str, list[str]]] = []

    def case(name: str, fn: Callable[[], list[str]]) -> None:
        try:
            problems = fn()
        except Exception as ex:  # noqa: BLE001 - a crash is a failed check with its reason
            problems = [f"{type(ex).__name__}: {ex}"]
        results.append((name, problems))
        print(f"{'ok  ' if not problems else 'FAIL'} {name}" + "".join(f"\n       {p}" for p in problems[:8]), flush=True)

    ct = botocore_model("cloudtrail")
    ecs = botocore_model("ecs")
    files = sorted(os.listdir(FIXTURES))
    case("tests/fixtures/watchdog has fixtures", lambda: [] if files else ["no files"])
    lookups, changes = [], []
    for f in files:
        path = os.path.join(FIXTURES, f)
        with open(path) as fh:
            body = json.load(fh)
        if re.fullmatch(r"cloudtrail_lookupevents_[a-z0-9-]+\.json", f):
            lookups.append(body)
            case(f"{f}: botocore cloudtrail LookupEventsResponse", lambda b=body: lookupevents_problems(ct, b))
        elif re.fullmatch(r"ecs_task-state-change_[a-z0-9-]+\.json", f):
            changes.append(body)
            case(f"{f}: botocore ecs Task / Container", lambda b=body: task_change_problems(ecs, b))
        else:
            case(f"{f}: named cloudtrail_lookupevents_<variant> or ecs_task-state-change_<variant>", lambda: ["unknown kind"])

    # the checks refuse what is wrong (else they could not fail)
    def refused(mutate: Callable[[Any], None], check: Callable[[Any], list[str]], base: Any, want: str) -> list[str]:
        b = copy.deepcopy(base)
        mutate(b)
        got = check(b)
        return [] if any(want in p for p in got) else [f"not refused (want a problem naming {want!r}, got {got})"]

    if lookups:
        lk = lookups[0]
        case("refused: an unknown Event key", lambda: refused(lambda b: b["Events"][0].update(EventTimes=1), lambda b: lookupevents_problems(ct, b), lk, "EventTimes"))
        case("refused: EventTime as a string", lambda: refused(lambda b: b["Events"][0].update(EventTime="2026-11-25T04:30:01Z"), lambda b: lookupevents_problems(ct, b), lk, "epoch"))
        case("refused: ReadOnly as a boolean", lambda: refused(lambda b: b["Events"][0].update(ReadOnly=False), lambda b: lookupevents_problems(ct, b), lk, "ReadOnly"))
        case("refused: a Resource key", lambda: refused(lambda b: b["Events"][0]["Resources"][0].update(Type="x"), lambda b: lookupevents_problems(ct, b), lk, "Resources[0].Type"))
        case("refused: EventId not the record's", lambda: refused(lambda b: b["Events"][0].update(EventId="x"), lambda b: lookupevents_problems(ct, b), lk, "EventId"))
    if changes:
        tc = changes[0]
        case("refused: an unknown detail key", lambda: refused(lambda b: b["detail"].update(stopcode="x"), lambda b: task_change_problems(ecs, b), tc, "stopcode"))
        case("refused: a container key", lambda: refused(lambda b: b["detail"]["containers"][0].update(exit_code=1), lambda b: task_change_problems(ecs, b), tc, "exit_code"))
        case("refused: createdAt as epoch", lambda: refused(lambda b: b["detail"].update(createdAt=1795600000), lambda b: task_change_problems(ecs, b), tc, "createdAt"))
        case("refused: no startedBy", lambda: refused(lambda b: b["detail"].pop("startedBy"), lambda b: task_change_problems(ecs, b), tc, "startedBy"))

    # trail.py through boto3's CloudTrail client
    def trail_round_trip() -> list[str]:
        import boto3  # noqa: PLC0415

        out: list[str] = []
        t = trail.Trail().start()
        try:
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            placed = []
            for i, v in enumerate(("agent-failure", "rule-agent-failure")):
                evs = trail.place(trail.load_fixture(v), now - dt.timedelta(minutes=10 * (i + 1)), {"{RULE_NAME}": "r"})
                t.add(evs)
                placed += evs
            c = boto3.client("cloudtrail", endpoint_url=t.url(), region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
            la = [{"AttributeKey": "EventName", "AttributeValue": "RunTask"}]
            r = c.lookup_events(LookupAttributes=la, StartTime=now - dt.timedelta(hours=1), EndTime=now)
            ids = [e["EventId"] for e in r["Events"]]
            if ids != [placed[0]["EventId"], placed[1]["EventId"]]:
                out.append(f"window of an hour: {ids}, want both, newest first")
            r = c.lookup_events(LookupAttributes=la, StartTime=now - dt.timedelta(minutes=15), EndTime=now - dt.timedelta(minutes=10))
            if [e["EventId"] for e in r["Events"]] != [placed[0]["EventId"]]:
                out.append("StartTime/EndTime: the event at EndTime is in (inclusive), the older one out")
            r = c.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "StopTask"}])
            if r["Events"]:
                out.append("EventName=StopTask returned RunTask events")
            p1 = c.lookup_events(LookupAttributes=la, MaxResults=1)
            p2 = c.lookup_events(LookupAttributes=la, MaxResults=1, NextToken=p1.get("NextToken", ""))
            if len(p1["Events"]) != 1 or "NextToken" not in p1 or len(p2["Events"]) != 1 or "NextToken" in p2:
                out.append("MaxResults=1: want two pages of one, a NextToken on the first only")
            pages = list(c.get_paginator("lookup_events").paginate(LookupAttributes=la, PaginationConfig={"PageSize": 1}))
            if sum(len(p["Events"]) for p in pages) != 2:
                out.append("boto3's paginator did not walk both events")
            for kw, code in (
                ({"MaxResults": 51}, "InvalidMaxResultsException"),
                ({"StartTime": now, "EndTime": now - dt.timedelta(minutes=1)}, "InvalidTimeRangeException"),
                ({"NextToken": "bm9wZQ=="}, "InvalidNextTokenException"),
            ):
                try:
                    c.lookup_events(LookupAttributes=la, **kw)
                    out.append(f"{kw}: no error, want {code}")
                except c.exceptions.ClientError as ex:
                    if ex.response["Error"]["Code"] != code:
                        out.append(f"{kw}: {ex.response['Error']['Code']}, want {code}")
            rec = json.loads(placed[1]["CloudTrailEvent"])
            if rec["requestParameters"]["startedBy"] != "events-rule/r" or rec["eventID"] != placed[1]["EventId"]:
                out.append("place(): the record's startedBy / eventID were not rewritten")
            ebe = trail.as_eventbridge(placed[1])
            if ebe["source"] != "aws.ecs" or ebe["detail-type"] != "AWS API Call via CloudTrail" or ebe["detail"] != rec:
                out.append("as_eventbridge(): not the record wrapped as EventBridge delivers it")
        finally:
            t.stop()
        return out

    case("trail.py: LookupEvents through boto3 (filters, pages, errors)", trail_round_trip)
    passed = sum(1 for _, p in results if not p)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
