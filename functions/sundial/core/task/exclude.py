"""The field types of exclusions: a task's `exclude` and a calendar's `dates`.

Checked whole, so an error names the field itself (`exclude`, `dates`) and quotes the
entry at fault.
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import AfterValidator, Field, StrictStr

from sundial.core.exclusions import (
    MAX_CALENDAR_DATES,
    MAX_EXCLUDE_ENTRIES,
    ExclusionSyntaxError,
    check_calendar_dates,
    check_exclude,
)
from sundial.core.task.fields import invalid

EXCLUDE_HINT = (
    "use a date (2026-12-25), an inclusive range (2026-12-24..2026-12-31) or calendar:NAME"
)


def _checked_exclude(entries: list[str]) -> list[str]:
    try:
        check_exclude(entries)
    except ExclusionSyntaxError as exc:
        raise invalid(f"has an entry that is not valid: {exc}; {EXCLUDE_HINT}") from None
    return entries


def _checked_dates(entries: list[str]) -> list[str]:
    try:
        check_calendar_dates(entries)
    except ExclusionSyntaxError as exc:
        raise invalid(
            f"has an entry that is not valid: {exc}; use a date (2026-12-25) or an "
            "inclusive range (2026-12-24..2026-12-31)"
        ) from None
    return entries


Exclude: TypeAlias = Annotated[
    list[StrictStr],
    Field(
        max_length=MAX_EXCLUDE_ENTRIES,
        examples=[["2026-12-25", "2026-12-24..2026-12-31", "calendar:holidays"]],
        description=(
            "Days on which occurrences are not fired, in the task's time zone: dates, "
            "inclusive date ranges, or calendar:NAME for a calendar of the tenant's"
        ),
    ),
    AfterValidator(_checked_exclude),
]
CalendarDates: TypeAlias = Annotated[
    list[StrictStr],
    Field(
        max_length=MAX_CALENDAR_DATES,
        examples=[["2026-12-25", "2026-12-24..2026-12-31"]],
    ),
    AfterValidator(_checked_dates),
]
