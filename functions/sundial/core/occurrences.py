"""A task's most recent occurrences: the keys its newest runs can have.

The schedule only steps forward (`next_after`), so the newest occurrences before an
instant are found by stepping forward from a little earlier: through windows that widen
until they hold enough occurrences, each walk bounded so a dense schedule (every second)
never costs more than a few thousand steps.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from sundial.core.planning import Timing, next_occurrence

# From a per-second schedule (the first) to a monthly one (the last).
LOOKBACK_WINDOWS = (
    timedelta(seconds=10),
    timedelta(minutes=10),
    timedelta(days=1),
    timedelta(days=40),
)
# Steps one window may take; a window denser than this is left for a narrower one.
MAX_STEPS_PER_WINDOW = 2000


@dataclass(frozen=True)
class RecentOccurrences:
    """The newest occurrences up to `until`, oldest first, with none left out between the
    first and `until`. `complete`: they are every occurrence after the `after` the search
    was given."""

    times: list[datetime]
    complete: bool


def latest_occurrences(
    timing: Timing, after: datetime, until: datetime, count: int
) -> RecentOccurrences:
    """The newest occurrences in (`after`, `until`]: at least `count` of them when the
    schedule has that many there, always with none missing between the oldest and
    `until`, so that a run found at one of them is known to be the newest among them."""
    best = RecentOccurrences([], complete=False)
    for window in LOOKBACK_WINDOWS:
        since = max(after, until - window)
        walked = _walk(timing, since, until, count)
        if walked is None:  # too dense to walk: the narrower window's answer stands
            return best
        found, total = walked
        best = RecentOccurrences(found, complete=since == after and total == len(found))
        if best.complete or len(found) >= count:
            return best
    return best


def _walk(
    timing: Timing, since: datetime, until: datetime, count: int
) -> tuple[list[datetime], int] | None:
    """The last `count` occurrences in (since, until] and how many there are in all, or
    None past the step bound."""
    schedule = timing.parsed()
    kept: deque[datetime] = deque(maxlen=count)
    cursor = next_occurrence(timing, schedule, since)
    steps = 0
    while cursor is not None and cursor <= until:
        steps += 1
        if steps > MAX_STEPS_PER_WINDOW:
            return None
        kept.append(cursor)
        cursor = next_occurrence(timing, schedule, cursor)
    return list(kept), steps
