"""Validation and planning agree: every definition `TaskSpec` accepts can be planned,
previewed and stored (epoch ms and back) by the same code the dispatcher runs, at any
instant in the planning range, in any zone; and whatever it refuses is a 4xx-class
SundialError naming a field, never another exception.

Dates are drawn at the edges of the range (years 1 and 9999) in every offset, schedules
from every form (with `at()` at the edges too), zones from a sample with the extreme
offsets (+14, -12) and odd ones (+5:45, half-hour DST).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from edge_times import ZONES, instants, schedules, timestamps
from hypothesis import given, settings
from hypothesis import strategies as st

from sundial.core.clock import EARLIEST_INSTANT, LATEST_INSTANT, from_ms, to_ms
from sundial.core.errors import SundialError
from sundial.core.planning import Timing, backfill_times, first_due_at, plan_fires
from sundial.core.preview import preview
from sundial.core.schedule import next_fire_time
from sundial.core.task import TaskSpec, validate


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schedule": draw(schedules),
        "timezone": draw(st.sampled_from(ZONES)),
        "target": {"type": "http", "url": "https://example.com/hook"},
        "jitter_seconds": draw(st.sampled_from([0, 1, 3600])),
        "misfire": {"grace_seconds": draw(st.sampled_from([0, 60, 86_400]))},
    }
    for field in ("start_at", "end_at"):
        if draw(st.booleans()):
            body[field] = draw(timestamps())
    return body


def _timing_as_stored(spec: TaskSpec, created_at: datetime) -> Timing:
    """The timing the dispatcher reads back: times through epoch ms, as the store keeps them."""

    def stored(value: datetime | None) -> datetime | None:
        return from_ms(to_ms(value)) if value is not None else None

    return Timing(
        task_id="01JD7X3V9Q2W8N4M6K5T1R0P9S",
        schedule=spec.schedule,
        timezone=spec.timezone,
        created_at=stored(created_at) or created_at,
        start_at=stored(spec.start_at),
        end_at=stored(spec.end_at),
        jitter_seconds=spec.jitter_seconds,
        misfire_policy=spec.misfire.policy,
        grace_seconds=spec.misfire.grace_seconds,
    )


@settings(max_examples=300)
@given(body=definitions(), now=instants)
def test_every_definition_validation_accepts_can_be_planned_at_any_instant(
    body: dict[str, Any], now: datetime
) -> None:
    try:
        spec = validate(TaskSpec, body)
    except SundialError as refused:
        assert refused.status == 400 or refused.status == 413
        assert refused.field in ("schedule", "timezone", "start_at", "end_at"), refused
        return
    timing = _timing_as_stored(spec, now)
    due = first_due_at(timing, now)
    if due is not None:
        assert EARLIEST_INSTANT <= due <= LATEST_INSTANT
        assert from_ms(to_ms(due)) == due.replace(microsecond=due.microsecond // 1000 * 1000)
        plan = plan_fires(timing, due, now, timedelta(minutes=2), max_fires=5)
        for fire in plan.fires:
            assert fire.scheduled_at <= LATEST_INSTANT
            to_ms(fire.fire_at)
        after = next_fire_time(timing.parsed(), due, timing.start_at, timing.end_at)
        assert after is None or after > due
    backfill_times(
        timing,
        now - timedelta(hours=1) if now > EARLIEST_INSTANT + timedelta(hours=1) else now,
        now,
        limit=5,
    )


@settings(max_examples=200)
@given(schedule=schedules, zone=st.sampled_from(ZONES), after=instants)
def test_preview_anywhere_in_the_range_answers_or_refuses_the_schedule(
    schedule: str, zone: str, after: datetime
) -> None:
    try:
        fires = preview(schedule, zone, after=after, count=3)
    except SundialError as refused:
        assert (refused.status, refused.field) == (400, "schedule"), refused
        return
    assert all(after < fire <= LATEST_INSTANT for fire in fires)
