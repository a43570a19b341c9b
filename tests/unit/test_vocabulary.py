"""The vocabulary is the HTTP contract's: its values are the documented ones, they travel
as plain strings, and the Lambda code speaks only through it."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pydantic

from sundial.api import docs
from sundial.api.app import app
from sundial.core.errors import SundialError
from sundial.core.vocabulary import (
    FINISHED_RUN_STATUSES,
    ErrorCode,
    FireKind,
    Outcome,
    RunStatus,
    TaskState,
)

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions" / "sundial"

# The HTTP contract: run statuses and task states as the API documents them, and the
# error codes it promises at least.
DOCUMENTED_RUN_STATUSES = ["running", "retrying", "succeeded", "failed", "skipped"]
DOCUMENTED_TASK_STATES = ["active", "paused", "completed"]
DOCUMENTED_ERROR_CODES = {
    "unauthorized",
    "not_found",
    "invalid_schedule",
    "invalid_timezone",
    "invalid_target",
    "validation_error",
    "payload_too_large",
    "name_conflict",
    "version_mismatch",
    "rate_limited",
}


def test_run_statuses_are_exactly_the_documented_ones() -> None:
    assert [status.value for status in RunStatus] == DOCUMENTED_RUN_STATUSES
    assert {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED} == FINISHED_RUN_STATUSES


def test_task_states_are_exactly_the_documented_ones() -> None:
    assert [state.value for state in TaskState] == DOCUMENTED_TASK_STATES


def test_every_documented_error_code_is_an_error_code() -> None:
    assert {code.value for code in ErrorCode} >= DOCUMENTED_ERROR_CODES


def test_every_code_api_gateway_answers_with_is_an_error_code() -> None:
    # The Gateway Responses of template.yaml write their error bodies as JSON text.
    template = (ROOT / "template.yaml").read_text()
    codes = set(re.findall(r'"code": "([a-z_]+)"', template))
    assert codes, "template.yaml has no gateway response bodies"
    assert codes <= {code.value for code in ErrorCode}


def test_every_sundial_error_carries_an_error_code() -> None:
    # Importing the API's app loads every error class the functions define.
    assert app is not None
    classes = list(_subclasses(SundialError))
    assert len(classes) > 10
    for cls in classes:
        assert isinstance(cls.code, ErrorCode), cls


def test_each_run_status_outcome_is_the_run_status_it_records() -> None:
    for status in (RunStatus.SUCCEEDED, RunStatus.RETRYING, RunStatus.FAILED, RunStatus.SKIPPED):
        assert Outcome(status.value) == status


def test_members_travel_as_their_plain_values() -> None:
    class Body(pydantic.BaseModel):
        status: RunStatus
        kind: FireKind

    body = Body(status="failed", kind="redrive")  # as read back from DynamoDB or JSON
    assert body.status is RunStatus.FAILED
    assert body.model_dump(mode="json") == {"status": "failed", "kind": "redrive"}
    assert json.dumps([ErrorCode.NOT_FOUND, TaskState.PAUSED]) == '["not_found", "paused"]'
    assert f"{Outcome.LEASE_HELD}" == str(Outcome.LEASE_HELD) == "lease_held"
    assert "skipped" in FINISHED_RUN_STATUSES


def test_the_openapi_document_lists_the_documented_run_statuses_and_task_states() -> None:
    document = docs.openapi_document(app, docs.OPENAPI_INFO)
    schemas = document["components"]["schemas"]
    assert schemas["RunStatus"]["enum"] == DOCUMENTED_RUN_STATUSES
    assert schemas["TaskState"]["enum"] == DOCUMENTED_TASK_STATES
    assert schemas["RunView"]["properties"]["status"] == _ref("RunStatus")
    assert schemas["TaskView"]["properties"]["state"] == _ref("TaskState")
    listing = document["paths"]["/tasks"]["get"]["parameters"]
    state = next(parameter for parameter in listing if parameter["name"] == "state")
    assert _ref("TaskState") in state["schema"]["anyOf"]


def test_no_lambda_code_spells_a_vocabulary_word_as_a_bare_string() -> None:
    """Comparisons against a task state, run status or fire kind, and error codes, go
    through the enums, so a renamed or misspelled word fails at import, not in production."""
    words = {member.value for enum in (TaskState, RunStatus, FireKind) for member in enum}
    found = []
    for path in sorted(FUNCTIONS.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Compare):
                spelled = _strings(node.left) | set().union(*map(_strings, node.comparators))
                found += [f"{where} compares with {word!r}" for word in spelled & words]
            if isinstance(node, ast.keyword) and node.arg == "code" and _strings(node.value):
                found.append(f"{where} passes code={_strings(node.value)}")
    assert not found, "\n".join(found)


def _strings(node: ast.AST) -> set[str]:
    """The string constants a comparison operand spells: itself, or a literal collection's."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return set().union(*map(_strings, node.elts)) if node.elts else set()
    return set()


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
