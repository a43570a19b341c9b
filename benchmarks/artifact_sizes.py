"""The Lambda artifacts `sam build` makes: each function's size (unzipped and zipped, alone
and with the dependency layer) and its cold-start import time.

Sizes are of the arm64 build, what `sam deploy` uploads. Import times are of a build for
this machine's architecture (pydantic-core is compiled), each measured in a fresh
interpreter that has only the function's build directory, the layer and the standard
library on its path, as on Lambda (tests/infrastructure/lambda_runtime.py): the time
to import the handler's module, compiling it and its dependencies as Lambda does (`sam
build` ships no byte code and the package is read-only there), the part of a cold start
the code controls. The median of a few repetitions.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "infrastructure"))

from artifacts import (  # noqa: E402
    REPO,
    Build,
    find_sam,
    host_architecture,
    invoke_like_lambda,
    sam_build,
    template_for,
)
from sundial_local.emulator import LOCAL_CREDENTIALS  # noqa: E402

REPETITIONS = 5


def unzipped_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def zipped_bytes(directory: Path) -> int:
    """The size of the deployment package `sam deploy` would upload (deflated zip)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory))
    return buffer.tell()


def environment(logical_id: str) -> dict[str, str]:
    """env.json's variables for the function (`sam local`'s): import needs no service."""
    overrides = json.loads((REPO / "infra" / "env.json").read_text())
    return {**LOCAL_CREDENTIALS, **overrides["Parameters"], **overrides.get(logical_id, {})}


def import_ms(build: Build, logical_id: str) -> list[float]:
    function = build.functions()[logical_id]
    return [
        round(
            invoke_like_lambda(build, function, [], environment(logical_id)).import_seconds * 1000,
            1,
        )
        for _ in range(REPETITIONS)
    ]


def measure() -> dict[str, Any]:
    sam = find_sam()
    if sam is None:
        raise RuntimeError("the SAM CLI is not installed: run `make sam-cli`")
    with tempfile.TemporaryDirectory(prefix="sundial-artifacts-") as scratch:
        root = Path(scratch)
        deployed = sam_build(sam, REPO / "template.yaml", root / "arm64", root / "cache")
        host = host_architecture()
        runnable = (
            deployed
            if host == "arm64"
            else sam_build(
                sam, template_for(host, root / "host"), root / "host-build", root / "cache"
            )
        )
        layer = deployed.layer().parent  # the layer's zip holds python/
        layer_bytes, layer_zipped = unzipped_bytes(layer), zipped_bytes(layer)
        functions: dict[str, Any] = {}
        for logical_id, function in deployed.functions().items():
            samples = import_ms(runnable, logical_id)
            own, own_zipped = unzipped_bytes(function.code), zipped_bytes(function.code)
            functions[logical_id] = {
                "handler": function.handler,
                "unzipped_bytes": own,
                "zipped_bytes": own_zipped,
                "with_layer_unzipped_bytes": own + layer_bytes,
                "with_layer_zipped_bytes": own_zipped + layer_zipped,
                "import_ms_median": statistics.median(samples),
                "import_ms_samples": samples,
            }
    return {
        "lambda_artifacts": {
            "built_for": "arm64",
            "import_measured_on": host,
            "repetitions": REPETITIONS,
            "layer": {"unzipped_bytes": layer_bytes, "zipped_bytes": layer_zipped},
            "functions": functions,
        }
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
