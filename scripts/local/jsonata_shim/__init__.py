"""A pure-Python JSONata engine for LocalStack's Step Functions, in place of its JVM bridge.

LocalStack evaluates every JSONata expression of a state machine through one object,
``_JSONataJVMBridge`` in ``localstack.services.stepfunctions.asl.jsonata.jsonata``: it starts
a JVM (jpype) with the ``com.dashjoin:jsonata`` and jackson jars that it downloads from Maven
Central at run time. This package puts :class:`~jsonata_shim.bridge.PythonJSONataBridge`
(``jsonata-python``, a port of the same reference implementation) in that one name when
LocalStack imports the module. LocalStack's state semantics (which fields are JSONata, how
``$states`` and assigned variables are bound into the expression, the checks on the result)
stay LocalStack's own.

Loaded by a ``.pth`` line in the harness's LocalStack venv (written by
``scripts/lib/install.sh``): ``import jsonata_shim; jsonata_shim.install()``.
"""

from .hook import DISABLE_ENV, TARGET_MODULE, install, is_patched

__all__ = ["DISABLE_ENV", "TARGET_MODULE", "install", "is_patched"]
