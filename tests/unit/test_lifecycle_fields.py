"""Lifecycle settings in the pure core: `max_runs` and `pause_after_failures` as the API
takes them, and the planner never planning more scheduled runs than the task has left."""

from datetime import UTC, datetime, timedelta

import pytest

from sundial.core.errors import SundialError
from sundial.core.planning import Timing, plan_fires
from sundial.core.task import TaskUpdate, apply_update, parse_task_create, validate
from sundial.core.task.limits import MAX_RUNS_MAX
from sundial.core.vocabulary import ErrorCode

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
HORIZON = timedelta(seconds=90)
MINIMAL = {"schedule": "0 * * * * *", "target": {"type": "http", "url": "https://example.com/h"}}


def timing(schedule: str = "* * * * * *", **kw) -> Timing:
    return Timing(task_id="T1", schedule=schedule, timezone="UTC", created_at=NOW, **kw)


# --- planning -------------------------------------------------------------------------


def test_a_plan_never_holds_more_runs_than_are_left_and_then_ends_the_task():
    plan = plan_fires(timing(runs_left=3), NOW + timedelta(seconds=1), NOW, HORIZON)
    assert [f.scheduled_at for f in plan.fires] == [NOW + timedelta(seconds=s) for s in (1, 2, 3)]
    assert plan.next_due_at is None  # the commit of these three completes the task


def test_a_plan_that_uses_up_exactly_the_runs_left_ends_the_task():
    plan = plan_fires(timing("0 * * * * *", runs_left=1), NOW + timedelta(minutes=1), NOW, HORIZON)
    assert [f.scheduled_at for f in plan.fires] == [NOW + timedelta(minutes=1)]
    assert plan.next_due_at is None


def test_a_plan_below_the_limit_goes_on_as_without_one():
    limited = plan_fires(timing(runs_left=1000), NOW + timedelta(seconds=1), NOW, HORIZON)
    unlimited = plan_fires(timing(), NOW + timedelta(seconds=1), NOW, HORIZON)
    assert limited == unlimited


def test_no_run_left_plans_nothing_and_ends_the_task():
    plan = plan_fires(timing(runs_left=0), NOW + timedelta(seconds=1), NOW, HORIZON)
    assert plan.fires == []
    assert plan.next_due_at is None


def test_missed_fires_merged_into_one_run_count_as_one_run():
    # fire_once merges an outage's misses into one run, which uses one run of the limit.
    due = NOW - timedelta(minutes=10)
    plan = plan_fires(timing("0 * * * * *", runs_left=2), due, NOW, HORIZON)
    assert [f.coalesced for f in plan.fires] == [9, 1]  # 11:50-11:58 merged, then 11:59
    assert plan.next_due_at is None


def test_the_lookahead_stops_at_the_limit_too():
    plan = plan_fires(
        timing("0 * * * * *", runs_left=5),
        NOW + timedelta(minutes=1),
        NOW,
        HORIZON,
        lookahead=timedelta(minutes=14),
        max_fires=120,
    )
    assert len(plan.fires) == 5
    assert plan.next_due_at is None


# --- the field ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1, 1.5, 2.0, "3", True, MAX_RUNS_MAX + 1])
def test_max_runs_refuses_anything_but_a_positive_integer_naming_the_field(value):
    with pytest.raises(SundialError) as caught:
        parse_task_create({**MINIMAL, "max_runs": value})
    assert caught.value.code == ErrorCode.VALIDATION_ERROR
    assert caught.value.field == "max_runs"


@pytest.mark.parametrize("value", [0, -3, 0.5])
def test_a_patch_refuses_a_bad_max_runs_naming_the_field(value):
    with pytest.raises(SundialError) as caught:
        validate(TaskUpdate, {"max_runs": value})
    assert caught.value.field == "max_runs"


def test_max_runs_defaults_to_no_limit_and_accepts_its_bounds():
    assert parse_task_create(MINIMAL).max_runs is None
    assert parse_task_create({**MINIMAL, "max_runs": 1}).max_runs == 1
    assert parse_task_create({**MINIMAL, "max_runs": MAX_RUNS_MAX}).max_runs == MAX_RUNS_MAX


def test_a_patch_sets_max_runs_and_null_removes_the_limit():
    limited = apply_update(parse_task_create(MINIMAL), validate(TaskUpdate, {"max_runs": 3}))
    assert limited.max_runs == 3
    kept = apply_update(limited, validate(TaskUpdate, {"description": "x"}))
    assert kept.max_runs == 3
    assert apply_update(limited, validate(TaskUpdate, {"max_runs": None})).max_runs is None


@pytest.mark.parametrize("value", [0, 1001, -1, 1.5, "3", True])
def test_pause_after_failures_refuses_values_outside_1_to_1000_naming_the_field(value):
    with pytest.raises(SundialError) as caught:
        parse_task_create({**MINIMAL, "pause_after_failures": value})
    assert caught.value.code == ErrorCode.VALIDATION_ERROR
    assert caught.value.field == "pause_after_failures"


def test_pause_after_failures_accepts_its_bounds_and_null_removes_it():
    assert parse_task_create({**MINIMAL, "pause_after_failures": 1}).pause_after_failures == 1
    spec = parse_task_create({**MINIMAL, "pause_after_failures": 1000})
    assert spec.pause_after_failures == 1000
    cleared = apply_update(spec, validate(TaskUpdate, {"pause_after_failures": None}))
    assert cleared.pause_after_failures is None
