"""`pause_after_failures`: after N consecutive runs that end `failed` the task pauses
itself (`pause_reason: failures`), through the same path as a user pause; a success
resets the count, a resume clears it, a duplicate delivery counts once, and a task
without the setting writes nothing for it.

Sweeps, API writes and executor runs share one simulated clock (`sim_world`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sim_world import ids, minutes

from sundial import store
from sundial.api import service
from sundial.core.vocabulary import PauseReason, TaskState
from sundial.targets.failures import PermanentFailure
from sundial.targets.handler import task as handler_task
from sundial.targets.handler import unregister

FLAKY = "failures.probe"


class Flaky:
    """A handler target failing for good on the minutes listed in `failing`."""

    def __init__(self) -> None:
        self.failing: set[str] = set()
        self.ran: list[str] = []

    def __call__(self, payload: Any, invocation: Any) -> dict[str, Any]:
        self.ran.append(invocation.execution_id)
        if invocation.execution_id in self.failing:
            raise PermanentFailure("the target refused")
        return {}


@pytest.fixture
def flaky(world):
    target = Flaky()
    handler_task(FLAKY)(target)
    yield target
    unregister(FLAKY)


@pytest.fixture
def flaky_task(seed, flaky):
    def create(**kw: Any):
        return seed("0 * * * * *", target={"type": "handler", "name": FLAKY}, **kw)

    return create


def reload(task):
    return store.get_task_any_tenant(task.task_id)


def test_n_consecutive_final_failures_pause_the_task_for_failures(world, flaky, flaky_task, clock):
    task = flaky_task(pause_after_failures=3)
    start = clock.utc_now()
    flaky.failing = ids(task, minutes(start, *range(1, 20)))
    world.run_until(start + timedelta(minutes=20))
    item = reload(task)
    assert (item.state, item.pause_reason) == (TaskState.PAUSED, PauseReason.FAILURES)
    assert item.due_at is None  # out of the due index, like a user pause
    # The fires sent ahead after the third failure were dropped before they ran.
    assert set(flaky.ran) == ids(task, minutes(start, 1, 2, 3))
    shown = service.get_task("acme", task.task_id)
    assert shown.pause_reason == "failures"


def test_a_success_in_between_resets_the_count(world, flaky, flaky_task, clock):
    task = flaky_task(pause_after_failures=3)
    start = clock.utc_now()
    flaky.failing = ids(task, minutes(start, 1, 2, 4, 5, 6, 7, 8))
    world.run_until(start + timedelta(minutes=5, seconds=30))
    assert reload(task).state == TaskState.ACTIVE  # 12:03 succeeded: 1, 2, then 2 again
    world.run_until(start + timedelta(minutes=20))
    assert reload(task).state == TaskState.PAUSED
    assert set(flaky.ran) == ids(task, minutes(start, *range(1, 7)))


def test_resume_clears_the_count(world, flaky, flaky_task, clock):
    task = flaky_task(pause_after_failures=2)
    start = clock.utc_now()
    flaky.failing = ids(task, minutes(start, *range(1, 30)))
    world.run_until(start + timedelta(minutes=2, seconds=30))
    assert reload(task).state == TaskState.PAUSED
    resumed = service.resume_task("acme", task.task_id, now=clock.utc_now())
    assert resumed.pause_reason is None
    assert resumed.schedule_state.failure_streak is None
    world.run_until(start + timedelta(minutes=3, seconds=30))
    assert reload(task).state == TaskState.ACTIVE  # one failure since the resume
    world.run_until(start + timedelta(minutes=10))
    assert reload(task).state == TaskState.PAUSED
    assert set(flaky.ran) == ids(task, minutes(start, 1, 2, 3, 4))


def test_a_duplicate_delivery_of_a_failed_fire_counts_once(flaky_task):
    task = flaky_task(pause_after_failures=5)
    assert store.count_failure(task.task_id, "fire-1") == 1
    assert store.count_failure(task.task_id, "fire-1") == 1  # the same run, delivered again
    assert store.count_failure(task.task_id, "fire-2") == 2


def test_a_user_pause_says_so_and_a_resume_clears_the_reason(flaky_task):
    task = flaky_task()
    paused = service.pause_task("acme", task.task_id)
    assert (paused.state, paused.pause_reason) == (TaskState.PAUSED, PauseReason.USER)
    resumed = service.resume_task("acme", task.task_id)
    assert (resumed.state, resumed.pause_reason) == (TaskState.ACTIVE, None)


def test_a_task_without_the_setting_writes_nothing_for_it(
    world, flaky, flaky_task, clock, monkeypatch
):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a task without pause_after_failures wrote its streak")

    monkeypatch.setattr(store, "count_failure", refuse)
    monkeypatch.setattr(store, "end_failure_streak", refuse)
    task = flaky_task()
    start = clock.utc_now()
    flaky.failing = ids(task, minutes(start, 1, 2, 3))
    world.run_until(start + timedelta(minutes=6))
    assert world.outcomes["failed"] == 3 and world.outcomes["succeeded"] == 3
    assert reload(task).state == TaskState.ACTIVE


def test_a_success_without_an_open_streak_writes_nothing(
    world, flaky, flaky_task, clock, monkeypatch
):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a success without a streak wrote one")

    monkeypatch.setattr(store, "end_failure_streak", refuse)
    task = flaky_task(pause_after_failures=3)
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=5))
    assert world.outcomes["succeeded"] == 5
    assert reload(task).state == TaskState.ACTIVE
