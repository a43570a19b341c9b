"""plan_fires: the pure step 2 of the dispatch protocol (docs/dispatch.md "How dispatch works")."""

from datetime import UTC, datetime, timedelta

import pytest

from sundial.core.aws_limits import SQS_MAX_DELAY_SECONDS
from sundial.core.clock import from_ms, to_ms
from sundial.core.planning import (
    MAX_REPLAYED_MISSES,
    Timing,
    backfill_times,
    delay_seconds,
    execution_id,
    first_due_at,
    jitter_offset,
    plan_fires,
)

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
HORIZON = timedelta(seconds=90)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def timing(schedule="* * * * * *", **kw) -> Timing:
    return Timing(
        task_id="T1",
        schedule=schedule,
        timezone=kw.pop("timezone", "UTC"),
        created_at=CREATED,
        **kw,
    )


def test_every_second_task_plans_the_whole_horizon_in_one_plan():
    due = NOW + timedelta(seconds=1)
    plan = plan_fires(timing(), due, NOW, HORIZON)
    assert [f.scheduled_at for f in plan.fires] == [
        NOW + timedelta(seconds=s) for s in range(1, 91)
    ]
    assert plan.next_due_at == NOW + timedelta(seconds=91)


def test_plan_is_deterministic_so_a_replan_names_the_same_executions():
    t = timing(jitter_seconds=30)
    first = plan_fires(t, NOW, NOW, HORIZON)
    again = plan_fires(t, NOW, NOW + timedelta(seconds=5), HORIZON)
    assert first.fires[:80] == again.fires[:80]


def test_execution_id_is_task_and_nominal_epoch_ms():
    fire = plan_fires(timing(), NOW, NOW, HORIZON).fires[0]
    assert fire.execution_id == f"T1:{to_ms(NOW)}" == execution_id("T1", NOW)
    assert from_ms(to_ms(NOW)) == NOW


def test_jitter_is_bounded_and_spreads_fires():
    offsets = [jitter_offset(f"T1:{n}", 10) for n in range(500)]
    assert all(timedelta(0) <= o <= timedelta(seconds=10) for o in offsets)
    assert len(set(offsets)) > 400
    assert jitter_offset("T1:1", 0) == timedelta(0)
    fire = plan_fires(timing(jitter_seconds=10), NOW, NOW, HORIZON).fires[0]
    assert fire.fire_at - fire.scheduled_at == jitter_offset(fire.execution_id, 10)


def test_end_of_window_finishes_the_task():
    t = timing(end_at=NOW + timedelta(seconds=10))
    plan = plan_fires(t, NOW + timedelta(seconds=1), NOW, HORIZON)
    assert len(plan.fires) == 10
    assert plan.next_due_at is None


def test_one_time_task_plans_one_fire_and_finishes():
    t = timing("at(2026-06-01T12:00:30)")
    due = first_due_at(t, NOW)
    assert due == NOW + timedelta(seconds=30)
    plan = plan_fires(t, due, NOW, HORIZON)
    assert [f.scheduled_at for f in plan.fires] == [due]
    assert plan.next_due_at is None


def test_one_time_task_within_grace_fires_at_once_and_beyond_grace_never():
    recent = timing("at(2026-06-01T11:59:30)", grace_seconds=60)
    assert first_due_at(recent, NOW) == NOW - timedelta(seconds=30)
    stale = timing("at(2026-06-01T11:58:00)", grace_seconds=60)
    assert first_due_at(stale, NOW) is None


def test_first_due_of_a_cron_task_is_strictly_after_now():
    assert first_due_at(timing("0 * * * *"), NOW) == NOW + timedelta(hours=1)


def test_rate_counts_from_creation_or_lands_on_start_at():
    assert first_due_at(
        timing("rate(7 minutes)"), CREATED + timedelta(minutes=8)
    ) == CREATED + timedelta(minutes=14)
    start = NOW + timedelta(minutes=3)
    assert first_due_at(timing("rate(1 hour)", start_at=start), NOW) == start


def test_late_fires_within_grace_are_emitted_individually():
    due = NOW - timedelta(seconds=30)
    plan = plan_fires(timing("*/10 * * * * *", grace_seconds=60), due, NOW, HORIZON)
    assert plan.fires[0].scheduled_at == due
    assert all(f.coalesced == 1 for f in plan.fires)


def test_fire_once_merges_an_outage_into_one_run_at_the_latest_missed_time():
    due = NOW - timedelta(hours=1)
    plan = plan_fires(timing("0 * * * * *", grace_seconds=60), due, NOW, HORIZON)
    merged, *rest = plan.fires
    assert merged.coalesced == 59  # 11:00 .. 11:58 are older than the 60 s grace
    assert merged.scheduled_at == NOW - timedelta(minutes=2)
    assert [f.scheduled_at for f in rest] == [
        NOW - timedelta(minutes=1),
        NOW,
        NOW + timedelta(minutes=1),
    ]


def test_fire_all_replays_every_missed_fire():
    due = NOW - timedelta(hours=1)
    plan = plan_fires(timing("0 * * * * *", misfire_policy="fire_all"), due, NOW, HORIZON)
    assert [f.scheduled_at for f in plan.fires] == [due + timedelta(minutes=m) for m in range(62)]


def test_fire_all_caps_replays_and_merges_the_oldest():
    due = NOW - timedelta(hours=1)
    plan = plan_fires(timing("* * * * * *", misfire_policy="fire_all"), due, NOW, timedelta(0))
    missed = [f for f in plan.fires if f.scheduled_at < NOW - timedelta(seconds=60)]
    assert len(missed) == MAX_REPLAYED_MISSES
    assert sum(f.coalesced for f in missed) == 3600 - 60
    assert missed[0].coalesced == 3540 - 999
    assert [f.scheduled_at for f in plan.fires] == sorted(f.scheduled_at for f in plan.fires)


def test_skip_drops_missed_fires_and_counts_them():
    due = NOW - timedelta(hours=1)
    plan = plan_fires(timing("0 * * * * *", misfire_policy="skip"), due, NOW, HORIZON)
    assert plan.skipped == 59
    assert [f.scheduled_at for f in plan.fires] == [
        NOW - timedelta(minutes=1),
        NOW,
        NOW + timedelta(minutes=1),
    ]


def test_daily_job_plans_one_fire_per_day_across_dst_transitions():
    t = timing("30 2 * * *", timezone="Europe/Berlin", misfire_policy="fire_all")
    start = datetime(2026, 3, 27, tzinfo=UTC)
    now = datetime(2026, 3, 31, 12, tzinfo=UTC)
    plan = plan_fires(t, first_due_at(t, start), now, HORIZON)
    assert [f.scheduled_at.astimezone(t.parsed().zone).day for f in plan.fires] == [
        27,
        28,
        29,
        30,
        31,
    ]


def test_hourly_job_plans_every_real_hour_through_fall_back():
    t = timing("0 * * * *", timezone="Europe/Berlin", misfire_policy="fire_all")
    due = first_due_at(t, datetime(2026, 10, 24, 22, 30, tzinfo=UTC))
    plan = plan_fires(t, due, datetime(2026, 10, 25, 5, 0, tzinfo=UTC), timedelta(0))
    gaps = {
        b.scheduled_at - a.scheduled_at for a, b in zip(plan.fires, plan.fires[1:], strict=False)
    }
    assert gaps == {timedelta(hours=1)}
    assert len(plan.fires) == 7  # 23:00 .. 05:00 UTC


# --- lookahead: fires planned past the horizon, so one commit covers many -------------

LOOKAHEAD = timedelta(seconds=840)


def ahead(t: Timing, due: datetime, now: datetime = NOW, max_fires: int = 120):
    return plan_fires(t, due, now, HORIZON, lookahead=LOOKAHEAD, max_fires=max_fires)


def test_lookahead_plans_fourteen_fires_of_a_per_minute_task_in_one_plan():
    plan = ahead(timing("0 * * * * *"), NOW + timedelta(minutes=1))
    assert [f.scheduled_at for f in plan.fires] == [
        NOW + timedelta(minutes=m) for m in range(1, 15)
    ]
    assert plan.next_due_at == NOW + timedelta(minutes=15)  # the first fire not planned


def test_lookahead_stops_at_max_fires_per_commit():
    plan = ahead(timing(), NOW + timedelta(seconds=1), max_fires=120)
    assert len(plan.fires) == 120
    assert plan.next_due_at == NOW + timedelta(seconds=121)


def test_every_fire_inside_the_horizon_is_planned_whatever_max_fires_per_commit():
    plan = ahead(timing(), NOW + timedelta(seconds=1), max_fires=10)
    assert len(plan.fires) == 90  # the next sweep may be too late for any of them
    assert plan.next_due_at == NOW + timedelta(seconds=91)


def test_lookahead_at_or_below_the_horizon_plans_as_without_one():
    t = timing("0 * * * * *")
    due = NOW + timedelta(minutes=1)
    without = plan_fires(t, due, NOW, HORIZON)
    assert plan_fires(t, due, NOW, HORIZON, lookahead=HORIZON, max_fires=120) == without
    assert plan_fires(t, due, NOW, HORIZON, lookahead=timedelta(0), max_fires=120) == without


def test_fires_past_the_horizon_start_within_the_lookahead_jitter_included():
    # A message's delay counts from when its batch is sent, after planning: bounding
    # fire_at by planning time + lookahead keeps every delay within the lookahead.
    t = timing("0 * * * * *", jitter_seconds=300)
    plan = ahead(t, NOW + timedelta(minutes=1))
    beyond = [f for f in plan.fires if f.scheduled_at > NOW + HORIZON]
    assert beyond and all(f.fire_at <= NOW + LOOKAHEAD for f in beyond)
    assert all(delay_seconds(f.fire_at, NOW) <= 840 for f in beyond)
    # The first fire left out would start past the lookahead; it becomes the next due.
    left_out = plan.next_due_at
    assert left_out is not None
    assert left_out + jitter_offset(execution_id("T1", left_out), 300) > NOW + LOOKAHEAD


def test_lookahead_keeps_the_end_of_the_window_and_finishes_the_task():
    t = timing("0 * * * * *", end_at=NOW + timedelta(minutes=5))
    plan = ahead(t, NOW + timedelta(minutes=1))
    assert [f.scheduled_at for f in plan.fires] == [NOW + timedelta(minutes=m) for m in range(1, 6)]
    assert plan.next_due_at is None


def test_lookahead_keeps_start_at():
    t = timing("0 * * * * *", start_at=NOW + timedelta(minutes=10))
    plan = ahead(t, first_due_at(t, NOW))
    assert plan.fires[0].scheduled_at == NOW + timedelta(minutes=10)
    assert plan.fires[-1].scheduled_at == NOW + timedelta(minutes=14)


def test_misfire_policy_applies_to_missed_fires_and_the_lookahead_to_the_rest():
    plan = ahead(timing("0 * * * * *", grace_seconds=60), NOW - timedelta(hours=1))
    merged, *rest = plan.fires
    assert merged.coalesced == 59
    assert [f.scheduled_at for f in rest] == [NOW + timedelta(minutes=m) for m in range(-1, 15)]


def test_a_replan_with_a_lookahead_names_the_same_executions():
    t = timing("*/20 * * * * *", jitter_seconds=5)
    first = ahead(t, NOW + timedelta(seconds=20))
    again = ahead(t, NOW + timedelta(seconds=20), now=NOW + timedelta(seconds=3))
    assert again.fires[: len(first.fires)] == first.fires


def test_backfill_times_respect_bounds_and_limit():
    t = timing("0 * * * *")
    times = backfill_times(t, NOW - timedelta(hours=5), NOW, limit=1000)
    assert times == [NOW - timedelta(hours=h) for h in range(5, -1, -1)]
    assert len(backfill_times(t, NOW - timedelta(days=100), NOW, limit=1000)) == 1000


@pytest.mark.parametrize(
    ("ahead", "expected"),
    [(-5, 0), (0, 0), (0.999, 0), (1.0, 1), (30.5, 30), (900, 900), (5000, SQS_MAX_DELAY_SECONDS)],
)
def test_delay_is_floored_and_clamped_to_the_sqs_limit(ahead, expected):
    assert delay_seconds(NOW + timedelta(seconds=ahead), NOW) == expected
