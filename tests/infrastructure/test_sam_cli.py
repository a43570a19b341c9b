"""The SAM CLI accepts the template: `cfn-lint`, `sam validate --lint`, `sam build` for
arm64, and what `sam local` reads from it (routes, environment). Subprocesses, bounded
by timeouts; `sam build` fetches the dependencies from PyPI (no Docker)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .artifacts import REPO, Build, sam_environment

FUNCTIONS = (
    "DispatcherFunction",
    "ExecutorFunction",
    "ApiFunction",
    "AuthorizerFunction",
    "NotifierFunction",
    "DelivererFunction",
)
# ELF e_machine of 64-bit ARM (Graviton, what `Architectures: [arm64]` runs on).
EM_AARCH64 = 183


def run(command: list[str], timeout: float, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        cwd=cwd,
        env=sam_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}\n{result.stderr}"
    return result


def cfn_lint(sam: Path) -> list[str]:
    """This virtualenv's cfn-lint when it has one, else the one the SAM CLI brings."""
    for directory in (Path(sys.executable).parent, sam.parent):
        if (directory / "cfn-lint").is_file():
            return [str(directory / "cfn-lint")]
    pytest.fail("cfn-lint is not installed")


def test_cfn_lint_reports_nothing(sam):
    # Any finding (error, warning or informational) fails; suppressions would have to be
    # declared, with their reason, in the template's Metadata.
    result = run([*cfn_lint(sam), "--format", "parseable", "template.yaml"], timeout=120)
    assert result.stdout.strip() == ""


def test_sam_validate_lint_passes(sam):
    result = run([str(sam), "validate", "--lint", "--template-file", "template.yaml"], timeout=120)
    assert "is a valid SAM Template" in result.stdout + result.stderr


def elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", path
    return int.from_bytes(header[18:20], "little")


def test_sam_build_packages_the_layer_for_arm64(arm64_build: Build):
    """A plain `sam build` (no container): SAM's Python builder asks pip for wheels of the
    layer's architecture, so pydantic-core arrives as a manylinux aarch64 wheel."""
    layer = arm64_build.layer()
    for package in ("pydantic_core", "pynamodb", "aws_lambda_powertools", "tzdata", "boto3"):
        assert (layer / package).is_dir(), f"{package} not in the layer"
    extensions = list(layer.rglob("*.so"))
    assert any(p.parent.name == "pydantic_core" for p in extensions)
    for extension in extensions:
        assert "cpython-311" in extension.name or "abi3" in extension.name, extension
        assert elf_machine(extension) == EM_AARCH64, f"{extension} is not aarch64"


def test_every_function_has_its_handler_and_the_layer(arm64_build: Build):
    functions = arm64_build.functions()
    assert set(functions) == set(FUNCTIONS)
    for logical_id, function in functions.items():
        module = function.handler.rsplit(".", 1)[0].replace(".", "/") + ".py"
        assert (function.code / module).is_file(), f"{logical_id}: {module} missing"
    layers = arm64_build.template["Globals"]["Function"]["Layers"]
    assert layers == [{"Ref": "DependenciesLayer"}]


# What `sam local` reads from the template, computed by the SAM CLI's own providers (no
# Docker needed for that part): the routes `start-api` serves and the environment
# `invoke --env-vars env.json` gives each function.
_SAM_LOCAL_VIEW = """
import json, sys
from samcli.lib.providers.api_provider import ApiProvider
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.local.lambdafn.env_vars import EnvironmentVariables

stacks, _ = SamLocalStackProvider.get_stacks("template.yaml")
api = ApiProvider(stacks, disable_authorizer=True).api
overrides = json.load(open("infra/env.json"))
functions = {}
for function in SamFunctionProvider(stacks).get_all():
    values = {**overrides.get("Parameters", {}), **overrides.get(function.name, {})}
    variables = EnvironmentVariables(
        function.name, function.memory, function.timeout, function.handler,
        variables=(function.environment or {}).get("Variables", {}), override_values=values,
    ).resolve()
    functions[function.name] = {"environment": variables, "architectures": function.architectures}
print(json.dumps({
    "stage": api.stage_name,
    "routes": [{"path": r.path, "methods": sorted(r.methods), "function": r.function_name}
               for r in api.routes],
    "functions": functions,
}))
"""


@pytest.fixture(scope="module")
def sam_local_view(sam) -> dict[str, Any]:
    python = sam.parent / "python"
    if not python.is_file():
        pytest.skip("the SAM CLI is not in a virtualenv whose python can import samcli")
    return json.loads(run([str(python), "-c", _SAM_LOCAL_VIEW], timeout=120).stdout)


def test_sam_local_start_api_serves_every_route_from_the_api_function(sam_local_view):
    assert sam_local_view["stage"] == "v1"
    paths = {r["path"]: r for r in sam_local_view["routes"]}
    assert set(paths) == {"/", "/{proxy+}", "/docs", "/openapi.json", "/console"}
    assert {r["function"] for r in paths.values()} == {"ApiFunction"}
    assert "POST" in paths["/{proxy+}"]["methods"]


def test_env_json_points_every_function_at_the_emulator(sam_local_view):
    overrides = json.loads((REPO / "infra" / "env.json").read_text())
    endpoint = overrides["Parameters"]["AWS_ENDPOINT_URL"]
    assert set(sam_local_view["functions"]) == set(FUNCTIONS)
    for name, function in sam_local_view["functions"].items():
        environment = function["environment"]
        # sam local passes only variables the template declares: AWS_ENDPOINT_URL is.
        assert environment["AWS_ENDPOINT_URL"] == endpoint, name
        assert environment["WORK_QUEUE_URL"].startswith(endpoint + "/"), name
        assert environment["TASKS_TABLE"] == "TasksTable", name
        assert function["architectures"] == ["arm64"], name
    assert (
        sam_local_view["functions"]["DispatcherFunction"]["environment"]["CONTINUATION_MODE"]
        == "return"
    )
    # Every override names a variable the function declares (sam local drops the rest).
    for name, values in overrides.items():
        if name == "Parameters":
            continue
        for variable in values:
            assert variable in sam_local_view["functions"][name]["environment"], (name, variable)
