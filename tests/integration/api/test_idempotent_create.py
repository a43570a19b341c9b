"""`Idempotency-Key` on POST /tasks: a retried create returns the first response and
creates nothing more; reusing a key for another body is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_client import Api, task_body

from sundial.api import service


def create(api: Api, body: dict[str, Any], key: str, tenant: str = "acme") -> Any:
    return api.call("POST", "/tasks", body, tenant=tenant, headers={"Idempotency-Key": key})


def test_a_retried_create_returns_the_first_response_and_creates_one_task(api: Api) -> None:
    first = create(api, task_body(), "retry-me")
    again = create(api, task_body(), "retry-me")

    assert first.status == again.status == 201
    assert again.body == first.body
    assert again.header("Location") == first.header("Location")
    assert again.header("ETag") == first.header("ETag")
    assert again.header("Idempotent-Replayed") == "true"
    assert first.header("Idempotent-Replayed") is None
    assert len(api.call("GET", "/tasks").body["tasks"]) == 1


def test_the_body_is_compared_as_json_not_as_text(api: Api) -> None:
    body = task_body()
    first = create(api, body, "k")
    event = api.event("POST", "/tasks", tenant="acme", headers={"Idempotency-Key": "k"})
    event["body"] = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = api.send(event)
    assert (again.status, again.body["id"]) == (201, first.body["id"])


def test_the_same_key_with_a_different_body_is_409(api: Api) -> None:
    create(api, task_body(), "once")
    response = create(api, task_body(description="something else"), "once")

    assert response.status == 409
    assert (response.error["code"], response.error["field"]) == (
        "idempotency_key_reused",
        "Idempotency-Key",
    )
    assert len(api.call("GET", "/tasks").body["tasks"]) == 1


def test_keys_of_different_tenants_do_not_collide(api: Api) -> None:
    mine = create(api, task_body(), "shared-key", tenant="acme")
    theirs = create(api, task_body(), "shared-key", tenant="globex")
    assert mine.status == theirs.status == 201
    assert mine.body["id"] != theirs.body["id"]


def test_a_failed_create_does_not_use_up_the_key(api: Api) -> None:
    api.create(name="taken")
    conflict = create(api, task_body(name="taken"), "fix-and-retry")
    assert (conflict.status, conflict.error["code"]) == (409, "name_conflict")

    api.call("DELETE", f"/tasks/{api.call('GET', '/tasks').body['tasks'][0]['id']}")
    retried = create(api, task_body(name="taken"), "fix-and-retry")
    assert retried.status == 201


def test_a_request_still_in_progress_is_409_in_progress(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retry that arrives while the first attempt is still creating must not create too."""
    real_create = service.create_task
    seen: list[Any] = []

    def slow_create(*args: Any, **kwargs: Any) -> Any:
        if not seen:
            seen.append(create(api, task_body(), "concurrent"))  # the retry, meanwhile
        return real_create(*args, **kwargs)

    monkeypatch.setattr(service, "create_task", slow_create)
    first = create(api, task_body(), "concurrent")

    assert first.status == 201
    (retry,) = seen
    assert (retry.status, retry.error["code"]) == (409, "idempotency_in_progress")
    assert len(api.call("GET", "/tasks").body["tasks"]) == 1


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_an_unusable_key_is_a_validation_error(api: Api, key: str) -> None:
    response = create(api, task_body(), key)
    assert (response.status, response.error["field"]) == (400, "Idempotency-Key")
