"""Fuzzing the schedule language: whatever a user types, the parser and
the preview answer with fire times or a ScheduleError naming the field, never another
exception (a 500 at the API, a crashed CLI). Arbitrary text, and near-valid expressions
built from the grammar's own pieces, where the bugs hide."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sundial import ScheduleError, describe, preview
from sundial.core.schedule import parse_schedule

EXAMPLES = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

ZONES = st.sampled_from(
    [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",  # 30-minute DST shifts
        "Pacific/Chatham",
        "Asia/Kolkata",
        "America/Sao_Paulo",
        "Etc/GMT+12",
        "",
        "Mars/Olympus",
        "utc",
        "../../etc/passwd",
        "Europe/Berlin\x00",
    ]
)
NUMBERS = st.one_of(
    st.integers(0, 61),
    st.integers(-5, 10_000),
    st.sampled_from(["00", "007", "1e3", "0x10", "٣", "²", "-0", "+1", "9" * 40]),
)
NAMES = st.sampled_from(
    ["JAN", "dec", "MON", "sun", "SAT", "FOO", "L", "W", "LW", "?", "*", "5L", "15W", "MON#2"]
)


@st.composite
def atoms(draw: st.DrawFn) -> str:
    base = draw(st.one_of(NUMBERS.map(str), NAMES))
    shape = draw(st.integers(0, 6))
    if shape == 1:
        return f"{base}-{draw(st.one_of(NUMBERS.map(str), NAMES))}"
    if shape == 2:
        return f"{base}/{draw(NUMBERS)}"
    if shape == 3:
        return f"{base}-{draw(NUMBERS)}/{draw(NUMBERS)}"
    if shape == 4:
        return f"{base}#{draw(NUMBERS)}"
    if shape == 5:
        return f"*/{draw(NUMBERS)}"
    return base


FIELD = st.lists(atoms(), min_size=1, max_size=4).map(",".join)
SEPARATOR = st.sampled_from([" ", "  ", "\t", " \u00a0"])


@st.composite
def near_valid_cron(draw: st.DrawFn) -> str:
    fields = draw(st.lists(FIELD, min_size=4, max_size=8))
    text = draw(SEPARATOR).join(fields)
    return draw(
        st.sampled_from(
            [text, f"cron({text})", f"CRON({text})", f"cron( {text} )", f"{text}\n", f"cron({text}"]
        )
    )


DURATION = st.lists(
    st.tuples(NUMBERS, st.sampled_from(["h", "m", "s", "ms", "d", "us", "", "H"])),
    min_size=1,
    max_size=4,
).map(lambda parts: "".join(f"{n}{unit}" for n, unit in parts))
UNITS = st.sampled_from(
    ["second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "weeks", ""]
)
OTHER_FORMS = st.one_of(
    st.builds(lambda n, u: f"rate({n} {u})", NUMBERS, UNITS),
    st.builds(lambda d: f"@every {d}", DURATION),
    st.sampled_from(
        [
            "@yearly",
            "@annually",
            "@monthly",
            "@weekly",
            "@daily",
            "@midnight",
            "@hourly",
            "@reboot",
            "@every",
            "@",
            "rate()",
            "at()",
            "cron()",
        ]
    ),
    st.builds(
        lambda y, mo, d, h, mi, s: f"at({y}-{mo}-{d}T{h}:{mi}:{s})",
        NUMBERS,
        NUMBERS,
        NUMBERS,
        NUMBERS,
        NUMBERS,
        NUMBERS,
    ),
    st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31)).map(
        lambda t: f"at({t.isoformat(timespec='seconds')})"
    ),
)
AFTER = st.one_of(
    st.none(),
    st.datetimes(datetime(1970, 1, 2), datetime(9999, 12, 31)),
    st.datetimes(datetime(1970, 1, 2), datetime(9999, 12, 31), timezones=st.just(UTC)),
)


def parses_or_refuses(expression: str, zone: str) -> None:
    try:
        parse_schedule(expression, zone)
    except ScheduleError as error:
        assert error.message and error.field in ("schedule", "timezone")


def previews_or_refuses(expression: str, zone: str, after: datetime | None, count: int) -> None:
    try:
        fires = preview(expression, zone, after=after, count=count)
    except ScheduleError as error:
        assert error.message
        return
    assert 1 <= len(fires) <= count
    assert fires == sorted(fires) and len(set(fires)) == len(fires)
    with contextlib.suppress(ScheduleError):
        assert describe(expression)


@EXAMPLES
@given(st.text(max_size=80), ZONES)
@example("0 0 30 2 *", "UTC")  # a date that never comes
@example("0 0 31 2,4,6,9,11 * *", "UTC")
@example("L W * * *", "UTC")
@example("cron(0 0 ? * 8 *)", "UTC")
@example("@every 0s", "UTC")
def test_arbitrary_text_parses_or_raises_schedule_error(expression: str, zone: str) -> None:
    parses_or_refuses(expression, zone)


@EXAMPLES
@given(near_valid_cron(), ZONES)
def test_near_valid_cron_parses_or_raises_schedule_error(expression: str, zone: str) -> None:
    parses_or_refuses(expression, zone)


@EXAMPLES
@given(OTHER_FORMS, ZONES)
def test_rate_at_and_macros_parse_or_raise_schedule_error(expression: str, zone: str) -> None:
    parses_or_refuses(expression, zone)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(near_valid_cron(), OTHER_FORMS), ZONES, AFTER, st.integers(1, 12))
@example("30 2 * * *", "Europe/Berlin", datetime(2026, 3, 29, 1, 59), 3)  # DST gap
@example("* * * * * *", "Australia/Lord_Howe", datetime(2026, 4, 5, 1, 29, 59), 5)
def test_preview_returns_ordered_fires_or_raises_schedule_error(
    expression: str, zone: str, after: datetime | None, count: int
) -> None:
    previews_or_refuses(expression, zone, after, count)


@pytest.mark.parametrize(
    "expression",
    ["@every 9999999999999999999999999999999999999999h", "rate(99999999999999999999999 minutes)"],
)
def test_an_interval_too_long_for_datetime_is_a_schedule_error(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(expression, "UTC")


@pytest.mark.parametrize(
    ("expression", "after"),
    [
        ("* * * * * *", datetime(9999, 12, 31, 23, 59, 59)),
        ("@every 1h", datetime(9999, 12, 31, 23, 0)),
        ("rate(1 second)", datetime(9999, 12, 31, 23, 59, 59)),
    ],
)
def test_preview_past_the_last_representable_time_is_a_schedule_error(
    expression: str, after: datetime
) -> None:
    with pytest.raises(ScheduleError):
        preview(expression, "UTC", after=after, count=3)
