"""Planning: which fires of a task to emit now, and where its due index entry moves next.

One pure function serves the dispatcher's sweep, the API's dispatch-on-write and the
backfill (step 2, "Plan", of docs/dispatch.md "How dispatch works"). It never reads a clock: `now`
is an argument, so a re-plan after a crash yields the same fires with the same execution
ids and jitter.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sundial.core.aws_limits import SQS_MAX_DELAY_SECONDS
from sundial.core.clock import EARLIEST_INSTANT, to_ms
from sundial.core.exclusions import ExcludedDays, first_instant_of
from sundial.core.schedule import (
    IntervalSchedule,
    OneTimeSchedule,
    Schedule,
    next_fire_time,
    parse_schedule,
)
from sundial.core.zones import load_zone

# fire_all replays at most this many missed fires of one task per sweep; older ones are
# coalesced into a single run so an outage cannot flood the queue.
MAX_REPLAYED_MISSES = 1000
# SQS delays are whole seconds and the dispatcher floors them, so a message may arrive up
# to a second before its fire time; the executor claims it at once and waits out the
# rest in process. A run therefore exists at most this long before its fire time.
EARLY_CLAIM_MS = 1000


@dataclass(frozen=True)
class Timing:
    """The fields of a task that decide when it fires."""

    task_id: str
    schedule: str
    timezone: str
    created_at: datetime
    start_at: datetime | None = None
    end_at: datetime | None = None
    jitter_seconds: int = 0
    misfire_policy: str = "fire_once"
    grace_seconds: int = 60
    # Scheduled runs the task may still dispatch (its `max_runs` minus those dispatched),
    # or None: no limit.
    runs_left: int | None = None
    # The days of `exclude` (its calendars' dates resolved): occurrences on them are
    # not fired, as if the schedule did not have them.
    excluded: ExcludedDays = field(default_factory=ExcludedDays)

    def parsed(self) -> Schedule:
        """The schedule, anchored for elapsed-time forms.

        `rate()`/`@every` count from the task's creation (first fire one interval later),
        or from `start_at` so that the first fire lands on `start_at` itself.
        """
        schedule = parse_schedule(self.schedule, self.timezone)
        if isinstance(schedule, IntervalSchedule):
            anchor = self.start_at - schedule.interval if self.start_at else self.created_at
            return schedule.anchored(anchor)
        return schedule


def next_occurrence(timing: Timing, schedule: Schedule, after: datetime) -> datetime | None:
    """The task's next occurrence strictly after `after`: the schedule's next fire inside
    the task's window whose local date is not excluded.

    An occurrence on an excluded day jumps past the whole excluded range at once, so a
    long range costs one step, not one per occurrence it holds.
    """
    fire = next_fire_time(schedule, after, timing.start_at, timing.end_at)
    if not timing.excluded:
        return fire
    zone = load_zone(timing.timezone)
    while fire is not None:
        excluded = timing.excluded.range_of(fire.astimezone(zone).date())
        if excluded is None:
            return fire
        if excluded.last == date.max:
            return None
        # Just before the day after the range; never before `fire`, so this advances.
        resume = first_instant_of(excluded.last + timedelta(days=1), zone)
        after = max(fire, resume - timedelta(microseconds=1))
        fire = next_fire_time(schedule, after, timing.start_at, timing.end_at)
    return None


def is_excluded(timing: Timing, instant: datetime) -> bool:
    """Whether `instant` falls on one of the task's excluded days (its time zone's date)."""
    if not timing.excluded:
        return False
    local_day = instant.astimezone(load_zone(timing.timezone)).date()
    return timing.excluded.range_of(local_day) is not None


@dataclass(frozen=True)
class Fire:
    """One run to enqueue.

    `scheduled_at` is the nominal fire time and names the execution; `fire_at` adds the
    task's jitter and is when the run should start. `coalesced` counts the scheduled
    fires this run stands for (more than one only when missed fires were merged).
    """

    execution_id: str
    scheduled_at: datetime
    fire_at: datetime
    coalesced: int = 1


@dataclass(frozen=True)
class Plan:
    fires: list[Fire] = field(default_factory=list)
    # The nominal time of the first fire not emitted, or None: the task has finished.
    next_due_at: datetime | None = None
    # Missed fires the `skip` policy dropped.
    skipped: int = 0


def execution_id(task_id: str, scheduled_at: datetime) -> str:
    """A scheduled execution is named by its task and nominal fire time, so a re-sent or
    backfilled fire keeps the id (and the run record) of the fire it repeats."""
    return f"{task_id}:{to_ms(scheduled_at)}"


def jitter_offset(execution: str, jitter_seconds: int) -> timedelta:
    """A deterministic offset in [0, jitter_seconds], derived from the execution id.

    Deterministic so that a re-plan (after a crash, or by a concurrent sweep) sends the
    duplicate for the same instant, and the executor's claim dedupes it.
    """
    if jitter_seconds <= 0:
        return timedelta(0)
    digest = hashlib.sha256(execution.encode()).digest()
    return timedelta(milliseconds=int.from_bytes(digest[:8], "big") % (jitter_seconds * 1000 + 1))


def make_fire(timing: Timing, scheduled_at: datetime, coalesced: int = 1) -> Fire:
    execution = execution_id(timing.task_id, scheduled_at)
    return Fire(
        execution_id=execution,
        scheduled_at=scheduled_at,
        fire_at=scheduled_at + jitter_offset(execution, timing.jitter_seconds),
        coalesced=coalesced,
    )


def first_due_at(timing: Timing, now: datetime) -> datetime | None:
    """Where a new or resumed task enters the due index: its first fire after `now`.

    A one-time `at()` slightly in the past (within the misfire grace) still fires, at once.
    """
    schedule = timing.parsed()
    after = now
    if isinstance(schedule, OneTimeSchedule):
        reach = timedelta(seconds=timing.grace_seconds, microseconds=1)
        # Never before the planning range: no at() lies there, and datetimes end at year 1.
        after = max(now, EARLIEST_INSTANT + reach) - reach
    return next_occurrence(timing, schedule, after)


def plan_fires(
    timing: Timing,
    due_at: datetime,
    now: datetime,
    horizon: timedelta,
    *,
    lookahead: timedelta = timedelta(0),
    max_fires: int = 0,
) -> Plan:
    """The fires to emit for a task whose first pending fire is `due_at`.

    Emits every fire with a nominal time in [due_at, now + horizon]: those are due, and
    the next sweep may come too late for them. Fires older than the misfire grace follow
    the task's policy: `fire_once` merges them into one run at the latest missed time,
    `fire_all` replays them (at most MAX_REPLAYED_MISSES, older ones merged), `skip`
    drops them.

    Then, so that one commit covers many fires of a frequent task, it keeps going past
    the horizon while the plan holds fewer than `max_fires` fires and the next fire
    starts (jitter included) by `now + lookahead`. Bounding the jittered time keeps
    every such fire's delay, counted from any moment after `now`, within the lookahead,
    so none arrives before its time. A lookahead at or below the horizon adds nothing.

    A run limit (`timing.runs_left`) caps the plan at that many runs (a coalesced run
    counts as one); a plan that reaches it ends the task, whatever fires the schedule
    has left, so one commit dispatches the last allowed run and completes the task.

    Returns the first nominal time not emitted as the next due time, or None when the
    schedule (or its window, or the run limit) has ended.
    """
    schedule = timing.parsed()
    until = now + horizon
    missed_before = now - timedelta(seconds=timing.grace_seconds)
    missed: list[datetime] = []
    upcoming: list[datetime] = []
    cursor: datetime | None = due_at
    if is_excluded(timing, due_at):
        # Excluded since it was planned (a calendar changed): not fired.
        cursor = next_occurrence(timing, schedule, due_at)
    while cursor is not None and cursor <= until:
        (missed if cursor < missed_before else upcoming).append(cursor)
        cursor = next_occurrence(timing, schedule, cursor)
    fires, skipped = _apply_misfire_policy(timing, missed)
    fires.extend(make_fire(timing, at) for at in upcoming)
    reach = now + lookahead
    while cursor is not None and len(fires) < max_fires:
        ahead = make_fire(timing, cursor)
        if ahead.fire_at > reach:
            break
        fires.append(ahead)
        cursor = next_occurrence(timing, schedule, cursor)
    if timing.runs_left is not None and len(fires) >= timing.runs_left:
        return Plan(fires=fires[: max(0, timing.runs_left)], next_due_at=None, skipped=skipped)
    return Plan(fires=fires, next_due_at=cursor, skipped=skipped)


def _apply_misfire_policy(timing: Timing, missed: list[datetime]) -> tuple[list[Fire], int]:
    if not missed:
        return [], 0
    if timing.misfire_policy == "skip":
        return [], len(missed)
    if timing.misfire_policy == "fire_all":
        if len(missed) <= MAX_REPLAYED_MISSES:
            return [make_fire(timing, at) for at in missed], 0
        merged = len(missed) - (MAX_REPLAYED_MISSES - 1)
        oldest = make_fire(timing, missed[merged - 1], coalesced=merged)
        return [oldest, *(make_fire(timing, at) for at in missed[merged:])], 0
    # fire_once (the default): one run, at the latest missed time, standing for them all.
    return [make_fire(timing, missed[-1], coalesced=len(missed))], 0


def backfill_times(timing: Timing, start: datetime, end: datetime, limit: int) -> list[datetime]:
    """Nominal fire times in [start, end], at most `limit` (the API caps a backfill)."""
    schedule = timing.parsed()
    times: list[datetime] = []
    cursor = next_occurrence(timing, schedule, start - timedelta(microseconds=1))
    while cursor is not None and cursor <= end and len(times) < limit:
        times.append(cursor)
        cursor = next_occurrence(timing, schedule, cursor)
    return times


def delay_seconds(fire_at: datetime, now: datetime) -> int:
    """A fire's message delay: clamp(floor(fire_at - now), 0, 900). Whole seconds, never late.

    Flooring makes the message visible up to a second early; the executor waits out the
    remainder, so runs start on the fire time rather than up to a second after it.
    """
    seconds = int((fire_at - now).total_seconds() // 1)
    return max(0, min(seconds, SQS_MAX_DELAY_SECONDS))
