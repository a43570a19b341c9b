"""Enqueue first, then commit: crashes, partial sends and throttling at
every step lose no fire, and no task is ever advanced past a fire that was not sent."""

from __future__ import annotations

import threading
import types
from datetime import timedelta

import pytest

from sundial import store
from sundial.core.clock import from_ms, to_ms
from sundial.core.planning import execution_id
from sundial.store import TaskItem
from sundial.workqueue import SweepReport


def reload(task: TaskItem) -> TaskItem:
    return store.get_task_any_tenant(task.task_id)


class Crash(BaseException):
    """The process dies here (BaseException: no `except Exception` in the code catches it)."""


def fires_committed_past(task_before: TaskItem, task_after: TaskItem) -> list[str]:
    """Execution ids of every fire between the task's old and new due_at: the ones its
    commit claims were enqueued."""
    timing = store.timing_of(task_before)
    schedule = timing.parsed()
    ids: list[str] = []
    cursor = from_ms(int(task_before.due_at))
    end = task_after.due_at
    while cursor is not None and (end is None or to_ms(cursor) < int(end)):
        ids.append(execution_id(task_before.task_id, cursor))
        cursor = schedule.next_after(cursor)
    return ids


def assert_nothing_committed_unsent(tasks: list[TaskItem], sent_ids: set[str]) -> None:
    for before in tasks:
        after = reload(before)
        missing = set(fires_committed_past(before, after)) - sent_ids
        assert not missing, f"committed past fires that were never sent: {sorted(missing)}"


def test_crash_between_send_and_commit_loses_no_fire(seed, make_dispatcher, sqs, monkeypatch):
    task = seed("*/10 * * * * *")
    real_commit = store.commit_dispatch

    def crash(*args, **kwargs):
        raise Crash()

    monkeypatch.setattr(store, "commit_dispatch", crash)
    with pytest.raises(Crash):
        make_dispatcher(use_leases=False).sweep()
    first_send = set(sqs.execution_ids())
    assert first_send and reload(task).due_at == task.due_at  # sent, not committed

    monkeypatch.setattr(store, "commit_dispatch", real_commit)
    report = make_dispatcher(use_leases=False).sweep()
    assert report.tasks_committed == 1
    assert first_send <= set(sqs.execution_ids()[len(first_send) :])  # sent again
    assert_nothing_committed_unsent([task], set(sqs.execution_ids()))


CRASH_POINTS = [
    "before_query",
    "after_query",
    "before_first_batch",
    "mid_batch",
    "after_each_send",
    "before_commit",
    "after_commit",
]


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_crash_at_any_step_never_commits_an_unsent_fire(
    point, seed, make_dispatcher, sqs, monkeypatch
):
    # Three tasks on one shard with 9-10 fires each in the horizon: several batches.
    tasks = [seed("*/10 * * * * *") for _ in range(3)]
    shard_of = {t.task_id: t.due_shard for t in tasks}
    real_query, real_commit = store.query_due, store.commit_dispatch
    commits = {"n": 0}

    def query(*args, **kwargs):
        if point == "before_query":
            raise Crash()
        result = real_query(*args, **kwargs)
        if point == "after_query" and result[0]:
            raise Crash()
        return result

    def batch_crash(n):
        if point == "before_first_batch" and n == 1:
            raise Crash()
        if point == "mid_batch" and n == 2:
            raise Crash()

    def commit(*args, **kwargs):
        commits["n"] += 1
        if point == "before_commit":
            raise Crash()
        won = real_commit(*args, **kwargs)
        if point == "after_commit":
            raise Crash()
        return won

    monkeypatch.setattr(store, "query_due", query)
    monkeypatch.setattr(store, "commit_dispatch", commit)
    sqs.crash = batch_crash
    if point == "after_each_send":
        sqs.crash = lambda n: (_ for _ in ()).throw(Crash()) if n > 1 else None

    with pytest.raises(Crash):
        make_dispatcher(use_leases=False).sweep(shards=sorted(set(shard_of.values())))
    assert_nothing_committed_unsent(tasks, set(sqs.execution_ids()))

    # Recovery: the next sweep, without faults, sends what is missing and commits.
    monkeypatch.setattr(store, "query_due", real_query)
    monkeypatch.setattr(store, "commit_dispatch", real_commit)
    sqs.crash = None
    make_dispatcher(use_leases=False).sweep()
    assert_nothing_committed_unsent(tasks, set(sqs.execution_ids()))
    for task in tasks:
        assert int(reload(task).due_at) > int(task.due_at)  # advanced exactly past the horizon


def test_partial_batch_failure_leaves_that_task_uncommitted_and_retried(seed, make_dispatcher, sqs):
    unlucky, lucky = seed("*/10 * * * * *"), seed("*/10 * * * * *")
    sqs.fail = lambda body: body["task_id"] == unlucky.task_id and body["fire_at"] % 20000 == 0
    report = make_dispatcher(use_leases=False).sweep()
    assert reload(unlucky).due_at == unlucky.due_at
    assert int(reload(lucky).due_at) > int(lucky.due_at)
    assert report.tasks_deferred == 1 and report.tasks_committed == 1

    sqs.fail = None
    make_dispatcher(use_leases=False).sweep()
    assert int(reload(unlucky).due_at) > int(unlucky.due_at)
    assert_nothing_committed_unsent([unlucky, lucky], set(sqs.execution_ids()))


class Throttle:
    """Makes emulated DynamoDB answer UpdateItem with ProvisionedThroughputExceeded.

    The error comes back over the (emulated) wire, so the SDK's own retry mode is
    what gets exercised, not a stand-in for it.
    """

    def __init__(self, monkeypatch, times: int):
        from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
        from moto.dynamodb.models import DynamoDBBackend

        self.left, self.calls = times, 0
        self.backoffs: list[float] = []
        real = DynamoDBBackend.update_item
        # The SDK's backoff sleeps are recorded, not slept: the test checks that they
        # happened without spending them.
        monkeypatch.setattr(
            "botocore.endpoint.time", types.SimpleNamespace(sleep=self.backoffs.append)
        )

        def update_item(backend, *args, **kwargs):
            self.calls += 1
            if self.left > 0:
                self.left -= 1
                raise DynamodbException(
                    ERROR_TYPE_PREFIX + "ProvisionedThroughputExceededException", "slow down"
                )
            return real(backend, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, "update_item", update_item)


def test_commit_throttled_briefly_is_retried_by_the_sdk(seed, make_dispatcher, monkeypatch):
    task = seed("*/10 * * * * *")
    throttle = Throttle(monkeypatch, times=2)
    report = make_dispatcher(use_leases=False).sweep()
    assert report.tasks_committed == 1
    assert throttle.calls == 3  # two throttled attempts, then the one that landed
    assert len(throttle.backoffs) == 2
    assert int(reload(task).due_at) > int(task.due_at)


def test_commit_throttled_past_retries_defers_the_task_without_losing_it(
    seed, make_dispatcher, sqs, monkeypatch
):
    task = seed("*/10 * * * * *")
    throttle = Throttle(monkeypatch, times=1000)
    report = make_dispatcher(use_leases=False).sweep()
    assert report.tasks_deferred == 1 and report.tasks_committed == 0
    assert reload(task).due_at == task.due_at

    throttle.left = 0
    report = make_dispatcher(use_leases=False).sweep()
    assert report.tasks_committed == 1
    assert_nothing_committed_unsent([task], set(sqs.execution_ids()))


def test_throttled_query_fails_only_its_shard(seed, make_dispatcher, monkeypatch):
    tasks = [seed("*/10 * * * * *") for _ in range(8)]
    bad_shard = tasks[0].due_shard
    real_query = store.query_due

    def query(shard, *args, **kwargs):
        if shard == bad_shard:
            raise RuntimeError("ProvisionedThroughputExceededException after retries")
        return real_query(shard, *args, **kwargs)

    monkeypatch.setattr(store, "query_due", query)
    report = make_dispatcher(use_leases=False).sweep()
    assert report.shard_errors == 1
    for task in tasks:
        advanced = int(reload(task).due_at) > int(task.due_at)
        assert advanced == (task.due_shard != bad_shard)


def test_stale_read_loses_the_commit_and_reports_duplicates(seed, make_dispatcher, clock):
    task = seed("*/10 * * * * *")
    stale = reload(task)
    assert make_dispatcher(use_leases=False).sweep().tasks_committed == 1
    # A second sweep working from the old read (an eventually consistent index page):
    report = SweepReport()
    make_dispatcher(use_leases=False).dispatch([stale], clock.utc_now(), report)
    assert report.commit_conflicts == 1 and report.duplicates_sent == report.fires_emitted > 0


def test_api_write_between_read_and_commit_wins(seed, make_dispatcher, clock):
    task = seed("*/10 * * * * *")
    seen = reload(task)
    store.update_task(task.tenant, task.task_id, {"schedule": "*/20 * * * * *"})
    report = SweepReport()
    make_dispatcher(use_leases=False).dispatch([seen], clock.utc_now(), report)
    assert report.commit_conflicts == 1
    assert reload(task).schedule == "*/20 * * * * *"


def test_delay_puts_each_fire_on_its_second(seed, make_dispatcher, sqs, clock):
    seed("*/10 * * * * *")
    clock.advance(seconds=0.4)
    make_dispatcher(use_leases=False).sweep()
    for message in sqs.sent:
        ahead = (from_ms(message["fire_at"]) - clock.utc_now()).total_seconds()
        assert message["delay"] == max(0, min(900, int(ahead // 1)))
        assert 0 <= ahead - message["delay"] < 1 or message["delay"] == 0


def test_delay_counts_from_when_each_batch_is_sent_so_a_slow_send_is_never_late(
    seed, make_dispatcher, sqs, clock
):
    seed("* * * * * *")  # 90 fires in the horizon: nine batches
    sent_at = []

    def slow_sends(batch: int) -> None:
        sent_at.append(clock.utc_now())
        clock.advance(seconds=0.7)  # each SendMessageBatch goes out 0.7 s after the last

    sqs.crash = slow_sends
    make_dispatcher(use_leases=False).sweep()

    assert sqs.batches > 1
    for message in sqs.sent:
        visible = sent_at[message["batch"] - 1] + timedelta(seconds=message["delay"])
        early = (from_ms(message["fire_at"]) - visible).total_seconds()
        # Never visible after its second, and at most a second before it.
        assert 0 <= early < 1 or message["delay"] == 0, message


def test_a_sweep_creates_its_dynamodb_clients_before_its_shard_threads_start(
    seed, make_dispatcher, cold_start
):
    for _ in range(4):
        seed("*/10 * * * * *")
    created_on = cold_start()

    report = make_dispatcher().sweep()

    assert report.tasks_committed == 4
    assert created_on and set(created_on) == {threading.current_thread().name}


def test_horizon_bounds_what_one_sweep_sends(seed, make_dispatcher, sqs, clock):
    seed("*/10 * * * * *")
    make_dispatcher(use_leases=False).sweep()
    latest = max(from_ms(m["fire_at"]) for m in sqs.sent)
    assert latest <= clock.utc_now() + timedelta(seconds=90)
    assert len(sqs.sent) == 9
