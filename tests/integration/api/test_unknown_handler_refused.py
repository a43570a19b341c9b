"""A task naming a handler that is not registered (no built-in, nothing in the
HANDLER_MODULES the API imports) is refused on create and on a PATCH of its target:
400 invalid_target on target.name, listing the registered names, nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_client import Api, task_body

from sundial.core import handlers
from sundial.settings import reset_settings


def _handler(name: str) -> dict[str, str]:
    return {"type": "handler", "name": name}


@pytest.fixture
def team_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A HANDLER_MODULES module, as a deployment ships it, registering `team.report`."""
    (tmp_path / "team_jobs_api_check.py").write_text(
        "from sundial.execute import task\n\n\n"
        "@task('team.report')\n"
        "def report(payload, invocation):\n"
        "    return payload\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("HANDLER_MODULES", "team_jobs_api_check")
    reset_settings()
    yield "team.report"
    handlers.unregister("team.report")


def test_create_refuses_an_unknown_handler_and_stores_nothing(api: Api) -> None:
    response = api.call("POST", "/tasks", task_body(target=_handler("reports.nightly")))
    assert response.status == 400
    assert (response.error["code"], response.error["field"]) == ("invalid_target", "target.name")
    assert "echo, log, sleep" in response.error["message"]
    assert api.call("GET", "/tasks").body["tasks"] == []


def test_patch_refuses_an_unknown_handler_and_keeps_the_stored_target(api: Api) -> None:
    created = api.call("POST", "/tasks", task_body(target=_handler("echo")))
    task_id = created.body["id"]
    response = api.call("PATCH", f"/tasks/{task_id}", {"target": _handler("reports.nightly")})
    assert (response.status, response.error["field"]) == (400, "target.name")
    stored = api.call("GET", f"/tasks/{task_id}").body
    assert (stored["target"], stored["version"]) == (_handler("echo"), created.body["version"])


@pytest.mark.parametrize("name", ["echo", "sleep", "log"])
def test_builtin_handlers_are_accepted(api: Api, name: str) -> None:
    assert api.call("POST", "/tasks", task_body(target=_handler(name))).status == 201


def test_a_handler_registered_by_handler_modules_is_accepted(api: Api, team_module: str) -> None:
    assert handlers.registered_handler(team_module) is None  # until the API imports it
    response = api.call("POST", "/tasks", task_body(target=_handler(team_module)))
    assert response.status == 201, response.error
