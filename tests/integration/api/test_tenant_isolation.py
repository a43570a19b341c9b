"""A tenant never sees, changes or runs another tenant's tasks: they are 404 exactly as if
they did not exist, listings never include them, and page tokens do not cross tenants."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, task_body

from sundial import store

OWNER, INTRUDER = "acme", "globex"
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "", None),
    ("PATCH", "", {"description": "mine now"}),
    ("DELETE", "", None),
    ("POST", "/pause", None),
    ("POST", "/resume", None),
    ("POST", "/trigger", None),
    ("POST", "/backfill", {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T06:00:00Z"}),
    ("GET", "/runs", None),
]


@pytest.mark.parametrize("method, suffix, body", ROUTES)
def test_another_tenants_task_is_404_on_every_route_and_untouched(
    api: Api, work_queue: Any, method: str, suffix: str, body: Any
) -> None:
    task = api.create(tenant=OWNER, schedule="@hourly")
    missing = api.call(method, f"/tasks/01JD0000000000000000000000{suffix}", body, tenant=INTRUDER)

    response = api.call(method, f"/tasks/{task['id']}{suffix}", body, tenant=INTRUDER)

    assert response.status == 404
    assert response.error == {**missing.error, "message": response.error["message"]}
    assert task["id"] in response.error["message"] or "not found" in response.error["message"]
    stored = store.get_task(OWNER, task["id"])
    assert (stored.version, stored.state, stored.description) == (1, "active", "")
    assert work_queue.messages() == []


def test_a_list_never_includes_another_tenants_tasks(api: Api) -> None:
    mine = [api.create(tenant=OWNER)["id"] for _ in range(2)]
    api.create(tenant=INTRUDER, tags={"env": "prod"})
    api.create(tenant=INTRUDER)

    assert [t["id"] for t in api.call("GET", "/tasks", tenant=OWNER).body["tasks"]] == mine
    assert api.call("GET", "/tasks?tag=env:prod", tenant=OWNER).body["tasks"] == []


def test_a_page_token_of_another_tenant_is_400_not_their_tasks(api: Api) -> None:
    for _ in range(3):
        api.create(tenant=INTRUDER)
    token = api.call("GET", "/tasks?limit=1", tenant=INTRUDER).body["next_token"]
    assert token

    response = api.call("GET", f"/tasks?limit=1&next_token={token}", tenant=OWNER)

    assert response.status == 400
    assert (response.error["code"], response.error["field"]) == ("validation_error", "next_token")


def test_a_tampered_page_token_is_400(api: Api) -> None:
    for _ in range(3):
        api.create(tenant=OWNER)
    token = api.call("GET", "/tasks?limit=1", tenant=OWNER).body["next_token"]
    body, mac = token.split(".")
    tampered = f"{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{mac}"

    response = api.call("GET", f"/tasks?limit=1&next_token={tampered}", tenant=OWNER)

    assert (response.status, response.error["field"]) == (400, "next_token")


def test_a_runs_token_of_another_task_is_400(api: Api) -> None:
    from sundial.store import RunItem, run_key

    first, second = api.create(), api.create()
    for task in (first, second):
        for i in range(2):
            key = run_key(task["id"], 1_700_000_000_000 + i)
            RunItem(
                key.task_id, key.fire_key, execution_id=key.execution_id,
                fire_at=1_700_000_000_000 + i, status="succeeded", attempt=1,
                expires_at=2_000_000_000,
            ).save()  # fmt: skip
    token = api.call("GET", f"/tasks/{first['id']}/runs?limit=1").body["next_token"]

    response = api.call("GET", f"/tasks/{second['id']}/runs?limit=1&next_token={token}")

    assert (response.status, response.error["field"]) == (400, "next_token")


def test_names_are_unique_per_tenant_not_globally(api: Api) -> None:
    assert api.call("POST", "/tasks", task_body(name="nightly"), tenant=OWNER).status == 201
    assert api.call("POST", "/tasks", task_body(name="nightly"), tenant=INTRUDER).status == 201
    conflict = api.call("POST", "/tasks", task_body(name="nightly"), tenant=OWNER)
    assert (conflict.status, conflict.error["code"]) == (409, "name_conflict")


def test_tasks_are_stored_under_the_tenant_from_the_request_context(api: Api) -> None:
    task = api.create(tenant="initech")
    assert store.get_task("initech", task["id"]).tenant == "initech"
    with pytest.raises(store.TaskNotFound):
        store.get_task(OWNER, task["id"])
