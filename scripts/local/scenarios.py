"""tests/local/scenarios.json: loading it, checking its keys (a typo must never silently weaken a
scenario) and building a scenario's event (fixture + `set`/`remove`, stack facts, a fresh eventID)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import uuid
from typing import Any

from common import ROOT, Env, Fail, check

SCENARIO_KEYS = {
    "name", "description", "event", "expect", "deliveries", "deliveryGapSeconds", "sink", "starter",
    "timeoutSeconds", "graceSeconds", "quietSeconds", "settleSeconds", "alarms", "watchdog",
}
ALARMS_KEYS = {"atLeast", "slackPathAlarms", "quietSeconds"}
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
            ("alarms.", sc.get("alarms") or {}, ALARMS_KEYS),
        ):
            out += [f"scenario {name}: unknown key {where}{k}" for k in sorted(set(got) - allowed)]
        if "watchdog" in sc:
            from watchdog_run import watchdog_problems  # noqa: PLC0415 - it imports this module's neighbours

            out += watchdog_problems(name, sc["watchdog"] or {})
        variant = sc.get("starter")
        if variant is not None and variant not in (spec.get("starterVariants") or {}):
            out.append(f"scenario {name}: unknown starter variant {variant!r}")
        fixture = (sc.get("event") or {}).get("fixture")
        if fixture and not os.path.isfile(os.path.join(ROOT, "tests", "fixtures", "events", fixture)):
            out.append(f"scenario {name}: no fixture tests/fixtures/events/{fixture}")
    return out


def load(path: str) -> dict[str, Any]:
    with open(path) as f:
        return json.load(f)


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
