"""`cron(...)` accepts exactly what EventBridge accepts: six fields (minutes hours
day-of-month month day-of-week year), each with its documented values and wildcards,
`?` in exactly one day field, `#` alone in day-of-week; a refusal names the field."""

from __future__ import annotations

from datetime import datetime

import pytest

from sundial import ScheduleError, preview

AFTER = datetime(2026, 1, 1, 12, 0, 0)

ACCEPTED = [
    "cron(0 10 * * ? *)",
    "cron(15 12 * * ? *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(0/10 * ? * MON-FRI *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0 9 ? * 2#1 *)",
    "cron(0 9 ? * 6L *)",
    "cron(0 9 ? * L *)",
    "cron(0 9 L * ? *)",
    "cron(0 9 3W * ? *)",
    "cron(0 9 1/5 * ? *)",
    "cron(0 9 1,15 JAN,JUL ? 2026-2030)",
    "cron(0 9 * JAN-MAR ? 2027/2)",
    "cron(0 9 ? * SUN,SAT *)",
    "cron(0 9 ? * * 2199)",
    "cron(0 9 ? * 1-7 1970-2199)",
    "cron(59 23 31 DEC ? *)",
    "cron(0 0 ? 1/3 * *)",
]


@pytest.mark.parametrize("expression", ACCEPTED)
def test_eventbridge_accepts_this_so_sundial_does(expression: str) -> None:
    assert preview(expression, after=AFTER, count=1)


REFUSED = [
    # (expression, the field the error names, why EventBridge refuses it)
    ("cron(? 9 * * ? *)", "minute", "? only in the day fields"),
    ("cron(0 ? * * ? *)", "hour", "? only in the day fields"),
    ("cron(0 9 * ? ? *)", "month", "? only in the day fields"),
    ("cron(0 9 * * ? ?)", "year", "? only in the day fields"),
    ("cron(0 9 ? * */2 *)", "day-of-week", "no / in day-of-week"),
    ("cron(0 9 ? * MON/2 *)", "day-of-week", "no / in day-of-week"),
    ("cron(0 9 ? * 2#1,6#3 *)", "day-of-week", "# takes a single expression"),
    ("cron(0 9 L-3 * ? *)", "day-of-month", "L-n is Quartz, not EventBridge"),
    ("cron(0 9 LW * ? *)", "day-of-month", "LW is Quartz, not EventBridge"),
    ("cron(0 9 1#2 * ? *)", "day-of-month", "# only in day-of-week"),
    ("cron(0 9 ? * 2W *)", "day-of-week", "W only in day-of-month"),
    ("cron(L 9 * * ? *)", "minute", "L only in the day fields"),
    ("cron(0 9 * L ? *)", "month", "L only in the day fields"),
    ("cron(0 9 * * ? L)", "year", "L only in the day fields"),
    ("cron(0 9 * * ? 1969)", "year", "years 1970-2199"),
    ("cron(0 9 * * ? 2200)", "year", "years 1970-2199"),
    ("cron(60 9 * * ? *)", "minute", "0-59"),
    ("cron(0 24 * * ? *)", "hour", "0-23"),
    ("cron(0 9 32 * ? *)", "day-of-month", "1-31"),
    ("cron(0 9 0 * ? *)", "day-of-month", "1-31"),
    ("cron(0 9 * 13 ? *)", "month", "1-12"),
    ("cron(0 9 ? * 0 *)", "day-of-week", "1-7"),
    ("cron(0 9 ? * 8 *)", "day-of-week", "1-7"),
    ("cron(0 9 ? * 2#6 *)", "day-of-week", "#1-#5"),
    ("cron(0 9 ? JANUARY * *)", "month", "JAN-DEC"),
    ("cron(0 9 ? * MONDAY *)", "day-of-week", "SUN-SAT"),
    ("cron(0 9 * * * *)", "day-of-month", "? in exactly one day field"),
    ("cron(0 9 ? * ? *)", "day-of-month", "? in exactly one day field"),
    ("cron(0 9 1 * MON *)", "day-of-month", "? in exactly one day field"),
    ("cron(0 0 9 * * ? *)", "field", "six fields, no seconds"),
    ("cron(0 9 * * ?)", "field", "six fields: the year is required"),
    ("cron(0 9 % * ? *)", "day-of-month", "not a wildcard"),
]


@pytest.mark.parametrize("expression, field, reason", REFUSED)
def test_eventbridge_refuses_this_so_sundial_does_naming_the_field(
    expression: str, field: str, reason: str
) -> None:
    with pytest.raises(ScheduleError) as caught:
        preview(expression, after=AFTER, count=1)
    assert caught.value.field == "schedule"
    assert field in caught.value.message.lower(), (reason, caught.value.message)
