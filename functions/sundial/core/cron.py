"""Cron expressions: parsing into a `CronSpec` and finding the next matching wall-clock time.

Sundial owns its cron engine instead of wrapping croniter or cronsim because no single
library has the semantics of docs/schedules.md "Schedules": croniter puts a 6th field last, lacks
`nL`/`LW` and fires a fixed-time job twice on a repeated hour; cronsim rejects `?`, `W`
and macros; neither knows EventBridge's `1-7 = SUN-SAT` or its year field. Both serve as
reference implementations in the property tests, on the expressions they share with us.

This module works on *naive wall-clock* datetimes only. Mapping wall-clock times to
real instants (the daylight-saving rule) is `sundial.core.zones`' job.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import MAXYEAR, date, datetime, timedelta
from functools import lru_cache

from sundial.core.errors import ScheduleError

MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
        start=1,
    )
}
DAY_NAMES = {
    name: number for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])
}

# A schedule whose next match lies further ahead than this never fires: the Gregorian
# calendar repeats every 400 years, so any day pattern that matches at all matches
# within one cycle.
SEARCH_YEARS = 400
# EventBridge accepts years 1970-2199 in cron(); we keep its bounds for the year field.
MIN_YEAR, MAX_YEAR = 1970, 2199


@dataclass(frozen=True)
class FieldRule:
    """How one cron field is spelled: its name in messages and its value range."""

    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


SECOND = FieldRule("second", 0, 59)
MINUTE = FieldRule("minute", 0, 59)
HOUR = FieldRule("hour", 0, 23)
DAY_OF_MONTH = FieldRule("day-of-month", 1, 31)
MONTH = FieldRule("month", 1, 12, MONTH_NAMES)
# Vixie numbering: 0-7 with both 0 and 7 meaning Sunday.
DAY_OF_WEEK = FieldRule("day-of-week", 0, 7, DAY_NAMES)
# EventBridge numbering: 1-7 = SUN-SAT.
AWS_DAY_OF_WEEK = FieldRule("day-of-week", 1, 7, {k: v + 1 for k, v in DAY_NAMES.items()})
YEAR = FieldRule("year", MIN_YEAR, MAX_YEAR)


@dataclass(frozen=True)
class DaySpec:
    """Day-of-month and day-of-week constraints, combined by the Vixie rule.

    Weekdays are 0-6 with 0 = Sunday, whatever numbering the expression used.
    """

    dom: frozenset[int]
    dom_last_offsets: frozenset[int]  # `L` is offset 0, `L-3` is 3
    dom_nearest_weekday: frozenset[int]  # `15W`
    dom_last_weekday: bool  # `LW`
    dom_star: bool  # the field starts with `*` or is `?`
    dow: frozenset[int]
    dow_last: frozenset[int]  # `5L`: the last Friday of the month
    dow_nth: frozenset[tuple[int, int]]  # `5#3`: (weekday, n)
    dow_star: bool

    def days_of(self, year: int, month: int) -> tuple[int, ...]:
        return _matching_days(self, year, month)


@lru_cache(maxsize=4096)
def _matching_days(spec: DaySpec, year: int, month: int) -> tuple[int, ...]:
    first_weekday, length = calendar.monthrange(year, month)
    # calendar counts Monday = 0; cron counts Sunday = 0.
    first_cron_weekday = (first_weekday + 1) % 7

    def weekday(day: int) -> int:
        return (first_cron_weekday + day - 1) % 7

    dom_days = {d for d in spec.dom if d <= length}
    dom_days |= {length - offset for offset in spec.dom_last_offsets if length - offset >= 1}
    for day in spec.dom_nearest_weekday:
        if day <= length:
            dom_days.add(_nearest_weekday(day, length, weekday(day)))
    if spec.dom_last_weekday:
        dom_days.add(_nearest_weekday(length, length, weekday(length)))

    dow_days = {d for d in range(1, length + 1) if weekday(d) in spec.dow}
    for wd in spec.dow_last:
        last = length - (weekday(length) - wd) % 7
        dow_days.add(last)
    for wd, nth in spec.dow_nth:
        day = 1 + (wd - first_cron_weekday) % 7 + 7 * (nth - 1)
        if day <= length:
            dow_days.add(day)

    # Vixie cron: when either field starts with `*` a day must match both, otherwise
    # (both restricted) a day matching either one fires.
    days = dom_days & dow_days if spec.dom_star or spec.dow_star else dom_days | dow_days
    return tuple(sorted(days))


def _nearest_weekday(day: int, length: int, wd: int) -> int:
    """Quartz `W`: the weekday nearest to `day`, never leaving the month."""
    if wd == 6:  # Saturday: Friday before, or Monday after when the 1st is a Saturday
        return day - 1 if day > 1 else day + 2
    if wd == 0:  # Sunday: Monday after, or Friday before when it is the month's last day
        return day + 1 if day < length else day - 2
    return day


@dataclass(frozen=True)
class CronSpec:
    """A parsed cron expression: the sets of values each field allows."""

    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: DaySpec
    months: tuple[int, ...]
    years: tuple[int, ...] | None
    # For the daylight-saving rule: fixed-time when none of second, minute, hour starts
    # with `*`.
    fixed_time: bool

    def next_after(self, after: datetime) -> datetime | None:
        """The first naive wall-clock time strictly after `after` that matches, or None."""
        start = after.replace(microsecond=0) + timedelta(seconds=1)
        year, month, day = start.year, start.month, start.day
        floor: tuple[int, int, int] | None = (start.hour, start.minute, start.second)
        last_year = min(self.years[-1] if self.years else year + SEARCH_YEARS, MAXYEAR)
        while year <= last_year:
            if self.years is not None and year not in self.years:
                year, month, day, floor = year + 1, 1, 1, None
                continue
            if month in self.months:
                days = self.days.days_of(year, month)
                for d in days[bisect_left(days, day) :]:
                    tod = self._first_time(floor if d == day else None)
                    if tod is not None:
                        return datetime(year, month, d, *tod)
            month, day, floor = month + 1, 1, None
            if month > 12:
                year, month = year + 1, 1
        return None

    def _first_time(self, floor: tuple[int, int, int] | None) -> tuple[int, int, int] | None:
        """The earliest matching time of day at or after `floor` (None: from midnight)."""
        if floor is None:
            return self.hours[0], self.minutes[0], self.seconds[0]
        h, m, s = floor
        for hour in self.hours[bisect_left(self.hours, h) :]:
            if hour > h:
                return hour, self.minutes[0], self.seconds[0]
            for minute in self.minutes[bisect_left(self.minutes, m) :]:
                if minute > m:
                    return hour, minute, self.seconds[0]
                i = bisect_left(self.seconds, s)
                if i < len(self.seconds):
                    return hour, minute, self.seconds[i]
        return None

    def matches(self, wall: datetime) -> bool:
        """Whether a naive wall-clock time matches every field."""
        return (
            wall.second in self.seconds
            and wall.minute in self.minutes
            and wall.hour in self.hours
            and wall.month in self.months
            and (self.years is None or wall.year in self.years)
            and wall.day in self.days.days_of(wall.year, wall.month)
        )


# --------------------------------------------------------------------------- parsing

_ITEM = re.compile(r"^(?P<start>[A-Za-z0-9]+)(?:-(?P<end>[A-Za-z0-9]+))?(?:/(?P<step>[^/]*))?$")


def _fail(rule: FieldRule, token: str, problem: str) -> ScheduleError:
    return ScheduleError(f"{rule.name} field '{token}': {problem}")


def _value(rule: FieldRule, raw: str, token: str) -> int:
    upper = raw.upper()
    if rule.names and upper in rule.names:
        return rule.names[upper]
    if not (raw.isascii() and raw.isdigit()):
        allowed = f" or a name like {next(iter(rule.names))}" if rule.names else ""
        raise _fail(rule, token, f"'{raw}' is not a number{allowed}")
    number = int(raw)
    if not rule.low <= number <= rule.high:
        raise _fail(rule, token, f"{number} is out of range {rule.low}-{rule.high}")
    return number


def _step(rule: FieldRule, raw: str, token: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) == 0:
        raise _fail(rule, token, f"step '{raw}' must be a whole number of at least 1")
    return int(raw)


def _values(rule: FieldRule, text: str) -> tuple[set[int], bool]:
    """Plain values of a field: `*`, `?`, numbers, names, ranges, lists and steps.

    Returns the set and whether the field starts with `*` (Vixie's "unrestricted").
    """
    if text == "":
        raise _fail(rule, text, "is empty")
    values: set[int] = set()
    for item in text.split(","):
        values |= _item_values(rule, item, text)
    return values, text.startswith("*") or text == "?"


def _item_values(rule: FieldRule, item: str, token: str) -> set[int]:
    if item == "":
        raise _fail(rule, token, "has an empty list item")
    if item.startswith("*"):
        rest = item[1:]
        if rest == "":
            return set(range(rule.low, rule.high + 1))
        if not rest.startswith("/"):
            raise _fail(rule, token, f"'{item}' is not valid: '*' may only be followed by '/step'")
        return set(range(rule.low, rule.high + 1, _step(rule, rest[1:], token)))
    match = _ITEM.match(item)
    if not match:
        raise _fail(rule, token, f"'{item}' is not a value, range or step")
    start = _value(rule, match["start"], token)
    step = _step(rule, match["step"], token) if match["step"] is not None else 1
    if match["end"] is not None:
        end = _value(rule, match["end"], token)
        if end < start:
            raise _fail(rule, token, f"range '{item}' runs backwards ({start} > {end})")
    else:
        # `a/step` means from a to the end of the range, as in Vixie cron and Quartz.
        end = rule.high if match["step"] is not None else start
    return set(range(start, end + 1, step))


_DOM_LAST = re.compile(r"^L(?:-(\d+))?$", re.ASCII)
_DOM_NEAREST = re.compile(r"^(\d+)W$", re.ASCII)


def parse_day_of_month(text: str) -> tuple[set[int], set[int], set[int], bool, bool]:
    """Day-of-month with `L`, `L-n`, `nW`, `LW` beside plain values."""
    rule = DAY_OF_MONTH
    if text == "?":
        return set(range(1, 32)), set(), set(), False, True
    plain: set[int] = set()
    last_offsets: set[int] = set()
    nearest: set[int] = set()
    last_weekday = False
    for item in text.split(","):
        upper = item.upper()
        if upper == "LW":
            last_weekday = True
        elif m := _DOM_LAST.match(upper):
            offset = int(m[1] or 0)
            if offset > 30:
                raise _fail(rule, text, f"'{item}' reaches before the 1st; use L-0 to L-30")
            last_offsets.add(offset)
        elif m := _DOM_NEAREST.match(upper):
            nearest.add(_value(rule, m[1], text))
        elif "W" in upper or "L" in upper:
            raise _fail(
                rule,
                text,
                f"'{item}' is not valid: W takes a single day (15W) and L stands "
                "alone, as L-n or as LW",
            )
        else:
            plain |= _item_values(rule, item, text)
    return plain, last_offsets, nearest, last_weekday, text.startswith("*")


_DOW_NTH = re.compile(r"^([A-Za-z0-9]+)#(\d+)$", re.ASCII)
_DOW_LAST = re.compile(r"^([A-Za-z0-9]+)L$")


def parse_day_of_week(
    text: str, rule: FieldRule
) -> tuple[set[int], set[int], set[tuple[int, int]], bool]:
    """Day-of-week with `nL` and `n#k`; weekdays come back as 0-6, Sunday = 0."""
    if text == "?":
        return set(range(7)), set(), set(), True

    def to_weekday(number: int) -> int:
        # EventBridge counts 1-7 from Sunday; Vixie counts 0-7 with 7 also Sunday.
        return (number - 1) % 7 if rule is AWS_DAY_OF_WEEK else number % 7

    plain: set[int] = set()
    last: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for item in text.split(","):
        upper = item.upper()
        if upper == "L":
            last_day = 7 if rule is AWS_DAY_OF_WEEK else 6  # Quartz/EventBridge: L is Saturday
            plain.add(to_weekday(last_day))
        elif m := _DOW_NTH.match(item):
            k = int(m[2])
            if not 1 <= k <= 5:
                raise _fail(rule, text, f"'{item}': the occurrence after '#' must be 1-5")
            nth.add((to_weekday(_value(rule, m[1], text)), k))
        elif m := _DOW_LAST.match(upper):
            last.add(to_weekday(_value(rule, m[1], text)))
        elif "#" in item or "L" in upper:
            raise _fail(
                rule, text, f"'{item}' is not valid: use 5L (last Friday) or 5#3 (third Friday)"
            )
        else:
            plain |= {to_weekday(v) for v in _item_values(rule, item, text)}
    return plain, last, nth, text.startswith("*")


# What EventBridge accepts in each field of cron(), besides digits (and, in month and
# day-of-week, the names JAN-DEC and SUN-SAT): its documented wildcards per field.
EVENTBRIDGE_WILDCARDS = {
    MINUTE.name: ",-*/",
    HOUR.name: ",-*/",
    DAY_OF_MONTH.name: ",-*?/LW",
    MONTH.name: ",-*/",
    AWS_DAY_OF_WEEK.name: ",-*?L#",
    YEAR.name: ",-*/",
}
EVENTBRIDGE_FIELDS = (MINUTE, HOUR, DAY_OF_MONTH, MONTH, AWS_DAY_OF_WEEK, YEAR)


def check_eventbridge_fields(fields: list[str]) -> None:
    """Refuse what EventBridge's cron() refuses though the engine could run it: wildcards
    a field does not take (`/` in day-of-week, `?` outside the day fields), Quartz's
    `L-n` and `LW`, and `#` in a list. The engine checks values and ranges."""
    for rule, text in zip(EVENTBRIDGE_FIELDS, fields, strict=True):
        allowed = EVENTBRIDGE_WILDCARDS[rule.name]
        for char in text:
            if not char.isalnum() and char not in allowed:
                listed = " ".join(allowed)
                raise _fail(rule, text, f"'{char}' is not allowed here; EventBridge takes {listed}")
        upper = text.upper()
        if rule is DAY_OF_MONTH and ("L-" in upper or "LW" in upper):
            raise _fail(rule, text, "EventBridge takes L (last day) and nW, not L-n or LW")
        if rule is AWS_DAY_OF_WEEK and "#" in text and "," in text:
            raise _fail(rule, text, "a field with '#' takes a single expression, not a list")


def build_spec(
    *,
    seconds: str,
    minutes: str,
    hours: str,
    dom: str,
    months: str,
    dow: str,
    years: str | None = None,
    dow_rule: FieldRule = DAY_OF_WEEK,
) -> CronSpec:
    """Parse the fields of one cron expression, however it was spelled, into a CronSpec."""
    sec_values, _ = _values(SECOND, seconds)
    min_values, _ = _values(MINUTE, minutes)
    hour_values, _ = _values(HOUR, hours)
    dom_plain, dom_last, dom_nearest, dom_lw, dom_star = parse_day_of_month(dom)
    month_values, _ = _values(MONTH, months)
    dow_plain, dow_last, dow_nth, dow_star = parse_day_of_week(dow, dow_rule)
    year_values = None
    if years is not None and years not in ("*", "?"):
        year_values = tuple(sorted(_values(YEAR, years)[0]))
    days = DaySpec(
        dom=frozenset(dom_plain),
        dom_last_offsets=frozenset(dom_last),
        dom_nearest_weekday=frozenset(dom_nearest),
        dom_last_weekday=dom_lw,
        dom_star=dom_star,
        dow=frozenset(dow_plain),
        dow_last=frozenset(dow_last),
        dow_nth=frozenset(dow_nth),
        dow_star=dow_star,
    )
    return CronSpec(
        seconds=tuple(sorted(sec_values)),
        minutes=tuple(sorted(min_values)),
        hours=tuple(sorted(hour_values)),
        days=days,
        months=tuple(sorted(month_values)),
        years=year_values,
        fixed_time=not any(f.startswith("*") for f in (seconds, minutes, hours)),
    )


def first_match_from(spec: CronSpec, start: date) -> datetime | None:
    """The first match at or after midnight of `start`; None proves the spec never fires."""
    return spec.next_after(datetime(start.year, start.month, start.day) - timedelta(seconds=1))
