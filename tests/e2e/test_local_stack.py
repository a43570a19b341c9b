"""The local stack over HTTP, as a client uses it: the same guarantees as under moto,
now through the real HTTP path, the emulated gateway, tick and event source mapping."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta


def http_task(receiver, path: str, schedule: str, **extra) -> dict:
    return {
        "schedule": schedule,
        "target": {"type": "http", "url": receiver.url(path)},
        "payload": {"path": path},
        **extra,
    }


def test_six_field_cron_fires_on_the_second(stack, receiver, wait_for):
    alpha = stack.client("alpha")
    path = f"/second-{uuid.uuid4().hex}"
    created = alpha.call("POST", "/tasks", http_task(receiver, path, "*/3 * * * * *"))
    assert created.status == 201, created.body
    hits = wait_for(lambda: receiver.at(path) if len(receiver.at(path)) >= 4 else None, 60)
    for hit in hits:
        scheduled = datetime.fromisoformat(
            hit.headers["X-Sundial-Scheduled-Time"].replace("Z", "+00:00")
        )
        assert scheduled.second % 3 == 0
        lateness_ms = (hit.at - scheduled.timestamp()) * 1000
        assert lateness_ms >= -50  # never early (beyond clock jitter)
    assert alpha.call("DELETE", f"/tasks/{created.body['id']}").status == 204


def test_one_time_task_fires_once_and_completes(stack, receiver, wait_for):
    alpha = stack.client("alpha")
    path = f"/once-{uuid.uuid4().hex}"
    at = (datetime.now(UTC) + timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%S")
    created = alpha.call("POST", "/tasks", http_task(receiver, path, f"at({at})"))
    assert created.status == 201, created.body
    wait_for(lambda: receiver.at(path), 30)
    task_id = created.body["id"]
    wait_for(lambda: alpha.call("GET", f"/tasks/{task_id}").body["state"] == "completed", 30)
    time.sleep(5)  # a few more ticks: nothing more may arrive
    assert len(receiver.at(path)) == 1
    runs = alpha.call("GET", f"/tasks/{task_id}/runs").body["runs"]
    assert [r["status"] for r in runs] == ["succeeded"]


def test_a_task_with_max_runs_3_fires_three_times_then_completes(stack, receiver, wait_for):
    alpha = stack.client("alpha")
    path = f"/limited-{uuid.uuid4().hex}"
    body = http_task(receiver, path, "*/2 * * * * *", max_runs=3)
    created = alpha.call("POST", "/tasks", body)
    assert created.status == 201, created.body
    # The fires inside the dispatch horizon were dispatched during the request, and count.
    assert created.body["max_runs"] == 3 and 0 <= created.body["remaining_runs"] < 3
    task_id = created.body["id"]
    wait_for(lambda: alpha.call("GET", f"/tasks/{task_id}").body["state"] == "completed", 60)
    wait_for(lambda: len(receiver.at(path)) >= 3, 30)
    time.sleep(6)  # three more fire times and a tick: nothing more may arrive
    hits = receiver.at(path)
    assert len({hit.headers["X-Sundial-Scheduled-Time"] for hit in hits}) == len(hits) == 3
    shown = alpha.call("GET", f"/tasks/{task_id}").body
    assert (shown["max_runs"], shown["remaining_runs"]) == (3, 0)


def test_failing_target_is_retried_then_dead_lettered(stack, receiver, wait_for):
    alpha = stack.client("alpha")
    path = f"/fail-{uuid.uuid4().hex}"
    receiver.statuses[path] = 503
    at = (datetime.now(UTC) + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%S")
    body = http_task(
        receiver,
        path,
        f"at({at})",
        retry={"max_attempts": 3, "backoff_seconds": 1, "max_backoff_seconds": 2},
    )
    created = alpha.call("POST", "/tasks", body)
    assert created.status == 201, created.body
    task_id = created.body["id"]

    def dead_letter():
        letters = alpha.call("GET", "/dead-letters").body["dead_letters"]
        return [d for d in letters if d["task_id"] == task_id]

    (letter,) = wait_for(dead_letter, 90)
    assert letter["attempt"] == 3 and len(receiver.at(path)) == 3
    assert [r["status"] for r in alpha.call("GET", f"/tasks/{task_id}/runs").body["runs"]] == [
        "failed"
    ]

    # Fixed downstream: a redrive runs it again and it leaves the dead letters.
    receiver.statuses[path] = 200
    redriven = alpha.call(
        "POST", "/dead-letters/redrive", {"execution_ids": [letter["execution_id"]]}
    )
    assert redriven.status == 202 and redriven.body["redriven"] == 1
    wait_for(lambda: not dead_letter(), 60)
    runs = alpha.call("GET", f"/tasks/{task_id}/runs").body["runs"]
    assert runs[0]["status"] == "succeeded" and runs[0]["attempt"] == 4


def test_three_consecutive_failures_pause_a_task_with_pause_after_failures_3(
    stack, receiver, wait_for
):
    alpha = stack.client("alpha")
    path = f"/failing-{uuid.uuid4().hex}"
    receiver.statuses[path] = 400  # refused for good: each run fails at its first attempt
    body = http_task(receiver, path, "*/2 * * * * *", pause_after_failures=3)
    created = alpha.call("POST", "/tasks", body)
    assert created.status == 201, created.body
    task_id = created.body["id"]
    paused = wait_for(
        lambda: (task := alpha.call("GET", f"/tasks/{task_id}").body)["state"] == "paused" and task,
        60,
    )
    assert paused["pause_reason"] == "failures"
    time.sleep(5)  # fires sent ahead were dropped: no fourth call
    assert len(receiver.at(path)) == 3
    runs = alpha.call("GET", f"/tasks/{task_id}/runs").body["runs"]
    assert [r["status"] for r in runs] == ["failed"] * 3


def test_paused_task_does_not_fire_and_resumes_from_now(stack, receiver, wait_for):
    alpha = stack.client("alpha")
    path = f"/pause-{uuid.uuid4().hex}"
    created = alpha.call("POST", "/tasks", http_task(receiver, path, "*/2 * * * * *"))
    task_id = created.body["id"]
    wait_for(lambda: receiver.at(path), 30)
    assert alpha.call("POST", f"/tasks/{task_id}/pause").body["state"] == "paused"
    time.sleep(6)  # let anything already queued drain
    count = len(receiver.at(path))
    time.sleep(6)
    assert len(receiver.at(path)) == count
    assert alpha.call("POST", f"/tasks/{task_id}/resume").body["state"] == "active"
    wait_for(lambda: len(receiver.at(path)) > count, 30)
    alpha.call("DELETE", f"/tasks/{task_id}")


def test_tenants_are_isolated_over_http(stack, receiver):
    alpha, beta, nobody = stack.client("alpha"), stack.client("beta"), stack.client(None)
    created = alpha.call(
        "POST", "/tasks", {"schedule": "0 0 1 1 *", "target": {"type": "handler", "name": "echo"}}
    )
    task_id = created.body["id"]
    assert beta.call("GET", f"/tasks/{task_id}").status == 404
    assert beta.call("DELETE", f"/tasks/{task_id}").status == 404
    assert task_id not in [t["id"] for t in beta.call("GET", "/tasks").body["tasks"]]
    denied = nobody.call("GET", "/tasks")
    assert denied.status == 401 and denied.body["error"]["code"] == "unauthorized"
    assert alpha.call("GET", f"/tasks/{task_id}").status == 200


def test_docs_and_console_are_served_without_a_key(stack):
    nobody = stack.client(None)
    assert nobody.call("GET", "/openapi.json").status == 200
    assert nobody.call("GET", "/console").status == 200
    assert nobody.call("GET", "/docs").status == 200
