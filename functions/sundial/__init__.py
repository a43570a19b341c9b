"""Sundial: a serverless task scheduler.

The schedule language is importable without AWS:

    >>> from sundial import preview
    >>> [t.isoformat() for t in preview("0 30 2 * * *", "Europe/Berlin", count=1)]  # doctest: +SKIP
"""

from sundial.core.describe import describe
from sundial.core.errors import ScheduleError
from sundial.core.preview import preview

__all__ = ["ScheduleError", "describe", "preview"]
