#!/usr/bin/env python3
"""The outcome notices as the state machine publishes them, held equal to the SNS fixtures.

For each `tests/fixtures/notify/<name>.json` (a golden plan, the `$outcome` that Check Result or the
Rerun Task catch assigns, and the `next` that Rerun Task left), evaluate the "Notify Outcome"
state's `Arguments` from `statemachine/rerun.asl.json` the way LocalStack does (the expression with
`$states` and `$outcome` declared in front, through the JSONata engine of the harness's LocalStack
venv, jsonata-python, which scripts/local/test_jsonata_shim.py cross-checks against the reference
jsonata) and compare the published Message and MessageAttributes with
`tests/fixtures/sns/<name>.json`. The SNS fixtures of outcome notices therefore cannot drift from
what the machine publishes; `--update` rewrites them from the evaluation.

Usage: .local/localstack-venv/bin/python scripts/local/notices.py [--update]
Prints one line per fixture and "N passed, M failed"; exit 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import jsonata

ROOT = Path(__file__).resolve().parents[2]
ASL = ROOT / "statemachine" / "rerun.asl.json"
SPECS = ROOT / "tests" / "fixtures" / "notify"
PLANS = ROOT / "tests" / "golden" / "plan"
SNS = ROOT / "tests" / "fixtures" / "sns"
STATE = "Notify Outcome"


def expression(field: str) -> str:
    """A `{% … %}` field as an expression."""
    field = field.strip()
    if not (field.startswith("{%") and field.endswith("%}")):
        raise SystemExit(f"notices: {STATE} field {field[:40]!r} is not a JSONata expression")
    return field[2:-2].strip()


def evaluate(field: str, states_input: dict[str, Any], outcome: str) -> Any:
    declarations = f"$states := {json.dumps({'input': states_input})}; $outcome := {json.dumps(outcome)};"
    return jsonata.Jsonata(f"( {declarations} {expression(field)} )").evaluate(None)


def published(arguments: dict[str, Any], states_input: dict[str, Any], outcome: str) -> tuple[str, dict[str, Any]]:
    """The Message text and the MessageAttributes as the SNS envelope shows them."""
    message = evaluate(arguments["Message"], states_input, outcome)
    attributes = {
        name: {"Type": a["DataType"], "Value": evaluate(a["StringValue"], states_input, outcome)}
        for name, a in arguments["MessageAttributes"].items()
    }
    return message, attributes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--update", action="store_true", help="rewrite the SNS fixtures from the evaluation")
    args = ap.parse_args()
    arguments = json.loads(ASL.read_text())["States"][STATE]["Arguments"]
    specs = sorted(SPECS.glob("*.json"))
    if not specs:
        print(f"notices: no specs in {SPECS}", file=sys.stderr)
        return 2
    passed = failed = 0
    for spec_file in specs:
        spec = json.loads(spec_file.read_text())
        plan = json.loads((PLANS / spec["plan"]).read_text())
        message, attributes = published(arguments, {**plan, "next": spec["next"]}, spec["outcome"])
        sns_file = SNS / spec_file.name
        envelope = json.loads(sns_file.read_text())
        if args.update:
            envelope["Message"] = message
            envelope["MessageAttributes"] = attributes
            sns_file.write_text(json.dumps(envelope, indent=2, ensure_ascii=False) + "\n")
        problems = []
        if json.loads(envelope["Message"]) != json.loads(message):
            problems.append("Message differs (run with --update, review the diff)")
        if envelope.get("MessageAttributes") != attributes:
            problems.append(f"MessageAttributes {envelope.get('MessageAttributes')} != {attributes}")
        ok = not problems
        passed += ok
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {spec_file.name}: {spec['outcome']} of {spec['plan']}{'' if ok else ': ' + '; '.join(problems)}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
