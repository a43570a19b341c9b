"""The wall clock, and epoch milliseconds as RFC 3339 UTC text (the form targets and
dead letters carry)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

# What the dispatcher and the work queue read the time from; tests pass a simulated one.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_rfc3339(epoch_ms: int) -> str:
    """`2026-11-23T01:30:00Z`, or `2026-11-23T01:30:00.250Z` when the time has milliseconds
    (jittered fires do): the shortest exact spelling, always in UTC with a `Z`."""
    instant = datetime.fromtimestamp(epoch_ms // 1000, tz=UTC)
    text = instant.strftime("%Y-%m-%dT%H:%M:%S")
    millis = epoch_ms % 1000
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"
