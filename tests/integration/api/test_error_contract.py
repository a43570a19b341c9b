"""Every error the API documents (docs/api.md "Errors"), in its envelope, with the field it
names; nothing else leaks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_client import Api, task_body

from sundial import store
from sundial.api import service
from sundial.store import tasks as store_tasks


def _error(api: Api, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, dict]:
    response = api.call(method, path, body, **kwargs)
    return response.status, response.error


# --- 400 validation_error and friends on POST /tasks ---------------------------------------


@pytest.mark.parametrize(
    "body, code, field",
    [
        (task_body(scheduel="@daily"), "validation_error", "scheduel"),  # unknown field
        (task_body(schedule=...), "invalid_schedule", "schedule"),  # missing
        (task_body(retry={"max_attempts": 0}), "validation_error", "retry.max_attempts"),
        (task_body(retry={"max_attempts": "3"}), "validation_error", "retry.max_attempts"),
        (task_body(timeout_seconds=901), "validation_error", "timeout_seconds"),
        (task_body(tags={"a:b": "x"}), "validation_error", "tags.a:b"),
        (task_body(name="has space"), "validation_error", "name"),
        (task_body(start_at="2026-01-01T09:00:00"), "validation_error", "start_at"),
        (task_body(overlap="sometimes"), "validation_error", "overlap"),
        (task_body(schedule="0 0 99 * *"), "invalid_schedule", "schedule"),
        (task_body(schedule="every day"), "invalid_schedule", "schedule"),
        (task_body(timezone="Mars/Olympus"), "invalid_timezone", "timezone"),
        (task_body(target={"type": "http", "url": "ftp://x"}), "invalid_target", "target.url"),
        (task_body(target={"type": "carrier-pigeon"}), "invalid_target", "target.type"),
        (task_body(target={"type": "lambda", "arn": "nope"}), "invalid_target", "target.arn"),
    ],
)
def test_create_names_the_offending_field(api: Api, body: dict, code: str, field: str) -> None:
    status, error = _error(api, "POST", "/tasks", body)
    assert (status, error["code"], error["field"]) == (400, code, field), error
    assert api.call("GET", "/tasks").body["tasks"] == []  # nothing stored


def test_malformed_json_is_a_validation_error(api: Api) -> None:
    status, error = _error(api, "POST", "/tasks", raw_body='{"schedule": ')
    assert (status, error["code"], error["field"]) == (400, "validation_error", None)
    assert "not valid JSON" in error["message"]


@pytest.mark.parametrize("raw", ["[1, 2]", '"text"', "42"])
def test_a_body_that_is_not_an_object_is_a_validation_error(api: Api, raw: str) -> None:
    status, error = _error(api, "POST", "/tasks", raw_body=raw)
    assert (status, error["code"], error["field"]) == (400, "validation_error", None)


def test_a_missing_body_is_a_validation_error(api: Api) -> None:
    status, error = _error(api, "POST", "/tasks")
    assert (status, error["code"]) == (400, "validation_error")


def test_a_body_that_is_not_json_is_415(api: Api) -> None:
    status, error = _error(
        api,
        "POST",
        "/tasks",
        raw_body="schedule=@daily",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (status, error["code"]) == (415, "unsupported_media_type")


def test_a_payload_over_256_kib_is_413_payload_too_large(api: Api) -> None:
    status, error = _error(api, "POST", "/tasks", task_body(payload={"blob": "x" * 262_144}))
    assert (status, error["code"], error["field"]) == (413, "payload_too_large", "payload")


def test_a_one_time_schedule_further_in_the_past_than_the_grace_is_invalid(api: Api) -> None:
    past = datetime.now(UTC) - timedelta(minutes=5)
    body = task_body(schedule=f"at({past:%Y-%m-%dT%H:%M:%S})", timezone="UTC")
    status, error = _error(api, "POST", "/tasks", body)
    assert (status, error["code"], error["field"]) == (400, "invalid_schedule", "schedule")
    assert "grace_seconds" in error["message"]


def test_a_one_time_schedule_within_the_grace_fires_at_once(api: Api, work_queue) -> None:
    just_now = datetime.now(UTC) - timedelta(seconds=20)
    task = api.create(schedule=f"at({just_now:%Y-%m-%dT%H:%M:%S})", timezone="UTC")
    assert [m["task_id"] for m in work_queue.messages()] == [task["id"]]


def test_a_window_that_already_ended_is_a_validation_error_on_end_at(api: Api) -> None:
    body = task_body(
        start_at="2020-01-01T00:00:00Z", end_at="2020-02-01T00:00:00Z", schedule="@daily"
    )
    status, error = _error(api, "POST", "/tasks", body)
    assert (status, error["code"], error["field"]) == (400, "validation_error", "end_at")


def test_patch_to_a_past_one_time_schedule_is_invalid_and_changes_nothing(api: Api) -> None:
    task = api.create()
    status, error = _error(
        api, "PATCH", f"/tasks/{task['id']}", {"schedule": "at(2020-01-01T00:00:00)"}
    )
    assert (status, error["code"], error["field"]) == (400, "invalid_schedule", "schedule")
    assert api.call("GET", f"/tasks/{task['id']}").body["version"] == 1


def test_patch_errors_name_the_field(api: Api) -> None:
    task = api.create()
    cases = [
        ({"schedule": None}, "invalid_schedule", "schedule"),
        ({"timezone": "Nowhere/Land"}, "invalid_timezone", "timezone"),
        ({"target": {"type": "sqs", "queue_url": "x"}}, "invalid_target", "target.queue_url"),
        ({"retry": {"max_attempts": 101}}, "validation_error", "retry.max_attempts"),
        ({"state": "paused"}, "validation_error", "state"),  # not patchable: use /pause
    ]
    for body, code, field in cases:
        status, error = _error(api, "PATCH", f"/tasks/{task['id']}", body)
        assert (status, error["code"], error["field"]) == (400, code, field), (body, error)


# --- 400 on the other bodies and on query parameters -----------------------------------------


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"schedule": "0 0 30 2 *"}, "invalid_schedule", "schedule"),  # never fires
        ({"schedule": "@daily", "timezone": "Atlantis"}, "invalid_timezone", "timezone"),
        ({"schedule": "@daily", "count": 0}, "validation_error", "count"),
        ({"schedule": "@daily", "count": 101}, "validation_error", "count"),
        ({"schedule": "@daily", "after": "yesterday"}, "validation_error", "after"),
        ({"schedule": "@daily", "colour": "red"}, "validation_error", "colour"),
        ({}, "invalid_schedule", "schedule"),
    ],
)
def test_preview_errors(api: Api, body: dict, code: str, field: str) -> None:
    status, error = _error(api, "POST", "/preview", body)
    assert (status, error["code"], error["field"]) == (400, code, field), error


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("state=sleeping", "state"),
        ("tag=no-colon", "tag"),
        ("next_token=forged.token", "next_token"),
    ],
)
def test_list_query_errors(api: Api, query: str, field: str) -> None:
    status, error = _error(api, "GET", f"/tasks?{query}")
    assert (status, error["code"], error["field"]) == (400, "validation_error", field), error


@pytest.mark.parametrize(
    "body, field",
    [
        ({"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "end"),
        ({"start": "2026-01-01T00:00:00Z"}, "end"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2999-01-01T00:00:00Z"}, "end"),
        ({"start": "2026-01-01", "end": "2026-01-02T00:00:00Z"}, "start"),
    ],
)
def test_backfill_errors(api: Api, body: dict, field: str) -> None:
    task = api.create(schedule="@hourly")
    status, error = _error(api, "POST", f"/tasks/{task['id']}/backfill", body)
    assert (status, error["code"], error["field"]) == (400, "validation_error", field), error


def test_backfill_of_more_than_1000_fires_is_refused_naming_where_to_end(
    api: Api, work_queue
) -> None:
    task = api.create(schedule="* * * * *", timezone="UTC")  # every minute
    end = datetime.now(UTC) - timedelta(hours=1)
    body = {"start": (end - timedelta(days=1)).isoformat(), "end": end.isoformat()}
    status, error = _error(api, "POST", f"/tasks/{task['id']}/backfill", body)
    assert (status, error["code"], error["field"]) == (400, "validation_error", "end")
    assert "1000" in error["message"]
    assert work_queue.messages() == []


def test_a_malformed_if_match_is_a_validation_error(api: Api) -> None:
    task = api.create()
    status, error = _error(
        api, "PATCH", f"/tasks/{task['id']}", {"description": "x"}, headers={"If-Match": "v1"}
    )
    assert (status, error["code"], error["field"]) == (400, "validation_error", "If-Match")


# --- 404, 405, 409, 412 ------------------------------------------------------------------------


TASK_ROUTES = [
    ("GET", ""),
    ("PATCH", ""),
    ("DELETE", ""),
    ("POST", "/pause"),
    ("POST", "/resume"),
    ("POST", "/trigger"),
    ("POST", "/backfill"),
    ("GET", "/runs"),
]
BODIES = {
    "PATCH": {"description": "x"},
    "POST/backfill": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"},
}


@pytest.mark.parametrize("method, suffix", TASK_ROUTES)
def test_an_unknown_task_is_404_not_found_on_every_route(
    api: Api, method: str, suffix: str
) -> None:
    body = BODIES.get(method) or BODIES.get(f"{method}{suffix}")
    status, error = _error(api, method, f"/tasks/01JD0000000000000000000000{suffix}", body)
    assert (status, error["code"], error["field"]) == (404, "not_found", None)


def test_a_name_claim_key_is_not_a_task(api: Api) -> None:
    api.create(name="taken")
    status, error = _error(api, "GET", "/tasks/name#acme#taken")
    assert (status, error["code"]) == (404, "not_found")


def test_an_unknown_route_is_404_not_found(api: Api) -> None:
    status, error = _error(api, "GET", "/schedules")
    assert (status, error["code"], error["field"]) == (404, "not_found", None)


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("PUT", "/tasks", "GET, POST"),
        ("DELETE", "/preview", "POST"),
        ("GET", "/tasks/01JD0000000000000000000000/trigger", "POST"),
        ("POST", "/tasks/01JD0000000000000000000000", "DELETE, GET, PATCH"),
    ],
)
def test_a_wrong_method_is_405_with_an_allow_header(
    api: Api, method: str, path: str, allowed: str
) -> None:
    response = api.call(method, path)
    assert (response.status, response.error["code"]) == (405, "method_not_allowed")
    assert response.header("Allow") == allowed


def test_a_taken_name_is_409_name_conflict(api: Api) -> None:
    api.create(name="nightly")
    status, error = _error(api, "POST", "/tasks", task_body(name="nightly"))
    assert (status, error["code"], error["field"]) == (409, "name_conflict", "name")


def test_renaming_onto_a_taken_name_is_409(api: Api) -> None:
    api.create(name="one")
    other = api.create(name="two")
    status, error = _error(api, "PATCH", f"/tasks/{other['id']}", {"name": "one"})
    assert (status, error["code"], error["field"]) == (409, "name_conflict", "name")


@pytest.mark.parametrize("method, suffix", [("PATCH", ""), ("DELETE", ""), ("POST", "/pause")])
def test_a_stale_if_match_is_412_version_mismatch(api: Api, method: str, suffix: str) -> None:
    task = api.create()
    api.call("PATCH", f"/tasks/{task['id']}", {"description": "moved on"})
    status, error = _error(
        api, method, f"/tasks/{task['id']}{suffix}", BODIES.get(method), headers={"If-Match": '"1"'}
    )
    assert (status, error["code"]) == (412, "version_mismatch")
    assert api.call("GET", f"/tasks/{task['id']}").body["description"] == "moved on"


def _race_after_the_first_read(
    monkeypatch: pytest.MonkeyPatch, task_id: str, changes: dict[str, Any]
) -> None:
    """A concurrent write of `changes` lands between the PATCH's first read and its write."""
    real_read = store_tasks.get_task
    raced: list[bool] = []

    def read_then_race(*args: Any, **kwargs: Any) -> Any:
        item = real_read(*args, **kwargs)
        if not raced:
            raced.append(True)
            store.update_task("acme", task_id, changes)
        return item

    monkeypatch.setattr(store_tasks, "get_task", read_then_race)


def test_a_patch_without_if_match_merges_into_a_concurrent_change(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our read-merge-write lost the race once: it merges again instead of overwriting."""
    task = api.create(description="original", tags={"a": "1"})
    _race_after_the_first_read(monkeypatch, task["id"], {"tags": {"b": "2"}})
    response = api.call("PATCH", f"/tasks/{task['id']}", {"description": "mine"})

    assert response.status == 200
    assert (response.body["description"], response.body["tags"]) == ("mine", {"b": "2"})
    assert response.body["version"] == 3


def test_a_patch_with_if_match_does_not_retry_a_lost_race(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = api.create()
    _race_after_the_first_read(monkeypatch, task["id"], {"description": "theirs"})
    response = api.call(
        "PATCH", f"/tasks/{task['id']}", {"description": "mine"}, headers={"If-Match": "1"}
    )
    assert (response.status, response.error["code"]) == (412, "version_mismatch")
    assert api.call("GET", f"/tasks/{task['id']}").body["description"] == "theirs"


# --- 401, 500 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/tasks"),
        ("GET", "/tasks"),
        ("GET", "/tasks/01JD0000000000000000000000"),
        ("PATCH", "/tasks/01JD0000000000000000000000"),
        ("DELETE", "/tasks/01JD0000000000000000000000"),
        ("POST", "/tasks/01JD0000000000000000000000/pause"),
        ("POST", "/tasks/01JD0000000000000000000000/resume"),
        ("POST", "/tasks/01JD0000000000000000000000/trigger"),
        ("POST", "/tasks/01JD0000000000000000000000/backfill"),
        ("GET", "/tasks/01JD0000000000000000000000/runs"),
        ("POST", "/preview"),
        ("GET", "/dead-letters"),
        ("POST", "/dead-letters/redrive"),
    ],
)
def test_every_tenant_route_refuses_a_request_without_a_tenant(
    api: Api, method: str, path: str
) -> None:
    """Defence in depth: API Gateway's authorizer should never let one through."""
    bodies = {
        "/tasks": task_body(),
        "/preview": {"schedule": "@daily"},
        "/backfill": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"},
    }
    body = next((b for suffix, b in bodies.items() if path.endswith(suffix)), None)
    if method == "PATCH":
        body = {"description": "x"}
    status, error = _error(api, method, path, body, tenant=None)
    assert (status, error["code"], error["field"]) == (401, "unauthorized", None)


def test_an_unexpected_failure_is_500_internal_error_without_a_trace(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("secret internals at /var/task/sundial/store.py line 42")

    monkeypatch.setattr(service.store, "list_tasks", explode)
    response = api.call("GET", "/tasks")
    assert (response.status, response.error["code"]) == (500, "internal_error")
    text = json.dumps(response.body)
    assert "secret internals" not in text and "Traceback" not in text and ".py" not in text


def test_an_event_that_is_not_a_rest_request_still_gets_the_envelope(api: Api) -> None:
    from api_client import FakeLambdaContext

    from sundial.api.handler import handler

    raw = handler({"unexpected": "shape"}, FakeLambdaContext())
    assert raw["statusCode"] == 500
    assert json.loads(raw["body"])["error"]["code"] == "internal_error"
