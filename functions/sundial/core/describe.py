"""`describe`: a schedule in plain English, for the API, the CLI and the console."""

from __future__ import annotations

from datetime import timedelta

from cron_descriptor import ExpressionDescriptor, Options

from sundial.core.schedule import (
    CronSchedule,
    IntervalSchedule,
    OneTimeSchedule,
    parse_schedule,
)


def describe(schedule: str, timezone: str = "UTC") -> str:
    """An English sentence for any schedule form; raises ScheduleError when it is malformed."""
    parsed = parse_schedule(schedule, timezone)
    suffix = "" if timezone == "UTC" else f" ({timezone})"
    if isinstance(parsed, CronSchedule):
        options = Options()
        options.use_24hour_time_format = True
        options.day_of_week_start_index_zero = parsed.weekdays_from_zero
        try:
            text = ExpressionDescriptor(parsed.description_source, options).get_description()
        except Exception:
            text = f"On the schedule '{parsed.description_source}'"
        return text + suffix
    if isinstance(parsed, IntervalSchedule):
        return f"Every {_duration_words(parsed.interval)}"
    assert isinstance(parsed, OneTimeSchedule)
    return f"Once, at {parsed.wall.isoformat(sep=' ')}{suffix}"


def _duration_words(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount} {unit}" + ("s" if amount != 1 else ""))
    if len(parts) == 1:
        return parts[0] if not parts[0].startswith("1 ") else parts[0][2:]
    return ", ".join(parts[:-1]) + " and " + parts[-1]
