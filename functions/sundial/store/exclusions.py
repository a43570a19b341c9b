"""The days a stored task excludes, with its calendars' dates read (and cached).

A `CalendarCache` lives as long as one unit of work (a sweep, an API request, an
executor batch): each calendar is read at most once in it, and a change to a calendar
applies from the next unit that reads it. Tasks that name no calendar cost no read.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sundial.core.exclusions import ExcludedDays, calendar_names
from sundial.store.calendars import calendar_dates


class CalendarCache:
    """Calendars' dates by (tenant, name), read once each; safe to share across threads
    (two threads may read the same calendar once each, never a wrong one)."""

    def __init__(self) -> None:
        self._dates: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()

    def excluded_days(self, tenant: str, exclude: Sequence[str] | None) -> ExcludedDays:
        """The days an `exclude` names, its calendars (the tenant's) read if not yet."""
        if not exclude:
            return ExcludedDays()
        names = calendar_names(exclude)
        with self._lock:
            missing = [n for n in names if (tenant, n) not in self._dates]
        if missing:
            found = calendar_dates(tenant, missing)
            with self._lock:
                for name in missing:
                    # A missing calendar (not possible while named: see store.calendars)
                    # excludes nothing rather than stopping the task.
                    self._dates[(tenant, name)] = found.get(name, [])
        with self._lock:
            calendars = {name: self._dates[(tenant, name)] for name in names}
        return ExcludedDays.of(exclude, calendars)
