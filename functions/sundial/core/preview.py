"""`preview`: the next fire times of a schedule, as the API's /preview and the CLI show them."""

from __future__ import annotations

from datetime import datetime

from sundial.core.clock import utc_now
from sundial.core.errors import ScheduleError
from sundial.core.schedule import next_fire_time, parse_schedule
from sundial.core.zones import load_zone, to_utc


def preview(
    schedule: str,
    timezone: str = "UTC",
    after: datetime | None = None,
    count: int = 5,
) -> list[datetime]:
    """The next `count` fire times strictly after `after` (default: now), in the schedule's zone.

    A naive `after` is wall time in `timezone` (its first occurrence when ambiguous).
    Elapsed-time schedules (`rate()`, `@every`) count from `after`. Raises ScheduleError
    for a schedule that is malformed or has no fire time after `after`.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    zone = load_zone(timezone)
    start = utc_now() if after is None else to_utc(after, zone)
    parsed = parse_schedule(schedule, timezone, anchor=start)
    fires: list[datetime] = []
    cursor = start
    while len(fires) < count:
        fire = next_fire_time(parsed, cursor)
        if fire is None:
            break
        fires.append(fire.astimezone(zone))
        cursor = fire
    if not fires:
        raise ScheduleError(
            f"schedule '{schedule}' has no fire time after {start.astimezone(zone).isoformat()}"
        )
    return fires
