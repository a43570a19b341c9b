"""The lifecycle fields over HTTP: `max_runs` / `remaining_runs` and `pause_after_failures`
/ `pause_reason` are set on create, changed and removed by PATCH, shown by GET; a bad
value is a 400 naming the field, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, task_body


def _stored(api: Api) -> list[dict[str, Any]]:
    response = api.call("GET", "/tasks")
    assert response.status == 200, response.body
    return list(response.body["tasks"])


def test_a_task_shows_its_run_limit_and_the_runs_left(api: Api) -> None:
    task = api.create(max_runs=5)
    assert (task["max_runs"], task["remaining_runs"]) == (5, 5)
    shown = api.call("GET", f"/tasks/{task['id']}").body
    assert (shown["max_runs"], shown["remaining_runs"]) == (5, 5)


def test_a_task_without_a_limit_shows_null_for_both(api: Api) -> None:
    task = api.create()
    assert (task["max_runs"], task["remaining_runs"]) == (None, None)


def test_patch_changes_the_limit_and_null_removes_it(api: Api) -> None:
    task = api.create(max_runs=5)
    raised = api.call("PATCH", f"/tasks/{task['id']}", {"max_runs": 7})
    assert raised.status == 200, raised.body
    assert (raised.body["max_runs"], raised.body["remaining_runs"]) == (7, 7)
    removed = api.call("PATCH", f"/tasks/{task['id']}", {"max_runs": None})
    assert removed.status == 200, removed.body
    assert (removed.body["max_runs"], removed.body["remaining_runs"]) == (None, None)
    assert removed.body["state"] == "active"


def test_remaining_runs_is_read_only(api: Api) -> None:
    response = api.call("POST", "/tasks", task_body(max_runs=3, remaining_runs=1))
    assert (response.status, response.error["field"]) == (400, "remaining_runs")
    assert _stored(api) == []


@pytest.mark.parametrize("value", [0, -1, 2.5, "3", True])
def test_a_bad_max_runs_is_refused_naming_the_field_and_nothing_is_stored(
    api: Api, value: Any
) -> None:
    response = api.call("POST", "/tasks", task_body(max_runs=value))
    assert (response.status, response.error["code"], response.error["field"]) == (
        400,
        "validation_error",
        "max_runs",
    )
    assert _stored(api) == []


@pytest.mark.parametrize("value", [0, -1, 2.5])
def test_a_patch_with_a_bad_max_runs_is_refused_and_changes_nothing(api: Api, value: Any) -> None:
    task = api.create(max_runs=5)
    response = api.call("PATCH", f"/tasks/{task['id']}", {"max_runs": value})
    assert (response.status, response.error["code"], response.error["field"]) == (
        400,
        "validation_error",
        "max_runs",
    )
    unchanged = api.call("GET", f"/tasks/{task['id']}").body
    assert (unchanged["max_runs"], unchanged["version"]) == (5, task["version"])


# --- pause_after_failures ---------------------------------------------------------------


def test_pause_after_failures_is_shown_set_and_removed(api: Api) -> None:
    task = api.create(pause_after_failures=3)
    assert (task["pause_after_failures"], task["pause_reason"]) == (3, None)
    changed = api.call("PATCH", f"/tasks/{task['id']}", {"pause_after_failures": 10})
    assert changed.body["pause_after_failures"] == 10
    removed = api.call("PATCH", f"/tasks/{task['id']}", {"pause_after_failures": None})
    assert removed.body["pause_after_failures"] is None


def test_a_user_pause_shows_pause_reason_user_and_resume_clears_it(api: Api) -> None:
    task = api.create(pause_after_failures=3)
    paused = api.call("POST", f"/tasks/{task['id']}/pause")
    assert (paused.body["state"], paused.body["pause_reason"]) == ("paused", "user")
    resumed = api.call("POST", f"/tasks/{task['id']}/resume")
    assert (resumed.body["state"], resumed.body["pause_reason"]) == ("active", None)


@pytest.mark.parametrize("value", [0, 1001, -1, 2.5, "3"])
def test_a_bad_pause_after_failures_is_refused_naming_the_field_and_nothing_is_stored(
    api: Api, value: Any
) -> None:
    response = api.call("POST", "/tasks", task_body(pause_after_failures=value))
    assert (response.status, response.error["code"], response.error["field"]) == (
        400,
        "validation_error",
        "pause_after_failures",
    )
    assert _stored(api) == []


def test_pause_reason_is_read_only(api: Api) -> None:
    response = api.call("POST", "/tasks", task_body(pause_reason="user"))
    assert (response.status, response.error["field"]) == (400, "pause_reason")
    assert _stored(api) == []
