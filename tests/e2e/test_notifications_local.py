"""Notifications on the local stack over HTTP: the runs and tasks tables' streams, the
template's filters, the notifier and the deliverer, end to end, to a webhook receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from test_local_stack import http_task

SECRET = "notification-signing-secret"


def events_at(receiver, path: str) -> list[dict]:
    return [json.loads(r.body) for r in receiver.at(path)]


def verified(request, secret: str) -> bool:
    """The receiver's check of X-Sundial-Signature: t=<unix>,v1=<HMAC(secret, "t.body")>."""
    parts = dict(p.split("=", 1) for p in request.headers["X-Sundial-Signature"].split(","))
    signed = f"{parts['t']}.".encode() + request.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def webhook(receiver, path: str, events: list[str]) -> dict:
    return {
        "on": events,
        "destination": {"type": "http", "url": receiver.url(path), "signing_secret": SECRET},
    }


def test_a_failing_task_with_max_attempts_1_delivers_one_signed_failed_and_dead_lettered_event(
    stack, receiver, wait_for
):
    alpha = stack.client("alpha")
    target, hook = f"/failing-{uuid.uuid4().hex}", f"/hook-{uuid.uuid4().hex}"
    receiver.statuses[target] = 503
    body = http_task(
        receiver,
        target,
        f"at({_in_seconds(3)})",
        retry={"max_attempts": 1},
        notifications=[webhook(receiver, hook, ["run.failed", "run.dead_lettered"])],
    )
    created = alpha.call("POST", "/tasks", body)
    assert created.status == 201, created.body
    task_id = created.body["id"]
    wait_for(lambda: len(receiver.at(hook)) >= 2, 60)
    runs = alpha.call("GET", f"/tasks/{task_id}/runs").body["runs"]
    assert [r["status"] for r in runs] == ["failed"]
    time.sleep(3)  # a duplicate would come within the stream's next reads
    requests = receiver.at(hook)
    documents = events_at(receiver, hook)
    assert sorted(d["type"] for d in documents) == ["run.dead_lettered", "run.failed"]
    for request, document in zip(requests, documents, strict=True):
        assert verified(request, SECRET)
        assert request.headers["X-Sundial-Event"] == document["type"]
        assert request.headers["X-Sundial-Event-Id"] == document["id"]
        assert request.headers["Content-Type"] == "application/json"
        assert document["run"]["execution_id"] == runs[0]["execution_id"]
        assert document["run"]["status"] == "failed"
        assert document["task"] == {"id": task_id, "name": None}
        assert document["tenant"] == "alpha"
    assert len({d["id"] for d in documents}) == 2


def test_three_failures_with_pause_after_failures_3_emit_task_paused(stack, receiver, wait_for):
    alpha = stack.client("alpha")
    target, hook = f"/failing-{uuid.uuid4().hex}", f"/hook-{uuid.uuid4().hex}"
    receiver.statuses[target] = 400
    body = http_task(
        receiver,
        target,
        "*/2 * * * * *",
        pause_after_failures=3,
        notifications=[webhook(receiver, hook, ["task.paused"])],
    )
    created = alpha.call("POST", "/tasks", body)
    assert created.status == 201, created.body
    task_id = created.body["id"]
    wait_for(lambda: receiver.at(hook), 60)
    (document,) = events_at(receiver, hook)
    assert document["type"] == "task.paused" and document["run"] is None
    assert document["task"]["id"] == task_id
    assert alpha.call("GET", f"/tasks/{task_id}").body["pause_reason"] == "failures"


def test_max_runs_3_fires_three_times_then_emits_task_completed(stack, receiver, wait_for):
    alpha = stack.client("alpha")
    target, hook = f"/ok-{uuid.uuid4().hex}", f"/hook-{uuid.uuid4().hex}"
    body = http_task(
        receiver,
        target,
        "*/2 * * * * *",
        max_runs=3,
        notifications=[webhook(receiver, hook, ["task.completed"])],
    )
    created = alpha.call("POST", "/tasks", body)
    assert created.status == 201, created.body
    task_id = created.body["id"]
    wait_for(lambda: receiver.at(hook), 60)
    time.sleep(3)  # nothing more may arrive
    (document,) = events_at(receiver, hook)
    assert document["type"] == "task.completed" and document["task"]["id"] == task_id
    assert len(receiver.at(target)) == 3


def _in_seconds(seconds: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
