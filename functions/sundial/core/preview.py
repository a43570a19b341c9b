"""`preview`: the next fire times of a schedule, as the API's /preview and the CLI show them."""

from __future__ import annotations

from datetime import datetime

from sundial.core.clock import utc_now
from sundial.core.errors import ScheduleError
from sundial.core.exclusions import ExcludedDays
from sundial.core.planning import Timing, next_occurrence
from sundial.core.schedule import next_fire_time, parse_schedule
from sundial.core.zones import load_zone, to_utc


def preview(
    schedule: str,
    timezone: str = "UTC",
    after: datetime | None = None,
    count: int = 5,
    excluded: ExcludedDays | None = None,
) -> list[datetime]:
    """The next `count` fire times strictly after `after` (default: now), in the schedule's zone.

    A naive `after` is wall time in `timezone` (its first occurrence when ambiguous).
    Elapsed-time schedules (`rate()`, `@every`) count from `after`. Occurrences on
    `excluded` days (local dates in `timezone`) are skipped. Raises ScheduleError for a
    schedule that is malformed or has no fire time after `after`, and (field `exclude`)
    for one whose every occurrence after `after` is excluded.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    zone = load_zone(timezone)
    start = utc_now() if after is None else to_utc(after, zone)
    parsed = parse_schedule(schedule, timezone, anchor=start)
    # Only the zone and the excluded days matter here: a preview has no window.
    timing = Timing("", schedule, timezone, start, excluded=excluded or ExcludedDays())
    fires: list[datetime] = []
    cursor = start
    while len(fires) < count:
        fire = next_occurrence(timing, parsed, cursor)
        if fire is None:
            break
        fires.append(fire.astimezone(zone))
        cursor = fire
    if not fires and excluded and next_fire_time(parsed, start) is not None:
        raise all_excluded(schedule, start.astimezone(zone))
    if not fires:
        raise ScheduleError(
            f"schedule '{schedule}' has no fire time after {start.astimezone(zone).isoformat()}"
        )
    return fires


def all_excluded(schedule: str, after: datetime) -> ScheduleError:
    """The error for a schedule that fires only on excluded days: refused like one that
    never fires, naming `exclude`."""
    return ScheduleError(
        f"every occurrence of schedule '{schedule}' after {after.isoformat()} falls on an "
        "excluded day, so it would never fire",
        field="exclude",
    )
