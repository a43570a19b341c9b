"""Scheduled fires carrying their task's definition: the executor runs them without
reading it, and an edit, pause or delete between send and run still wins (the copy is
used only when its version is the one the task's schedule state names).

Sweeps, API writes and executor runs share one simulated clock (sim_world.py); DynamoDB
requests are counted through botocore event hooks, never timed.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sim_world import assert_ran_exactly, ids, minutes

from sundial import store
from sundial.api import service
from sundial.core.planning import execution_id
from sundial.core.task.carried import CARRIED_DEFINITION_MAX_BYTES
from sundial.core.task.update import TaskUpdate
from sundial.targets.handler import task as handler_task
from sundial.targets.handler import unregister

PROBE = "carried.probe"
OTHER = "carried.other"


@pytest.fixture
def payloads(world):
    """What each run of the probe targets got, by execution id: (target, payload)."""
    seen: dict[str, list[tuple[str, Any]]] = {}

    def probe(name: str):
        def run(payload: Any, invocation: Any) -> dict[str, Any]:
            world.ran[invocation.execution_id] += 1
            seen.setdefault(invocation.execution_id, []).append((name, payload))
            return {}

        return run

    handler_task(PROBE)(probe(PROBE))
    handler_task(OTHER)(probe(OTHER))
    yield seen
    unregister(PROBE)
    unregister(OTHER)


@pytest.fixture
def carried_task(seed):
    def create(**kw: Any):
        kw.setdefault("target", {"type": "handler", "name": PROBE})
        return seed("0 * * * * *", timeout_seconds=5, payload={"n": 1}, **kw)

    return create


def carried_in(world, task) -> list[dict[str, Any] | None]:
    return [m.get("definition") for m in world.sqs.sent if m["task_id"] == task.task_id]


def test_fires_sent_ahead_carry_the_definition_and_run_without_reading_it(
    world, carried_task, payloads, dynamo_calls, clock
):
    task = carried_task()
    start = clock.utc_now()
    world.dispatcher.sweep()
    world.next_tick += timedelta(minutes=1)
    sent = carried_in(world, task)
    assert len(sent) == 14 and all(d is not None and d["version"] == 1 for d in sent)

    clock.now = start + timedelta(minutes=1)
    dynamo_calls.calls.clear()
    world.deliver(0)
    # The schedule state's consistent read only: no read of the definition.
    assert dynamo_calls.calls["GetItem"] == 1
    assert dynamo_calls.calls["BatchGetItem"] == 0
    assert payloads[execution_id(task.task_id, start + timedelta(minutes=1))] == [(PROBE, {"n": 1})]


def test_an_edit_between_send_and_run_wins_over_the_carried_copy(
    world, carried_task, payloads, dynamo_calls, clock
):
    task = carried_task()
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=2, seconds=10))
    assert all(d is not None and d["version"] == 1 for d in carried_in(world, task))

    service.update_task(
        "acme",
        task.task_id,
        TaskUpdate(payload={"n": 2}, target={"type": "handler", "name": OTHER}),
        now=clock.utc_now(),
    )
    dynamo_calls.calls.clear()
    world.run_until(start + timedelta(minutes=20))

    assert_ran_exactly(world, ids(task, minutes(start, *range(1, 21))))
    for minute in range(1, 21):
        fire = execution_id(task.task_id, start + timedelta(minutes=minute))
        expected = (PROBE, {"n": 1}) if minute <= 2 else (OTHER, {"n": 2})
        assert payloads[fire] == [expected], minute
    # The fires sent before the edit carried version 1: each read the definition.
    assert dynamo_calls.calls["GetItem"] > 18


def test_pause_and_delete_drop_fires_carrying_their_definition(
    world, carried_task, payloads, clock
):
    paused, deleted = carried_task(), carried_task()
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=1, seconds=30))
    assert all(carried_in(world, paused)) and all(carried_in(world, deleted))
    service.pause_task("acme", paused.task_id)
    service.delete_task("acme", deleted.task_id)
    world.run_until(start + timedelta(minutes=16))
    assert set(world.ran) == ids(paused, minutes(start, 1)) | ids(deleted, minutes(start, 1))
    assert all(count == 1 for count in world.ran.values())


def test_a_duplicate_delivery_of_a_carried_fire_runs_once(world, carried_task, payloads, clock):
    task = carried_task()
    world.dispatcher.sweep()
    world.next_tick += timedelta(minutes=1)
    clock.now = clock.now + timedelta(minutes=1)
    world.deliver(0)
    world.deliver(0)  # SQS delivers at least once
    assert world.ran == Counter({execution_id(task.task_id, clock.utc_now()): 1})
    assert world.outcomes["duplicate"] == 1


def test_an_unusable_carried_copy_is_read_instead_and_the_fire_runs(
    world, carried_task, payloads, clock
):
    task = carried_task()
    world.dispatcher.sweep()
    world.next_tick += timedelta(minutes=1)
    clock.now = clock.now + timedelta(minutes=1)
    world.sqs.sent[0]["definition"]["target"] = "mangled"
    world.deliver(0)
    assert payloads[execution_id(task.task_id, clock.utc_now())] == [(PROBE, {"n": 1})]


@pytest.mark.parametrize(
    "fields",
    [
        {
            "target": {
                "type": "http",
                "url": "https://example.com/hook",
                "headers": {},
                "signing_secret": "s3cret-value",
            }
        },
        {
            "target": {
                "type": "http",
                "url": "https://example.com/hook",
                "headers": {"Authorization": "Bearer s3cret-value"},
            }
        },
        {
            "notifications": [
                {
                    "on": ["run.failed"],
                    "destination": {
                        "type": "sqs",
                        "queue_url": "https://sqs.us-east-1.amazonaws.com/1/s3cret-value",
                    },
                }
            ]
        },
        {"payload": {"big": "x" * CARRIED_DEFINITION_MAX_BYTES}},
    ],
    ids=["signing_secret", "credential_header", "notifications", "too_large"],
)
def test_a_definition_with_a_secret_notifications_or_too_large_is_not_carried(
    world, seed, dynamo_calls, fields
):
    task = seed("0 * * * * *", **fields)
    dynamo_calls.calls.clear()
    world.dispatcher.sweep()
    assert world.sqs.sent and carried_in(world, task) == [None] * len(world.sqs.sent)
    assert all("s3cret-value" not in json.dumps(m) for m in world.sqs.sent)
    # Not flagged: the sweep does not read the definition either (it costs what it did).
    assert dynamo_calls.calls["BatchGetItem"] == 0


def test_an_edit_adding_a_secret_stops_the_carrying_from_the_next_commit(
    world, carried_task, payloads, clock
):
    task = carried_task()
    start = clock.utc_now()
    world.dispatcher.sweep()
    world.next_tick += timedelta(minutes=1)
    secret = {
        "type": "http",
        "url": "https://example.com/hook",
        "headers": {"X-Api-Key": "s3cret-value"},
    }
    service.update_task("acme", task.task_id, TaskUpdate(target=secret), now=clock.utc_now())
    assert not store.is_flagged(store.get_schedule_state(task.task_id))
    clock.now = start + timedelta(minutes=16)
    world.dispatcher.sweep()
    after = [m for m in world.sqs.sent if m["fire_at"] > world.sqs.sent[13]["fire_at"]]
    assert after and all("definition" not in m for m in after)
    assert all("s3cret-value" not in json.dumps(m) for m in world.sqs.sent)
    # And back: an edit that removes the secret flags the task again.
    service.update_task(
        "acme",
        task.task_id,
        TaskUpdate(target={"type": "handler", "name": PROBE}),
        now=clock.utc_now(),
    )
    assert store.is_flagged(store.get_schedule_state(task.task_id))


def test_a_batch_reads_only_the_definitions_its_messages_do_not_carry_current(
    world, carried_task, payloads, dynamo_calls, clock
):
    from sundial.execute.admission import load_current_tasks
    from sundial.workqueue.messages import FireMessage

    kept, edited = carried_task(), carried_task()
    world.dispatcher.sweep()
    service.update_task("acme", edited.task_id, TaskUpdate(payload={"n": 2}), now=clock.utc_now())
    first = {}
    for message in world.sqs.sent:
        first.setdefault(message["task_id"], FireMessage(**{
            k: v for k, v in message.items() if k not in ("delay", "batch", "v")
        }))  # fmt: skip
    messages = [first[kept.task_id], first[edited.task_id]]

    dynamo_calls.calls.clear()
    current = load_current_tasks(messages)
    # The schedule states, then the one definition whose carried copy is outdated.
    assert dynamo_calls.calls == Counter({"BatchGetItem": 2})
    assert current[messages[0].execution_id].payload == {"n": 1}
    assert current[messages[1].execution_id].payload == {"n": 2}

    dynamo_calls.calls.clear()
    load_current_tasks(messages[:1])
    assert dynamo_calls.calls == Counter({"BatchGetItem": 1})  # the schedule states only
