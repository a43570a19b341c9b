"""The one clock, and the conversions between the forms time takes in Sundial.

Time is an aware UTC `datetime` in the domain, epoch milliseconds in the store and
in fire messages (`due_at`, `fire_at`, execution ids), and RFC 3339 text at the
edges (API responses, what targets and dead letters carry). Code that needs the
current time takes a `Clock` (or a `now` argument) so tests can move time by hand;
`SYSTEM_CLOCK` is the real one.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

# The instants Sundial plans with. Python's datetimes end at years 1 and 9999; a day of
# margin on each side keeps every wall time of an instant in range (any zone's offset
# is under a day), so an accepted time converts between zones, to epoch milliseconds
# and back without overflowing.
EARLIEST_INSTANT = datetime(1, 1, 2, tzinfo=UTC)
LATEST_INSTANT = datetime(9999, 12, 30, tzinfo=UTC)


def in_planning_range(instant: datetime) -> bool:
    """Whether an aware instant lies in [EARLIEST_INSTANT, LATEST_INSTANT]."""
    try:
        return EARLIEST_INSTANT <= instant.astimezone(UTC) <= LATEST_INSTANT
    except OverflowError:  # its offset moves it past year 1 or 9999
        return False


class Clock(Protocol):
    """Where the current time comes from: the system's, or a test's simulated one."""

    def utc_now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...

    def now_ms(self) -> int:
        """The current instant in epoch milliseconds."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The machine's clock."""

    def utc_now(self) -> datetime:
        return datetime.now(UTC)

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


def utc_now() -> datetime:
    """The current instant on the system clock, aware, in UTC."""
    return SYSTEM_CLOCK.utc_now()


def now_ms() -> int:
    """The current instant on the system clock, in epoch milliseconds."""
    return SYSTEM_CLOCK.now_ms()


def to_ms(instant: datetime) -> int:
    """Epoch milliseconds, the unit of `due_at`, `fire_at` and execution ids."""
    return int(instant.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """The aware UTC instant of epoch milliseconds."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def format_timestamp(value: datetime) -> str:
    """RFC 3339 with the offset the datetime carries (`2026-11-23T02:30:00+01:00`).

    RFC 3339 offsets are whole minutes; an instant whose zone kept local mean time then
    (America/Los_Angeles before 1883 is -07:52:58) is written in UTC instead.
    """
    offset = value.utcoffset()
    if offset is not None and offset.seconds % 60:
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


def utc_rfc3339(epoch_ms: int) -> str:
    """`2026-11-23T01:30:00Z`, or `2026-11-23T01:30:00.250Z` when the time has milliseconds
    (jittered fires do): the shortest exact spelling, always in UTC with a `Z`."""
    instant = datetime.fromtimestamp(epoch_ms // 1000, tz=UTC)
    text = instant.strftime("%Y-%m-%dT%H:%M:%S")
    millis = epoch_ms % 1000
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"
