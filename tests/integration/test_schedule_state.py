"""A task's schedule state: what the per-fire path writes, priced by DynamoDB's rules,
and the API's writes keeping it and the definition in step."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sundial import store
from sundial.execute.admission import load_current_task, load_current_tasks
from sundial.store import ScheduleItem, TaskItem, VersionMismatch, writes
from sundial.store import overlap as slots
from sundial.store import tasks as task_store
from sundial.store.models import schedule_key
from sundial.workqueue.messages import FireMessage

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from capacity import template_schemas  # noqa: E402
from metering import CapacityMeter  # noqa: E402

PAYLOAD_SIZES = (0, 1_000, 10_000, 100_000)


@contextlib.contextmanager
def metered() -> Iterator[CapacityMeter]:
    """Every DynamoDB request inside, charged as DynamoDB would (tables, then indexes)."""
    meter = CapacityMeter(template_schemas())
    with meter.metering():
        meter.active = True
        yield meter
        meter.active = False


def _payload(size: int) -> object:
    return None if size == 0 else {"data": "x" * size}


@pytest.mark.parametrize("size", PAYLOAD_SIZES)
def test_a_dispatch_commit_writes_at_most_3_units_whatever_the_payload(tables, make_task, size):
    task = store.create_task(make_task(payload=_payload(size)), due_at=1_000)

    with metered() as meter:
        won = store.commit_dispatch(
            task.task_id, 1_000, 1, next_due_at=2_000, last_fire_at=1_000, fires=1
        )

    assert won
    assert meter.calls == {"UpdateItem": 1}
    # The schedule state (1 WRU) and its due entry, deleted and put again (1 + 1).
    assert dict(meter.write_units) == {"TasksTable": 1, "TasksTable.schedule_due": 2}


@pytest.mark.parametrize("size", PAYLOAD_SIZES)
def test_a_sweep_reads_due_entries_of_the_same_size_whatever_the_payload(tables, make_task, size):
    task = store.create_task(make_task(payload=_payload(size)), due_at=1_000)

    with metered() as meter:
        (item,) = store.query_due(int(task.due_shard), 1_000, 10)[0]

    assert item.task_id == task.task_id
    assert meter.read_units == {"TasksTable.schedule_due": 0.5}


def test_an_overlap_marker_write_touches_no_index_entry(tables, make_task):
    task = store.create_task(make_task(overlap="skip", payload=_payload(100_000)), due_at=1_000)

    with metered() as meter:
        slots.take_running_slot(
            task.task_id, f"{task.task_id}:1000", until_ms=5_000, now_ms=1_000, honour_waiting=False
        )
        slots.leave_running_slot(task.task_id, f"{task.task_id}:1000", now_ms=2_000)

    assert dict(meter.write_units) == {"TasksTable": 2}


def test_an_api_write_writes_definition_and_schedule_state_in_one_transaction(tables, make_task):
    task = store.create_task(make_task(schedule="@hourly"), due_at=1_000)

    with metered() as meter:
        updated = store.update_task(
            "acme", task.task_id, {"schedule": "@daily", "due_at": 9_000, "payload": {"n": 2}}
        )

    writes_sent = {op: n for op, n in meter.calls.items() if op not in ("GetItem",)}
    assert writes_sent == {"TransactWriteItems": 1}
    state = store.get_schedule_state(task.task_id)
    assert (updated.version, updated.schedule_version) == (2, 2)
    assert (state.version, state.schedule_version, state.schedule, state.due_at) == (
        2, 2, "@daily", 9_000,
    )  # fmt: skip


def test_an_api_write_that_fails_on_either_item_changes_neither(tables, make_task, monkeypatch):
    """A crash between the definition's write and the schedule state's is impossible:
    they are one transaction, so a refusal of either leaves both as they were."""
    task = store.create_task(make_task(schedule="@hourly"), due_at=1_000)
    definition_before = TaskItem.get(task.task_id, consistent_read=True).serialize()
    state_before = ScheduleItem.get(schedule_key(task.task_id), consistent_read=True).serialize()

    real_transact = writes.transact

    def schedule_state_refused(model, items):
        # The schedule state's condition fails as if another writer had moved it.
        changed = [dict(item) for item in items]
        changed[1] = {
            "Update": {
                **items[1]["Update"],
                "ConditionExpression": "attribute_not_exists(task_id)",
            }
        }
        return real_transact(model, changed)

    monkeypatch.setattr(writes, "transact", schedule_state_refused)
    with pytest.raises(VersionMismatch):
        store.update_task("acme", task.task_id, {"schedule": "@daily", "due_at": 9_000})

    assert TaskItem.get(task.task_id, consistent_read=True).serialize() == definition_before
    state_after = ScheduleItem.get(schedule_key(task.task_id), consistent_read=True).serialize()
    assert state_after == state_before


def test_completing_a_task_writes_its_state_to_both_items(tables, make_task):
    task = store.create_task(make_task(schedule="at(2026-01-01T00:00:00)"), due_at=1_000)

    won = store.commit_dispatch(
        task.task_id, 1_000, 1, next_due_at=None, last_fire_at=1_000, state="completed"
    )

    stored = store.get_task("acme", task.task_id)
    assert won
    assert (stored.state, stored.version) == ("completed", 2)
    assert (stored.schedule_state.state, stored.schedule_state.version) == ("completed", 2)
    # The versions still agree, so the next API write goes through.
    assert store.update_task("acme", task.task_id, {"description": "done"}).version == 3


def test_deleting_a_task_deletes_its_schedule_state(tables, make_task):
    task = store.create_task(make_task(name="nightly"), due_at=1_000)

    store.delete_task("acme", task.task_id)

    assert store.get_schedule_state(task.task_id) is None
    assert store.query_due(int(task.due_shard), 10**15, 10)[0] == []


def test_the_tenant_index_never_lists_a_schedule_state(tables, make_task):
    for _ in range(3):
        store.create_task(make_task(), due_at=1_000)

    tasks, _ = store.list_tasks("acme", limit=10)

    assert len(tasks) == 3
    assert all(task.schedule_state is not None for task in tasks)
    assert all(task.due_at == 1_000 for task in tasks)


@pytest.fixture
def count_gets() -> Iterator[Callable[[], list[tuple[str, bool]]]]:
    """The (key, consistent) of every GetItem sent on the tasks table."""
    seen: list[tuple[str, bool]] = []

    def record(params: dict, **_: object) -> None:
        seen.append((params["Key"]["task_id"]["S"], bool(params.get("ConsistentRead"))))

    clients = [model._get_connection().connection.client for model in (TaskItem, ScheduleItem)]
    for client in clients:
        client.meta.events.register("provide-client-params.dynamodb.GetItem", record)
    yield lambda: seen
    for client in clients:
        client.meta.events.unregister("provide-client-params.dynamodb.GetItem", record)


def _fire(task: TaskItem, kind: str = "scheduled", schedule_version: int = 1) -> FireMessage:
    return FireMessage(
        execution_id=f"{task.task_id}:60000",
        task_id=task.task_id,
        tenant=task.tenant,
        fire_at=60_000,
        schedule_version=schedule_version,
        kind=kind,
    )


def test_a_fire_reads_the_schedule_state_consistently_and_the_definition_once_eventually(
    tables, make_task, count_gets
):
    task = store.create_task(make_task(payload=_payload(100_000)), due_at=60_000)

    loaded = load_current_task(_fire(task))

    assert loaded is not None and loaded.payload == _payload(100_000)
    assert count_gets() == [(schedule_key(task.task_id), True), (task.task_id, False)]


def test_a_paused_task_s_pre_sent_fire_is_dropped_without_reading_the_definition(
    tables, make_task, count_gets
):
    task = store.create_task(make_task(), due_at=60_000)
    message = _fire(task)  # sent ahead of its time, then the task is paused
    store.update_task("acme", task.task_id, {"state": "paused", "due_at": None})
    count_gets().clear()

    assert load_current_task(message) is None
    assert count_gets() == [(schedule_key(task.task_id), True)]
    # A manual trigger still runs while paused.
    assert load_current_task(_fire(task, kind="manual")) is not None


def test_a_rescheduled_task_s_pre_sent_fire_is_dropped(tables, make_task):
    task = store.create_task(make_task(schedule="@hourly"), due_at=60_000)
    message = _fire(task)
    store.update_task("acme", task.task_id, {"schedule": "@daily"})

    assert load_current_task(message) is None
    assert load_current_task(_fire(task, schedule_version=2)) is not None


def test_a_deleted_task_s_pre_sent_fire_is_dropped(tables, make_task):
    task = store.create_task(make_task(), due_at=60_000)
    message = _fire(task)
    store.delete_task("acme", task.task_id)

    assert load_current_task(message) is None


def test_a_definition_update_is_seen_by_the_next_fire_even_through_a_stale_read(
    tables, make_task, monkeypatch, count_gets
):
    task = store.create_task(make_task(payload={"n": 1}), due_at=60_000)
    stale = store.get_task("acme", task.task_id)
    store.update_task("acme", task.task_id, {"payload": {"n": 2}})
    real_read = task_store._read

    def lagging_replica(task_id: str, consistent: bool) -> TaskItem | None:
        # An eventually consistent read that has not seen the update yet.
        return stale if not consistent else real_read(task_id, consistent)

    monkeypatch.setattr(task_store, "_read", lagging_replica)
    count_gets().clear()

    loaded = load_current_task(_fire(task))

    assert loaded is not None and (loaded.payload, loaded.version) == ({"n": 2}, 2)
    # The stale copy was noticed (older than the version the schedule state names) and
    # the definition read again, consistently.
    assert count_gets() == [(schedule_key(task.task_id), True), (task.task_id, True)]


def _fire_at(task: TaskItem, at: int, kind: str = "scheduled") -> FireMessage:
    return FireMessage(
        execution_id=f"{task.task_id}:{at}",
        task_id=task.task_id,
        tenant=task.tenant,
        fire_at=at,
        schedule_version=1,
        kind=kind,
    )


def test_a_batch_reads_its_tasks_in_two_requests_and_the_units_one_at_a_time_would(
    tables, make_task
):
    tasks = [store.create_task(make_task(payload={"n": n}), due_at=60_000) for n in range(5)]
    # Ten messages, two fires of each task (a per-second task's fires share a batch).
    messages = [_fire_at(task, at) for task in tasks for at in (60_000, 61_000)]

    with metered() as one_at_a_time:
        singly = [load_current_task(message) for message in messages]
    with metered() as together:
        current = load_current_tasks(messages)

    assert together.calls == {"BatchGetItem": 2}
    assert one_at_a_time.calls == {"GetItem": 20}
    assert [current[m.execution_id].payload for m in messages] == [t.payload for t in singly]
    # Each task read once for the batch: half the units of reading it for each message.
    assert together.total_read_units() * 2 == pytest.approx(one_at_a_time.total_read_units())


def test_a_batch_drops_the_fires_of_paused_and_rescheduled_tasks_and_leaves_deleted_ones_out(
    tables, make_task
):
    paused, moved, deleted, fresh = (
        store.create_task(make_task(), due_at=60_000) for _ in range(4)
    )
    messages = [_fire_at(task, 60_000) for task in (paused, moved, deleted, fresh)]
    store.update_task("acme", paused.task_id, {"state": "paused", "due_at": None})
    store.update_task("acme", moved.task_id, {"schedule": "@daily"})
    store.delete_task("acme", deleted.task_id)

    current = load_current_tasks([*messages, _fire_at(paused, 61_000, kind="manual")])

    assert current[messages[0].execution_id] is None
    assert current[messages[1].execution_id] is None
    # No schedule state: decided alone (load_current_task), which finds it deleted.
    assert messages[2].execution_id not in current
    assert load_current_task(messages[2]) is None
    assert current[messages[3].execution_id].task_id == fresh.task_id
    # A manual trigger of the paused task still runs.
    assert current[f"{paused.task_id}:61000"] is not None


def test_a_batch_sees_a_definition_update_even_through_a_stale_read(tables, make_task, monkeypatch):
    task = store.create_task(make_task(payload={"n": 1}), due_at=60_000)
    stale = store.get_task("acme", task.task_id)
    store.update_task("acme", task.task_id, {"payload": {"n": 2}})
    real_batch_get = TaskItem.batch_get

    def lagging_replica(keys, consistent_read=None, **kwargs):
        # An eventually consistent read that has not seen the update yet.
        if consistent_read:
            return real_batch_get(keys, consistent_read=consistent_read, **kwargs)
        return iter([stale])

    monkeypatch.setattr(TaskItem, "batch_get", lagging_replica)

    loaded = load_current_tasks([_fire(task)])[f"{task.task_id}:60000"]

    assert loaded is not None and (loaded.payload, loaded.version) == ({"n": 2}, 2)


# --- tasks stored before schedule states existed ----------------------------------------------


def _store_in_the_one_item_layout(task: TaskItem, due_at: int | None, **extra: object) -> None:
    """Write `task` as the previous release stored it: one item with the due keys."""
    task.version = task.schedule_version = 1
    task.created_at = task.updated_at = task.timing_since = 0
    raw = task.serialize()
    if due_at is not None:
        raw["due_at"] = {"N": str(due_at)}
        raw["due_shard"] = {"N": str(store.shard_for(task.task_id, 4))}
    for name, value in extra.items():
        raw[name] = {"N": str(value)}
    client = TaskItem._get_connection().connection.client
    client.put_item(TableName=TaskItem.Meta.table_name, Item=raw)


def test_a_task_stored_in_the_one_item_layout_is_migrated_when_the_dispatcher_meets_it(
    tables, make_task, monkeypatch
):
    monkeypatch.setenv("SHARD_COUNT", "4")
    task = make_task(payload=_payload(10_000))
    _store_in_the_one_item_layout(task, 60_000, last_fire_at=0, fires_dispatched=7)
    shard = store.shard_for(task.task_id, 4)

    (item,) = store.query_due(shard, 60_000, 10)[0]

    # Handed to the dispatcher as a schedule state, which its commit then advances.
    assert (item.task_id, item.tenant, item.due_at, item.schedule_version) == (
        task.task_id, "acme", 60_000, 1,
    )  # fmt: skip
    assert store.commit_dispatch(task.task_id, 60_000, 1, next_due_at=65_000, last_fire_at=60_000)
    # The definition left the due index: the shard lists the task once, at its new time.
    assert [t.task_id for t in store.query_due(shard, 10**15, 10)[0]] == [task.task_id]
    stored = store.get_task("acme", task.task_id)
    assert (stored.due_at, stored.fires_dispatched, stored.version) == (65_000, 7, 1)
    raw = TaskItem._get_connection().get_item(task.task_id, consistent_read=True)["Item"]
    assert not {"due_at", "due_shard", "fires_dispatched", "last_fire_at"} & raw.keys()


def test_a_task_stored_in_the_one_item_layout_keeps_firing_until_it_is_migrated(tables, make_task):
    task = make_task()
    _store_in_the_one_item_layout(task, 60_000)

    # A fire the previous release sent: guarded by the definition itself.
    assert load_current_task(_fire(task)) is not None
    assert load_current_task(_fire(task, schedule_version=0)) is None


def test_an_api_write_to_a_task_stored_in_the_one_item_layout_migrates_it_first(tables, make_task):
    task = make_task(state="paused")
    _store_in_the_one_item_layout(task, None)

    resumed = store.update_task("acme", task.task_id, {"state": "active", "due_at": 90_000})

    assert (resumed.state, resumed.version, resumed.due_at) == ("active", 2, 90_000)
    state = store.get_schedule_state(task.task_id)
    assert (state.state, state.version, state.tenant) == ("active", 2, "acme")
