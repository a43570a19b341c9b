"""Excluded days: parsing a task's `exclude` and a calendar's dates, and planning that
skips occurrences on excluded days (local dates in the task's zone)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sundial.core import planning
from sundial.core.errors import ScheduleError, SundialError
from sundial.core.exclusions import (
    MAX_CALENDARS_PER_TASK,
    MAX_EXCLUDE_ENTRIES,
    DayRange,
    ExcludedDays,
    ExclusionSyntaxError,
    calendar_names,
    check_calendar_dates,
    check_exclude,
    parse_days,
)
from sundial.core.planning import (
    Timing,
    backfill_times,
    first_due_at,
    next_occurrence,
    plan_fires,
)
from sundial.core.preview import preview
from sundial.core.task import TaskSpec
from sundial.core.task.parsing import validate
from sundial.core.task.update import TaskUpdate, apply_update

CREATED = datetime(2026, 1, 1, tzinfo=UTC)
TARGET = {"type": "http", "url": "https://example.com/hook"}


def timing(schedule: str, timezone: str = "UTC", exclude=(), calendars=None, **kw) -> Timing:
    return Timing(
        task_id="T1",
        schedule=schedule,
        timezone=timezone,
        created_at=CREATED,
        excluded=ExcludedDays.of(list(exclude), calendars or {}),
        **kw,
    )


def upcoming(t: Timing, after: datetime, count: int) -> list[datetime]:
    schedule, times, cursor = t.parsed(), [], after
    while len(times) < count:
        cursor = next_occurrence(t, schedule, cursor)
        if cursor is None:
            break
        times.append(cursor)
    return times


# --------------------------------------------------------------------------- parsing


def test_a_date_a_range_and_a_calendar_reference_are_accepted():
    check_exclude(["2026-12-25", "2026-12-24..2026-12-31", "calendar:holidays"])
    assert parse_days("2026-12-24..2026-12-31") == DayRange(date(2026, 12, 24), date(2026, 12, 31))
    assert parse_days("2026-12-25") == DayRange(date(2026, 12, 25), date(2026, 12, 25))
    assert calendar_names(["calendar:b", "2026-01-01", "calendar:a", "calendar:b"]) == ["a", "b"]


@pytest.mark.parametrize(
    "entry",
    [
        "2026-13-01",  # no such month
        "2026-02-30",  # no such day
        "2026-1-1",  # not YYYY-MM-DD
        "tomorrow",
        "",
        "2026-12-31..2026-12-24",  # reversed range
        "2026-12-24..",
        "2026-12-24...2026-12-31",
        "calendar:",  # no name
        "calendar:-holidays",  # a name starts with a letter or digit
        "calendar:with space",
    ],
)
def test_a_malformed_entry_is_refused_saying_which(entry):
    with pytest.raises(ExclusionSyntaxError, match=r"is not a|ends before it starts|does not name"):
        check_exclude([entry])


def test_a_calendar_cannot_name_another_calendar():
    with pytest.raises(ExclusionSyntaxError):
        check_calendar_dates(["calendar:holidays"])


def test_a_task_names_at_most_so_many_calendars():
    names = [f"calendar:c{n}" for n in range(MAX_CALENDARS_PER_TASK)]
    check_exclude(names)
    with pytest.raises(ExclusionSyntaxError, match="more than"):
        check_exclude([*names, "calendar:one-more"])


def spec_error(**fields) -> SundialError:
    with pytest.raises(SundialError) as caught:
        validate(TaskSpec, {"schedule": "@daily", "target": TARGET, **fields})
    return caught.value


@pytest.mark.parametrize(
    "exclude",
    [["2026-02-30"], ["2026-12-31..2026-12-24"], ["calendar:"], "2026-12-25", [25]],
)
def test_a_task_with_a_malformed_exclude_is_a_validation_error_naming_exclude(exclude):
    error = spec_error(exclude=exclude)
    assert (error.code, error.status) == ("validation_error", 400)
    assert error.field is not None and error.field.split(".")[0] == "exclude"


def test_exclude_holds_at_most_a_thousand_entries():
    validate(TaskSpec, {"schedule": "@daily", "target": TARGET, "exclude": ["2026-12-25"] * 1000})
    error = spec_error(exclude=["2026-12-25"] * (MAX_EXCLUDE_ENTRIES + 1))
    assert error.field == "exclude"


def test_exclude_defaults_to_none_and_a_patch_replaces_it_whole():
    spec = validate(TaskSpec, {"schedule": "@daily", "target": TARGET})
    assert spec.exclude == []
    spec = apply_update(spec, TaskUpdate(exclude=["2026-12-25", "calendar:x"]))
    assert spec.exclude == ["2026-12-25", "calendar:x"]
    assert apply_update(spec, TaskUpdate(exclude=[])).exclude == []
    assert apply_update(spec, TaskUpdate(description="d")).exclude == spec.exclude


# --------------------------------------------------------------------------- the set of days


def test_overlapping_and_adjacent_ranges_merge_and_membership_is_exact():
    days = ExcludedDays.of(
        ["2026-12-24..2026-12-26", "2026-12-27", "2026-12-25..2026-12-25", "calendar:h"],
        {"h": ["2027-01-01", "2026-12-31"]},
    )
    assert days.ranges == (
        DayRange(date(2026, 12, 24), date(2026, 12, 27)),
        DayRange(date(2026, 12, 31), date(2027, 1, 1)),
    )
    assert days.range_of(date(2026, 12, 23)) is None
    assert days.range_of(date(2026, 12, 27)) == days.ranges[0]
    assert days.range_of(date(2026, 12, 28)) is None
    assert days.range_of(date(2027, 1, 1)) == days.ranges[1]


def test_a_calendar_missing_from_the_dates_given_excludes_nothing():
    assert not ExcludedDays.of(["calendar:gone"], {})


# --------------------------------------------------------------------------- planning


def test_occurrences_on_an_excluded_date_are_skipped():
    t = timing("0 0 9 * * *", exclude=["2026-12-25"])
    after = datetime(2026, 12, 23, 12, tzinfo=UTC)
    assert upcoming(t, after, 3) == [
        datetime(2026, 12, 24, 9, tzinfo=UTC),
        datetime(2026, 12, 26, 9, tzinfo=UTC),
        datetime(2026, 12, 27, 9, tzinfo=UTC),
    ]


def test_a_range_is_inclusive_at_both_ends():
    t = timing("0 0 9 * * *", exclude=["2026-12-24..2026-12-31"])
    after = datetime(2026, 12, 22, 12, tzinfo=UTC)
    assert upcoming(t, after, 2) == [
        datetime(2026, 12, 23, 9, tzinfo=UTC),
        datetime(2027, 1, 1, 9, tzinfo=UTC),
    ]


def test_the_excluded_day_is_the_local_date_in_the_tasks_zone_not_utc():
    # 00:30 in Berlin on Christmas Day is 23:30 UTC on the 24th.
    t = timing("0 30 0 * * *", "Europe/Berlin", exclude=["2026-12-25"])
    after = datetime(2026, 12, 23, 12, tzinfo=UTC)
    assert upcoming(t, after, 2) == [
        datetime(2026, 12, 23, 23, 30, tzinfo=UTC),  # 24 Dec, 00:30 Berlin
        # 26 Dec, 00:30 Berlin: 25 Dec in UTC, which is not what counts.
        datetime(2026, 12, 25, 23, 30, tzinfo=UTC),
    ]


def test_excluding_the_day_of_a_spring_forward_gap_skips_exactly_that_day():
    # Europe/Berlin springs forward on 2026-03-29 (02:00 -> 03:00): the 02:30 fire that
    # day lands after the gap (03:00 local, 01:00 UTC), still on the 29th.
    t = timing("0 30 2 * * *", "Europe/Berlin", exclude=["2026-03-29"])
    after = datetime(2026, 3, 27, 12, tzinfo=UTC)
    assert upcoming(t, after, 2) == [
        datetime(2026, 3, 28, 1, 30, tzinfo=UTC),  # 02:30 CET
        datetime(2026, 3, 30, 0, 30, tzinfo=UTC),  # 02:30 CEST
    ]


def test_excluding_the_day_after_a_fall_back_keeps_both_fires_of_the_repeated_hour_day():
    # America/New_York falls back on 2026-11-01: an hourly schedule fires twice at 01:xx.
    t = timing("0 0 * * * *", "America/New_York", exclude=["2026-11-02"])
    after = datetime(2026, 11, 1, 4, 30, tzinfo=UTC)  # 00:30 EDT, 1 Nov
    fires = upcoming(t, after, 25)
    local_days = {f.astimezone(ZoneInfo(t.timezone)).date() for f in fires}
    assert local_days == {date(2026, 11, 1), date(2026, 11, 3)}
    # 24 fires left on 1 Nov after 00:30 (25 hours that day), then straight to 3 Nov.
    assert fires[24] == datetime(2026, 11, 3, 5, tzinfo=UTC)  # 00:00 EST, 3 Nov


def test_a_long_range_is_jumped_in_one_step_not_walked(monkeypatch):
    t = timing("rate(1 second)", exclude=["2026-01-02..2028-12-31"])
    schedule = t.parsed()
    calls = []
    original = planning.next_fire_time

    def counting(*args, **kwargs):
        calls.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(planning, "next_fire_time", counting)
    fire = next_occurrence(t, schedule, datetime(2026, 1, 1, 23, 59, 59, tzinfo=UTC))
    assert fire == datetime(2029, 1, 1, tzinfo=UTC)
    assert len(calls) == 2


def test_a_range_to_the_end_of_time_leaves_no_occurrence():
    t = timing("0 0 9 * * *", exclude=["2026-06-01..9999-12-31"])
    assert first_due_at(t, datetime(2026, 6, 1, tzinfo=UTC)) is None
    assert first_due_at(t, datetime(2026, 5, 31, tzinfo=UTC)) == datetime(
        2026, 5, 31, 9, tzinfo=UTC
    )


def test_a_one_time_task_on_an_excluded_day_never_fires():
    t = timing("at(2026-12-25T09:00:00)", exclude=["2026-12-25"])
    assert first_due_at(t, datetime(2026, 12, 1, tzinfo=UTC)) is None


def test_plan_fires_skips_excluded_occurrences_in_the_horizon_and_the_lookahead():
    t = timing("0 0 * * * *", exclude=["2026-06-02"])
    now = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)
    plan = plan_fires(
        t,
        datetime(2026, 6, 1, 23, tzinfo=UTC),
        now,
        timedelta(hours=2),
        lookahead=timedelta(days=2),
        max_fires=3,
    )
    assert [f.scheduled_at for f in plan.fires] == [
        datetime(2026, 6, 1, 23, tzinfo=UTC),
        datetime(2026, 6, 3, 0, tzinfo=UTC),
        datetime(2026, 6, 3, 1, tzinfo=UTC),
    ]
    assert plan.next_due_at == datetime(2026, 6, 3, 2, tzinfo=UTC)


def test_a_due_time_excluded_since_it_was_planned_is_not_fired():
    # The calendar changed after the task was committed due at 09:00 on the 25th.
    t = timing("0 0 9 * * *", exclude=["calendar:h"], calendars={"h": ["2026-12-25"]})
    due = datetime(2026, 12, 25, 9, tzinfo=UTC)
    plan = plan_fires(t, due, due, timedelta(seconds=90))
    assert plan.fires == []
    assert plan.next_due_at == datetime(2026, 12, 26, 9, tzinfo=UTC)


def test_missed_fires_on_excluded_days_are_not_replayed():
    t = timing("0 0 9 * * *", exclude=["2026-06-02"], misfire_policy="fire_all")
    now = datetime(2026, 6, 4, 12, tzinfo=UTC)
    plan = plan_fires(t, datetime(2026, 6, 1, 9, tzinfo=UTC), now, timedelta(seconds=90))
    assert [f.scheduled_at.day for f in plan.fires] == [1, 3, 4]


def test_a_backfill_skips_excluded_days():
    t = timing("0 0 9 * * *", exclude=["2026-06-02..2026-06-03"])
    times = backfill_times(
        t, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 5, tzinfo=UTC), limit=10
    )
    assert [at.day for at in times] == [1, 4]


def test_without_exclusions_planning_is_unchanged():
    plain, empty = timing("0 */7 * * * *"), timing("0 */7 * * * *", exclude=[])
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert plan_fires(plain, now, now, timedelta(hours=3)) == plan_fires(
        empty, now, now, timedelta(hours=3)
    )


# --------------------------------------------------------------------------- preview


def test_preview_skips_excluded_days():
    after = datetime(2026, 12, 23, 12, tzinfo=UTC)
    times = preview(
        "0 0 9 * * *",
        "UTC",
        after=after,
        count=2,
        excluded=ExcludedDays.of(["2026-12-24..2026-12-26"], {}),
    )
    assert times == [datetime(2026, 12, 27, 9, tzinfo=UTC), datetime(2026, 12, 28, 9, tzinfo=UTC)]


def test_preview_of_a_schedule_whose_every_occurrence_is_excluded_is_refused_naming_exclude():
    after = datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(ScheduleError) as caught:
        preview(
            "at(2026-12-25T09:00:00)",
            after=after,
            excluded=ExcludedDays.of(["2026-12-25"], {}),
        )
    assert (caught.value.code, caught.value.field) == ("invalid_schedule", "exclude")
