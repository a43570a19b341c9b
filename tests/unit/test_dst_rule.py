"""The daylight-saving rule of schedules, on real transitions of several zones."""

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sundial import preview

BERLIN = "Europe/Berlin"  # 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00
NEW_YORK = "America/New_York"  # 2026-03-08 02:00 -> 03:00, 2026-11-01 02:00 -> 01:00
LORD_HOWE = "Australia/Lord_Howe"  # half-hour DST: 2026-10-04 02:00 -> 02:30


def iso(times):
    return [t.isoformat() for t in times]


@pytest.mark.parametrize(
    ("schedule", "zone", "after", "days"),
    [
        ("0 30 2 * * *", BERLIN, datetime(2026, 3, 27, 12), 5),
        ("0 30 2 * * *", BERLIN, datetime(2026, 10, 23, 12), 5),
        ("30 2 * * *", NEW_YORK, datetime(2026, 3, 6, 12), 5),
        ("30 1 * * *", NEW_YORK, datetime(2026, 10, 30, 12), 5),
        ("15 2 * * *", LORD_HOWE, datetime(2026, 10, 2, 12), 5),
        ("45 1 * * *", LORD_HOWE, datetime(2026, 4, 3, 12), 5),
    ],
)
def test_daily_job_fires_once_per_day_across_transitions(schedule, zone, after, days):
    fires = preview(schedule, zone, after, count=days)
    dates = [f.date() for f in fires]
    assert dates == [after.date() + timedelta(days=n) for n in range(1, days + 1)]


def test_fixed_time_in_spring_gap_fires_at_first_instant_after_the_gap():
    fires = preview("0 30 2 * * *", BERLIN, datetime(2026, 3, 28, 12), count=2)
    assert iso(fires) == ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]


def test_fixed_time_in_half_hour_gap_fires_at_the_transition():
    fires = preview("15 2 * * *", LORD_HOWE, datetime(2026, 10, 3, 12), count=1)
    assert iso(fires) == ["2026-10-04T02:30:00+11:00"]


def test_several_gap_times_collapse_into_one_fire_at_the_transition():
    fires = preview("0 0,20,40 2 * * *", BERLIN, datetime(2026, 3, 29, 0), count=4)
    assert iso(fires) == [
        "2026-03-29T03:00:00+02:00",
        "2026-03-30T02:00:00+02:00",
        "2026-03-30T02:20:00+02:00",
        "2026-03-30T02:40:00+02:00",
    ]


def test_fixed_time_in_repeated_hour_fires_at_first_occurrence_only():
    fires = preview("30 2 * * *", BERLIN, datetime(2026, 10, 24, 12), count=2)
    assert iso(fires) == ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]


def test_fixed_time_after_the_first_pass_is_not_repeated_on_the_second():
    # Asking from inside the second pass of the repeated hour must not fire 02:45 again.
    second_pass = datetime(2026, 10, 25, 2, 10, tzinfo=ZoneInfo(BERLIN)).replace(fold=1)
    fires = preview("45 2 * * *", BERLIN, second_pass, count=1)
    assert iso(fires) == ["2026-10-26T02:45:00+01:00"]


def test_hourly_job_fires_every_real_hour_through_fall_back():
    fires = preview("0 * * * *", BERLIN, datetime(2026, 10, 25, 0, 30), count=5)
    utc = [f.astimezone(UTC) for f in fires]
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(utc))
    assert iso(fires) == [
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T04:00:00+01:00",
    ]


def test_hourly_job_fires_every_real_hour_through_spring_forward():
    fires = preview("0 * * * *", NEW_YORK, datetime(2026, 3, 8, 0, 30), count=3)
    assert iso(fires) == [
        "2026-03-08T01:00:00-05:00",
        "2026-03-08T03:00:00-04:00",
        "2026-03-08T04:00:00-04:00",
    ]


def test_every_fifteen_minutes_keeps_its_rhythm_through_the_repeated_hour():
    fires = preview("*/15 * * * *", NEW_YORK, datetime(2026, 11, 1, 0, 50), count=10)
    utc = [f.astimezone(UTC) for f in fires]
    assert all(b - a == timedelta(minutes=15) for a, b in itertools.pairwise(utc))


def test_rare_non_fixed_schedule_fires_on_both_passes_of_repeated_hour():
    # Matches only inside the repeated hour of one day; both passes are real instants.
    fires = preview("*/30 2 25 10 *", BERLIN, datetime(2026, 10, 25, 1), count=5)
    assert iso(fires) == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00",
        "2027-10-25T02:00:00+02:00",  # still summer time in 2027
    ]


def test_every_second_job_skips_the_gap_and_repeats_through_the_overlap():
    gap = preview("* * * * * *", BERLIN, datetime(2026, 3, 29, 1, 59, 58), count=3)
    assert iso(gap) == [
        "2026-03-29T01:59:59+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T03:00:01+02:00",
    ]
    before_overlap = datetime(2026, 10, 25, 0, 59, 58, tzinfo=UTC)
    overlap = preview("* * * * * *", BERLIN, before_overlap, count=3)
    assert iso(overlap) == [
        "2026-10-25T02:59:59+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:00:01+01:00",
    ]


def test_at_in_gap_and_overlap_follows_the_fixed_time_rule():
    assert iso(preview("at(2026-03-29T02:30:00)", BERLIN, datetime(2026, 1, 1))) == [
        "2026-03-29T03:00:00+02:00"
    ]
    assert iso(preview("at(2026-10-25T02:30:00)", BERLIN, datetime(2026, 1, 1))) == [
        "2026-10-25T02:30:00+02:00"
    ]


def test_rate_ignores_wall_clock_changes():
    start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    fires = preview("rate(30 minutes)", BERLIN, start, count=6)
    utc = [f.astimezone(UTC) for f in fires]
    assert utc == [start + timedelta(minutes=30 * k) for k in range(1, 7)]
