"""After an outage: misfire policies, backlogs drained by continuation, and the DST rule
through real sweeps on a simulated clock."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest

from sundial import store
from sundial.core.clock import from_ms
from sundial.dispatch.service import run_tick


def reload(task):
    return store.get_task_any_tenant(task.task_id)


@pytest.mark.parametrize(
    ("policy", "expected_runs", "coalesced_first"),
    [("fire_once", 4, 59), ("fire_all", 62, 1), ("skip", 3, 1)],
)
def test_outage_recovery_follows_the_misfire_policy(
    policy, expected_runs, coalesced_first, seed, make_dispatcher, sqs, clock
):
    # Down for an hour: the task's pending fire is 12:00 one hour ago.
    outage_start = clock.utc_now() - timedelta(hours=1)
    task = seed(
        "0 * * * * *",
        due_at=outage_start,
        misfire={"policy": policy, "grace_seconds": 60},
    )
    report = make_dispatcher(use_leases=False).sweep()
    assert report.tasks_committed == 1
    fires = sorted(sqs.sent, key=lambda m: m["fire_at"])
    assert len(fires) == expected_runs
    assert fires[0]["coalesced"] == coalesced_first
    # Fires inside the grace period and ahead of now always run, one by one.
    assert [from_ms(m["fire_at"]) for m in fires[-3:]] == [
        clock.utc_now() - timedelta(minutes=1),
        clock.utc_now(),
        clock.utc_now() + timedelta(minutes=1),
    ]
    assert from_ms(reload(task).due_at) == clock.utc_now() + timedelta(minutes=2)


class LambdaTime:
    """A Lambda's remaining time that runs out after `checks` looks at it."""

    def __init__(self, checks: int):
        self.checks = checks

    def __call__(self) -> int:
        self.checks -= 1
        return 60_000 if self.checks >= 0 else 0


def test_backlog_larger_than_one_sweep_is_drained_by_continuation(
    seed_many, dispatch_env, clock, monkeypatch
):
    monkeypatch.setenv("DISPATCH_PAGE_SIZE", "3")
    monkeypatch.setenv("MAX_CONTINUATIONS", "50")
    from sundial.settings import reset_settings

    reset_settings()
    tasks = seed_many(40, "0 * * * * *", due_at=clock.utc_now() - timedelta(hours=2))
    invocations = []
    continuation, ticks = 0, 0
    while True:
        ticks += 1
        result = run_tick(
            sweep_id=f"sweep-{ticks}",
            continuation=continuation,
            remaining_ms=LambdaTime(checks=6),  # a few pages per invocation
            continue_with=invocations.append,
            clock=clock,
        )
        if not result.continued:
            break
        continuation = invocations[-1]["continuation"]
    # The clock never moved: the backlog was drained by continuations, not later ticks.
    assert ticks > 2 and len(invocations) == ticks - 1
    assert all(int(reload(t).due_at) > int(t.due_at) for t in tasks)


def test_continuation_chain_is_bounded(seed_many, dispatch_env, clock, monkeypatch):
    monkeypatch.setenv("DISPATCH_PAGE_SIZE", "1")
    monkeypatch.setenv("MAX_CONTINUATIONS", "2")
    from sundial.settings import reset_settings

    reset_settings()
    seed_many(30, "0 * * * * *", due_at=clock.utc_now() - timedelta(hours=1))
    invocations = []
    continuation = 0
    for _ in range(10):
        result = run_tick(
            sweep_id="s",
            continuation=continuation,
            remaining_ms=LambdaTime(checks=2),
            continue_with=invocations.append,
            clock=clock,
        )
        if not result.continued:
            break
        continuation = invocations[-1]["continuation"]
    assert [event["continuation"] for event in invocations] == [1, 2]
    assert result.report.backlog_shards > 0  # left for the next tick, not chased forever


def sweep_at_each_due_time(task, make_dispatcher, clock, count: int) -> list[datetime]:
    """Tick the way EventBridge would, around each due time, until `count` fires went out."""
    fires: list[datetime] = []
    dispatcher = make_dispatcher(use_leases=False)
    sent_before = 0
    for _ in range(count * 30):
        due = reload(task).due_at
        if due is None or len(fires) >= count:
            break
        clock.now = from_ms(int(due)) - timedelta(seconds=30)
        dispatcher.sweep()
        new = dispatcher.sqs.sent[sent_before:]
        sent_before = len(dispatcher.sqs.sent)
        fires += [from_ms(m["fire_at"]) for m in new]
    return fires


@pytest.mark.parametrize(
    ("start", "transition_day", "fire_time_that_day"),
    [
        (datetime(2026, 3, 27, tzinfo=UTC), 29, "03:00"),  # 02:30 does not exist: gap end
        (datetime(2026, 10, 23, tzinfo=UTC), 25, "02:30"),  # 02:30 twice: first one only
    ],
)
def test_daily_job_keeps_one_fire_per_day_across_transitions(
    start, transition_day, fire_time_that_day, seed, make_dispatcher, clock
):
    berlin = ZoneInfo("Europe/Berlin")
    clock.now = start
    task = seed("30 2 * * *", timezone="Europe/Berlin")
    local = [f.astimezone(berlin) for f in sweep_at_each_due_time(task, make_dispatcher, clock, 5)]
    assert [f.day for f in local] == [start.day + n for n in range(5)]
    that_day = next(f for f in local if f.day == transition_day)
    assert that_day.strftime("%H:%M") == fire_time_that_day


def test_hourly_job_fires_every_real_hour_across_fall_back(seed, make_dispatcher, clock):
    clock.now = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)
    task = seed("0 * * * *", timezone="Europe/Berlin")
    fires = sweep_at_each_due_time(task, make_dispatcher, clock, count=7)
    assert [b - a for a, b in itertools.pairwise(fires)] == [timedelta(hours=1)] * 6


def test_a_tick_sends_a_run_stuck_without_its_message_back_to_work(seed, dispatch_env, clock):
    # Claimed an hour ago by an executor that died; its message is gone.
    task = seed(due_at=clock.utc_now() + timedelta(hours=1))  # nothing due this tick
    fire_at = clock.now_ms() - 3_600_000
    key = store.run_key(task.task_id, fire_at)
    execution_id = f"{task.task_id}:{fire_at}"
    store.claim_run(
        key.task_id,
        key.fire_key,
        execution_id=execution_id,
        fire_at_ms=fire_at,
        now_ms=fire_at,
        lease_ms=60_000,
        tenant=task.tenant,
    )

    run_tick(sweep_id="tick", clock=clock)

    sqs = boto3.client("sqs", region_name="us-east-1")
    received = sqs.receive_message(QueueUrl=dispatch_env["WorkQueue"], MaxNumberOfMessages=10)
    bodies = [json.loads(m["Body"]) for m in received.get("Messages", [])]
    assert [b["execution_id"] for b in bodies] == [execution_id]
