"""Schedule expressions (docs/schedules.md "Schedules"): one parser for every form, three types.

* `CronSchedule` — 5-field Vixie cron, 6-field cron with seconds first, EventBridge
  `cron(min hour dom month dow year)` and the `@daily`-style macros.
* `IntervalSchedule` — `rate(...)` and `@every ...`: elapsed time from an anchor,
  blind to wall clocks and daylight saving.
* `OneTimeSchedule` — `at(yyyy-mm-ddThh:mm:ss)` in the task's zone.

Every schedule answers `next_after(instant)`: the first fire strictly after an aware
instant, as an aware UTC datetime, or None when it will never fire again.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from sundial.core.clock import (
    EARLIEST_INSTANT,
    LATEST_INSTANT,
    format_timestamp,
    in_planning_range,
)
from sundial.core.cron import (
    AWS_DAY_OF_WEEK,
    CronSpec,
    build_spec,
    check_eventbridge_fields,
    first_match_from,
)
from sundial.core.errors import ScheduleError
from sundial.core.zones import (
    ONE_SECOND,
    first_offset_change,
    load_zone,
    offset_at,
    resolve_fixed_time,
    wall_clock,
)

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
RATE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
GO_DURATION_UNITS = {
    "ns": Decimal("1e-9"),
    "us": Decimal("1e-6"),
    "µs": Decimal("1e-6"),
    "μs": Decimal("1e-6"),
    "ms": Decimal("1e-3"),
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3600),
}
# Longer intervals are typos, and past this datetime arithmetic overflows.
MAX_INTERVAL = timedelta(days=100 * 366)
# The earliest date a validity check starts from; any day pattern that can match does so
# within 400 years of it (the Gregorian cycle).
VALIDITY_EPOCH = date(2000, 1, 1)


def _floor_second(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(microsecond=0)


class Schedule(ABC):
    """A parsed schedule in a time zone."""

    expression: str
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return load_zone(self.timezone)

    @abstractmethod
    def next_after(self, after: datetime) -> datetime | None:
        """The first fire strictly after the aware instant `after` (UTC), or None."""

    def anchored(self, anchor: datetime) -> Schedule:
        """This schedule with its elapsed-time anchor set; wall-clock schedules ignore it."""
        return self


@dataclass(frozen=True)
class CronSchedule(Schedule):
    expression: str
    timezone: str
    spec: CronSpec
    # The expression as cron-descriptor reads it, and whether its weekdays count from 0.
    description_source: str
    weekdays_from_zero: bool = True

    def next_after(self, after: datetime) -> datetime | None:
        lo = _floor_second(after)
        try:
            if self.spec.fixed_time:
                return self._next_fixed_time(lo)
            return self._next_every_instant(lo)
        except OverflowError:
            return None  # the next fire lies beyond the last representable time (year 9999)

    def _next_fixed_time(self, lo: datetime) -> datetime | None:
        # Fixed-time: one fire per matching wall-clock time, mapped by the DST rule. That
        # mapping never decreases as wall time grows, so walking forward from the wall
        # clock at `lo` meets the answer; candidates mapping at or before `lo` (the rest
        # of a repeated hour, or a second time in the same gap) are passed over.
        zone = self.zone
        wall = wall_clock(zone, lo)
        while True:
            candidate = self.spec.next_after(wall)
            if candidate is None:
                return None
            instant = resolve_fixed_time(zone, candidate)
            if instant > lo:
                return instant
            wall = candidate

    def _next_every_instant(self, lo: datetime) -> datetime | None:
        # Every real instant whose wall time matches. Within a stretch of constant offset
        # wall time runs in step with real time, so the next match is found in wall time
        # and checked to lie before the next offset change; if it does not, restart the
        # search at that change with the new offset (walls repeat or jump there).
        zone = self.zone
        while True:
            probe = lo + ONE_SECOND
            offset = offset_at(zone, probe)
            candidate = self.spec.next_after((lo + offset).replace(tzinfo=None))
            if candidate is None:
                return None
            instant = (candidate - offset).replace(tzinfo=UTC)
            change = first_offset_change(zone, probe, instant)
            if change is None:
                return instant
            lo = change - ONE_SECOND


@dataclass(frozen=True)
class IntervalSchedule(Schedule):
    """Fires at anchor + k * interval for k >= 1: the anchor is a virtual previous fire.

    A task anchors at its creation (first fire one interval later) or, with `start_at`,
    at `start_at - interval` so that the first fire lands on `start_at` itself.
    """

    expression: str
    timezone: str
    interval: timedelta
    anchor: datetime | None = None

    def anchored(self, anchor: datetime) -> IntervalSchedule:
        return replace(self, anchor=_floor_second(anchor))

    def next_after(self, after: datetime) -> datetime | None:
        if self.anchor is None:
            raise ValueError("an interval schedule needs an anchor: call anchored() first")
        elapsed = after.astimezone(UTC) - self.anchor
        steps = max(int(elapsed // self.interval) + 1, 1)
        try:
            return self.anchor + steps * self.interval
        except OverflowError:
            return None  # beyond the last representable time (year 9999)


@dataclass(frozen=True)
class OneTimeSchedule(Schedule):
    expression: str
    timezone: str
    wall: datetime

    def next_after(self, after: datetime) -> datetime | None:
        instant = resolve_fixed_time(self.zone, self.wall)
        return instant if instant > after else None


# --------------------------------------------------------------------------- parsing


def parse_schedule(
    expression: str, timezone: str = "UTC", anchor: datetime | None = None
) -> Schedule:
    """Parse any schedule form Sundial accepts, or raise ScheduleError naming what is wrong.

    `anchor` sets where elapsed-time schedules (`rate()`, `@every`) count from.
    """
    if not isinstance(expression, str):
        raise ScheduleError("schedule must be a string such as '*/5 * * * *'")
    schedule = _parse_cached(expression, timezone)
    return schedule.anchored(anchor) if anchor is not None else schedule


@lru_cache(maxsize=2048)
def _parse_cached(expression: str, timezone: str) -> Schedule:
    load_zone(timezone)
    text = expression.strip(" \t")
    if not text:
        raise ScheduleError("schedule is empty; give a cron expression such as '*/5 * * * *'")
    lowered = text.lower()
    if lowered.startswith("@every"):
        return _parse_macro(text, timezone)  # Go durations may spell microseconds "µs"
    if not text.isascii() or not text.replace("\t", " ").isprintable():
        raise ScheduleError(
            f"schedule '{expression}' contains a character other than printable ASCII; "
            "separate fields with plain spaces"
        )
    if lowered.startswith(("cron(", "rate(", "at(")):
        if not text.endswith(")"):
            raise ScheduleError(f"schedule '{text}' is missing its closing parenthesis")
        inner = text[text.index("(") + 1 : -1].strip()
        if lowered.startswith("cron("):
            return _parse_aws_cron(text, inner, timezone)
        if lowered.startswith("rate("):
            return _parse_rate(text, inner, timezone)
        return _parse_at(text, inner, timezone)
    if text.startswith("@"):
        return _parse_macro(text, timezone)
    if re.match(r"^(CRON_)?TZ=", text):
        raise ScheduleError(
            "schedule must not carry a TZ= prefix; put the zone in the 'timezone' field instead"
        )
    return _parse_cron(text, text, timezone)


def _parse_cron(expression: str, text: str, timezone: str) -> CronSchedule:
    fields = text.split()
    if len(fields) == 5:
        minutes, hours, dom, months, dow = fields
        seconds = "0"
    elif len(fields) == 6:
        seconds, minutes, hours, dom, months, dow = fields
    else:
        raise ScheduleError(
            f"cron expression '{text}' has {len(fields)} fields; use 5 (minute hour "
            "day-of-month month day-of-week), 6 with seconds first, or cron(...) for the "
            "EventBridge form with a year"
        )
    spec = build_spec(
        seconds=seconds, minutes=minutes, hours=hours, dom=dom, months=months, dow=dow
    )
    _require_some_fire(spec, text)
    return CronSchedule(expression, timezone, spec, description_source=text)


def _parse_aws_cron(expression: str, inner: str, timezone: str) -> CronSchedule:
    fields = inner.split()
    if len(fields) != 6:
        raise ScheduleError(
            f"'{expression}' has {len(fields)} fields; EventBridge cron() takes 6: "
            "minute hour day-of-month month day-of-week year"
        )
    check_eventbridge_fields(fields)
    minutes, hours, dom, months, dow, years = fields
    # EventBridge rejects a schedule that restricts (or stars) both day fields: exactly
    # one of them must be '?'.
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(
            f"'{expression}': EventBridge cron() needs '?' in exactly one of day-of-month "
            "and day-of-week, e.g. cron(0 12 * * ? *)"
        )
    spec = build_spec(
        seconds="0",
        minutes=minutes,
        hours=hours,
        dom=dom,
        months=months,
        dow=dow,
        years=years,
        dow_rule=AWS_DAY_OF_WEEK,
    )
    _require_some_fire(spec, expression)
    return CronSchedule(
        expression,
        timezone,
        spec,
        description_source=" ".join(["0", *fields]),
        weekdays_from_zero=False,
    )


def _require_some_fire(spec: CronSpec, text: str) -> None:
    start = date(spec.years[0], 1, 1) if spec.years else VALIDITY_EPOCH
    if first_match_from(spec, start) is None:
        raise ScheduleError(
            f"schedule '{text}' never fires: no date matches its day-of-month, month, "
            "day-of-week (and year) fields"
        )


_RATE = re.compile(r"^(\d+) +([A-Za-z]+)$", re.ASCII)


def _parse_rate(expression: str, inner: str, timezone: str) -> IntervalSchedule:
    match = _RATE.match(inner)
    if not match:
        raise ScheduleError(
            f"'{expression}' is not a rate; write rate(<number> <unit>), e.g. rate(5 minutes)"
        )
    value, unit = int(match[1]), match[2].lower()
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in RATE_UNITS:
        raise ScheduleError(
            f"'{expression}': unit '{match[2]}' is not one of seconds, minutes, hours, days"
        )
    if value < 1:
        raise ScheduleError(f"'{expression}': the rate value must be a whole number of at least 1")
    # EventBridge insists on the singular for 1 and the plural otherwise.
    expected = singular if value == 1 else singular + "s"
    if unit != expected:
        raise ScheduleError(f"'{expression}': write rate({value} {expected}) (unit '{expected}')")
    return IntervalSchedule(
        expression, timezone, _interval(expression, value * RATE_UNITS[singular])
    )


def _interval(expression: str, seconds: int | Decimal) -> timedelta:
    if seconds > MAX_INTERVAL.total_seconds():
        raise ScheduleError(f"'{expression}': the interval is longer than 100 years")
    return timedelta(seconds=int(seconds))


_AT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$", re.ASCII)


def _parse_at(expression: str, inner: str, timezone: str) -> OneTimeSchedule:
    match = _AT.match(inner)
    if not match:
        raise ScheduleError(
            f"'{expression}': write at(yyyy-mm-ddThh:mm:ss) in the task's time zone, "
            "e.g. at(2026-01-01T09:00:00), without an offset"
        )
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        wall = datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise ScheduleError(f"'{expression}' is not a real date and time: {exc}") from None
    try:
        instant = resolve_fixed_time(load_zone(timezone), wall)
    except OverflowError:
        instant = None  # in this zone, the time lies past year 1 or 9999
    if instant is None or not in_planning_range(instant):
        raise ScheduleError(
            f"'{expression}' in {timezone} must fall between "
            f"{format_timestamp(EARLIEST_INSTANT)} and {format_timestamp(LATEST_INSTANT)}"
        )
    return OneTimeSchedule(expression, timezone, wall)


def _parse_macro(text: str, timezone: str) -> Schedule:
    word, _, rest = text.partition(" ")
    rest = rest.strip(" ")
    lowered = word.lower()
    if lowered == "@every":
        return IntervalSchedule(text, timezone, _parse_go_duration(text, rest.strip()))
    if lowered in MACROS:
        if rest.strip():
            raise ScheduleError(f"'{text}': {word} takes nothing after it")
        expansion = MACROS[lowered]
        return _parse_cron(text, expansion, timezone)
    if lowered == "@reboot":
        raise ScheduleError("'@reboot' has no meaning for a scheduler that never reboots")
    raise ScheduleError(
        f"unknown macro '{word}'; use one of {', '.join(sorted(MACROS))} or '@every <duration>'"
    )


_GO_PART = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")


def _parse_go_duration(text: str, duration: str) -> timedelta:
    if not duration:
        raise ScheduleError(f"'{text}': @every needs a duration such as 90s or 1h30m")
    pos, total = 0, Decimal(0)
    while pos < len(duration):
        match = _GO_PART.match(duration, pos)
        if not match:
            raise ScheduleError(
                f"'{text}': '{duration}' is not a duration; use units h, m and s, e.g. 1h30m10s"
            )
        try:
            total += Decimal(match[1]) * GO_DURATION_UNITS[match[2]]
        except InvalidOperation:
            raise ScheduleError(f"'{text}': '{match[1]}' is not a number") from None
        pos = match.end()
    if total < 1 or total != total.to_integral_value():
        raise ScheduleError(
            f"'{text}': the interval must be a whole number of seconds, at least 1s"
        )
    return _interval(text, total)


# --------------------------------------------------------------------------- windows


def next_fire_time(
    schedule: Schedule,
    after: datetime,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
) -> datetime | None:
    """The schedule's next fire strictly after `after` inside [start_at, end_at].

    None past LATEST_INSTANT too: every time Sundial plans converts to any zone and
    to epoch milliseconds.
    """
    if start_at is not None and after < start_at:
        # Just before start_at, so a fire exactly at start_at still counts.
        after = start_at - timedelta(microseconds=1)
    fire = schedule.next_after(after)
    if fire is None or (end_at is not None and fire > end_at) or fire > LATEST_INSTANT:
        return None
    return fire
