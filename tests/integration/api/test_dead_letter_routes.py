"""GET /dead-letters and POST /dead-letters/redrive: the tenant's own dead letters only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api_client import Api

from sundial.store import RunItem, run_key

FIRE_AT_MS = 1_790_000_000_000


def test_dead_letters_are_listed_newest_first_in_the_api_shape(
    api: Api, dead_letter: Callable[..., str]
) -> None:
    task = api.create()
    older = dead_letter(task["id"], "acme")
    newer = dead_letter(task["id"], "acme", offset_ms=60_000)

    response = api.call("GET", "/dead-letters")

    assert response.status == 200
    letters = response.body["dead_letters"]
    assert [d["execution_id"] for d in letters] == [newer, older]
    first = letters[0]
    for field in ("execution_id", "task_id", "fire_at", "attempt", "error", "dead_lettered_at"):
        assert field in first, field
    assert (first["task_id"], first["attempt"]) == (task["id"], 1)
    assert first["fire_at"].endswith("+00:00") or first["fire_at"].endswith("Z")
    assert response.body["next_token"] is None


def test_dead_letters_page_with_limit_and_token(api: Api, dead_letter: Callable[..., str]) -> None:
    task = api.create()
    ids = [dead_letter(task["id"], "acme", offset_ms=i * 1000) for i in range(3)]
    first = api.call("GET", "/dead-letters?limit=2").body
    second = api.call("GET", f"/dead-letters?limit=2&next_token={first['next_token']}").body
    listed = [d["execution_id"] for d in first["dead_letters"] + second["dead_letters"]]
    assert listed == list(reversed(ids))


def test_a_tenant_never_sees_another_tenants_dead_letters(
    api: Api, dead_letter: Callable[..., str]
) -> None:
    theirs = api.create(tenant="globex")
    dead_letter(theirs["id"], "globex")
    assert api.call("GET", "/dead-letters", tenant="acme").body["dead_letters"] == []
    token = api.call("GET", "/dead-letters?limit=1", tenant="globex").body["next_token"]
    assert token is None  # one letter: no token to steal, so forge one instead
    forged = api.call("GET", "/dead-letters?next_token=e30.AAAAAAAAAAAAAAAAAAAAAA", tenant="acme")
    assert (forged.status, forged.error["field"]) == (400, "next_token")


def test_redrive_puts_the_runs_back_to_work_and_returns_202(
    api: Api, work_queue: Any, dead_letter: Callable[..., str]
) -> None:
    task = api.create()
    execution_id = dead_letter(task["id"], "acme")

    response = api.call("POST", "/dead-letters/redrive")

    assert (response.status, response.body) == (202, {"redriven": 1})
    assert [m["execution_id"] for m in work_queue.messages()] == [execution_id]
    key = run_key(task["id"], FIRE_AT_MS)
    run = RunItem.get(key.task_id, key.fire_key, consistent_read=True)
    assert (run.status, run.attempt) == ("retrying", 1)


def test_redrive_of_named_executions_only(
    api: Api, work_queue: Any, dead_letter: Callable[..., str]
) -> None:
    task = api.create()
    chosen = dead_letter(task["id"], "acme")
    dead_letter(task["id"], "acme", offset_ms=60_000)

    response = api.call("POST", "/dead-letters/redrive", {"execution_ids": [chosen]})

    assert (response.status, response.body) == (202, {"redriven": 1})
    assert [m["execution_id"] for m in work_queue.messages()] == [chosen]


def test_redrive_never_touches_another_tenants_dead_letters(
    api: Api, work_queue: Any, dead_letter: Callable[..., str]
) -> None:
    theirs = api.create(tenant="globex")
    their_execution = dead_letter(theirs["id"], "globex")

    everything = api.call("POST", "/dead-letters/redrive", tenant="acme")
    named = api.call(
        "POST", "/dead-letters/redrive", {"execution_ids": [their_execution]}, tenant="acme"
    )

    assert everything.body == named.body == {"redriven": 0}
    assert work_queue.messages() == []


def test_redrive_body_errors(api: Api) -> None:
    for body, field in (
        ({"execution_ids": "all"}, "execution_ids"),
        ({"everything": True}, "everything"),
    ):
        response = api.call("POST", "/dead-letters/redrive", body)
        assert (response.status, response.error["code"], response.error["field"]) == (
            400,
            "validation_error",
            field,
        )
