"""Pure parts of the execution protocol: which run a message names, and when it is stale."""

from __future__ import annotations

import pytest

from sundial import store
from sundial.execute.admission import run_key_of, staleness
from sundial.store import TaskItem
from sundial.workqueue.messages import FireMessage, MalformedMessage

TASK = "01JD0000000000000000000000"


def _message(execution_id: str, **fields) -> FireMessage:
    values = {
        "execution_id": execution_id,
        "task_id": TASK,
        "tenant": "acme",
        "fire_at": 1_780_000_000_500,
        "schedule_version": 2,
    }
    values.update(fields)
    return FireMessage(**values)


def test_a_scheduled_fire_is_keyed_by_its_nominal_time_not_its_jittered_one():
    key = run_key_of(_message(f"{TASK}:1780000000000"))
    assert key == store.run_key(TASK, 1_780_000_000_000)


def test_a_manual_trigger_is_keyed_by_its_id_and_sorted_by_its_time():
    key = run_key_of(_message(f"{TASK}:manual:01JDMANUAL0000000000000000", kind="manual"))
    assert key == store.run_key(TASK, 1_780_000_000_500, manual_id="01JDMANUAL0000000000000000")


@pytest.mark.parametrize("suffix", ["", "abc", "manual:", "0123", "12:34", "-5"])
def test_execution_ids_the_executor_cannot_place_are_malformed(suffix):
    with pytest.raises(MalformedMessage):
        run_key_of(_message(f"{TASK}:{suffix}"))


def _task(**fields) -> TaskItem:
    values = {"task_id": TASK, "tenant": "acme", "state": "active", "schedule_version": 2}
    values.update(fields)
    return TaskItem(**values)


@pytest.mark.parametrize(
    ("kind", "task_fields", "message_fields", "stale"),
    [
        ("scheduled", {}, {}, None),
        ("scheduled", {"state": "paused"}, {}, "task paused"),
        ("manual", {"state": "paused"}, {}, None),
        ("backfill", {"state": "paused"}, {}, None),
        ("redrive", {"state": "paused"}, {}, None),
        ("scheduled", {"state": "completed"}, {}, None),  # one-time tasks complete at dispatch
        ("scheduled", {"schedule_version": 3}, {}, "schedule changed since the fire was planned"),
        ("backfill", {"schedule_version": 3}, {}, "schedule changed since the fire was planned"),
        ("manual", {"schedule_version": 3}, {}, None),
        ("scheduled", {"tenant": "globex"}, {}, "task belongs to another tenant"),
    ],
)
def test_staleness(kind, task_fields, message_fields, stale):
    message = _message(f"{TASK}:1780000000000", kind=kind, **message_fields)
    assert staleness(message, _task(**task_fields)) == stale


def test_a_deleted_task_makes_every_message_stale():
    assert staleness(_message(f"{TASK}:1", kind="manual"), None) == "task deleted"
