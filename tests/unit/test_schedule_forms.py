"""Each schedule form (docs/schedules.md "Schedules") and the special characters of its fields."""

from datetime import UTC, datetime, timedelta

import pytest

from sundial import describe, preview
from sundial.core.schedule import next_fire_time, parse_schedule

JAN_2026 = datetime(2026, 1, 1)


def days(schedule, count=4, after=JAN_2026, zone="UTC"):
    return [f.strftime("%Y-%m-%d") for f in preview(schedule, zone, after, count)]


def test_six_fields_put_seconds_first():
    fires = preview("15 30 9 * * *", after=JAN_2026, count=2)
    assert [f.isoformat() for f in fires] == [
        "2026-01-01T09:30:15+00:00",
        "2026-01-02T09:30:15+00:00",
    ]


def test_five_fields_fire_on_second_zero():
    assert preview("30 9 * * *", after=JAN_2026, count=1)[0].second == 0


def test_last_day_and_offset_from_last_day():
    assert days("0 0 0 L * ?") == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]
    assert days("0 0 0 L-2 * ?") == ["2026-01-29", "2026-02-26", "2026-03-29", "2026-04-28"]


def test_nearest_weekday_never_leaves_the_month():
    # 2026-08-01 is a Saturday: 1W is Monday the 3rd, not Friday July 31st.
    assert days("0 0 0 1W 8 ?", count=1) == ["2026-08-03"]
    # 2026-05-31 is a Sunday: 31W is Friday the 29th, not Monday June 1st.
    assert days("0 0 0 31W 5 ?", count=1) == ["2026-05-29"]
    # 2026-02-15 is a Sunday: 15W is Monday the 16th.
    assert days("0 0 0 15W 2 ?", count=1) == ["2026-02-16"]


def test_last_weekday_of_month():
    # 2026-01-31 is a Saturday, 2026-05-31 a Sunday.
    assert days("0 0 0 LW * ?", count=5)[0] == "2026-01-30"
    assert days("0 0 0 LW 5 ?", count=1) == ["2026-05-29"]


def test_last_and_nth_weekday():
    assert days("0 0 0 ? * 5L", count=2) == ["2026-01-30", "2026-02-27"]
    assert days("0 0 0 ? * FRI#3", count=2) == ["2026-01-16", "2026-02-20"]
    # A fifth Monday exists only in some months.
    assert days("0 0 * * 1#5", count=3) == ["2026-03-30", "2026-06-29", "2026-08-31"]


def test_vixie_day_rule_ors_restricted_fields_and_ands_starred_ones():
    # Both restricted: the 13th OR any Friday.
    assert days("0 0 13 * 5", count=3) == ["2026-01-02", "2026-01-09", "2026-01-13"]
    # Day-of-month starts with '*': odd days that are also Mondays.
    assert days("0 0 */2 * 1", count=3) == ["2026-01-05", "2026-01-19", "2026-02-09"]


def test_sunday_is_both_zero_and_seven_and_names_work():
    assert days("0 0 * * 0") == days("0 0 * * 7") == days("0 0 * * sun")
    assert days("0 0 * jan-feb mon-fri", count=1) == ["2026-01-02"]  # after is exclusive


def test_eventbridge_cron_counts_weekdays_from_sunday_as_one():
    assert days("cron(0 12 ? * 2 *)", count=1) == ["2026-01-05"]  # 2 = Monday
    assert days("cron(0 12 ? * 6L *)", count=1) == ["2026-01-30"]  # last Friday
    assert days("cron(0 12 ? * MON-FRI *)", count=1) == ["2026-01-01"]


def test_eventbridge_year_field_limits_fires():
    fires = preview("cron(0 0 1 1 ? 2027-2028)", after=JAN_2026, count=5)
    assert [f.year for f in fires] == [2027, 2028]


def test_macros_expand_to_their_cron():
    for macro, cron in [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@midnight", "0 0 * * *"),
    ]:
        assert preview(macro, after=JAN_2026) == preview(cron, after=JAN_2026)


def test_every_accepts_go_durations_in_whole_seconds():
    schedule = parse_schedule("@every 1.5m")
    assert schedule.interval == timedelta(seconds=90)  # type: ignore[attr-defined]
    assert parse_schedule("@every 1h30m10s").interval == timedelta(seconds=5410)  # type: ignore[attr-defined]
    assert parse_schedule("@every 2000ms").interval == timedelta(seconds=2)  # type: ignore[attr-defined]


def test_rate_accepts_seconds_and_counts_from_its_anchor():
    anchor = datetime(2026, 1, 1, tzinfo=UTC)
    schedule = parse_schedule("rate(30 seconds)", anchor=anchor)
    later = datetime(2026, 1, 1, 0, 1, 10, tzinfo=UTC)
    assert schedule.next_after(later) == datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC)
    assert schedule.next_after(anchor - timedelta(days=1)) == anchor + timedelta(seconds=30)


def test_interval_without_anchor_refuses_to_guess():
    with pytest.raises(ValueError, match="anchor"):
        parse_schedule("rate(5 minutes)").next_after(datetime.now(UTC))


def test_at_fires_once():
    fires = preview("at(2026-06-01T09:00:00)", "Europe/Berlin", JAN_2026, count=5)
    assert [f.isoformat() for f in fires] == ["2026-06-01T09:00:00+02:00"]


def test_window_includes_its_bounds_and_nothing_outside():
    schedule = parse_schedule("0 * * * *")
    start = datetime(2026, 1, 1, 5, tzinfo=UTC)
    end = datetime(2026, 1, 1, 7, tzinfo=UTC)
    assert next_fire_time(schedule, datetime(2026, 1, 1, tzinfo=UTC), start, end) == start
    assert next_fire_time(schedule, datetime(2026, 1, 1, 6, 30, tzinfo=UTC), start, end) == end
    assert next_fire_time(schedule, end, start, end) is None


def test_after_is_exclusive_even_with_fractions_of_a_second():
    after = datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)
    assert preview("* * * * * *", after=after, count=1)[0] == datetime(
        2026, 1, 1, 0, 0, 1, tzinfo=UTC
    )
    on_the_second = datetime(2026, 1, 1, tzinfo=UTC)
    assert preview("* * * * * *", after=on_the_second, count=1)[0] == on_the_second + timedelta(
        seconds=1
    )


def test_describe_speaks_every_form():
    assert describe("0 30 2 * * *") == "At 02:30"
    assert describe("*/15 * * * *") == "Every 15 minutes"
    assert describe("cron(0 12 ? * 2#1 *)") == "At 12:00, on the first Monday of the month"
    assert describe("rate(5 minutes)") == "Every 5 minutes"
    assert describe("rate(1 day)") == "Every day"
    assert describe("@every 1h30m10s") == "Every 1 hour, 30 minutes and 10 seconds"
    assert describe("at(2026-01-01T09:00:00)", "Europe/Berlin") == (
        "Once, at 2026-01-01 09:00:00 (Europe/Berlin)"
    )
