"""Import hook: swap LocalStack's JVM bridge for the Python one when LocalStack imports it.

Interpreter start only registers a finder (standard library only, nothing imported); the swap
happens when LocalStack imports its JSONata module, and the engine is imported on the first
evaluation. A problem here is reported on stderr and leaves LocalStack as it was.
"""

from __future__ import annotations

import os
import sys

# Interpreter start pays for this module: keep typing, importlib.machinery and the engine out of it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

TARGET_MODULE = "localstack.services.stepfunctions.asl.jsonata.jsonata"
BRIDGE_NAME = "_JSONataJVMBridge"
# Set to "0" to leave LocalStack's own JVM bridge in place (e.g. where Maven Central is reachable).
DISABLE_ENV = "ECS_RERUN_JSONATA_SHIM"


def _warn(message: str) -> None:
    sys.stderr.write(
        f"jsonata_shim: {message}; LocalStack's JVM bridge is left in place\n"
    )


def is_patched(module: ModuleType) -> bool:
    """Whether ``module`` (LocalStack's JSONata module) evaluates with the Python bridge."""
    from .bridge import PythonJSONataBridge

    return getattr(module, BRIDGE_NAME, None) is PythonJSONataBridge


def patch(module: ModuleType) -> None:
    """Put the Python bridge in the name LocalStack's ``eval_jsonata_expression`` looks up."""
    from .bridge import PythonJSONataBridge

    if not hasattr(module, BRIDGE_NAME):
        _warn(f"{TARGET_MODULE} has no {BRIDGE_NAME} (another LocalStack version?)")
        return
    setattr(module, BRIDGE_NAME, PythonJSONataBridge)


class _PatchingLoader:
    """The module's own loader, plus :func:`patch` once the module has run."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        try:
            patch(module)
        except Exception as ex:  # noqa: BLE001 - never break LocalStack's import
            _warn(f"patching failed: {ex!r}")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _Finder:
    """A meta path finder that answers for LocalStack's JSONata module only."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname != TARGET_MODULE:
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _PatchingLoader(spec.loader)  # type: ignore[assignment]  # duck-typed
        return spec


def install() -> None:
    """Arrange for the swap; called from the ``.pth`` line at interpreter start. Never raises."""
    try:
        if os.environ.get(DISABLE_ENV) == "0":
            return
        module = sys.modules.get(TARGET_MODULE)
        if module is not None:
            patch(module)
        elif not any(isinstance(finder, _Finder) for finder in sys.meta_path):
            sys.meta_path.insert(0, _Finder())
    except Exception as ex:  # noqa: BLE001 - never break the interpreter's start
        _warn(f"install failed: {ex!r}")
