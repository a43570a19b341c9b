"""The one way the CLI shows a point in time: `2026-12-04 16:01:15`, in the local time of
the machine running it, or `2026-12-04 15:01:15Z` in UTC with `--utc`.

Every table and message that shows a time goes through `show_time`, so `tasks list`,
`tasks get`, `tasks runs` and `dead-letters list` read alike. `--json` keeps the API's
RFC 3339 strings untouched.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# Seconds are enough to tell runs apart at a glance; the API's milliseconds stay in --json.
_PATTERN = "%Y-%m-%d %H:%M:%S"


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 string of the API as an aware datetime (None if it is not one)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def show_time(value: Any, *, utc: bool = False) -> str | None:
    """`value` (an API timestamp) in the CLI's format; None stays None, and text that is
    not a timestamp is shown as it is rather than hidden."""
    if value is None or value == "":
        return None
    moment = parse_time(value)
    if moment is None:
        return str(value)
    if utc:
        return moment.astimezone(UTC).strftime(_PATTERN) + "Z"
    return moment.astimezone().strftime(_PATTERN)
