"""A stand-in for the Lambda Python runtime's bootstrap, run as
`python -I -S -B lambda_runtime.py` by tests/infrastructure/artifacts.py.

`-I -S` leave only the interpreter's standard library on sys.path (no site-packages, no
PYTHON* variables, not this script's folder); the request on stdin then names the
function's build directory and the layer's `python/` directory, which go first, in the
order Lambda puts /var/task and /opt/python. Only the standard library is imported here
before that, so whatever the handler needs must come from the artifact.

Request (JSON): {"path": [...], "handler": "pkg.module.function", "function_name": ...,
"events": [...]}. Answer (JSON on stdout): the import time of the handler's module, each
event's result (or the exception it raised), and every imported module whose file lies
outside that path and the standard library.
"""

from __future__ import annotations

import importlib
import json
import sys
import sysconfig
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Context:
    """What the handlers read of Lambda's context object."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = "artifact-request"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def foreign_modules(allowed: list[str]) -> list[str]:
    """Modules imported from anywhere but `allowed` and the standard library (this
    script, the stand-in for Lambda's bootstrap, aside)."""
    roots = [*allowed, sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]]
    roots = [str(Path(root).resolve()) for root in roots]
    itself = Path(__file__).resolve()
    foreign = []
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None)
        if not location or Path(location).resolve() == itself:
            continue
        if not str(Path(location).resolve()).startswith(tuple(roots)):
            foreign.append(f"{name}: {location}")
    return sorted(foreign)


def main() -> None:
    request = json.load(sys.stdin)
    sys.path[:0] = request["path"]
    module_name, _, attribute = request["handler"].rpartition(".")
    began = time.perf_counter()
    handler = getattr(importlib.import_module(module_name), attribute)
    import_seconds = time.perf_counter() - began
    results: list[dict[str, Any]] = []
    for event in request.get("events", []):
        try:
            results.append({"result": handler(event, Context(request["function_name"]))})
        except Exception as error:
            results.append({"error": type(error).__name__, "trace": traceback.format_exc()})
    answer = {
        "import_seconds": import_seconds,
        "results": results,
        "foreign_modules": foreign_modules(request["path"]),
    }
    # The handlers log to stdout (Powertools): the answer is the last line.
    print("\n" + json.dumps(answer, default=str), flush=True)


if __name__ == "__main__":
    main()
