"""Overlap policies under concurrent deliveries."""

from __future__ import annotations

import threading
from typing import Any

from execute_helpers import FIRE_AT, failures, fire, has_run, run_of

from sundial import store
from sundial.store import ScheduleItem, TaskItem
from sundial.store import overlap as slots
from sundial.store.models import schedule_key

MARKER = ("running_execution", "running_until", "waiting_execution", "waiting_until")


def _start_blocked(probe, deliver, record) -> tuple[threading.Thread, dict[str, Any]]:
    """Deliver `record` in another invocation whose target blocks until the gate opens."""
    probe.gate = threading.Event()
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(response=deliver(record)))
    thread.start()
    assert probe.entered.wait(10)
    return thread, result


def _records(work, *messages):
    for message in messages:
        work.send(message)
    by_body = {record["body"]: record for record in work.receive(expected=len(messages))}
    return [by_body[message.to_json()] for message in messages]


def _marker(task_id: str) -> dict[str, Any]:
    raw = ScheduleItem._get_connection().get_item(schedule_key(task_id), consistent_read=True)[
        "Item"
    ]
    return {name: raw[name] for name in MARKER if name in raw}


def test_skip_skips_a_run_that_starts_while_another_runs(probe, probe_task, work, deliver, clock):
    task = probe_task(overlap="skip")
    first, second, later = (fire(task, at=FIRE_AT + i * 1_000) for i in range(3))
    record_a, record_b, record_c = _records(work, first, second, later)
    thread, result = _start_blocked(probe, deliver, record_a)

    clock.now = second.fire_at
    response = deliver(record_b)  # while the first still runs
    probe.gate.set()
    thread.join(10)

    assert failures(response) == failures(result["response"]) == []
    run = run_of(second)
    assert (run.status, run.reason) == ("skipped", "overlap")
    assert run_of(first).status == "succeeded"
    assert _marker(task.task_id) == {}  # the slot is free again

    clock.now = later.fire_at
    deliver(record_c)
    assert probe.executions == [first.execution_id, later.execution_id]


def test_buffer_one_lets_one_run_wait_and_skips_the_rest(
    probe, probe_task, work, deliver, clock, sqs
):
    task = probe_task(overlap="buffer_one", timeout_seconds=30)
    first, second, third = (fire(task, at=FIRE_AT + i * 1_000) for i in range(3))
    record_a, record_b, record_c = _records(work, first, second, third)
    thread, result = _start_blocked(probe, deliver, record_a)

    clock.now = second.fire_at
    waiting = deliver(record_b)
    clock.now = third.fire_at
    skipped = deliver(record_c)

    # The second waits: back to the queue until the first's lease ends, unclaimed.
    assert failures(waiting) == [record_b["messageId"]]
    assert not has_run(second)
    assert _marker(task.task_id)["waiting_execution"] == {"S": second.execution_id}
    (hidden,) = sqs.visibility_of(record_b)
    assert 1 < hidden <= 30 + 12
    # The third finds one running and one waiting: skipped.
    assert failures(skipped) == []
    assert (run_of(third).status, run_of(third).reason) == ("skipped", "overlap")

    probe.gate.set()
    thread.join(10)

    # Finishing, the first wakes the waiting message at once.
    assert failures(result["response"]) == []
    assert sqs.visibility_of(record_b)[-1] == 0
    assert failures(deliver(record_b)) == []
    assert probe.executions == [first.execution_id, second.execution_id]
    assert (run_of(second).status, run_of(second).attempt) == ("succeeded", 1)
    assert _marker(task.task_id) == {}


def test_buffered_run_goes_before_a_later_one(probe, probe_task, work, deliver, clock):
    task = probe_task(overlap="buffer_one")
    first, second, third = (fire(task, at=FIRE_AT + i * 1_000) for i in range(3))
    record_a, record_b, record_c = _records(work, first, second, third)
    thread, _ = _start_blocked(probe, deliver, record_a)
    clock.now = second.fire_at
    deliver(record_b)  # waits
    probe.gate.set()
    thread.join(10)

    clock.now = third.fire_at
    response = deliver(record_c)  # arrives before the woken second is delivered

    assert failures(response) == []
    assert run_of(third).status == "skipped"
    deliver(record_b)
    assert probe.executions == [first.execution_id, second.execution_id]


def test_a_crashed_runs_slot_frees_itself_when_its_lease_ends(
    probe, probe_task, work, deliver, clock
):
    task = probe_task(overlap="skip")
    slots.take_running_slot(
        task.task_id, "crashed", until_ms=FIRE_AT + 5_000, now_ms=FIRE_AT, honour_waiting=False
    )
    during, after = fire(task), fire(task, at=FIRE_AT + 6_000)
    record_during, record_after = _records(work, during, after)

    deliver(record_during)
    clock.now = after.fire_at
    deliver(record_after)

    assert run_of(during).status == "skipped"
    assert probe.executions == [after.execution_id]


def test_allow_writes_nothing_to_the_task(probe, probe_task, work, deliver, tables):
    allowing, skipping = probe_task(overlap="allow"), probe_task(overlap="skip")
    writes: list[str] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == tables["TasksTable"]:
            writes.append(params["Key"]["task_id"]["S"])

    clients = [model._get_connection().connection.client for model in (TaskItem, ScheduleItem)]
    for client in clients:
        client.meta.events.register("provide-client-params.dynamodb.UpdateItem", count)
    try:
        for task in (allowing, skipping):
            work.send(fire(task))
        deliver(*work.receive(expected=2))
    finally:
        for client in clients:
            client.meta.events.unregister("provide-client-params.dynamodb.UpdateItem", count)

    assert len(probe.calls) == 2
    assert not {allowing.task_id, schedule_key(allowing.task_id)} & set(writes)
    # take the slot, leave it (on the schedule state): the hook sees writes
    assert writes.count(schedule_key(skipping.task_id)) == 2
    assert _marker(allowing.task_id) == {}
    assert store.get_task("acme", allowing.task_id).version == allowing.version
