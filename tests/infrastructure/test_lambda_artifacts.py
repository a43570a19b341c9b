"""What `sam build` makes is what Lambda can run, and nothing more.

Each function's artifact holds the `sundial` package alone; its dependencies come from
the one layer, which holds none of the local stack's or the CLI's. Then each built
function runs the way Lambda runs it, without Docker: a fresh interpreter whose path is
only the function's build directory, the layer's python/ directory and the standard
library (`python -I -S`, see lambda_runtime.py), its handler invoked with the event
documents of infra/events/ against the emulator. A dependency missing from the layer, or
code that imports something outside the function's package, fails here rather than on
the first deployed event.

The template builds for arm64 and this machine need not be one: pydantic-core is
compiled, and an aarch64 wheel does not load on x86_64. The runnable check therefore uses
a second build of a copy of the template that differs only in its architecture (the
`host_build` fixture); what is checked about contents holds for both builds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sundial_local.emulator import LOCAL_CREDENTIALS, Emulator
from sundial_local.template import function_environment

from sundial.store import apikeys

from .artifacts import Build, Function, invoke_like_lambda, top_level_names
from .conftest import as_function, env_json_values, sample_event

# Development-only code: the local stack, the CLI, their dependencies, the tests.
NEVER_DEPLOYED = ("moto", "click", "rich", "sundial_cli", "sundial_local", "tests", "infra")


def module_names(directory: Path) -> set[str]:
    """Every package and module name found anywhere under `directory`."""
    names = {path.stem for path in directory.rglob("*.py")}
    return names | {path.name for path in directory.rglob("*") if path.is_dir()}


@pytest.fixture(params=["arm64_build", "host_build"])
def build(request: pytest.FixtureRequest) -> Build:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def test_every_function_artifact_holds_the_sundial_package_alone(build: Build):
    functions = build.functions()
    assert len(functions) == 6
    for logical_id, function in functions.items():
        assert top_level_names(function.code) == {"sundial"}, logical_id


def test_no_artifact_holds_the_local_stack_the_cli_or_their_dependencies(build: Build):
    for function in build.functions().values():
        found = module_names(function.code) & set(NEVER_DEPLOYED)
        assert not found, f"{function.logical_id} ships {sorted(found)}"
        # The local stack and the CLI, under their former names inside the package.
        assert not (function.code / "sundial" / "local").exists()
        assert not (function.code / "sundial" / "cli").exists()
    shipped = top_level_names(build.layer()) & set(NEVER_DEPLOYED)
    assert not shipped, f"the layer ships {sorted(shipped)}"


def lambda_environment(emulator: Emulator, logical_id: str) -> dict[str, str]:
    """What the function's process is given: credentials and region (the emulator's), the
    template's variables resolved against the emulator, then env.json's, as under
    `sam local`."""
    assert emulator.template is not None
    return {
        **LOCAL_CREDENTIALS,
        **function_environment(emulator.template, logical_id),
        **env_json_values(emulator, logical_id),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_LAMBDA_FUNCTION_NAME": logical_id,
    }


def run(
    host_build: Build, emulator: Emulator, logical_id: str, *events: str
) -> list[dict[str, Any]]:
    function: Function = host_build.functions()[logical_id]
    invocation = invoke_like_lambda(
        host_build,
        function,
        [sample_event(name) for name in events],
        lambda_environment(emulator, logical_id),
    )
    assert invocation.foreign_modules == [], invocation.foreign_modules
    for outcome in invocation.results:
        assert "error" not in outcome, outcome.get("trace")
    return [outcome["result"] for outcome in invocation.results]


def test_the_built_dispatcher_sweeps_on_the_sample_tick(host_build, emulator):
    (result,) = run(host_build, emulator, "DispatcherFunction", "dispatcher-tick.json")
    assert result["continuation_event"] is None


def test_the_built_executor_takes_the_sample_batch(host_build, emulator):
    (result,) = run(host_build, emulator, "ExecutorFunction", "executor-batch.json")
    assert result == {"batchItemFailures": []}
    dead = emulator.client("sqs").receive_message(
        QueueUrl=emulator.queues["DeadLetterQueue"], MaxNumberOfMessages=10
    )
    assert len(dead.get("Messages", [])) == 2


def test_the_built_authorizer_allows_the_sample_token(host_build, emulator):
    as_function(emulator, "AuthorizerFunction")
    raw_key = sample_event("authorizer-token.json")["authorizationToken"].split(" ", 1)[1]
    apikeys.create_key("local", raw_key=raw_key, description="sam local sample")
    (policy,) = run(host_build, emulator, "AuthorizerFunction", "authorizer-token.json")
    assert policy["context"]["tenant"] == "local"
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_the_built_api_creates_and_lists_tasks(host_build, emulator):
    created, listed = run(
        host_build, emulator, "ApiFunction", "api-create-task.json", "api-list-tasks.json"
    )
    assert created["statusCode"] == 201, created["body"]
    assert listed["statusCode"] == 200, listed["body"]
    assert '"hello-every-minute"' in listed["body"]
