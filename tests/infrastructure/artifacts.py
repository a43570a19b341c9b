"""`sam build`'s output: each function's artifact and the dependency layer, and running a
built function the way Lambda does, without Docker (lambda_runtime.py).

Used by the artifact tests and by `make bench` (benchmarks/artifact_sizes.py), which publishes
the sizes and import times measured here.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sundial_local.template import default_template_path, load_template

REPO = default_template_path().parent
RUNTIME = Path(__file__).resolve().parent / "lambda_runtime.py"
BUILD_SECONDS = 480
# Lambda's names for the machine architectures it runs.
LAMBDA_ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def host_architecture() -> str:
    """This machine's architecture as Lambda names it."""
    return LAMBDA_ARCHITECTURES[platform.machine().lower()]


def find_sam() -> Path | None:
    """The `sam` executable: $SAM_CLI, the Makefile's tool virtualenv, this virtualenv, PATH."""
    candidates = [
        os.environ.get("SAM_CLI"),
        str(REPO / ".venv" / "sam-cli" / "bin" / "sam"),
        str(Path(sys.executable).parent / "sam"),
        shutil.which("sam"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def sam_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"})
    # Nothing here may reach an AWS account.
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    return env


def template_for(architecture: str, into: Path) -> Path:
    """A copy of template.yaml (as JSON, which sam reads too) whose functions and layer are
    built for `architecture`, its code locations made absolute so it builds from `into`."""
    body = load_template()
    for resource in body["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            properties["CodeUri"] = str(REPO / properties["CodeUri"])
            properties["Architectures"] = [architecture]
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            properties["ContentUri"] = str(REPO / properties["ContentUri"])
            properties["CompatibleArchitectures"] = [architecture]
            resource["Metadata"]["BuildArchitecture"] = architecture
    into.mkdir(parents=True, exist_ok=True)
    path = into / "template.json"
    path.write_text(json.dumps(body, indent=1))
    return path


@dataclass(frozen=True)
class Function:
    logical_id: str
    code: Path  # the function's build directory: /var/task on Lambda
    handler: str


@dataclass(frozen=True)
class Build:
    """The output of one `sam build`: the functions and the layer they share."""

    directory: Path

    @property
    def template(self) -> dict[str, Any]:
        return load_template(self.directory / "template.yaml")

    def functions(self) -> dict[str, Function]:
        return {
            logical_id: Function(
                logical_id,
                self.directory / resource["Properties"]["CodeUri"],
                resource["Properties"]["Handler"],
            )
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == "AWS::Serverless::Function"
        }

    def layer(self) -> Path:
        """The layer's python/ directory: /opt/python on Lambda."""
        (layer,) = (
            self.directory / resource["Properties"]["ContentUri"] / "python"
            for resource in self.template["Resources"].values()
            if resource["Type"] == "AWS::Serverless::LayerVersion"
        )
        return layer


def sam_build(sam: Path, template: Path, directory: Path, cache: Path) -> Build:
    """`sam build` of `template` into `directory` (no container: pip fetches wheels of the
    template's architectures)."""
    command = [str(sam), "build", "--template-file", str(template)]
    command += ["--build-dir", str(directory), "--cache-dir", str(cache)]
    result = subprocess.run(
        command,
        cwd=template.parent,
        env=sam_environment(),
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}\n{result.stdout}\n{result.stderr}")
    return Build(directory)


@dataclass(frozen=True)
class Invocation:
    import_seconds: float
    results: list[dict[str, Any]]
    foreign_modules: list[str]
    output: str


def invoke_like_lambda(
    build: Build,
    function: Function,
    events: list[dict[str, Any]],
    environment: Mapping[str, str],
    timeout: float = 120,
) -> Invocation:
    """A fresh interpreter whose path is the function's build directory, then the layer's
    python/ directory, then the standard library alone (the standard library's byte code
    is cached, as it is in the Lambda runtime); it imports the handler and calls
    it with each event in turn, with `environment` as its whole environment (plus PATH)."""
    request = {
        "path": [str(function.code), str(build.layer())],
        "handler": function.handler,
        "function_name": function.logical_id,
        "events": events,
    }
    result = subprocess.run(
        # -B: /var/task and /opt are read-only on Lambda, and `sam build` ships no byte
        # code, so every cold start compiles what it imports; so does this interpreter.
        [sys.executable, "-I", "-S", "-B", str(RUNTIME)],
        input=json.dumps(request),
        env={"PATH": os.environ.get("PATH", ""), **environment},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{function.logical_id} did not start:\n{result.stderr}")
    answer = json.loads(result.stdout.rstrip().rsplit("\n", 1)[-1])
    return Invocation(
        answer["import_seconds"], answer["results"], answer["foreign_modules"], result.stdout
    )


def top_level_names(directory: Path) -> set[str]:
    """What a directory puts on sys.path: its entries, less Python's byte-code caches."""
    return {path.name for path in directory.iterdir() if path.name != "__pycache__"}
