"""The engine LocalStack calls: ``PythonJSONataBridge.get().eval_jsonata(expression)``.

Same contract as LocalStack's ``_JSONataJVMBridge``: the expression arrives whole (LocalStack has
already prepended ``$states`` and the assigned variables as ``$name := <json>;`` declarations), is
evaluated with no input document, and the result comes back as plain JSON values (dict, list, str,
int, float, bool, None), a fresh copy, with JSONata's ``undefined`` and ``null`` both as ``None``
(the JVM bridge serialises both as JSON ``null``; LocalStack asks ``$exists(...)`` to tell them
apart). Any failure is LocalStack's ``JSONataException("UNKNOWN", "<exception type>: <message>")``.
"""

from __future__ import annotations

import functools
import json
from typing import Any


def _evaluate(expression: str) -> Any:
    import jsonata  # the jsonata-python distribution; imported on the first evaluation only

    return jsonata.Jsonata(expression).evaluate(None)


def _to_plain_json(value: Any) -> Any:
    """What the JVM bridge's jackson round trip gives: plain JSON types, nothing shared."""
    return json.loads(json.dumps(value, allow_nan=False))


class PythonJSONataBridge:
    """Drop-in for LocalStack's ``_JSONataJVMBridge``: ``get()`` and ``eval_jsonata()``."""

    @staticmethod
    @functools.cache
    def get() -> PythonJSONataBridge:
        return PythonJSONataBridge()

    def eval_jsonata(self, jsonata_expression: str) -> Any:
        from localstack.services.stepfunctions.asl.jsonata.jsonata import (
            JSONataException,
        )

        try:
            return _to_plain_json(_evaluate(jsonata_expression))
        except Exception as ex:  # the JVM bridge wraps every failure the same way
            details = f"{type(ex).__module__}.{type(ex).__name__}: {ex}"
            raise JSONataException("UNKNOWN", details) from ex
