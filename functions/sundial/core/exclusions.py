"""Excluded days: the dates on which a task's occurrences are not fired.

A task's `exclude` lists dates (`2026-12-25`), inclusive date ranges
(`2026-12-24..2026-12-31`) and tenant calendars (`calendar:holidays`), whose own dates
use the same syntax. Days are calendar days in the task's time zone: an occurrence is
excluded when its local date is. Everything here is pure: the calendars' dates are
handed in by whoever read them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sundial.core.zones import resolve_fixed_time

# At most this many entries in a task's `exclude`, and dates in one calendar.
MAX_EXCLUDE_ENTRIES = 1000
MAX_CALENDAR_DATES = 5000
# Distinct calendars one task may name: each is a reference written in the task's
# transactions, which DynamoDB caps at 100 items.
MAX_CALENDARS_PER_TASK = 20
CALENDAR_PREFIX = "calendar:"
# Calendar names, like task names: they appear in URLs and in `calendar:NAME`.
CALENDAR_NAME_MAX_LENGTH = 64
CALENDAR_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
CALENDAR_NAME_HINT = (
    f"1-{CALENDAR_NAME_MAX_LENGTH} letters, digits, '.', '_' or '-', "
    "starting with a letter or digit"
)
RANGE_SEPARATOR = ".."
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ExclusionSyntaxError(ValueError):
    """An entry that is not a date, a range or a calendar reference; the message says why."""


@dataclass(frozen=True, order=True)
class DayRange:
    """The days from `first` to `last`, both included."""

    first: date
    last: date


def parse_day(text: str) -> date:
    if not _DATE.fullmatch(text):
        raise ExclusionSyntaxError(f"'{text}' is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ExclusionSyntaxError(f"'{text}' is not a calendar date") from None


def parse_days(entry: str) -> DayRange:
    """A date or an inclusive range of dates (`first..last`, first not after last)."""
    if RANGE_SEPARATOR not in entry:
        day = parse_day(entry)
        return DayRange(day, day)
    first_text, _, last_text = entry.partition(RANGE_SEPARATOR)
    first, last = parse_day(first_text), parse_day(last_text)
    if last < first:
        raise ExclusionSyntaxError(f"'{entry}' ends before it starts")
    return DayRange(first, last)


def calendar_reference(entry: str) -> str | None:
    """The calendar an entry names (`calendar:NAME`), or None for a date or range."""
    if not entry.startswith(CALENDAR_PREFIX):
        return None
    name = entry[len(CALENDAR_PREFIX) :]
    if not CALENDAR_NAME_PATTERN.fullmatch(name):
        raise ExclusionSyntaxError(
            f"'{entry}' does not name a calendar: a name is {CALENDAR_NAME_HINT}"
        )
    return name


def check_exclude(entries: Sequence[str]) -> None:
    """Raise ExclusionSyntaxError for the first malformed entry of a task's `exclude`,
    or when it names more than MAX_CALENDARS_PER_TASK calendars."""
    for entry in entries:
        if calendar_reference(entry) is None:
            parse_days(entry)
    if len(calendar_names(entries)) > MAX_CALENDARS_PER_TASK:
        raise ExclusionSyntaxError(f"names more than {MAX_CALENDARS_PER_TASK} calendars")


def check_calendar_dates(entries: Sequence[str]) -> None:
    """Raise ExclusionSyntaxError for the first malformed entry of a calendar's dates
    (dates and ranges only: a calendar does not name other calendars)."""
    for entry in entries:
        parse_days(entry)


def calendar_names(entries: Iterable[str]) -> list[str]:
    """The calendars a well-formed `exclude` names, sorted, each once."""
    return sorted({name for e in entries if (name := calendar_reference(e)) is not None})


@dataclass(frozen=True)
class ExcludedDays:
    """A set of days, as sorted disjoint ranges, asked "is this day in?" by bisection."""

    ranges: tuple[DayRange, ...] = ()

    @classmethod
    def of(cls, entries: Iterable[str], calendars: Mapping[str, Sequence[str]]) -> ExcludedDays:
        """The days a well-formed `exclude` names; `calendars` holds the dates of every
        calendar it names (a calendar missing there contributes no day)."""
        ranges: list[DayRange] = []
        for entry in entries:
            name = calendar_reference(entry)
            if name is None:
                ranges.append(parse_days(entry))
            else:
                ranges.extend(parse_days(d) for d in calendars.get(name, ()))
        return cls(_merged(ranges))

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def range_of(self, day: date) -> DayRange | None:
        """The excluded range holding `day`, or None when the day is not excluded."""
        index = bisect.bisect_right(self.ranges, DayRange(day, date.max)) - 1
        if index >= 0 and self.ranges[index].last >= day:
            return self.ranges[index]
        return None


def first_instant_of(day: date, zone: ZoneInfo) -> datetime:
    """The first instant whose local date in `zone` is `day` (after the gap when a
    clock change skips midnight)."""
    return resolve_fixed_time(zone, datetime.combine(day, time()))


def _merged(ranges: list[DayRange]) -> tuple[DayRange, ...]:
    merged: list[DayRange] = []
    for current in sorted(ranges):
        # Adjacent ranges merge too (ordinals: date.max has no day after it).
        if merged and current.first.toordinal() <= merged[-1].last.toordinal() + 1:
            if current.last > merged[-1].last:
                merged[-1] = DayRange(merged[-1].first, current.last)
        else:
            merged.append(current)
    return tuple(merged)
