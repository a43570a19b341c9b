"""Run limits (`max_runs`): exactly that many distinct scheduled runs, across sweeps,
lookahead, crashes, pauses and changes of the limit; manual runs are not counted.

Sweeps (every simulated minute), API writes and executor runs share one simulated clock
(`sim_world`); the target counts its calls.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sim_world import assert_ran_exactly, ids, minutes

from sundial import store
from sundial.api import service
from sundial.core.planning import execution_id
from sundial.core.task.update import TaskUpdate
from sundial.core.vocabulary import TaskState
from sundial.settings import DEFAULT_LOOKAHEAD_SECONDS, DEFAULT_MAX_FIRES_PER_COMMIT
from sundial.store import tasks as store_tasks


class Crash(BaseException):
    """The process dies here (BaseException: no `except Exception` in the code catches it)."""


def reload(task):
    return store.get_task_any_tenant(task.task_id)


def remaining(task) -> int | None:
    item = reload(task)
    return int(item.max_runs) - int(item.fires_dispatched) if item.max_runs else None


def test_a_limited_task_runs_exactly_max_runs_scheduled_runs_over_several_sweeps_then_completes(
    world, per_minute, clock
):
    task = per_minute(max_runs=20)
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=40))
    # The first sweep sends 12:01-12:14 ahead, the one at 12:14 the last six, and completes.
    assert_ran_exactly(world, ids(task, minutes(start, *range(1, 21))))
    item = reload(task)
    assert item.state == TaskState.COMPLETED
    assert item.due_at is None
    assert (int(item.fires_dispatched), remaining(task)) == (20, 0)


def test_a_crash_between_send_and_commit_allows_no_run_beyond_the_limit(
    seed, make_dispatcher, sqs, monkeypatch
):
    task = seed("*/10 * * * * *", max_runs=3)
    real_commit = store.commit_dispatch

    def crash(*args, **kwargs):
        raise Crash()

    monkeypatch.setattr(store, "commit_dispatch", crash)
    with pytest.raises(Crash):
        make_dispatcher(use_leases=False).sweep()
    first_send = sqs.execution_ids()
    assert len(first_send) == 3  # planned up to the limit, sent, not committed

    monkeypatch.setattr(store, "commit_dispatch", real_commit)
    for _ in range(3):
        make_dispatcher(use_leases=False).sweep()
    # The re-plan sent the same three executions again (duplicates the executor drops).
    assert set(sqs.execution_ids()) == set(first_send)
    assert reload(task).state == TaskState.COMPLETED
    assert remaining(task) == 0


def test_manual_runs_do_not_count_against_the_limit(world, per_minute, clock):
    task = per_minute(max_runs=2)
    start = clock.utc_now()
    manual = service.trigger_task("acme", task.task_id, now=clock.utc_now())
    world.run_until(start + timedelta(minutes=10))
    assert_ran_exactly(world, ids(task, minutes(start, 1, 2)) | {manual})
    assert reload(task).state == TaskState.COMPLETED
    assert int(reload(task).fires_dispatched) == 2


def test_lowering_max_runs_below_the_runs_dispatched_completes_the_task_at_once(
    world, per_minute, clock
):
    task = per_minute(max_runs=30)
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=5, seconds=30))  # 12:06-12:14 sent ahead
    updated = service.update_task("acme", task.task_id, TaskUpdate(max_runs=3), now=clock.utc_now())
    assert updated.state == TaskState.COMPLETED
    assert updated.due_at is None
    world.run_until(start + timedelta(minutes=30))
    # The runs already made stay; the fires sent ahead do not run.
    assert_ran_exactly(world, ids(task, minutes(start, *range(1, 6))))
    assert remaining(task) is not None and remaining(task) <= 0


def test_lowering_max_runs_counts_fires_sent_ahead_only_once(world, per_minute, clock):
    task = per_minute(max_runs=30)
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=5, seconds=30))
    service.update_task("acme", task.task_id, TaskUpdate(max_runs=8), now=clock.utc_now())
    # 12:01-12:05 ran; 12:06-12:14, sent ahead, were withdrawn, and the three runs left
    # (12:06-12:08) sent again at once, completing the task.
    assert int(reload(task).fires_dispatched) == 8
    assert remaining(task) == 0
    world.run_until(start + timedelta(minutes=30))
    assert_ran_exactly(world, ids(task, minutes(start, *range(1, 9))))
    assert reload(task).state == TaskState.COMPLETED


def test_raising_max_runs_revives_a_task_completed_by_its_limit(world, per_minute, clock):
    task = per_minute(max_runs=2)
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=5, seconds=30))
    assert reload(task).state == TaskState.COMPLETED
    service.update_task("acme", task.task_id, TaskUpdate(max_runs=4), now=clock.utc_now())
    # Two more runs from now, sent at once: the task is dispatched out again.
    assert world.sent(execution_id(task.task_id, start + timedelta(minutes=7))) == 1
    world.run_until(start + timedelta(minutes=20))
    assert_ran_exactly(world, ids(task, minutes(start, 1, 2, 6, 7)))
    assert reload(task).state == TaskState.COMPLETED


def test_removing_the_limit_lets_the_task_fire_on(world, per_minute, clock):
    task = per_minute(max_runs=2)
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=5, seconds=30))
    service.update_task("acme", task.task_id, TaskUpdate(max_runs=None), now=clock.utc_now())
    world.run_until(start + timedelta(minutes=10))
    assert_ran_exactly(world, ids(task, minutes(start, 1, 2, *range(6, 11))))
    assert reload(task).state == TaskState.ACTIVE
    assert remaining(task) is None


def test_a_pause_gives_back_the_runs_of_the_fires_sent_ahead(world, per_minute, clock):
    task = per_minute(max_runs=30)
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=3, seconds=30))
    service.pause_task("acme", task.task_id, now=clock.utc_now())
    assert remaining(task) == 27  # 12:01-12:03 ran; 12:04-12:14 will not
    world.run_until(start + timedelta(minutes=5, seconds=30))
    service.resume_task("acme", task.task_id, now=clock.utc_now())
    world.run_until(start + timedelta(minutes=60))
    assert_ran_exactly(world, ids(task, minutes(start, 1, 2, 3, *range(6, 33))))
    assert reload(task).state == TaskState.COMPLETED


def test_a_commit_planned_under_the_old_limit_loses_to_a_patch_of_the_limit(
    world, per_minute, clock, monkeypatch
):
    task = per_minute(max_runs=30)
    start = clock.utc_now()
    real_commit = store.commit_dispatch
    lowered: list[bool] = []

    def patch_first(*args, **kwargs):
        if not lowered:
            lowered.append(True)
            service.update_task("acme", task.task_id, TaskUpdate(max_runs=2), now=clock.utc_now())
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(store, "commit_dispatch", patch_first)
    world.run_until(start + timedelta(minutes=30))
    # The first sweep's fires (12:01-12:14, planned under 30) were sent before the PATCH
    # landed; its commit lost, and the executor dropped them as stale.
    assert world.sent(execution_id(task.task_id, start + timedelta(minutes=5))) == 1
    assert_ran_exactly(world, ids(task, minutes(start, 1, 2)))
    assert reload(task).state == TaskState.COMPLETED


def test_a_patch_of_the_limit_recounts_when_a_commit_lands_between_its_read_and_write(
    world, per_minute, clock, monkeypatch
):
    task = per_minute(max_runs=30)
    world.dispatcher.sweep()  # 12:00 commits 12:01-12:14
    clock.advance(minutes=14)
    real_write = store_tasks._write_update
    swept: list[bool] = []

    def sweep_first(*args, **kwargs):
        if not swept:  # the 12:14 sweep commits 12:15-12:28 after the PATCH read
            swept.append(True)
            world.dispatcher.sweep()
        return real_write(*args, **kwargs)

    monkeypatch.setattr(store_tasks, "_write_update", sweep_first)
    service.update_task("acme", task.task_id, TaskUpdate(max_runs=20), now=clock.utc_now())
    # Recounted after the commit: 12:15-12:28 withdrawn, then the six runs left
    # (12:15-12:20) dispatched again at once. Counted from the stale read, the PATCH
    # would have left six runs on top of the fourteen the sweep had just counted.
    item = reload(task)
    assert (int(item.fires_dispatched), remaining(task)) == (20, 0)
    assert item.state == TaskState.COMPLETED
    stamped = {m["execution_id"] for m in world.sqs.sent if m["schedule_version"] == 2}
    assert stamped == ids(task, minutes(clock.utc_now(), *range(1, 7)))


def test_a_limited_task_costs_the_same_requests_per_fire_as_an_unlimited_one(
    per_minute, make_dispatcher, local_sqs, dynamo_calls, clock
):
    dispatcher = make_dispatcher(
        sqs=local_sqs,
        use_leases=False,
        lookahead=timedelta(seconds=DEFAULT_LOOKAHEAD_SECONDS),
        max_fires_per_commit=DEFAULT_MAX_FIRES_PER_COMMIT,
    )
    counted = []
    for limit in (None, 1000):
        task = per_minute(max_runs=limit)
        dynamo_calls.calls.clear()
        sent_before = len(local_sqs.sent)
        for _ in range(30):
            dispatcher.sweep()
            clock.advance(minutes=1)
        counted.append((dict(dynamo_calls.calls), len(local_sqs.sent) - sent_before))
        store.delete_task("acme", task.task_id)
    # The count rides in the commit each plan makes anyway: no extra read or write.
    assert counted[0] == counted[1]
    assert counted[0][0]["UpdateItem"] == 3


def test_a_schedule_change_recounts_when_a_commit_lands_between_its_read_and_write(
    world, per_minute, clock, monkeypatch
):
    task = per_minute(max_runs=30)
    world.dispatcher.sweep()  # 12:00 commits 12:01-12:14
    clock.advance(minutes=14)
    real_write = store_tasks._write_update
    swept: list[bool] = []

    def sweep_first(*args, **kwargs):
        if not swept:  # the 12:14 sweep commits 12:15-12:28 after the PATCH read
            swept.append(True)
            world.dispatcher.sweep()
        return real_write(*args, **kwargs)

    monkeypatch.setattr(store_tasks, "_write_update", sweep_first)
    update = TaskUpdate(schedule="30 * * * * *")
    service.update_task("acme", task.task_id, update, now=clock.utc_now())
    # 12:15-12:28, committed under the old schedule, will not run: withdrawn. What the
    # new schedule sent at once counts; 30 minus both is left.
    resent = [m for m in world.sqs.sent if m["schedule_version"] == 2]
    assert resent
    assert remaining(task) == 30 - 14 - len(resent)
