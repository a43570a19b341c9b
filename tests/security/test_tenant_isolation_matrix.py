"""Tenant isolation on every authenticated route of the OpenAPI document: a route added
without a row here fails `test_every_authenticated_route_is_in_the_matrix`.

Another tenant's task is 404 exactly as a task that does not exist, and untouched;
collections (tasks, dead letters) never show another tenant's items; nothing a caller
sends (body, headers, idempotency keys, execution ids) reaches into another tenant.

Every test runs in each auth mode: API_KEY, IAM, and JWT with tokens minted for each
tenant and verified by the real authorizer (see conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from api_client import Api, task_body
from security_helpers import FIRE_AT_MS

from sundial import store
from sundial.store import RunItem, run_key

OWNER, INTRUDER = "acme", "globex"
MISSING_TASK = "01JD0000000000000000000000"


@pytest.fixture
def api(api_in_every_mode: Api) -> Api:
    return api_in_every_mode


# Every authenticated operation, and the request an intruder makes on it.
TASK_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", "/tasks/{task_id}"): None,
    ("PATCH", "/tasks/{task_id}"): {"description": "mine now", "schedule": "* * * * *"},
    ("DELETE", "/tasks/{task_id}"): None,
    ("POST", "/tasks/{task_id}/pause"): None,
    ("POST", "/tasks/{task_id}/resume"): None,
    ("POST", "/tasks/{task_id}/trigger"): None,
    ("POST", "/tasks/{task_id}/backfill"): {
        "start": "2026-01-01T00:00:00Z",
        "end": "2026-01-01T06:00:00Z",
    },
    ("GET", "/tasks/{task_id}/runs"): None,
}
COLLECTION_ROUTES = {
    ("POST", "/tasks"),
    ("GET", "/tasks"),
    ("POST", "/preview"),
    ("GET", "/dead-letters"),
    ("POST", "/dead-letters/redrive"),
    ("GET", "/calendars"),
}
# A tenant's calendars, by name: the intruder's request on the owner's calendar's name.
CALENDAR_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", "/calendars/{name}"): None,
    ("PUT", "/calendars/{name}"): {"dates": ["2027-01-01"]},
    ("DELETE", "/calendars/{name}"): None,
}


def authenticated_operations(api: Api) -> set[tuple[str, str]]:
    document = api.call("GET", "/openapi.json").body
    operations = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                continue
            if operation.get("security") == [{}]:
                continue  # public documents (openapi.json, docs, console)
            operations.add((method.upper(), path.removeprefix("/v1")))
    return operations


def test_every_authenticated_route_is_in_the_matrix(api: Api) -> None:
    expected = set(TASK_ROUTES) | COLLECTION_ROUTES | set(CALENDAR_ROUTES)
    assert authenticated_operations(api) == expected


@pytest.mark.parametrize(("method", "path"), sorted(CALENDAR_ROUTES))
def test_another_tenants_calendar_is_never_read_changed_or_deleted(
    api: Api, method: str, path: str
) -> None:
    owned = api.call("PUT", "/calendars/holidays", {"dates": ["2026-12-25"]}, tenant=OWNER)
    assert owned.status == 200, owned.body

    response = api.call(method, path.format(name="holidays"), CALENDAR_ROUTES[(method, path)],
                        tenant=INTRUDER)  # fmt: skip

    # A read or delete finds nothing; a PUT makes the intruder a calendar of its own.
    assert response.status in ((200,) if method == "PUT" else (404,))
    assert api.call("GET", "/calendars/holidays", tenant=OWNER).body["dates"] == ["2026-12-25"]
    listed = api.call("GET", "/calendars", tenant=INTRUDER).body["calendars"]
    assert all(calendar["dates"] != ["2026-12-25"] for calendar in listed)


@pytest.mark.parametrize(("method", "path"), sorted(TASK_ROUTES))
def test_another_tenants_task_is_indistinguishable_from_a_missing_one(
    api: Api, work_queue: Any, method: str, path: str
) -> None:
    task = api.create(tenant=OWNER, schedule="@hourly")
    body = TASK_ROUTES[(method, path)]
    missing = api.call(method, path.format(task_id=MISSING_TASK), body, tenant=INTRUDER)

    response = api.call(method, path.format(task_id=task["id"]), body, tenant=INTRUDER)

    assert response.status == missing.status == 404
    assert response.error["code"] == missing.error["code"]
    assert response.error["message"].replace(task["id"], MISSING_TASK) == missing.error["message"]
    stored = store.get_task(OWNER, task["id"])
    assert (stored.version, stored.state, stored.schedule) == (1, "active", "@hourly")
    assert work_queue.messages() == []


@pytest.mark.parametrize(("method", "path"), sorted(TASK_ROUTES | dict.fromkeys(COLLECTION_ROUTES)))
def test_every_route_refuses_a_request_without_a_tenant(api: Api, method: str, path: str) -> None:
    # API Gateway never passes such a request (the authorizer denies it first); the
    # handler must still not run it unscoped if it ever came.
    task = api.create(tenant=OWNER)
    body = TASK_ROUTES.get((method, path)) or (task_body() if path == "/tasks" else None)
    if path == "/preview":
        body = {"schedule": "@hourly"}
    response = api.call(method, path.format(task_id=task["id"]), body, tenant=None)

    assert response.status in (401, 403)
    assert response.error["code"]


def test_a_listing_never_includes_another_tenants_tasks_on_any_page(api: Api) -> None:
    mine = {api.create(tenant=OWNER)["id"] for _ in range(3)}
    theirs = {api.create(tenant=INTRUDER)["id"] for _ in range(3)}
    seen: set[str] = set()
    token = None
    while True:
        query = "/tasks?limit=1" + (f"&next_token={token}" if token else "")
        page = api.call("GET", query, tenant=OWNER).body
        seen |= {t["id"] for t in page["tasks"]}
        token = page["next_token"]
        if not token:
            break
    assert seen == mine and not seen & theirs


def test_dead_letters_of_another_tenant_are_neither_listed_nor_redriven(
    api: Api, work_queue: Any, dead_letter: Callable[..., str]
) -> None:
    task = api.create(tenant=OWNER)
    execution = dead_letter(task["id"], OWNER)

    listed = api.call("GET", "/dead-letters", tenant=INTRUDER)
    redrive = api.call(
        "POST", "/dead-letters/redrive", {"execution_ids": [execution]}, tenant=INTRUDER
    )
    redrive_all = api.call("POST", "/dead-letters/redrive", tenant=INTRUDER)

    assert listed.status == 200 and listed.body["dead_letters"] == []
    assert redrive.status in (202, 400, 404)
    if redrive.status == 202:
        assert redrive.body["redriven"] in (0, [])
    assert redrive_all.status == 202 and redrive_all.body["redriven"] in (0, [])
    assert work_queue.messages() == []
    assert (
        api.call("GET", "/dead-letters", tenant=OWNER).body["dead_letters"][0]["execution_id"]
        == execution
    )


def test_a_tenant_in_the_body_or_headers_is_never_the_tenant(api: Api) -> None:
    response = api.call(
        "POST",
        "/tasks",
        {**task_body(), "tenant": OWNER},
        tenant=INTRUDER,
        headers={"X-Tenant": OWNER, "X-Sundial-Tenant": OWNER},
    )
    if response.status == 201:
        assert store.get_task(INTRUDER, response.body["id"]).tenant == INTRUDER
    else:
        assert (response.status, response.error["field"]) == (400, "tenant")
    assert api.call("GET", "/tasks", tenant=OWNER).body["tasks"] == []


def test_an_idempotency_key_replays_only_within_its_tenant(api: Api) -> None:
    key = {"Idempotency-Key": "same-key-for-both-tenants"}
    owner = api.call("POST", "/tasks", task_body(name="payroll"), tenant=OWNER, headers=key)
    intruder = api.call("POST", "/tasks", task_body(name="payroll"), tenant=INTRUDER, headers=key)

    assert owner.status == 201
    # The intruder's request is its own: a new task of its own, or a refusal, never a
    # replay of the owner's response (which would hand it the owner's task).
    assert intruder.body.get("id") != owner.body["id"]
    assert owner.body["id"] not in json.dumps(intruder.body)


def test_runs_of_another_tenants_task_are_never_listed(api: Api) -> None:
    task = api.create(tenant=OWNER)
    key = run_key(task["id"], FIRE_AT_MS)
    RunItem(
        key.task_id, key.fire_key, execution_id=key.execution_id, fire_at=FIRE_AT_MS,
        status="succeeded", attempt=1, expires_at=2_000_000_000, tenant=OWNER,
    ).save()  # fmt: skip

    response = api.call("GET", f"/tasks/{task['id']}/runs", tenant=INTRUDER)

    assert response.status == 404
    assert key.execution_id not in json.dumps(response.body)
