"""Time zones: loading IANA zones and mapping wall-clock times to real instants.

The daylight-saving rule of schedules (docs/schedules.md "Schedules") lives here. Offsets are
piecewise constant in real time; the functions below find where they change so the
schedule types can walk wall-clock times without ever skipping or doubling an instant
they should not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sundial.core.errors import ScheduleError
from sundial.core.vocabulary import ErrorCode

# Offsets never change twice within a day in any zone in use; sampling once a day and
# bisecting between samples finds every transition without reading tzdata's internals.
TRANSITION_PROBE = timedelta(days=1)
ONE_SECOND = timedelta(seconds=1)


@lru_cache(maxsize=512)
def load_zone(name: str) -> ZoneInfo:
    """An IANA zone by name, or ScheduleError(invalid_timezone)."""
    if not isinstance(name, str) or not name or name != name.strip() or ".." in name:
        raise ScheduleError(
            f"timezone '{name}' is not an IANA time zone name such as 'Europe/Berlin' or 'UTC'",
            code=ErrorCode.INVALID_TIMEZONE,
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(
            f"timezone '{name}' is not a known IANA time zone; use a name such as "
            "'Europe/Berlin', 'America/New_York' or 'UTC'",
            code=ErrorCode.INVALID_TIMEZONE,
        ) from None


def offset_at(zone: ZoneInfo, instant: datetime) -> timedelta:
    """The zone's UTC offset in effect at a real instant."""
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def wall_clock(zone: ZoneInfo, instant: datetime) -> datetime:
    """The naive wall-clock time the zone shows at a real instant."""
    return instant.astimezone(zone).replace(tzinfo=None)


def first_offset_change(zone: ZoneInfo, start: datetime, end: datetime) -> datetime | None:
    """The first instant in (start, end] whose offset differs from the offset at start.

    Whole seconds; None when the offset holds over the whole span.
    """
    base = offset_at(zone, start)
    lo = start
    while lo < end:
        hi = min(lo + TRANSITION_PROBE, end)
        if offset_at(zone, hi) != base:
            # Bisect to the second: offset(lo) == base, offset(hi) != base.
            while hi - lo > ONE_SECOND:
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid <= lo:
                    mid = lo + ONE_SECOND
                if offset_at(zone, mid) == base:
                    lo = mid
                else:
                    hi = mid
            return hi
        lo = hi
    return None


def resolve_fixed_time(zone: ZoneInfo, wall: datetime) -> datetime:
    """The instant a fixed-time schedule fires for a wall-clock time.

    A time that occurs twice fires at its first occurrence; a time that does not exist
    (skipped by a spring-forward gap) fires at the first instant after the gap.
    """
    first = wall.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if wall_clock(zone, instant) == wall:
        return instant
    # In a gap, fold=0 applies the offset from before the gap (landing after it in real
    # time) and fold=1 the offset from after it (landing before it): the transition
    # lies between the two.
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    transition = first_offset_change(zone, before, instant)
    assert transition is not None, "a nonexistent wall time implies an offset change"
    return transition


def to_utc(value: datetime, zone: ZoneInfo) -> datetime:
    """An aware datetime in UTC; a naive one is read as wall time in `zone` (first occurrence)."""
    if value.tzinfo is None:
        return resolve_fixed_time(zone, value)
    return value.astimezone(UTC)
