"""Header values that carry credentials are write-only, like `signing_secret`: responses
show them as `***`, the target still gets them, and a PATCH keeps them unless it changes
them."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, task_body

from sundial.core.task import HttpTarget
from sundial.store import spec_of
from sundial.store import tasks as store_tasks

HEADERS = {
    "Authorization": "Bearer s3cret",
    "proxy-authorization": "Basic eDp5",
    "Cookie": "session=abc",
    "X-Api-Key": "k-123",
    "X-Upstream-Token": "t-456",
    "X-Team": "data",
}
SHOWN = {**{name: "***" for name in HEADERS}, "X-Team": "data"}


def _target(headers: dict[str, str]) -> dict[str, Any]:
    return {"type": "http", "url": "https://example.com/hook", "headers": headers}


def _stored_headers(task_id: str) -> dict[str, str]:
    target = spec_of(store_tasks.get_task("acme", task_id)).target
    assert isinstance(target, HttpTarget)
    return target.headers


def test_credential_header_values_are_never_returned_but_are_stored(api: Api) -> None:
    task = api.create(target=_target(HEADERS))
    assert task["target"]["headers"] == SHOWN
    assert api.call("GET", f"/tasks/{task['id']}").body["target"]["headers"] == SHOWN
    assert api.call("GET", "/tasks").body["tasks"][0]["target"]["headers"] == SHOWN
    assert _stored_headers(task["id"]) == HEADERS  # what the executor sends


def test_a_patch_that_leaves_the_target_alone_keeps_credential_headers(api: Api) -> None:
    task = api.create(target=_target(HEADERS))
    assert api.call("PATCH", f"/tasks/{task['id']}", {"description": "x"}).status == 200
    assert _stored_headers(task["id"]) == HEADERS


def test_a_target_sent_back_as_shown_keeps_credential_values(api: Api) -> None:
    task = api.create(target=_target(HEADERS))
    shown = api.call("GET", f"/tasks/{task['id']}").body["target"]
    shown["headers"]["X-Team"] = "ops"
    shown["headers"]["X-Api-Key"] = "k-new"
    response = api.call("PATCH", f"/tasks/{task['id']}", {"target": shown})
    assert response.status == 200, response.body
    assert _stored_headers(task["id"]) == {**HEADERS, "X-Team": "ops", "X-Api-Key": "k-new"}


def test_a_credential_header_left_out_of_a_patched_target_is_removed(api: Api) -> None:
    task = api.create(target=_target({"Authorization": "Bearer s3cret", "X-Team": "data"}))
    api.call("PATCH", f"/tasks/{task['id']}", {"target": _target({"X-Team": "data"})})
    assert _stored_headers(task["id"]) == {"X-Team": "data"}


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_the_hidden_placeholder_is_not_a_credential(api: Api, method: str) -> None:
    body = {"target": _target({"Authorization": "***"})}
    if method == "POST":
        response = api.call("POST", "/tasks", task_body(**body))
    else:
        task = api.create()
        response = api.call("PATCH", f"/tasks/{task['id']}", body)
    assert (response.status, response.error["code"], response.error["field"]) == (
        400,
        "invalid_target",
        "target.headers.Authorization",
    )
