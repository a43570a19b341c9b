"""A list page's last runs read by key (store.newest_runs): the same run as the query of
each task's history, for a constant number of DynamoDB calls."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from moto.core.botocore_stubber import BotocoreStubber

from sundial import store
from sundial.core.clock import from_ms, to_ms
from sundial.core.schedule import next_fire_time
from sundial.store import RunItem, TaskItem

T0 = 1_763_866_200_000  # on a whole minute
SCHEDULES = ["*/5 * * * * *", "0 * * * * *", "30 */7 * * * *", "rate(3 minutes)", "@hourly"]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """DynamoDB operations sent, by name, as the emulator receives them."""
    seen: Counter[str] = Counter()
    process = BotocoreStubber.process_request

    def counting(self: BotocoreStubber, request: Any) -> Any:
        target = request.headers.get("X-Amz-Target", b"")
        if isinstance(target, bytes):
            target = target.decode()
        if target.startswith("DynamoDB_"):
            seen[target.split(".", 1)[1]] += 1
        return process(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", counting)
    yield seen


def occurrences(item: TaskItem, start_ms: int, end_ms: int) -> list[int]:
    """The task's occurrences in (start_ms, end_ms], as the dispatcher plans them."""
    timing = store.timing_of(item)
    schedule = timing.parsed()
    found, cursor = [], next_fire_time(schedule, from_ms(start_ms), timing.start_at)
    while cursor is not None and to_ms(cursor) <= end_ms:
        found.append(to_ms(cursor))
        cursor = next_fire_time(schedule, cursor, timing.start_at)
    return found


def save_run(task_id: str, fire_ms: int, manual_id: str | None = None) -> None:
    succeeded_run(task_id, fire_ms, manual_id).save()


def succeeded_run(task_id: str, fire_ms: int, manual_id: str | None = None) -> RunItem:
    key = store.run_key(task_id, fire_ms, manual_id)
    return RunItem(
        key.task_id,
        key.fire_key,
        execution_id=key.execution_id,
        tenant="acme",
        fire_at=fire_ms,
        status="succeeded",
        attempt=1,
        started_at=fire_ms,
        expires_at=2_000_000_000,
    )


def page() -> list[TaskItem]:
    items, _ = store.list_tasks("acme", limit=100)
    return items


def by_query(items: list[TaskItem]) -> list[str | None]:
    return [_key(store.newest_run(item.task_id)) for item in items]


def _key(run: RunItem | None) -> str | None:
    return None if run is None else run.execution_id


def test_a_page_reads_its_last_runs_with_a_batch_not_a_query_per_task(tables, make_task, calls):
    now = T0 + 330_000
    for i in range(30):
        item = store.create_task(make_task(schedule="0 * * * * *"), now_ms=T0)
        # Every minute since creation ran, except the newest for some (still in flight).
        for fire in occurrences(item, T0, now - (60_000 if i % 3 == 0 else 0)):
            save_run(item.task_id, fire)
    items = page()
    calls.clear()

    newest = store.newest_runs(items, now)

    assert calls == Counter({"BatchGetItem": 2})  # 30 tasks x 4 candidate keys
    assert [_key(run) for run in newest] == by_query(items)
    assert all(run is not None for run in newest)


def test_tasks_without_a_provable_answer_cost_one_query_each_and_still_agree(
    tables, make_task, calls
):
    now = T0 + 3_600_000
    running = store.create_task(make_task(schedule="0 * * * * *"), now_ms=T0)
    for fire in occurrences(running, T0, now):
        save_run(running.task_id, fire)
    # Paused after ten minutes: its last run is older than its last few occurrences.
    paused = store.create_task(make_task(schedule="0 * * * * *"), now_ms=T0)
    for fire in occurrences(paused, T0, T0 + 600_000):
        save_run(paused.task_id, fire)
    items = page()
    calls.clear()

    newest = store.newest_runs(items, now)

    assert calls == Counter({"BatchGetItem": 1, "Query": 1})
    assert [_key(run) for run in newest] == by_query(items)


def test_a_task_that_never_ran_needs_no_query(tables, make_task, calls):
    store.create_task(make_task(schedule="0 0 0 1 1 *"), now_ms=T0)  # next on 1 January
    items = page()
    calls.clear()

    assert store.newest_runs(items, T0 + 600_000) == [None]
    assert "Query" not in calls


def test_a_manual_run_newer_than_the_schedule_is_the_last_run(tables, make_task):
    now = T0 + 330_000  # 25 s after the fire of T0 + 5 min
    item = store.create_task(make_task(schedule="0 * * * * *"), now_ms=T0)
    for fire in occurrences(item, T0, now):
        save_run(item.task_id, fire)
    ulid = store.new_ulid()
    manual = store.run_key(item.task_id, now - 5_000, manual_id=ulid)
    store.note_manual_run(item.task_id, manual.fire_key)
    save_run(item.task_id, now - 5_000, manual_id=ulid)

    [newest] = store.newest_runs(page(), now)

    assert newest is not None and newest.execution_id == manual.execution_id


@pytest.mark.parametrize("seed", range(12))
def test_the_last_run_read_by_key_is_the_head_of_the_run_history(tables, make_task, seed):
    """Whatever a task went through — runs missing, paused, triggered by hand (stored or
    still in flight), backfilled before it existed, its schedule changed with the old
    schedule's runs still there — the batch read names the run the query names."""
    rng = random.Random(seed)
    now = T0 + rng.randrange(1, 4 * 3_600_000)
    for _ in range(10):
        item = store.create_task(make_task(schedule=rng.choice(SCHEDULES)), now_ms=T0)
        _live(rng, item, now)

    items = page()

    assert [_key(run) for run in store.newest_runs(items, now)] == by_query(items), json.dumps(
        [(i.schedule, i.timing_since, i.last_backfill_at, i.last_manual_key) for i in items]
    )


def _live(rng: random.Random, item: TaskItem, now: int) -> None:
    # Thousands of runs for a */5 s schedule: written 25 a request once all are made (the
    # last one made for a key is the one stored, as when each was saved in turn).
    made: dict[tuple[str, str], RunItem] = {}
    _live_writing(rng, item, now, made)
    with RunItem.batch_write() as batch:
        for run in made.values():
            batch.save(run)


def _live_writing(
    rng: random.Random, item: TaskItem, now: int, made: dict[tuple[str, str], RunItem]
) -> None:
    def save(run: RunItem) -> None:
        made[(run.task_id, run.fire_key)] = run

    task_id = item.task_id
    if rng.random() < 0.3:  # the schedule changed; the old one's runs remain
        changed_at = rng.randrange(T0, now)
        for fire in occurrences(item, T0, changed_at + 1_000):
            if rng.random() < 0.8:
                save(succeeded_run(task_id, fire))
        item = store.update_task(
            "acme", task_id, {"schedule": rng.choice(SCHEDULES)}, now_ms=changed_at
        )
    # Runs of the current schedule, up to a stop (a pause) or up to now (+1 s: a message
    # claimed a second early), each one possibly missing (skipped by misfire, in flight).
    stop = now + 1_000 if rng.random() < 0.6 else rng.randrange(int(item.timing_since), now)
    for fire in occurrences(item, int(item.timing_since) - 1, stop):
        if rng.random() < 0.85:
            save(succeeded_run(task_id, fire))
    if rng.random() < 0.3:  # backfilled times from before the task existed
        earlier = occurrences(item, T0 - 7_200_000, T0 - 3_600_000)[:5]
        if earlier:
            store.note_backfill(task_id, earlier[-1])
            for fire in earlier:
                save(succeeded_run(task_id, fire))
    if rng.random() < 0.4:  # manual triggers: the newest stored, or still in flight
        for _ in range(rng.randrange(1, 3)):
            at = rng.randrange(T0, now)
            ulid = store.new_ulid()
            store.note_manual_run(task_id, store.run_key(task_id, at, ulid).fire_key)
            if rng.random() < 0.7:
                save(succeeded_run(task_id, at, manual_id=ulid))
