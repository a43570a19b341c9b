"""The days of an iCalendar (.ics) file, as a calendar's `dates`: what `sundial calendars
import` sends.

All-day events count (a holiday feed is made of them): each occurrence inside the range
asked for becomes a date, or an inclusive range for an event of several days. Recurring
events (RRULE, e.g. yearly or weekly) are expanded over that range, less their EXDATEs;
events with a time of day and cancelled events are left out, and counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any


class IcsError(ValueError):
    """The file is not an iCalendar document, or an event cannot be read."""


@dataclass(frozen=True)
class IcsDays:
    entries: list[str]  # sorted: dates and `first..last` ranges
    timed_events: int  # events with a time of day: not whole days, left out
    cancelled_events: int


def ics_days(text: bytes | str, start: date, end: date) -> IcsDays:
    """The days of the file's all-day events that fall in [start, end] (clipped to it)."""
    try:
        import icalendar
    except ImportError:  # pragma: no cover - the `local` extra installs it
        raise IcsError(
            "reading .ics files needs the icalendar package (pip install icalendar)"
        ) from None
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise IcsError(f"not an iCalendar file: {exc}") from None
    spans: set[tuple[date, date]] = set()
    timed = cancelled = 0
    for event in calendar.walk("VEVENT"):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            cancelled += 1
            continue
        first = _value(event, "DTSTART")
        if not isinstance(first, date) or isinstance(first, datetime):
            timed += 1
            continue
        days = _length_in_days(event, first)
        for day in _occurrences(event, first, start - timedelta(days=days - 1), end):
            last = day + timedelta(days=days - 1)
            if last < start or day > end:
                continue
            spans.add((max(day, start), min(last, end)))
    entries = [
        a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in sorted(spans)
    ]
    return IcsDays(entries, timed, cancelled)


def _value(event: Any, name: str) -> Any:
    prop = event.get(name)
    return None if prop is None else prop.dt


def _length_in_days(event: Any, first: date) -> int:
    """An all-day event's days: DTEND is exclusive; no DTEND nor DURATION is one day."""
    last = _value(event, "DTEND")
    if isinstance(last, date) and not isinstance(last, datetime):
        return max(1, (last - first).days)
    duration = _value(event, "DURATION")
    if isinstance(duration, timedelta):
        return max(1, duration.days)
    return 1


def _occurrences(event: Any, first: date, since: date, until: date) -> Iterable[date]:
    """The event's start days in [since, until]: its RRULE expanded, less its EXDATEs."""
    rule = event.get("RRULE")
    if rule is None:
        return [first]
    from dateutil.rrule import rrulestr  # icalendar's own dependency

    try:
        expanded = rrulestr(
            rule.to_ical().decode(), dtstart=datetime.combine(first, time()), ignoretz=True
        )
    except (ValueError, TypeError) as exc:
        raise IcsError(f"event {event.get('SUMMARY', '')!r}: RRULE not understood: {exc}") from None
    excluded = set(_exdates(event))
    return [
        moment.date()
        for moment in expanded.between(
            datetime.combine(since, time()), datetime.combine(until, time()), inc=True
        )
        if moment.date() not in excluded
    ]


def _exdates(event: Any) -> Iterable[date]:
    found = event.get("EXDATE")
    if found is None:
        return
    for prop in found if isinstance(found, list) else [found]:
        for value in prop.dts:
            moment = value.dt
            yield moment.date() if isinstance(moment, datetime) else moment
