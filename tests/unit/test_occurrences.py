"""latest_occurrences: the newest occurrences before an instant, consecutive, found by
stepping forward through widening windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sundial.core.occurrences import latest_occurrences
from sundial.core.planning import Timing

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def timing(schedule: str) -> Timing:
    return Timing(task_id="t", schedule=schedule, timezone="UTC", created_at=CREATED)


def test_a_dense_schedule_gives_the_newest_ones_without_gaps():
    until = CREATED + timedelta(days=3, seconds=7)
    recent = latest_occurrences(timing("*/5 * * * * *"), CREATED, until, 4)
    newest = CREATED + timedelta(days=3, seconds=5)
    assert recent.times == [newest - timedelta(seconds=5 * k) for k in (3, 2, 1, 0)]
    assert not recent.complete


def test_a_sparse_schedule_is_found_through_wider_windows():
    until = datetime(2026, 3, 20, 12, tzinfo=UTC)
    recent = latest_occurrences(timing("0 0 9 * * MON"), CREATED, until, 2)
    assert recent.times == [
        datetime(2026, 3, 9, 9, tzinfo=UTC),
        datetime(2026, 3, 16, 9, tzinfo=UTC),
    ]


def test_reaching_the_start_says_nothing_before_was_left_out():
    until = CREATED + timedelta(minutes=2, seconds=30)
    recent = latest_occurrences(timing("0 * * * * *"), CREATED, until, 4)
    assert recent.times == [CREATED + timedelta(minutes=1), CREATED + timedelta(minutes=2)]
    assert recent.complete


def test_an_instant_exactly_on_an_occurrence_includes_it():
    until = CREATED + timedelta(hours=5)
    recent = latest_occurrences(timing("0 0 * * * *"), CREATED, until, 1)
    assert recent.times == [until]


def test_a_schedule_with_no_occurrence_before_the_instant_gives_none():
    recent = latest_occurrences(timing("0 0 0 1 1 *"), CREATED, CREATED + timedelta(days=30), 3)
    assert (recent.times, recent.complete) == ([], True)


def test_more_occurrences_than_asked_since_the_start_is_not_complete():
    until = CREATED + timedelta(minutes=10, seconds=30)
    recent = latest_occurrences(timing("0 * * * * *"), CREATED, until, 4)
    assert len(recent.times) == 4 and not recent.complete
