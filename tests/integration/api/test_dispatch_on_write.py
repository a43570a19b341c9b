"""A write that puts a fire inside the dispatch horizon enqueues it at once: a task
created to fire in ten seconds fires in ten seconds, not at the next sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from api_client import Api, daily_far_from_now

from sundial import store
from sundial.api import service


def _delayed_messages(queue_url: str) -> int:
    attributes = boto3.client("sqs", region_name="us-east-1").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesDelayed"]
    )


def _at(delta: timedelta) -> str:
    return f"at({datetime.now(UTC) + delta:%Y-%m-%dT%H:%M:%S})"


def test_a_task_created_to_fire_in_ten_seconds_is_enqueued_at_once(
    api: Api, queues: dict[str, str]
) -> None:
    task = api.create(schedule=_at(timedelta(seconds=10)), timezone="UTC")

    assert _delayed_messages(queues["WorkQueue"]) == 1
    stored = store.get_task("acme", task["id"])
    assert stored.fires_dispatched == 1
    assert stored.due_at is None  # a one-time task: nothing left to dispatch
    assert api.call("GET", f"/tasks/{task['id']}").body["state"] == "completed"


def test_a_task_whose_first_fire_is_beyond_the_horizon_waits_for_the_sweep(
    api: Api, queues: dict[str, str]
) -> None:
    task = api.create(schedule=_at(timedelta(hours=1)), timezone="UTC")
    assert _delayed_messages(queues["WorkQueue"]) == 0
    assert store.get_task("acme", task["id"]).due_at is not None


def test_moving_the_schedule_into_the_horizon_dispatches_on_update(
    api: Api, queues: dict[str, str]
) -> None:
    task = api.create(schedule=_at(timedelta(hours=1)), timezone="UTC")
    api.call("PATCH", f"/tasks/{task['id']}", {"schedule": _at(timedelta(seconds=20))})
    assert _delayed_messages(queues["WorkQueue"]) == 1


def test_resuming_a_task_due_soon_dispatches_it(api: Api, queues: dict[str, str]) -> None:
    task = api.create(schedule=_at(timedelta(hours=1)), timezone="UTC")
    api.call("POST", f"/tasks/{task['id']}/pause")
    api.call("PATCH", f"/tasks/{task['id']}", {"schedule": _at(timedelta(seconds=30))})
    assert _delayed_messages(queues["WorkQueue"]) == 0  # paused: nothing dispatched

    api.call("POST", f"/tasks/{task['id']}/resume")
    assert _delayed_messages(queues["WorkQueue"]) == 1


def test_a_failed_dispatch_on_write_does_not_fail_the_write(
    api: Api, queues: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task is stored with its due_at, so the next sweep sends the fire."""
    import sundial.workqueue

    def unavailable(*args: Any, **kwargs: Any) -> int:
        raise ConnectionError("SQS is unreachable")

    monkeypatch.setattr(sundial.workqueue, "dispatch_now", unavailable)
    response = api.call(
        "POST",
        "/tasks",
        {"schedule": _at(timedelta(seconds=10)), "target": {"type": "handler", "name": "echo"}},
    )
    assert response.status == 201
    stored = store.get_task("acme", response.body["id"])
    assert stored.due_at is not None and stored.state == "active"


def test_pausing_takes_the_task_out_of_the_due_index_so_no_sweep_reads_it(api: Api) -> None:
    task = api.create(schedule="@hourly")
    shard = store.get_task("acme", task["id"]).due_shard
    api.call("POST", f"/tasks/{task['id']}/pause")
    far = int((datetime.now(UTC) + timedelta(days=1)).timestamp() * 1000)
    due, _ = store.query_due(int(shard), far, limit=10)
    assert task["id"] not in [item.task_id for item in due]


def test_first_fire_is_where_a_new_task_enters_the_due_index(api: Api) -> None:
    task = api.create(schedule=daily_far_from_now(), timezone="UTC")
    expected = service.first_fire(
        store.timing_of(store.get_task("acme", task["id"])), datetime.now(UTC)
    )
    assert store.get_task("acme", task["id"]).due_at == int(expected.timestamp() * 1000)
