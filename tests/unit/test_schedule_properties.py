"""Property-based tests of `preview` on random cron expressions, zones and start instants.

Expressions are built field by field (values, names, ranges, steps, lists, `*`, `?`) so
each test knows the exact set of values every field allows, independently of the engine.
`after` is drawn uniformly from 2020-2035 or close to a daylight-saving transition of the
drawn zone, so the DST rule (docs/schedules.md "Schedules") is exercised often.

Properties:

* fire times strictly increase, start after `after`, and come back in the zone's offset;
* every fire's wall clock matches every field, day-of-month/day-of-week by the Vixie rule,
  except a fixed-time fire at a spring-forward transition, which must stand for a matching
  wall time inside the gap it closes (a gap time fires at the first instant after the
  gap);
* asking again from any fire continues the same sequence (iteration is consistent);
* an expression `preview` calls never-firing really matches no day in a 28-year cycle;
* agreement with reference libraries where their semantics are Sundial's:

  - cronsim implements Debian cron: the Vixie day rule (a field starting with `*` makes the
    day fields AND) and, for 5-field expressions whose minute and hour do not start with
    `*`, the fixed-time DST rule (a gap time fires at the first instant after the gap, a
    repeated time once, at its first occurrence); every other expression fires at each
    real instant whose wall time matches. That is Sundial's rule word for word, so 5-field
    expressions are compared in every zone. Two exceptions: cronsim reads a fixed-time start as its
    naive wall clock, so from inside the second pass of a repeated hour it answers with
    the first pass (before the start); those starts are not compared. And cronsim applies
    no DST rule to 6-field expressions, so fixed-time 6-field expressions are compared
    only in zones without transitions (UTC, Asia/Kolkata). Its real-instant search steps
    whole hours in UTC, which loses the wall minute across Australia/Lord_Howe's 30-minute
    shifts ('* 0 * * *' after 2020-04-05T01:30+10:30 gives 00:30, not 00:00, next day),
    so non-fixed expressions are not compared with it in that zone.
  - croniter is compared in UTC only (its fixed-time DST handling fires a repeated time
    twice and skips gap times) with `implement_cron_bug=True`, which is Vixie's day rule;
    croniter rewrites a day field covering its whole range into `*`, expands a one-value
    range ('57-57') to `*` and misreads day-of-week ranges reaching 7, so expressions
    with such fields are left to cronsim. cronsim in turn misreads a stepped range that yields a
    single value ('23-23/1' as '23/1', i.e. 23-59), so those are left to croniter and to
    the field-by-field property.
"""

from __future__ import annotations

import calendar
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from croniter.croniter import CroniterBadDateError
from cronsim import CronSim, CronSimError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sundial import ScheduleError, preview

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
DST_FREE = {"UTC", "Asia/Kolkata"}
FIRST = datetime(2020, 1, 1, tzinfo=UTC)
LAST = datetime(2035, 12, 31, 23, 59, 59, tzinfo=UTC)
ONE_SECOND = timedelta(seconds=1)
COUNT = 6

SETTINGS = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


# --------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class Rule:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] spells low + i


SECOND = Rule("second", 0, 59)
MINUTE = Rule("minute", 0, 59)
HOUR = Rule("hour", 0, 23)
DOM = Rule("day-of-month", 1, 31)
MONTH = Rule("month", 1, 12, tuple(MONTHS))
DOW = Rule("day-of-week", 0, 7, tuple(DAYS))


@dataclass(frozen=True)
class Field:
    text: str
    values: frozenset[int]
    star: bool  # starts with `*` (or is `?`): Vixie's "unrestricted"
    # Holds a stepped range that yields a single value (`23-23/1`, `5-6/2`), which cronsim
    # misreads as `start/step` (23-59): such fields are not compared with cronsim.
    lone_stepped_range: bool = False
    # Holds a one-value range (`57-57`), which croniter 7 expands to `*`: such fields are
    # not compared with croniter.
    one_value_range: bool = False


def _spell(rule: Rule, value: int, use_name: bool) -> str:
    index = value - rule.low
    if use_name and rule.names and 0 <= index < len(rule.names):
        return rule.names[index]
    return str(value)


@st.composite
def _item(draw: st.DrawFn, rule: Rule) -> tuple[str, set[int], bool]:
    """One list item that does not start with `*`, and whether it is a one-value range."""
    span = rule.high - rule.low
    names = draw(st.booleans()) if rule.names else False
    kind = draw(st.sampled_from(["value", "value", "range", "range_step", "start_step"]))
    a = draw(st.integers(rule.low, rule.high))
    if kind == "value":
        return _spell(rule, a, names), {a}, False
    if kind == "start_step":
        step = draw(st.integers(1, span))
        return f"{_spell(rule, a, names)}/{step}", set(range(a, rule.high + 1, step)), False
    b = draw(st.integers(a, rule.high))
    text = f"{_spell(rule, a, names)}-{_spell(rule, b, names)}"
    if kind == "range":
        return text, set(range(a, b + 1)), a == b
    step = draw(st.integers(1, max(1, b - a)))
    return f"{text}/{step}", set(range(a, b + 1, step)), a == b


@st.composite
def field(draw: st.DrawFn, rule: Rule, question_mark: bool = False) -> Field:
    full = frozenset(range(rule.low, rule.high + 1))
    kind = draw(st.sampled_from(["star", "star_step", "list", "list", "list"]))
    if kind == "star":
        text = draw(st.sampled_from(["*", "?"])) if question_mark else "*"
        return Field(text, full, True)
    if kind == "star_step":
        step = draw(st.integers(1, rule.high - rule.low))
        return Field(f"*/{step}", frozenset(range(rule.low, rule.high + 1, step)), True)
    items = draw(st.lists(_item(rule), min_size=1, max_size=3))
    values: set[int] = set()
    for _, item_values, _ in items:
        values |= item_values
    lone = any("-" in text and "/" in text and len(v) == 1 for text, v, _ in items)
    one_value = any(flag for _, _, flag in items)
    return Field(",".join(text for text, _, _ in items), frozenset(values), False, lone, one_value)


@dataclass(frozen=True)
class Cron:
    seconds: Field | None  # None: a 5-field expression (second 0)
    minutes: Field
    hours: Field
    dom: Field
    months: Field
    dow: Field

    @property
    def text(self) -> str:
        parts = [self.minutes, self.hours, self.dom, self.months, self.dow]
        if self.seconds is not None:
            parts.insert(0, self.seconds)
        return " ".join(p.text for p in parts)

    @property
    def second_values(self) -> frozenset[int]:
        return self.seconds.values if self.seconds is not None else frozenset({0})

    @property
    def fixed_time(self) -> bool:
        # Fixed-time (the DST rule's test) when none of second, minute, hour starts with `*`.
        fields = [self.minutes, self.hours] + ([self.seconds] if self.seconds else [])
        return not any(f.text.startswith("*") for f in fields)

    @property
    def fields(self) -> list[Field]:
        rest = [self.minutes, self.hours, self.dom, self.months, self.dow]
        return rest if self.seconds is None else [self.seconds, *rest]

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(v % 7 for v in self.dow.values)

    def day_matches(self, year: int, month: int, day: int) -> bool:
        if month not in self.months.values:
            return False
        in_dom = day in self.dom.values
        in_dow = (calendar.weekday(year, month, day) + 1) % 7 in self.weekdays
        if self.dom.star or self.dow.star:
            return in_dom and in_dow
        return in_dom or in_dow

    def matches(self, wall: datetime) -> bool:
        return (
            wall.second in self.second_values
            and wall.minute in self.minutes.values
            and wall.hour in self.hours.values
            and self.day_matches(wall.year, wall.month, wall.day)
        )

    def fires_in_cycle(self) -> bool:
        """Whether any day of a full 28-year weekday/leap-year cycle matches."""
        for year in range(2024, 2052):
            for month in self.months.values:
                for day in range(1, calendar.monthrange(year, month)[1] + 1):
                    if self.day_matches(year, month, day):
                        return True
        return False


@st.composite
def night_hours(draw: st.DrawFn) -> Field:
    """Hours around the DST transitions of the test zones (01:00-03:00 local)."""
    if draw(st.booleans()):
        return draw(field(HOUR))
    items = draw(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2)), min_size=1, max_size=3))
    values: set[int] = set()
    texts = []
    for start, width in items:
        end = min(start + width, 4)
        texts.append(str(start) if end == start else f"{start}-{end}")
        values |= set(range(start, end + 1))
    return Field(",".join(texts), frozenset(values), False)


def _any_day(draw: st.DrawFn) -> Field:
    return Field(draw(st.sampled_from(["*", "?"])), frozenset(range(1, 32)), True)


@st.composite
def cron(draw: st.DrawFn, six_fields: bool | None = None, dense: bool | None = None) -> Cron:
    """A random expression; a dense one fires every day at night hours, so that its fires
    land inside DST transitions often."""
    if six_fields is None:
        six_fields = draw(st.booleans())
    if dense is None:
        dense = draw(st.booleans())
    if dense:
        return Cron(
            seconds=draw(field(SECOND)) if six_fields else None,
            minutes=draw(field(MINUTE)),
            hours=draw(night_hours()),
            dom=_any_day(draw),
            months=Field("*", frozenset(range(1, 13)), True),
            dow=Field(draw(st.sampled_from(["*", "?"])), frozenset(range(8)), True),
        )
    return Cron(
        seconds=draw(field(SECOND)) if six_fields else None,
        minutes=draw(field(MINUTE)),
        hours=draw(field(HOUR)),
        dom=draw(field(DOM, question_mark=True)),
        months=draw(field(MONTH)),
        dow=draw(field(DOW, question_mark=True)),
    )


# --------------------------------------------------------------------------- instants


@cache
def transitions(name: str) -> tuple[datetime, ...]:
    """Instants (UTC, to the second) where the zone's offset changes, 2020-2035."""
    zone = ZoneInfo(name)

    def offset(instant: datetime) -> timedelta | None:
        return instant.astimezone(zone).utcoffset()

    found = []
    lo = FIRST
    while lo < LAST:
        hi = lo + timedelta(days=1)
        if offset(hi) != offset(lo):
            a, b = lo, hi
            while b - a > ONE_SECOND:
                mid = (a + (b - a) / 2).replace(microsecond=0)
                a, b = (mid, b) if offset(mid) == offset(a) else (a, mid)
            found.append(b)
        lo = hi
    return tuple(found)


@st.composite
def zone_and_after(draw: st.DrawFn, zones: list[str] | None = None) -> tuple[str, datetime]:
    name = draw(st.sampled_from(zones or ZONES))
    near = transitions(name)
    if near and draw(st.booleans()):
        pivot = draw(st.sampled_from(near))
        # Mostly within the two hours around the transition: a dense schedule's few
        # fires must straddle it.
        window = draw(st.sampled_from([(-7200, 3600), (-7200, 3600), (-86400, 86400)]))
        after = pivot + timedelta(seconds=draw(st.integers(*window)))
    else:
        seconds = draw(st.integers(0, int((LAST - FIRST).total_seconds())))
        after = FIRST + timedelta(seconds=seconds)
    if draw(st.integers(0, 9)) == 0:
        after += timedelta(microseconds=draw(st.integers(1, 999_999)))
    return name, after.astimezone(ZoneInfo(name))


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _is_repeated_wall(instant: datetime, zone: ZoneInfo) -> bool:
    """Whether the wall time shown at `instant` also occurs at another instant."""
    wall = _wall(instant, zone)
    # A wall time read off a real instant is never in a gap, so two offsets mean two passes.
    return (
        wall.replace(tzinfo=zone, fold=0).utcoffset()
        != wall.replace(tzinfo=zone, fold=1).utcoffset()
    )


def _fires(
    expr: Cron, zone_name: str, after: datetime, count: int = COUNT
) -> list[datetime] | None:
    """preview, or None when it (correctly) reports a schedule that never fires."""
    try:
        return preview(expr.text, zone_name, after=after, count=count)
    except ScheduleError:
        assert not expr.fires_in_cycle(), f"{expr.text!r} matches some day but was refused"
        return None


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(expr=cron(), zone_after=zone_and_after())
def test_fire_times_increase_and_match_the_expression(expr: Cron, zone_after) -> None:
    zone_name, after = zone_after
    zone = ZoneInfo(zone_name)
    fires = _fires(expr, zone_name, after)
    if fires is None:
        return
    assert len(fires) == COUNT
    # Aware datetimes sharing a tzinfo compare by wall clock (fold ignored): use UTC.
    instants = [fire.astimezone(UTC) for fire in fires]
    assert instants[0] > after.astimezone(UTC)
    assert all(a < b for a, b in itertools.pairwise(instants)), fires
    for fire in fires:
        assert fire.utcoffset() == fire.astimezone(zone).utcoffset(), "rendered in the zone"
        assert fire.microsecond == 0
        wall = _wall(fire, zone)
        if expr.matches(wall):
            if expr.fixed_time and _is_repeated_wall(fire, zone):
                # A repeated wall time fires once, at its first occurrence.
                first = wall.replace(tzinfo=zone, fold=0)
                assert fire.isoformat() == first.isoformat(), (
                    f"{expr.text!r}: {fire.isoformat()} is the second pass"
                )
            continue
        # Only a fixed-time fire standing for a time inside a spring-forward gap may
        # show a wall clock that does not match: it lands on the transition instant.
        assert expr.fixed_time, f"{expr.text!r}: {fire.isoformat()} does not match"
        # Aware arithmetic within one tzinfo is wall-clock arithmetic: step in UTC.
        before = (fire.astimezone(UTC) - ONE_SECOND).astimezone(zone)
        jump = fire.utcoffset() - before.utcoffset()
        assert jump > timedelta(0), f"{expr.text!r}: {fire.isoformat()} is not after a gap"
        gap_start = _wall(before, zone) + ONE_SECOND
        skipped = (gap_start + timedelta(seconds=s) for s in range(int(jump.total_seconds())))
        assert any(expr.matches(t) for t in skipped), (
            f"{expr.text!r}: {fire.isoformat()} closes a gap holding no matching time"
        )


@SETTINGS
@given(expr=cron(), zone_after=zone_and_after(), k=st.integers(1, COUNT - 1))
def test_asking_again_from_a_fire_continues_the_sequence(expr: Cron, zone_after, k: int) -> None:
    zone_name, after = zone_after
    fires = _fires(expr, zone_name, after)
    if fires is None:
        return
    again = preview(expr.text, zone_name, after=fires[k - 1], count=COUNT - k)
    # ISO strings carry the offset, so a fire from the wrong pass of a repeated hour shows.
    assert [f.isoformat() for f in again] == [f.isoformat() for f in fires[k:]]


def _cronsim_fires(text: str, after: datetime, count: int) -> list[datetime]:
    out: list[datetime] = []
    iterator = CronSim(text.replace("?", "*"), after)
    for _ in range(count):
        try:
            out.append(next(iterator))
        except StopIteration:  # cronsim gives up after 50 years without a match
            break
    return out


@SETTINGS
@given(expr=cron(), zone_after=zone_and_after())
def test_agrees_with_cronsim(expr: Cron, zone_after) -> None:
    zone_name, after = zone_after
    zone = ZoneInfo(zone_name)
    assume(not any(f.lone_stepped_range for f in expr.fields))
    if not expr.fixed_time:
        # cronsim's real-instant search steps whole hours in UTC and loses the wall
        # minute across Lord Howe's 30-minute shifts.
        assume(zone_name != "Australia/Lord_Howe")
    if expr.seconds is not None:
        # cronsim applies no DST rule to 6-field expressions.
        assume(not expr.fixed_time or zone_name in DST_FREE)
    elif expr.fixed_time:
        # cronsim restarts a fixed-time search from the naive wall clock of the start.
        assume(not _is_repeated_wall(after, zone))
    fires = _fires(expr, zone_name, after)
    if fires is None:
        return
    try:
        reference = _cronsim_fires(expr.text, after, COUNT)
    except CronSimError:
        pytest.fail(f"cronsim rejects {expr.text!r}, a plain expression both should accept")
    assert [f.isoformat() for f in fires[: len(reference)]] == [r.isoformat() for r in reference], (
        expr.text
    )


def _full_without_star(f: Field, rule: Rule) -> bool:
    if f.star:
        return False
    if rule is DOW:
        return {v % 7 for v in f.values} == set(range(7))
    return f.values == frozenset(range(rule.low, rule.high + 1))


@SETTINGS
@given(expr=cron(), zone_after=zone_and_after(["UTC"]))
def test_agrees_with_croniter_in_utc(expr: Cron, zone_after) -> None:
    _, after = zone_after
    assume(not _full_without_star(expr.dom, DOM) and not _full_without_star(expr.dow, DOW))
    # croniter folds day-of-week 7 into its ranges wrongly, and reads 'a-a' as '*'.
    assume(expr.dow.star or 7 not in expr.dow.values)
    assume(not any(f.one_value_range for f in expr.fields))
    fires = _fires(expr, "UTC", after)
    if fires is None:
        return
    iterator = croniter(
        expr.text,
        after.astimezone(UTC),
        second_at_beginning=expr.seconds is not None,
        implement_cron_bug=True,
        ret_type=datetime,
    )
    reference = []
    for _ in range(COUNT):
        try:
            reference.append(iterator.get_next(datetime))
        except CroniterBadDateError:  # croniter gives up on sparse schedules
            break
    assert [f.astimezone(UTC) for f in fires[: len(reference)]] == [
        r.astimezone(UTC) for r in reference
    ], expr.text


@SETTINGS
@given(expr=cron(six_fields=False), zone_after=zone_and_after())
def test_naive_after_is_wall_time_in_the_zone(expr: Cron, zone_after) -> None:
    zone_name, after = zone_after
    zone = ZoneInfo(zone_name)
    wall = _wall(after, zone)
    # A naive start is the first occurrence of that wall time.
    first = wall.replace(tzinfo=zone, fold=0)
    assume(_wall(first.astimezone(UTC), zone) == wall)
    fires = _fires(expr, zone_name, first)
    if fires is None:
        return
    naive = preview(expr.text, zone_name, after=wall, count=COUNT)
    assert [f.isoformat() for f in naive] == [f.isoformat() for f in fires]


# --------------------------------------------------------------------------- intervals

RATE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@st.composite
def interval_schedule(draw: st.DrawFn) -> tuple[str, int]:
    if draw(st.booleans()):
        unit = draw(st.sampled_from(sorted(RATE_UNITS)))
        value = draw(st.integers(1, 500))
        word = unit if value == 1 else unit + "s"
        return f"rate({value} {word})", value * RATE_UNITS[unit]
    h, m, s = draw(st.integers(0, 50)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    assume(h or m or s)
    text = "".join(f"{n}{u}" for n, u in ((h, "h"), (m, "m"), (s, "s")) if n)
    return f"@every {text}", h * 3600 + m * 60 + s


@SETTINGS
@given(schedule=interval_schedule(), zone_after=zone_and_after())
def test_intervals_count_elapsed_time_from_after(schedule, zone_after) -> None:
    text, seconds = schedule
    zone_name, after = zone_after
    after = after.replace(microsecond=0)
    fires = preview(text, zone_name, after=after, count=COUNT)
    step = timedelta(seconds=seconds)
    assert [f.astimezone(UTC) for f in fires] == [
        after.astimezone(UTC) + k * step for k in range(1, COUNT + 1)
    ]
    zone = ZoneInfo(zone_name)
    assert all(f.utcoffset() == f.astimezone(zone).utcoffset() for f in fires)


# --------------------------------------------------------------------------- at()


@SETTINGS
@given(zone_after=zone_and_after(), ahead=st.integers(1, 3 * 86400))
def test_at_fires_once_by_the_fixed_time_rule(zone_after, ahead: int) -> None:
    zone_name, after = zone_after
    zone = ZoneInfo(zone_name)
    wall = _wall(after, zone).replace(microsecond=0) + timedelta(seconds=ahead)
    fires = preview(f"at({wall.isoformat()})", zone_name, after=FIRST - timedelta(days=1), count=3)
    assert len(fires) == 1, "a one-time schedule fires once"
    fire = fires[0]
    first = wall.replace(tzinfo=zone, fold=0)
    if _wall(first.astimezone(UTC), zone) == wall:
        # An existing (or repeated) wall time fires at its first occurrence.
        assert fire.isoformat() == first.isoformat()
    else:
        # A wall time in a gap fires at the first instant after the gap.
        before = (fire.astimezone(UTC) - ONE_SECOND).astimezone(zone)
        assert _wall(before, zone) < wall < _wall(fire, zone)
        assert fire.utcoffset() > before.utcoffset()
