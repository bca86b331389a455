"""The executions of one event and their histories, printed as they grow, like the console's
event list."""

from __future__ import annotations

import json
from typing import Any

from common import TERMINAL, Env, say, short


def executions_for(e: Env, event_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in e.clients.sfn.get_paginator("list_executions").paginate(stateMachineArn=e.sm_arn):
        out.extend(x for x in page["executions"] if x["name"].endswith(event_id))
    return sorted(out, key=lambda x: x["startDate"])


def history(e: Env, arn: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
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
    details: dict[str, Any] = next((v for k, v in ev.items() if k.endswith("EventDetails")), {}) or {}
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

    def __init__(self, e: Env, event_id: str) -> None:
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
