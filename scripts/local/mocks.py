"""The SFN mock configuration LocalStack reads: one scenario's test case at a time."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from common import Env, say


def load_source(scenarios_path: str, spec: dict[str, Any]) -> dict[str, Any]:
    """tests/local/sfn-mock-config.json (or the spec's `mockConfig`, beside the scenarios file)."""
    with open(os.path.join(os.path.dirname(scenarios_path), spec.get("mockConfig", "sfn-mock-config.json"))) as f:
        return json.load(f)


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
