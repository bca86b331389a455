#!/usr/bin/env python3
"""Tests of the JSONata shim (scripts/local/jsonata_shim), run with the LocalStack venv's python:

    .local/localstack-venv/bin/python scripts/local/test_jsonata_shim.py [--asl F] [--no-localstack]

1. install: the venv holds this checkout's shim and the pinned engines, and loads only the hook
   at interpreter start;
2. hook: LocalStack's bridge is the Python one, errors are LocalStack's JSONataException;
3. asl: every ``{% ... %}`` of a JSONata state in the ASL, bound as LocalStack binds it (plans
   from tests/golden/plan/, ECS RunTask answers with 0-2 tasks and failures, RunTask errors; for
   the states after Rerun Task its output at each re-run and the assigned ``$outcome``), evaluated
   through LocalStack's own entry point and compared with values computed here;
4. edge: the JSONata semantics the ASL relies on (singleton arrays, undefined, $merge, &, $split,
   $string, $replace, $lookup, $each, $append);
5. cross-check: all of the above evaluated again by the reference jsonata (npm,
   .local/jsonata-js/), with the $exists/$type follow-ups LocalStack asks for: results must match;
6. localstack: a JSONata Pass + Task state machine run on LocalStack (started by common.sh's
   start_localstack); its output and the recorded TaskScheduled parameters are checked.

The last line is "N passed, M failed"; the exit code is non-zero when anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[2]
LOCAL_DIR = Path(os.environ.get("ECS_RERUN_LOCAL_DIR", ROOT / ".local"))
SHIM_SRC = ROOT / "scripts/local/jsonata_shim"
COMMON_SH = ROOT / "scripts/lib/common.sh"
ASL_FILE = ROOT / "statemachine/rerun.asl.json"
PLAN_DIR = ROOT / "tests/golden/plan"
JSONATA_JS = LOCAL_DIR / "jsonata-js/node_modules/jsonata"
LS_MODULE = "localstack.services.stepfunctions.asl.jsonata.jsonata"
INSTALL_HINT = "run scripts/lib/install.sh localstack"
MISSING = object()  # a key that the ECS answer leaves out


# ---------------------------------------------------------------- reporting


@dataclass
class Report:
    passed: int = 0
    failed: int = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail}")
        return ok

    def equal(self, name: str, got: Any, want: Any, ordered: bool = False) -> bool:
        ok = same_json(got, want, ordered)
        return self.check(name, ok, "" if ok else first_difference(got, want, ordered))


def dumps(value: Any) -> str:
    return "<undefined>" if value is MISSING else json.dumps(value, sort_keys=False)


def first_difference(got: Any, want: Any, ordered: bool, path: str = "$") -> str:
    """Where ``got`` and ``want`` first differ (``same_json`` says they do)."""
    if isinstance(got, dict) and isinstance(want, dict):
        if set(got) != set(want) or (ordered and list(got) != list(want)):
            return f"{path}: keys {list(got)}, want {list(want)}"
        for key in got:
            if not same_json(got[key], want[key], ordered):
                return first_difference(got[key], want[key], ordered, f"{path}.{key}")
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        for i, (x, y) in enumerate(zip(got, want)):
            if not same_json(x, y, ordered):
                return first_difference(x, y, ordered, f"{path}[{i}]")
    return f"{path}: got {dumps(got)[:400]}, want {dumps(want)[:400]}"


def same_json(a: Any, b: Any, ordered: bool = False) -> bool:
    """JSON equality with types: 2 is not 2.0 nor True; ``ordered`` compares key order too."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys_match = list(a) == list(b) if ordered else a.keys() == b.keys()
        return keys_match and all(same_json(a[k], b[k], ordered) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y, ordered) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


# ---------------------------------------------------------------- LocalStack's bridge


def ls_jsonata() -> Any:
    """LocalStack's JSONata module (imported here, so the shim's import hook patches it)."""
    import importlib

    return importlib.import_module(LS_MODULE)


def declarations(bindings: dict[str, Any]) -> str:
    return ls_jsonata().encode_jsonata_variable_declarations(bindings=bindings)


def compose(expression: str, decls: list[str]) -> str:
    return ls_jsonata().compose_jsonata_expression(
        final_jsonata_expression=expression, variable_declarations_list=decls
    )


def evaluate(rich_expression: str) -> Any:
    """What LocalStack's states get: ``eval_jsonata_expression`` (the shim once patched)."""
    return ls_jsonata().eval_jsonata_expression(rich_expression)


def try_evaluate(rich_expression: str) -> tuple[Any, str | None]:
    try:
        return evaluate(rich_expression), None
    except Exception as ex:  # noqa: BLE001 - reported as a test result
        return None, f"{type(ex).__name__}: {getattr(ex, 'details', ex)}"


# ---------------------------------------------------------------- 1. install


def read_pins() -> dict[str, str]:
    text = COMMON_SH.read_text()
    return dict(re.findall(r'^([A-Z0-9_]+)="([^"$]*)"', text, re.MULTILINE))


def shim_digest(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(directory.glob("*.py"))}


def installed_shim_dir() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("jsonata_shim")
    return Path(spec.origin).parent if spec and spec.origin else None


def js_version() -> str | None:
    try:
        return json.loads((JSONATA_JS / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def startup_modules() -> list[str]:
    """Modules a fresh interpreter of this venv has loaded after the .pth ran."""
    probe = "import sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=False, capture_output=True, text=True
    )
    return json.loads(out.stdout or "[]")


def test_install(report: Report) -> None:
    import importlib.metadata

    pins = read_pins()
    shim_dir = installed_shim_dir()
    report.check(
        "install: the venv's jsonata_shim is this checkout's",
        shim_dir is not None and shim_digest(shim_dir) == shim_digest(SHIM_SRC),
        f"installed at {shim_dir}, source {SHIM_SRC}: {INSTALL_HINT}",
    )
    py_version = importlib.metadata.version("jsonata-python")
    report.equal(
        "install: jsonata-python is the pin",
        py_version,
        pins.get("JSONATA_PYTHON_VERSION"),
    )
    report.equal(
        "install: jsonata (npm) is the pin",
        js_version(),
        pins.get("JSONATA_JS_VERSION"),
    )
    loaded = startup_modules()
    heavy = [
        m for m in loaded if m.split(".")[0] in {"localstack", "jsonata", "typing"}
    ]
    report.check(
        "install: interpreter start loads the hook only",
        "jsonata_shim" in loaded and not heavy,
        f"jsonata_shim loaded: {'jsonata_shim' in loaded}; also loaded: {heavy}",
    )


def patched_in_fresh_interpreter(env: dict[str, str]) -> bool | None:
    probe = f"import {LS_MODULE} as m, jsonata_shim; print(jsonata_shim.is_patched(m))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    return {"True": True, "False": False}.get(done.stdout.strip())


def test_hook(report: Report) -> None:
    import jsonata_shim

    module = ls_jsonata()
    report.check(
        "hook: LocalStack's _JSONataJVMBridge is the Python bridge",
        jsonata_shim.is_patched(module),
        f"{LS_MODULE}._JSONataJVMBridge = {module._JSONataJVMBridge!r}: {INSTALL_HINT}",
    )
    report.check(
        "hook: the engine is not imported before the first evaluation",
        "jsonata" not in sys.modules,
        "jsonata-python was imported by the hook",
    )
    _, error = try_evaluate("1 +")
    report.check(
        "hook: a bad expression is LocalStack's JSONataException('UNKNOWN', ...)",
        error is not None and error.startswith("JSONataException: jsonata."),
        f"got {error}",
    )
    try:
        evaluate("1 +")
    except module.JSONataException as ex:
        report.equal("hook: the exception's error", ex.error, "UNKNOWN")
    off = {**os.environ, jsonata_shim.DISABLE_ENV: "0"}
    report.equal(
        f"hook: {jsonata_shim.DISABLE_ENV}=0 leaves the JVM bridge",
        patched_in_fresh_interpreter(off),
        False,
    )


# ---------------------------------------------------------------- 2. the ASL's expressions


@dataclass(frozen=True)
class AslExpression:
    state: str
    path: str  # the field inside the state, e.g. "Output", "Catch[0].Output", "Arguments.Cluster"
    expression: str

    @property
    def field(self) -> str:
        """The path with list indices as [*]: the key of its expected value."""
        return re.sub(r"\[\d+\]", "[*]", self.path)

    @property
    def label(self) -> str:
        return f"{self.state}.{self.path}"


NESTED_MACHINES = ("ItemProcessor", "Iterator")
JSONATA_TEMPLATE = re.compile(r"^\{%(.*)%\}$", re.DOTALL)


def template_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        match = JSONATA_TEMPLATE.match(value)
        if match:
            yield path, match.group(1).strip()
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from template_strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from template_strings(item, f"{path}[{i}]")


def machine_expressions(
    machine: dict[str, Any], language: str
) -> Iterator[AslExpression]:
    language = machine.get("QueryLanguage", language)
    for name, state in machine.get("States", {}).items():
        state_language = state.get("QueryLanguage", language)
        own = {
            k: v
            for k, v in state.items()
            if k not in (*NESTED_MACHINES, "Branches", "Comment")
        }
        if state_language == "JSONata":
            for path, expression in template_strings(own, ""):
                yield AslExpression(name, path, expression)
        for key in NESTED_MACHINES:
            if key in state:
                yield from machine_expressions(state[key], state_language)
        for branch in state.get("Branches", []):
            yield from machine_expressions(branch, state_language)


def asl_expressions(asl_file: Path) -> list[AslExpression]:
    return list(machine_expressions(json.loads(asl_file.read_text()), "JSONPath"))


# --- bindings: what LocalStack puts in $states, and the variables assigned before


@dataclass
class Case:
    label: str
    input: dict[str, Any]
    result: Any = MISSING
    error_output: Any = MISSING
    # the variables Assign-ed before the field is evaluated (Check Result's outcome, ...)
    variables: dict[str, Any] = field(default_factory=dict)


MATRIX_PLAN = (
    "cloudtrail_runtask_agent"  # the plan every RunTask answer shape is tried with
)


def retryable_plans() -> list[tuple[str, dict[str, Any]]]:
    """Every golden plan that reaches Rerun Task, MATRIX_PLAN first."""
    plans = []
    for path in sorted(
        PLAN_DIR.glob("*.json"), key=lambda p: (p.stem != MATRIX_PLAN, p.stem)
    ):
        plan = json.loads(path.read_text())
        if plan.get("retryable") and plan.get("runTask") and plan.get("clientTokens"):
            plans.append((path.stem, plan))
    return plans


def rerun_input(plan: dict[str, Any], rerun: int | None = None) -> dict[str, Any]:
    """The plan as Rerun Task receives it for re-run ``rerun`` (default: the plan's next one):
    Record Attempt has set ``attempt`` to the re-run before, Prepare Rerun has added ``next``."""
    attempt = plan["attempt"] if rerun is None else rerun - 1
    request = {**plan["runTask"], **plan["clientTokens"][attempt]}
    wait = plan["waitSeconds"][attempt]
    return {
        **plan,
        "attempt": attempt,
        "next": {"attempt": attempt + 1, "waitSeconds": wait, "request": request},
    }


TASK_IDS = ("3f1c2b4a5d6e7f8091a2b3c4d5e6f708", "b7e6d5c4a3b2918070f6e5d4c3b2a190")
INSTANCE_IDS = ("4b6d45ea9f1c4e0d9a2b3c4d5e6f7a8b", "9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f")


def ecs_arn(plan: dict[str, Any], resource: str) -> str:
    return f"arn:aws:ecs:{plan['region']}:{plan['account']}:{resource}"


def ecs_task(plan: dict[str, Any], i: int) -> dict[str, Any]:
    task_id = TASK_IDS[i]
    task_arn = ecs_arn(plan, f"task/{plan['clusterName']}/{task_id}")
    return {
        "Attachments": [],
        "AvailabilityZone": f"{plan['region']}a",
        "ClusterArn": plan["cluster"],
        "Containers": [
            {
                "ContainerArn": ecs_arn(
                    plan, f"container/{plan['clusterName']}/{task_id}/c1"
                ),
                "LastStatus": "PENDING",
                "Name": "app",
                "TaskArn": task_arn,
            }
        ],
        "CreatedAt": "2026-11-24T02:01:02.123Z",
        "DesiredStatus": "RUNNING",
        "LastStatus": "PROVISIONING",
        "LaunchType": plan["runTask"].get("LaunchType", "EC2"),
        "StartedBy": plan["runTask"].get("StartedBy", ""),
        "TaskArn": task_arn,
        "TaskDefinitionArn": plan["taskDefinition"],
        "Version": 1,
    }


def ecs_failure(plan: dict[str, Any], i: int) -> dict[str, Any]:
    arn = ecs_arn(plan, f"container-instance/{plan['clusterName']}/{INSTANCE_IDS[i]}")
    return {"Arn": arn, "Reason": ("AGENT", "RESOURCE:MEMORY")[i]}


def run_task_answer(
    plan: dict[str, Any], tasks: int | None, failures: int | None
) -> dict[str, Any]:
    """An ECS RunTask answer (SDK integration, PascalCase); None leaves the key out."""
    answer: dict[str, Any] = {}
    if failures is not None:
        answer["Failures"] = [ecs_failure(plan, i) for i in range(failures)]
    if tasks is not None:
        answer["Tasks"] = [ecs_task(plan, i) for i in range(tasks)]
    return answer


RESULT_SHAPES = [(t, f) for t in (0, 1, 2) for f in (0, 1, 2)] + [(0, None), (None, 1)]
ERRORS = [
    {
        "Error": "ECS.InvalidParameterException",
        "Cause": "Task definition does not support launch_type FARGATE. (Service: AmazonECS; "
        "Status Code: 400; Error Code: InvalidParameterException)",
    },
    {
        "Error": "Ecs.AccessDeniedException",
        "Cause": "User: arn:aws:sts::123456789012:assumed-role/ecs-rerun/x is not authorized to "
        'perform: ecs:RunTask on resource: "*"',
    },
]


def input_cases() -> list[Case]:
    return [Case(name, rerun_input(plan)) for name, plan in retryable_plans()]


def result_cases() -> list[Case]:
    cases = []
    for n, (name, plan) in enumerate(retryable_plans()):
        shapes = RESULT_SHAPES if n == 0 else [(0, 1), (1, 0)]
        for tasks, failures in shapes:
            label = f"{name}, {tasks} task(s), {failures} failure(s)"
            cases.append(
                Case(label, rerun_input(plan), run_task_answer(plan, tasks, failures))
            )
    return cases


def error_cases() -> list[Case]:
    cases = []
    for n, (name, plan) in enumerate(retryable_plans()):
        for error in ERRORS if n == 0 else ERRORS[:1]:
            cases.append(
                Case(f"{name}, {error['Error']}", rerun_input(plan), error_output=error)
            )
    return cases


# --- the states after Rerun Task: its output (computed here, see ORACLES) and $outcome

OUTCOMES = ("recovered", "partially-recovered", "gave-up", "rerun-error")
SNS_ANSWER = {  # what the sns:publish integration gives Notify Outcome's Output as $states.result
    "MessageId": "5b1f3c7e-9a2d-5e4f-8c6b-0d1e2f3a4b5c",
    "SdkHttpMetadata": {"HttpStatusCode": 200},
    "SdkResponseMetadata": {"RequestId": "8e0c2a4b-6d8f-5a1c-9e3b-7f5d1c3a9b0e"},
}


def rerun_output(
    plan: dict[str, Any], rerun: int, answer: dict[str, Any]
) -> dict[str, Any]:
    """Rerun Task's Output after re-run ``rerun`` got ``answer`` (the value ORACLES expects)."""
    case = Case("", rerun_input(plan, rerun), answer)
    return with_next(case, "result", expected_result(case))


def rerun_error_output(
    plan: dict[str, Any], rerun: int, error: dict[str, Any]
) -> dict[str, Any]:
    """The Rerun Task catch's Output when re-run ``rerun`` failed with ``error``."""
    case = Case("", rerun_input(plan, rerun), error_output=error)
    return with_next(case, "error", error)


def expected_outcome(state_input: dict[str, Any]) -> str | None:
    """The outcome of the re-run in ``next``; None when Check Result goes for another re-run."""
    nxt = state_input["next"]
    if "error" in nxt:
        return "rerun-error"
    started, failed = len(nxt["result"]["TaskArns"]), len(nxt["result"]["Failures"])
    if started:
        return "partially-recovered" if failed else "recovered"
    return "gave-up" if nxt["attempt"] >= state_input["maxAttempts"] else None


def rerun_outputs() -> list[tuple[str, dict[str, Any]]]:
    """Check Result's inputs: MATRIX_PLAN with every answer shape at every re-run, the other
    plans a few shapes at the first and the last re-run."""
    out = []
    for n, (name, plan) in enumerate(retryable_plans()):
        last = plan["maxAttempts"]
        shapes = RESULT_SHAPES if n == 0 else [(0, 1), (1, 0), (1, 1)]
        reruns = range(1, last + 1) if n == 0 else sorted({1, last})
        for rerun in reruns:
            for tasks, failures in shapes:
                label = f"{name}, re-run {rerun} of {last}, {tasks} task(s), {failures} failure(s)"
                answer = run_task_answer(plan, tasks, failures)
                out.append((label, rerun_output(plan, rerun, answer)))
    return out


def check_result_cases() -> list[Case]:
    return [Case(label, state_input) for label, state_input in rerun_outputs()]


def gave_up_cases() -> list[Case]:
    """Check Result's Default: the re-run outputs above that leave no re-run."""
    return [
        Case(label, state_input)
        for label, state_input in rerun_outputs()
        if expected_outcome(state_input) == "gave-up"
    ]


def outcome_cases(published: bool = False) -> list[Case]:
    """Notify Outcome's input and ``$outcome``: every re-run output above that ends the re-runs,
    with the outcome computed here, and RunTask errors (the catch's ``rerun-error``) at the first
    and the last re-run. ``published``: with the SNS answer as $states.result (its Output)."""
    cases = []
    for label, state_input in rerun_outputs():
        outcome = expected_outcome(state_input)
        if outcome is not None:
            cases.append(
                Case(f"{label}: {outcome}", state_input, variables={"outcome": outcome})
            )
    for n, (name, plan) in enumerate(retryable_plans()):
        last = plan["maxAttempts"]
        for error in ERRORS if n == 0 else ERRORS[:1]:
            for rerun in sorted({1, last}) if n == 0 else [1]:
                label = (
                    f"{name}, re-run {rerun} of {last}, {error['Error']}: rerun-error"
                )
                state_input = rerun_error_output(plan, rerun, error)
                cases.append(
                    Case(label, state_input, variables={"outcome": "rerun-error"})
                )
    if published:
        for case in cases:
            case.result = SNS_ANSWER
    return cases


def route_cases() -> list[Case]:
    """Route Outcome: each outcome once (the first Notify Outcome case of it; its Output is its
    input)."""
    first: dict[str, Case] = {}
    for case in outcome_cases():
        first.setdefault(case.variables["outcome"], case)
    return [first[outcome] for outcome in OUTCOMES]


def context_object(case: Case, state: str) -> dict[str, Any]:
    plan = case.input
    return {
        "Execution": {
            "Id": plan["executionArn"],
            "Input": {k: v for k, v in plan.items() if k != "next"},
            "Name": plan["executionName"],
            "RoleArn": f"arn:aws:iam::{plan['account']}:role/ecs-rerun-state-machine",
            "StartTime": "2026-11-24T02:00:03.512Z",
            "RedriveCount": 0,
        },
        "State": {
            "EnteredTime": "2026-11-24T02:01:04.001Z",
            "Name": state,
            "RetryCount": 0,
        },
        "StateMachine": {
            "Id": f"arn:aws:states:{plan['region']}:{plan['account']}:stateMachine:ecs-rerun",
            "Name": "ecs-rerun",
        },
    }


def rich_expression(expression: str, case: Case, state: str) -> str:
    """The expression as LocalStack's StringJSONata composes it: intrinsic functions, $states,
    then the variables assigned so far as its VariableStore declares them."""
    from localstack.services.stepfunctions.asl.component.intrinsic.jsonata import (
        get_intrinsic_functions_declarations,
    )
    from localstack.services.stepfunctions.asl.eval.states import States
    from localstack.services.stepfunctions.asl.eval.variable_store import VariableStore

    refs = ls_jsonata().extract_jsonata_variable_references(expression)
    states = States(context=context_object(case, state))
    states.reset(input_value=case.input)
    if case.result is not MISSING:
        states.set_result(case.result)
    if case.error_output is not MISSING:
        states.set_error_output(case.error_output)
    store = VariableStore()
    for name, value in case.variables.items():
        store.set(variable_identifier=name, variable_value=value)
    decls = [
        get_intrinsic_functions_declarations(refs),
        states.to_variable_declarations(refs),
        store.get_variable_declarations(),
    ]
    return compose(expression, decls)


# --- expected values, computed here


def expected_result(case: Case) -> dict[str, Any]:
    tasks = case.result.get("Tasks", [])
    failures = case.result.get("Failures", [])
    url = case.input.get("taskUrl", {})
    return {
        "TaskCount": len(tasks),
        "FailureCount": len(failures),
        "TaskArns": [t["TaskArn"] for t in tasks],
        "TaskUrls": [
            url.get("prefix", "") + t["TaskArn"].split("/")[-1] + url.get("suffix", "")
            for t in tasks
        ],
        "Failures": list(failures),
    }


def with_next(case: Case, key: str, value: Any) -> dict[str, Any]:
    return {**case.input, "next": {**case.input["next"], key: value}}


def compact(value: Any) -> str:
    """JSONata's $string of an array or object: JSON without spaces (see the $string edges)."""
    return json.dumps(value, separators=(",", ":"))


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def expected_notice(case: Case) -> dict[str, Any]:
    """The outcome notice: the plan's template for $outcome with {attempt}, {taskCount},
    {failureCount}, {stillMissing} and {error} filled in, the new task ARNs added to its resources, and its
    context merged over the first notice's with the ARNs, the failures and the RunTask error."""
    plan, nxt = case.input, case.input["next"]
    template = plan["outcomes"][case.variables["outcome"]]
    content, metadata = template["content"], template["metadata"]
    result, error = nxt.get("result", {}), nxt.get("error")
    task_arns, failures = result.get("TaskArns", []), result.get("Failures", [])
    values = {
        "attempt": str(nxt["attempt"]),
        "taskCount": str(len(task_arns)),
        "failureCount": str(len(failures)),
        "stillMissing": str(plan["missingCount"] - len(task_arns)),
        "error": error["Error"] if error and "Error" in error else "",
    }
    context = {
        **plan["notice"]["metadata"]["additionalContext"],
        **{
            key: fill(value, values)
            for key, value in metadata["additionalContext"].items()
        },
        "taskArns": compact(task_arns),
        "failures": compact(failures),
    }
    if error is not None:
        context.update({"error": error["Error"], "cause": error["Cause"]})
    return {
        **template,
        "content": {**content, "description": fill(content["description"], values)},
        "metadata": {
            **metadata,
            "summary": fill(metadata["summary"], values),
            "relatedResources": metadata["relatedResources"] + task_arns,
            "additionalContext": context,
        },
    }


@dataclass(frozen=True)
class JsonText:
    """An expected value that the expression returns as JSON text: parsed, then compared."""

    value: Any


def outcome_template(case: Case) -> dict[str, Any]:
    return case.input["outcomes"][case.variables["outcome"]]


Oracle = Callable[[Case], Any]
# by (state, field), or (state, path) where one list item differs from the next (Choices)
ORACLES: dict[tuple[str, str], Oracle] = {
    ("Rerun Task", "Arguments"): lambda c: c.input["next"]["request"],
    ("Rerun Task", "Output"): lambda c: with_next(c, "result", expected_result(c)),
    ("Rerun Task", "Catch[*].Output"): lambda c: with_next(c, "error", c.error_output),
    ("Check Result", "Choices[0].Condition"): lambda c: (
        expected_outcome(c.input) == "recovered"
    ),
    ("Check Result", "Choices[1].Condition"): lambda c: (
        expected_outcome(c.input) in ("recovered", "partially-recovered")
    ),
    ("Check Result", "Choices[2].Condition"): lambda c: (
        c.input["next"]["attempt"] < c.input["maxAttempts"]
    ),
    ("No Re-run Left", "Output"): lambda c: c.input,
    ("Notify Outcome", "Arguments.Message"): lambda c: JsonText(expected_notice(c)),
    ("Notify Outcome", "Arguments.MessageAttributes.kind.StringValue"): lambda c: (
        outcome_template(c)["metadata"]["additionalContext"]["kind"]
    ),
    ("Notify Outcome", "Arguments.MessageAttributes.cluster.StringValue"): lambda c: (
        c.input["clusterName"]
    ),
    ("Notify Outcome", "Output"): lambda c: c.input,
    ("Route Outcome", "Choices[0].Condition"): lambda c: (
        c.variables["outcome"] == "recovered"
    ),
    ("Route Outcome", "Choices[1].Condition"): lambda c: (
        c.variables["outcome"] == "partially-recovered"
    ),
}


def oracle_for(item: AslExpression) -> Oracle | None:
    return ORACLES.get((item.state, item.path)) or ORACLES.get((item.state, item.field))


# The input (and $outcome) of the states after Rerun Task, by state; the argument: the field
# sees $states.result (a Task's Output or Assign).
STATE_CASES: dict[str, Callable[[bool], list[Case]]] = {
    "Check Result": lambda _: check_result_cases(),
    "No Re-run Left": lambda _: gave_up_cases(),
    "Notify Outcome": lambda is_result: outcome_cases(published=is_result),
    "Route Outcome": lambda _: route_cases(),
}


def assigned_next_to(state: dict[str, Any], item: AslExpression) -> dict[str, Any]:
    """The literal Assign next to an Output (the state's, a catcher's, a choice rule's): LocalStack
    evaluates it first (StatePass, ExecutionState, CatcherDecl, ChoiceRule, StateChoice), so the
    Output's text declares those variables too. Other fields are evaluated before it."""
    steps = re.findall(r"[^.\[\]]+|\[\d+\]", item.path)
    if not steps or steps[-1] != "Output":
        return {}
    parent: Any = state
    for step in steps[:-1]:
        parent = parent[int(step[1:-1])] if step.startswith("[") else parent[step]
    assign = parent.get("Assign") if isinstance(parent, dict) else None
    if not isinstance(assign, dict):
        return {}
    literal = {
        k: v for k, v in assign.items() if not (isinstance(v, str) and "{%" in v)
    }
    return literal  # an expression's value is not modelled here (none in the ASL yet)


def cases_for(item: AslExpression, state: dict[str, Any]) -> list[Case]:
    """The $states a field sees: errorOutput in a Catch, result in a Task's Output/Assign (a
    Pass state's result is its input), and the variables assigned before it."""
    state_type = state.get("Type")
    sees_result = item.field.split(".")[0] in ("Output", "Assign")
    is_result = sees_result and state_type in ("Task", "Map", "Parallel")
    if item.field.startswith("Catch["):
        cases = error_cases()
    elif item.state in STATE_CASES:
        cases = STATE_CASES[item.state](is_result)
    else:
        cases = result_cases() if is_result else input_cases()
    assigned = assigned_next_to(state, item)
    for case in cases:
        case.variables = {**case.variables, **assigned}
        if sees_result and state_type == "Pass":
            case.result = case.input
    return cases


def state_definitions(asl_file: Path) -> dict[str, dict[str, Any]]:
    states: dict[str, dict[str, Any]] = {}

    def walk(machine: dict[str, Any]) -> None:
        for name, state in machine.get("States", {}).items():
            states[name] = state
            for key in NESTED_MACHINES:
                if key in state:
                    walk(state[key])
            for branch in state.get("Branches", []):
                walk(branch)

    walk(json.loads(asl_file.read_text()))
    return states


def assigned_outcomes(value: Any) -> set[str]:
    """Every literal ``outcome`` an Assign in the ASL gives (states, choice rules, catchers)."""
    found: set[str] = set()
    if isinstance(value, dict):
        outcome = (
            value.get("Assign", {}).get("outcome")
            if isinstance(value.get("Assign"), dict)
            else None
        )
        if isinstance(outcome, str):
            found.add(outcome)
        for item in value.values():
            found |= assigned_outcomes(item)
    elif isinstance(value, list):
        for item in value:
            found |= assigned_outcomes(item)
    return found


@dataclass
class CrossCheck:
    """Expressions to evaluate again with jsonata-js, with the shim's answer."""

    items: list[tuple[str, str, Any, str | None]] = field(default_factory=list)

    def add(self, label: str, rich: str, got: Any, error: str | None) -> None:
        self.items.append((label, rich, got, error))


def test_asl(report: Report, asl_file: Path, cross: CrossCheck) -> None:
    found = asl_expressions(asl_file)
    where = asl_file.relative_to(ROOT) if asl_file.is_relative_to(ROOT) else asl_file
    report.check(
        f"asl: JSONata expressions found in {where}", bool(found), "none found"
    )
    states = state_definitions(asl_file)
    report.equal(
        "asl: the outcomes the ASL assigns are the ones tested here",
        sorted(assigned_outcomes(states)),
        sorted(OUTCOMES),
    )
    for name, plan in retryable_plans():
        report.equal(
            f"asl: {name} has a template for each outcome",
            sorted(plan.get("outcomes", {})),
            sorted(OUTCOMES),
        )
    for item in found:
        print(f"     {item.label}: {{% {item.expression} %}}")
        oracle = oracle_for(item)
        report.check(
            f"asl: {item.label} has an expected value here",
            oracle is not None,
            "add one to ORACLES in this file (the JSONata in the ASL changed)",
        )
        for case in cases_for(item, states.get(item.state, {})):
            rich = rich_expression(item.expression, case, item.state)
            got, error = try_evaluate(rich)
            cross.add(f"asl: {item.label} [{case.label}]", rich, got, error)
            if oracle is not None:
                name = f"asl: {item.label} [{case.label}]"
                if report.check(name + " evaluates", error is None, str(error)):
                    check_value(report, name, got, oracle(case))


def check_value(report: Report, name: str, got: Any, want: Any) -> None:
    if not isinstance(want, JsonText):
        report.equal(name, got, want)
        return
    try:
        parsed = json.loads(got) if isinstance(got, str) else MISSING
    except ValueError as ex:
        report.check(name + " is JSON text", False, f"{ex}: {dumps(got)[:400]}")
        return
    if report.check(
        name + " is JSON text", parsed is not MISSING, f"got {dumps(got)[:400]}"
    ):
        report.equal(name, parsed, want.value)


# ---------------------------------------------------------------- 3. edge cases


TASK_A = {"TaskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/aaa"}
TASK_B = {"TaskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/bbb"}
TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef"
FAILURE = {
    "Arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/4b6d",
    "Reason": "AGENT",
}
FILL = (  # Notify Outcome's $fill of $s: every {key} of $n replaced, in $keys order
    "$reduce($keys($n), function($t, $k) { $replace($t, '{' & $k & '}', $lookup($n, $k)) }, $s)"
)
# fmt: off
EDGE_CASES: list[tuple[str, dict[str, Any], str, Any]] = [
    ("singleton array, 0 elements", {"$t": []}, "[$t.TaskArn]", []),
    ("singleton array, 1 element", {"$t": [TASK_A]}, "[$t.TaskArn]", [TASK_A["TaskArn"]]),
    ("singleton array, 2 elements", {"$t": [TASK_A, TASK_B]}, "[$t.TaskArn]",
     [TASK_A["TaskArn"], TASK_B["TaskArn"]]),
    ("singleton array, an object", {"$t": TASK_A}, "[$t.TaskArn]", [TASK_A["TaskArn"]]),
    ("singleton array, undefined", {}, "[$nothing.TaskArn]", []),
    ("no brackets: 1 element is a bare value", {"$t": [TASK_A]}, "$t.TaskArn", TASK_A["TaskArn"]),
    ("array of arrays is flattened by [ ]", {"$f": [{"a": 1}, {"b": 2}]}, "[$f]",
     [{"a": 1}, {"b": 2}]),
    ("$count of undefined", {}, "$count($nothing)", 0),
    ("$count of a missing field", {"$r": {"Tasks": []}}, "$count($r.Failures)", 0),
    ("$count of an object", {"$r": TASK_A}, "$count($r)", 1),
    ("$count of 2", {"$t": [TASK_A, TASK_B]}, "$count($t)", 2),
    ("$merge, later wins", {}, "$merge([{'a': 1, 'b': 1}, {'b': 2}])", {"a": 1, "b": 2}),
    ("$merge, nested object replaced whole", {"$x": {"next": {"a": 1, "b": 2}}},
     "$merge([$x, {'next': {'c': 3}}])", {"next": {"c": 3}}),
    ("$merge of []", {}, "$merge([])", {}),
    ("$merge skips undefined", {}, "$merge([$nothing, {'a': 1}])", {"a": 1}),
    ("& concatenates", {"$n": 2}, "'re-run ' & $n & ' of ' & 3", "re-run 2 of 3"),
    ("& with undefined is ''", {}, "'a' & $nothing & 'b'", "ab"),
    ("& with a boolean", {}, "'x' & true", "xtrue"),
    ("& with a quoted string", {"$s": {"v": 'q"uote & co'}}, "'<' & $s.v & '>'", '<q"uote & co>'),
    ("$split(...)[-1] of an ARN", {"$a": TASK_ARN}, "$split($a, '/')[-1]", "0123456789abcdef"),
    ("$split(...)[-1] without separator", {}, "$split('abc', '/')[-1]", "abc"),
    ("path over an array of strings", {"$u": ["q/x", "q/y"]}, "[$u.($split($, '/')[-1])]",
     ["x", "y"]),
    ("undefined is None", {}, "$nothing", None),
    ("$exists(undefined)", {}, "$exists($nothing)", False),
    ("null is None", {}, "null", None),
    ("$exists(null)", {}, "$exists(null)", True),
    ("undefined value drops its key", {}, "{'a': $nothing, 'b': null}", {"b": None}),
    ("integers stay integers", {"$r": {"Tasks": [1, 2]}}, "$count($r.Tasks) + 1.0", 3),
    ("fractions are floats", {}, "10 / 4", 2.5),
    ("$type of a string", {}, "$type('s')", "string"),
    ("$string of [] is []", {"$t": []}, "$string([$t.TaskArn])", "[]"),
    ("$string of [undefined] is []", {}, "$string([$nothing])", "[]"),
    ("$string of 1 ARN: a JSON array", {"$t": [TASK_A]}, "$string([$t.TaskArn])",
     compact([TASK_A["TaskArn"]])),
    ("$string of 2 ARNs: compact JSON", {"$t": [TASK_A, TASK_B]}, "$string([$t.TaskArn])",
     compact([TASK_A["TaskArn"], TASK_B["TaskArn"]])),
    ("$string of objects: compact JSON, key order kept", {"$f": [FAILURE, FAILURE]},
     "$string([$f])", compact([FAILURE, FAILURE])),
    ("$string of an object with quotes", {"$e": {"Cause": 'on resource: "*"', "n": 2}},
     "$string($e)", compact({"Cause": 'on resource: "*"', "n": 2})),
    ("$string of an integer", {"$n": 2}, "$string($n)", "2"),
    ("$string of 0", {"$t": []}, "$string($count($t))", "0"),
    ("$replace replaces every occurrence", {}, "$replace('{a} and {a}', '{a}', '1')", "1 and 1"),
    ("$replace with ''", {}, "$replace('x `{error}`', '{error}', '')", "x ``"),
    ("$replace without a match", {}, "$replace('x', '{a}', '1')", "x"),
    ("$keys keeps key order", {"$n": {"attempt": "1", "taskCount": "2", "failureCount": "0",
     "error": ""}}, "$keys($n)", ["attempt", "taskCount", "failureCount", "error"]),
    ("$reduce/$replace fill", {"$n": {"a": "1", "b": "x"}, "$s": "{a}/{b}/{a}{c}"}, FILL,
     "1/x/1{c}"),
    ("$lookup of a key with a dash", {"$o": {"partially-recovered": {"k": 1}}},
     "$lookup($o, 'partially-recovered').k", 1),
    ("$lookup of a missing key is undefined", {"$o": {"a": 1}}, "$lookup($o, 'b')", None),
    ("$each + $merge, one key", {"$c": {"a": "x"}},
     "$merge($each($c, function($v, $k) { {$k: $v & '!'} }))", {"a": "x!"}),
    ("$each + $merge, two keys", {"$c": {"a": "x", "b": "y"}},
     "$merge($each($c, function($v, $k) { {$k: $v & '!'} }))", {"a": "x!", "b": "y!"}),
    ("$append(array, [])", {"$a": ["x"]}, "$append($a, [])", ["x"]),
    ("$append(array, undefined)", {"$a": ["x"]}, "$append($a, $nothing)", ["x"]),
    ("$append(array, array)", {"$a": ["x"], "$b": ["y", "z"]}, "$append($a, $b)",
     ["x", "y", "z"]),
    ("? : with {} in $merge", {}, "$merge([{'a': 1}, $exists($nothing) ? {'b': 2} : {}])",
     {"a": 1}),
    ("= of strings", {"$o": "gave-up"}, "$o = 'recovered'", False),
    ("= of undefined is false", {}, "$nothing = 'recovered'", False),
    ("< of integers", {"$n": {"attempt": 3, "max": 3}}, "$n.attempt < $n.max", False),
    ("and of comparisons", {"$r": {"F": 0, "T": 1}}, "$r.F = 0 and $r.T > 0", True),
]
# fmt: on


def test_edges(report: Report, cross: CrossCheck) -> None:
    for name, bindings, expression, want in EDGE_CASES:
        rich = compose(expression, [declarations(bindings)] if bindings else [])
        got, error = try_evaluate(rich)
        cross.add(f"edge: {name}", rich, got, error)
        if report.check(f"edge: {name} evaluates", error is None, str(error)):
            report.equal(f"edge: {name}: {expression}", got, want)


# ---------------------------------------------------------------- 4. cross-check with jsonata-js


JS_EVALUATOR = r"""
const jsonata = require(process.argv[1]);
const expressions = JSON.parse(require("fs").readFileSync(0, "utf8"));
(async () => {
  const out = [];
  for (const expression of expressions) {
    try {
      const value = await jsonata(expression).evaluate(undefined);
      const text = JSON.stringify(value);
      if (value === undefined) out.push({ undefined: true });
      else if (text === undefined) out.push({ unserializable: typeof value });
      else out.push({ value: JSON.parse(text) });
    } catch (err) {
      out.push({ error: String(err.code || "") + " " + String(err.message || err) });
    }
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


def evaluate_js(expressions: list[str]) -> list[dict[str, Any]]:
    command = ["node", "-e", JS_EVALUATOR, str(JSONATA_JS)]
    done = subprocess.run(
        command,
        check=False,
        input=json.dumps(expressions),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"node failed ({done.returncode}): {done.stderr.strip()[-800:]}"
        )
    return json.loads(done.stdout)


def follow_ups(cross: CrossCheck) -> CrossCheck:
    """LocalStack's checks on a result: $exists(...) when it is None, $type(...) when a string."""
    more = CrossCheck()
    for label, rich, got, error in cross.items:
        wrapper = (
            "$exists" if got is None else "$type" if isinstance(got, str) else None
        )
        if wrapper and error is None:
            wrapped = f"{wrapper}({rich})"
            more.add(f"{label} {wrapper}", wrapped, *try_evaluate(wrapped))
    return more


def compare_with_js(
    report: Report, label: str, got: Any, error: str | None, js: dict
) -> None:
    name = f"js: {label}"
    if "error" in js or error is not None:
        report.check(
            name,
            "error" in js and error is not None,
            f"shim: {error}; jsonata-js: {js}",
        )
    elif "value" in js:
        report.equal(name, got, js["value"], ordered=True)
    else:  # undefined (the bridge's None) or a function
        report.check(
            name,
            got is None and "undefined" in js,
            f"shim: {dumps(got)}; jsonata-js: {js}",
        )


def test_cross_check(report: Report, cross: CrossCheck) -> None:
    items = cross.items + follow_ups(cross).items
    if not report.check(
        "js: jsonata-js is installed",
        JSONATA_JS.is_dir(),
        f"{JSONATA_JS}: {INSTALL_HINT}",
    ):
        return
    try:
        answers = evaluate_js([rich for _, rich, _, _ in items])
    except (OSError, RuntimeError, ValueError) as ex:
        report.check("js: jsonata-js evaluates", False, str(ex))
        return
    for (label, _, got, error), js in zip(items, answers, strict=True):
        compare_with_js(report, label, got, error, js)


# ---------------------------------------------------------------- 5. through LocalStack


SMOKE_MACHINE = {
    "Comment": "jsonata-shim smoke test: one JSONata Pass and two JSONata SDK Task states.",
    "QueryLanguage": "JSONata",
    "StartAt": "Prepare",
    "States": {
        "Prepare": {
            "Type": "Pass",
            "Assign": {"prefix": "{% $states.input.name & '-' %}"},
            "Output": "{% $merge([$states.input, {'ids': [$states.input.items.id], "
            "'count': $count($states.input.items)}]) %}",
            "Next": "List Queues",
        },
        "List Queues": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues",
            "Arguments": {
                "QueueNamePrefix": "{% $prefix %}",
                "MaxResults": "{% $count($states.input.ids) + 8 %}",
            },
            "Output": "{% {'input': $states.input, 'urls': [$states.result.QueueUrls], "
            "'names': [$states.result.QueueUrls.($split($, '/')[-1])], "
            "'n': $count($states.result.QueueUrls)} %}",
            "Next": "Get Missing Queue",
        },
        "Get Missing Queue": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sqs:getQueueUrl",
            "Arguments": {"QueueName": "{% $prefix & 'missing' %}"},
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "Output": "{% $merge([$states.input, {'error': $states.errorOutput}]) %}",
                    "Next": "Done",
                }
            ],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}

START_LOCALSTACK = r"""
source "$1"
trap stop_started EXIT
start_localstack "$2" >&2
printf '%s %s\n' "$LS_PID" "$LS_ENDPOINT"
STARTED_PIDS=()  # handed over: the caller stops it
"""


class LocalStack:
    """LocalStack started by common.sh's start_localstack; stopped (its process group) on exit."""

    def __init__(self, logfile: Path) -> None:
        self.logfile = logfile
        self.pid: int | None = None
        self.endpoint = ""

    def __enter__(self) -> Self:
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        command = [
            "bash",
            "-c",
            START_LOCALSTACK,
            "bash",
            str(COMMON_SH),
            str(self.logfile),
        ]
        done = subprocess.run(
            command, check=False, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"start_localstack failed: {done.stderr.strip()[-1500:]}"
            )
        pid, self.endpoint = done.stdout.split()
        self.pid = int(pid)
        return self

    def __exit__(self, *_: object) -> None:
        if self.pid is None:
            return
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    os.killpg(self.pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.2)

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


def run_execution(
    sfn: Any, machine_arn: str, payload: dict[str, Any]
) -> dict[str, Any]:
    arn = sfn.start_execution(stateMachineArn=machine_arn, input=json.dumps(payload))[
        "executionArn"
    ]
    deadline = time.monotonic() + 60
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return {"described": described, "history": history}


def scheduled(history: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    out = []
    for event in history:
        details = event.get("taskScheduledEventDetails")
        if event["type"] == "TaskScheduled" and details:
            resource = f"{details.get('resourceType')}:{details.get('resource')}"
            out.append((resource, json.loads(details.get("parameters") or "null")))
    return out


def task_failure(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    for event in history:
        details = event.get("taskFailedEventDetails")
        if event["type"] == "TaskFailed" and details:
            return {"Error": details.get("error"), "Cause": details.get("cause")}
    return None


def smoke_execution(
    report: Report, ls: LocalStack, machine_arn: str, name: str, queues: int
) -> None:
    sqs, sfn = ls.client("sqs"), ls.client("stepfunctions")
    for i in range(queues):
        sqs.create_queue(QueueName=f"{name}-q{i}")
    items = [{"id": f"item-{i}"} for i in range(queues or 1)]
    payload = {"name": name, "items": items}
    run = run_execution(sfn, machine_arn, payload)
    label = f"localstack: {queues} queue(s)"
    status = run["described"]["status"]
    if not report.check(
        f"{label}: execution succeeded",
        status == "SUCCEEDED",
        json.dumps(run["history"][-3:], default=str),
    ):
        return
    prefix = f"{name}-"
    urls = sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
    prepared = {**payload, "ids": [item["id"] for item in items], "count": len(items)}
    want = {
        "input": prepared,
        "urls": urls,
        "names": [url.split("/")[-1] for url in urls],
        "n": len(urls),
    }
    output = json.loads(run["described"]["output"])
    error = task_failure(run["history"])
    if report.check(
        f"{label}: the failing task recorded its error",
        error is not None,
        "no TaskFailed",
    ):
        print(f"     TaskFailed: {json.dumps(error)}")
    report.equal(f"{label}: output", output, {**want, "error": error})
    report.equal(
        f"{label}: TaskScheduled parameters",
        scheduled(run["history"]),
        [
            (
                "aws-sdk:sqs:listQueues",
                {"QueueNamePrefix": prefix, "MaxResults": len(items) + 8},
            ),
            ("aws-sdk:sqs:getQueueUrl", {"QueueName": prefix + "missing"}),
        ],
    )


def test_localstack(report: Report) -> None:
    logfile = LOCAL_DIR / "test-logs/localstack-jsonata-shim.log"
    started = time.monotonic()
    try:
        with LocalStack(logfile) as ls:
            print(
                f"     LocalStack ready at {ls.endpoint} in {time.monotonic() - started:.1f} s"
            )
            sfn = ls.client("stepfunctions")
            machine_arn = sfn.create_state_machine(
                name=f"jsonata-shim-{uuid.uuid4().hex[:8]}",
                definition=json.dumps(SMOKE_MACHINE),
                roleArn="arn:aws:iam::000000000000:role/jsonata-shim",
            )["stateMachineArn"]
            run_id = uuid.uuid4().hex[:8]
            smoke_execution(report, ls, machine_arn, f"shim-{run_id}", queues=2)
            smoke_execution(report, ls, machine_arn, f"shim-{run_id}-none", queues=0)
    except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as ex:
        report.check("localstack: started and ran", False, str(ex))
        return
    log = logfile.read_text(errors="replace")
    jvm_traces = [
        w
        for w in ("JSONataLibs", "jpype", "maven", "Installing java")
        if w.lower() in log.lower()
    ]
    report.check(
        "localstack: no JVM bridge activity in its log",
        not jvm_traces,
        f"log mentions {jvm_traces}",
    )


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--asl",
        type=Path,
        default=ASL_FILE,
        help="the ASL to read (default: %(default)s)",
    )
    parser.add_argument(
        "--no-localstack", action="store_true", help="skip the LocalStack smoke test"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    report = Report()
    cross = CrossCheck()
    steps: list[tuple[str, Callable[[], None]]] = [
        ("install", lambda: test_install(report)),
        ("hook", lambda: test_hook(report)),
        ("asl", lambda: test_asl(report, args.asl.resolve(), cross)),
        ("edge", lambda: test_edges(report, cross)),
        ("cross-check", lambda: test_cross_check(report, cross)),
    ]
    if not args.no_localstack:
        steps.append(("localstack", lambda: test_localstack(report)))
    for name, run in steps:
        started = time.monotonic()
        run()
        print(f"-- {name}: {time.monotonic() - started:.1f} s")
    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
