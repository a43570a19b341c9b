"""Malformed schedules: `preview` raises ScheduleError with the API code, the request field
and a message that names the bad cron field (or part of the expression) and the bad token.

The promise: one parser accepts every form, with precise error messages naming the bad
field. The
assertions are deliberately loose about wording: a field is named when one of its usual
spellings appears (case-insensitive) in the message *outside* an echo of the expression
itself, so that echoing `rate(1 minutes)` back does not count as naming the unit.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from sundial import ScheduleError, preview

AFTER = datetime(2026, 1, 1, 12, 0, 0)

SECOND = ("second",)
MINUTE = ("minute",)
HOUR = ("hour",)
DAY_OF_MONTH = ("day-of-month", "day of month", "day-of-the-month", "dom")
MONTH = ("month",)
DAY_OF_WEEK = ("day-of-week", "day of week", "weekday", "dow")
YEAR = ("year",)
DAY = DAY_OF_MONTH + DAY_OF_WEEK + MONTH


# (schedule, words: one must appear outside the echoed expression, tokens: all must appear)
MALFORMED = [
    # 5-field cron: each field out of range or misspelled
    ("61 * * * *", MINUTE, ["61"]),
    ("* 24 * * *", HOUR, ["24"]),
    ("* * 32 * *", DAY_OF_MONTH, ["32"]),
    ("* * 0 * *", DAY_OF_MONTH, ["0"]),
    ("* * * 13 *", MONTH, ["13"]),
    ("0 0 * 0 *", MONTH, ["0"]),
    ("* * * * 8", DAY_OF_WEEK, ["8"]),
    ("* * * JANUARY *", MONTH, ["JANUARY"]),
    ("* * * * FUNDAY", DAY_OF_WEEK, ["FUNDAY"]),
    # syntax inside a field
    ("*/0 * * * *", MINUTE, ["*/0"]),
    ("1-5/0 * * * *", MINUTE, ["1-5/0"]),
    ("5-2 * * * *", MINUTE, ["5-2"]),
    ("0 20-8 * * *", HOUR, ["20-8"]),
    ("L * * * *", MINUTE, ["L"]),
    ("0 L * * *", HOUR, ["L"]),
    ("0 0 * L *", MONTH, ["L"]),
    ("1,,2 * * * *", MINUTE, ["1,,2"]),
    # 6-field cron, seconds first, with the Quartz extensions
    ("60 * * * * *", SECOND, ["60"]),
    ("*/0 * * * * *", SECOND, ["*/0"]),
    ("0 0 0 * * 5#6", DAY_OF_WEEK, ["5#6"]),
    ("0 0 0 * * 5#0", DAY_OF_WEEK, ["5#0"]),
    ("0 0 0 ? * 8L", DAY_OF_WEEK, ["8"]),
    ("0 0 0 1-15W * ?", DAY_OF_MONTH, ["1-15W"]),
    ("0 0 0 32W * ?", DAY_OF_MONTH, ["32"]),
    ("0 0 0 L-3W * ?", DAY_OF_MONTH, ["L-3W"]),
    ("0 0 0 * * 60", DAY_OF_WEEK, ["60"]),
    # field count
    ("* * * *", ("field",), ["4"]),
    ("* * * * * * *", ("field",), ["7"]),
    # AWS EventBridge cron()
    ("cron(0 12 * * * *)", ("?",), []),
    ("cron(0 12 * * ? *", ("parenthes", ")"), []),
    ("cron(0 12 * * ?)", ("field", "year"), ["5"]),
    ("cron(0 12 ? * 8 *)", DAY_OF_WEEK, ["8"]),
    ("cron(0 12 ? * 0 *)", DAY_OF_WEEK, ["0"]),
    ("cron(0 12 * * ? 1969)", YEAR, ["1969"]),
    ("cron(61 12 * * ? *)", MINUTE, ["61"]),
    ("cron(0 12 ? * 2#6 *)", DAY_OF_WEEK, ["2#6"]),
    # rate()
    ("rate(0 minutes)", ("at least 1", "positive", "greater than", ">= 1", "zero"), ["0"]),
    ("rate(1 minutes)", ("minute",), []),
    ("rate(5 minute)", ("minutes",), []),
    ("rate(1 hours)", ("hour",), []),
    ("rate(5 fortnights)", ("unit", "second", "minute", "hour", "day"), ["fortnights"]),
    ("rate(-5 minutes)", ("rate", "number", "value"), []),
    ("rate(five minutes)", ("rate", "number", "value"), []),
    # at()
    ("at(2026-13-01T00:00:00)", MONTH, ["2026-13-01T00:00:00"]),
    ("at(2026-02-30T00:00:00)", (*DAY_OF_MONTH, "day"), ["2026-02-30T00:00:00"]),
    ("at(2026-01-01T25:00:00)", HOUR, ["2026-01-01T25:00:00"]),
    ("at(2026-01-01 09:00:00)", ("yyyy", "format", "at("), []),
    ("at(2026-01-01T09:00:00+01:00)", ("offset", "zone", "yyyy"), []),
    # macros and @every
    ("@fortnightly", ("macro", "@yearly", "@daily", "unknown"), ["@fortnightly"]),
    ("@daily 5", ("@daily", "nothing", "argument"), []),
    ("@every 1500ms", SECOND, ["1500ms"]),
    ("@every 0s", (*SECOND, "at least", "positive", "zero"), ["0s"]),
    ("@every", ("duration",), []),
    ("@every 1h30x", ("duration", "unit"), ["1h30x"]),
    ("@every -5m", ("duration", "unit", "positive", "at least"), ["-5m"]),
    # nothing at all
    ("", ("empty", "schedule"), []),
    ("   ", ("empty", "schedule"), []),
]


def _message_without_echo(message: str, schedule: str) -> str:
    text = message
    for echo in {schedule, schedule.strip()}:
        if echo:
            text = text.replace(echo, " ")
    return text.lower()


@pytest.mark.parametrize(
    ("schedule", "words", "tokens"), MALFORMED, ids=[m[0] or "<empty>" for m in MALFORMED]
)
def test_malformed_schedule_names_the_bad_field(schedule: str, words: tuple, tokens: list) -> None:
    with pytest.raises(ScheduleError) as raised:
        preview(schedule, "UTC", after=AFTER, count=1)
    error = raised.value
    assert error.code == "invalid_schedule"
    assert error.field == "schedule"
    message = error.message
    assert message, "the message must not be empty"
    assert str(error) == message
    prose = _message_without_echo(message, schedule)
    assert any(word.lower() in prose for word in words), (
        f"{message!r} should name one of {words} (beyond echoing the expression)"
    )
    for token in tokens:
        assert token.lower() in message.lower(), f"{message!r} should quote {token!r}"


@pytest.mark.parametrize(
    "schedule",
    [
        "0 0 30 2 *",
        "0 0 31 4 *",
        "0 0 0 31 6 ?",
        "cron(0 0 30 2 ? *)",
        "0 0 0 */100 * MON#4",
        "cron(0 0 1 1 ? 1970)",
    ],
)
def test_schedule_that_never_fires_is_invalid(schedule: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        preview(schedule, "UTC", after=AFTER, count=1)
    error = raised.value
    assert error.code == "invalid_schedule"
    assert error.field == "schedule"
    prose = error.message.lower()
    assert any(word in prose for word in ("never", "no fire", "no date", "cannot fire")), (
        error.message
    )


def test_never_fires_names_the_day_fields() -> None:
    with pytest.raises(ScheduleError) as raised:
        preview("0 0 30 2 *", "UTC", after=AFTER)
    prose = _message_without_echo(raised.value.message, "0 0 30 2 *")
    assert any(word in prose for word in DAY), raised.value.message


@pytest.mark.parametrize(
    "zone", ["Mars/Base", "Europe/Berlinn", "", "UTC+5", "../etc/passwd", " UTC"]
)
def test_unknown_time_zone(zone: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        preview("* * * * *", zone, after=AFTER)
    error = raised.value
    assert error.code == "invalid_timezone"
    assert error.field == "timezone"
    if zone.strip():
        assert zone.strip() in error.message
    assert "zone" in error.message.lower()


def test_time_zone_is_checked_even_for_elapsed_time_schedules() -> None:
    with pytest.raises(ScheduleError) as raised:
        preview("rate(5 minutes)", "Mars/Base", after=AFTER)
    assert raised.value.code == "invalid_timezone"
    assert raised.value.field == "timezone"


def test_tz_prefix_is_refused_in_favour_of_the_timezone_field() -> None:
    # robfig/cron accepts "TZ=Zone spec"; Sundial keeps the zone in its own field.
    with pytest.raises(ScheduleError) as raised:
        preview("CRON_TZ=America/New_York 0 0 * * *", "UTC", after=AFTER)
    assert raised.value.code == "invalid_schedule"
    assert "timezone" in raised.value.message.lower()


def test_error_envelope_matches_the_api_contract() -> None:
    with pytest.raises(ScheduleError) as raised:
        preview("61 * * * *", "UTC", after=AFTER)
    body = raised.value.to_dict()
    assert body["error"]["code"] == "invalid_schedule"
    assert body["error"]["field"] == "schedule"
    assert "minute" in body["error"]["message"].lower()
