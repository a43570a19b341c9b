"""The due index and the dispatch commit."""

from __future__ import annotations

from sundial import store
from sundial.settings import get_settings, reset_settings


def _due_ids(shard: int, until_ms: int, limit: int = 10) -> list[str]:
    items, _ = store.query_due(shard, until_ms, limit)
    return [t.task_id for t in items]


def test_task_with_due_at_is_in_its_shard_of_the_due_index(tables, make_task):
    task = store.create_task(make_task(), due_at=5_000)

    shard = store.shard_for(task.task_id, get_settings().shard_count)

    assert task.due_shard == shard
    assert _due_ids(shard, until_ms=5_000) == [task.task_id]
    assert _due_ids(shard, until_ms=4_999) == []


def test_task_without_due_at_is_not_in_the_due_index(tables, make_task):
    task = store.create_task(make_task(), due_at=None)
    stored = store.get_task("acme", task.task_id)
    assert stored.due_at is None and stored.due_shard is None
    assert all(_due_ids(s, until_ms=10**15) == [] for s in range(get_settings().shard_count))


def test_due_index_pages_in_due_order(tables, make_task, monkeypatch):
    monkeypatch.setenv("SHARD_COUNT", "1")  # every task in shard 0
    reset_settings()
    ids = [store.create_task(make_task(), due_at=due).task_id for due in (300, 100, 200, 900)]

    first, key = store.query_due(0, until_ms=500, limit=2)
    second, end = store.query_due(0, until_ms=500, limit=2, start_key=key)

    assert [t.task_id for t in first] == [ids[1], ids[2]]
    assert [t.task_id for t in second] == [ids[0]]
    assert key is not None and end is None


def test_due_index_items_carry_what_planning_needs(tables, make_task):
    task = store.create_task(
        make_task(payload={"p": "x" * 5000}, schedule="@hourly", tenant="globex"), due_at=1_000
    )
    (item,) = store.query_due(task.due_shard, 1_000, 10)[0]
    assert (item.task_id, item.tenant, item.schedule, item.misfire, item.schedule_version) == (
        task.task_id, "globex", "@hourly", {**task.misfire, "carried": True}, 1,
    )  # fmt: skip
    assert store.timing_of(item) == store.timing_of(task)


def test_commit_advances_due_at_and_records_the_fire(tables, make_task):
    task = store.create_task(make_task(), due_at=1_000)

    won = store.commit_dispatch(
        task.task_id, 1_000, 1, next_due_at=2_000, last_fire_at=1_000, fires=3
    )

    stored = store.get_task("acme", task.task_id)
    assert won
    assert (stored.due_at, stored.last_fire_at, stored.fires_dispatched) == (2_000, 1_000, 3)
    assert stored.version == 1  # bookkeeping is not a user-visible change
    assert _due_ids(task.due_shard, until_ms=1_999) == []


def test_second_commit_on_same_fire_loses(tables, make_task):
    task = store.create_task(make_task(), due_at=1_000)

    first = store.commit_dispatch(task.task_id, 1_000, 1, next_due_at=2_000, last_fire_at=1_000)
    second = store.commit_dispatch(task.task_id, 1_000, 1, next_due_at=3_000, last_fire_at=1_000)

    assert (first, second) == (True, False)
    assert store.get_task("acme", task.task_id).due_at == 2_000


def test_commit_with_stale_schedule_version_loses(tables, make_task):
    task = store.create_task(make_task(), due_at=1_000)
    store.update_task("acme", task.task_id, {"schedule": "@daily"})  # schedule_version 2

    won = store.commit_dispatch(task.task_id, 1_000, 1, next_due_at=2_000, last_fire_at=1_000)

    assert not won
    assert store.get_task("acme", task.task_id).due_at == 1_000


def test_commit_after_the_api_moved_due_at_loses(tables, make_task):
    task = store.create_task(make_task(), due_at=1_000)
    store.update_task("acme", task.task_id, {"due_at": 1_500})
    assert not store.commit_dispatch(task.task_id, 1_000, 1, next_due_at=2_000, last_fire_at=1_000)


def test_commit_on_deleted_task_loses_and_creates_nothing(tables, make_task):
    task = store.create_task(make_task(), due_at=1_000)
    store.delete_task("acme", task.task_id)

    assert not store.commit_dispatch(task.task_id, 1_000, 1, next_due_at=2_000, last_fire_at=1_000)
    assert _due_ids(task.due_shard, until_ms=10**15) == []


def test_final_commit_completes_the_task_and_leaves_the_index(tables, make_task):
    task = store.create_task(make_task(schedule="at(2026-01-01T00:00:00)"), due_at=1_000)

    won = store.commit_dispatch(
        task.task_id, 1_000, 1, next_due_at=None, last_fire_at=1_000, state="completed"
    )

    stored = store.get_task("acme", task.task_id)
    assert won
    assert (stored.state, stored.due_at, stored.due_shard, stored.version) == (
        "completed", None, None, 2,
    )  # fmt: skip
    assert _due_ids(task.due_shard, until_ms=10**15) == []


def test_paused_task_leaves_due_index(tables, make_task):
    task = store.create_task(make_task(), due_at=1_000)

    paused = store.update_task("acme", task.task_id, {"state": "paused", "due_at": None})

    assert (paused.due_at, paused.due_shard) == (None, None)
    assert _due_ids(task.due_shard, until_ms=10**15) == []
    # ...and a sweep that read it before the pause cannot put it back.
    assert not store.commit_dispatch(task.task_id, 1_000, 1, next_due_at=2_000, last_fire_at=1_000)


def test_resumed_task_returns_to_due_index(tables, make_task):
    task = store.create_task(make_task(state="paused"), due_at=None)
    resumed = store.update_task("acme", task.task_id, {"state": "active", "due_at": 7_000})
    assert resumed.due_shard == store.shard_for(task.task_id, get_settings().shard_count)
    assert _due_ids(resumed.due_shard, until_ms=7_000) == [task.task_id]
