"""What the runner's modules share: the paths and names, one lock for everything printed, a
scenario's failure (`Fail`, `check`), the scenario clock and the running pipeline (`Env`)."""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import sink as sinkmod
import stack as stackmod
from poller import Mapping, Poller
from procs import Children

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINS = ["ecs-rerun-starter", "ecs-rerun-notifier"]
# the watchdog's (CONTRACT §10): run when the template has their functions (crates/watchdog)
WATCHDOG_BINS = ["ecs-rerun-recorder", "ecs-rerun-watchdog"]
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
    operator_queue: str | None = None  # the inbox subscribed to the operator topic (alarm_run.py)
    run_bins: list[str] = field(default_factory=lambda: list(BINS))  # the bins the template has
    trail: Any = None  # trail.Trail: CloudTrail LookupEvents for the watchdog's reconciler
    facts_queue: Mapping | None = None
