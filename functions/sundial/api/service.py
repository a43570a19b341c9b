"""What each API operation does, in domain terms: no HTTP, no events, one tenant per call.

Every function takes the caller's tenant and reaches tasks only through the store's
tenant-scoped operations, so another tenant's task is `TaskNotFound` (404) everywhere.
The HTTP layer (`app.py`) parses requests into these arguments and shapes the replies.

Where a task enters the due index is decided here: on create, on a timing change, and
on resume, always from *now* (a resumed task does not run the fires it missed). After
such a write the fires inside the dispatch horizon are enqueued at once
(`dispatch_now`), so a task created to fire in ten seconds fires in ten seconds.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sundial import store, workqueue
from sundial.api.settings import api_settings
from sundial.core.clock import format_timestamp, from_ms, to_ms, utc_now
from sundial.core.describe import describe
from sundial.core.errors import ScheduleError, ValidationError
from sundial.core.exclusions import ExcludedDays, calendar_names
from sundial.core.handlers import import_handler_modules, registered_names
from sundial.core.planning import Timing, backfill_times, first_due_at, next_occurrence
from sundial.core.preview import all_excluded, preview
from sundial.core.schedule import OneTimeSchedule
from sundial.core.task import Target, TaskSpec, TaskUpdate, apply_update
from sundial.core.task.feasibility import check_destinations_feasible, check_target_feasible
from sundial.core.task.notifications import Notification
from sundial.core.vocabulary import PauseReason, TaskState
from sundial.observability import logger, metrics
from sundial.settings import get_settings
from sundial.store import RunItem, TaskItem
from sundial.store.tasks import LIMIT_FIELDS, TIMING_FIELDS
from sundial.workqueue import MAX_BACKFILL_FIRES, run_limits
from sundial.workqueue.pausing import pause_task as pause_stored_task

# --- timing ---------------------------------------------------------------------------------


def timing_for(
    task_id: str, spec: TaskSpec, created_at: datetime, excluded: ExcludedDays | None = None
) -> Timing:
    return Timing(
        task_id=task_id,
        schedule=spec.schedule,
        timezone=spec.timezone,
        created_at=created_at,
        start_at=spec.start_at,
        end_at=spec.end_at,
        jitter_seconds=spec.jitter_seconds,
        misfire_policy=spec.misfire.policy,
        grace_seconds=spec.misfire.grace_seconds,
        excluded=excluded or ExcludedDays(),
    )


def excluded_days(tenant: str, exclude: list[str]) -> ExcludedDays:
    """The days `exclude` names, its calendars the tenant's; UnknownCalendar (400, field
    `exclude`) for one the tenant does not have (the store's write checks it again, in
    the task's transaction)."""
    names = calendar_names(exclude)
    found = store.calendar_dates(tenant, names, consistent=True) if names else {}
    for name in names:
        if name not in found:
            raise store.UnknownCalendar(name)
    return ExcludedDays.of(exclude, found)


def stored_timing(item: TaskItem, calendars: store.CalendarCache) -> Timing:
    """A stored task's timing with its excluded days (its calendars read through `calendars`)."""
    return store.timing_of(item, calendars.excluded_days(item.tenant, item.exclude))


def first_fire(timing: Timing, now: datetime) -> datetime:
    """Where a task with this timing enters the due index; 400 when it would never fire.

    The task model cannot check this itself: it depends on the time of the request.
    """
    due = first_due_at(timing, now)
    if due is not None:
        return due
    if timing.excluded:
        everywhere = dataclasses.replace(timing, excluded=ExcludedDays())
        if first_due_at(everywhere, now) is not None:
            raise all_excluded(timing.schedule, now)
    schedule = timing.parsed()
    if isinstance(schedule, OneTimeSchedule):
        raise ScheduleError(
            f"schedule '{timing.schedule}' is more than misfire.grace_seconds "
            f"({timing.grace_seconds} s) in the past; a one-time task must be due in the future"
        )
    unbounded = dataclasses.replace(timing, start_at=None, end_at=None)
    if first_due_at(unbounded, now) is None:
        raise ScheduleError(f"schedule '{timing.schedule}' has no fire time after now")
    raise ValidationError(
        "end_at leaves no fire time: the schedule does not fire between "
        f"{format_timestamp(max(timing.start_at or now, now))} and "
        f"{format_timestamp(timing.end_at) if timing.end_at else 'the end of the window'}",
        field="end_at",
    )


def next_fire_times(
    item: TaskItem, now: datetime, count: int, calendars: store.CalendarCache | None = None
) -> list[datetime]:
    """The task's next `count` fires from now, excluded days skipped (none while paused
    or completed). `calendars` shares calendar reads across the tasks of one reply."""
    if item.state != TaskState.ACTIVE:
        return []
    timing = stored_timing(item, calendars or store.CalendarCache())
    schedule = timing.parsed()
    fire = first_due_at(timing, now)
    times: list[datetime] = []
    while fire is not None and len(times) < count:
        times.append(fire)
        fire = next_occurrence(timing, schedule, fire)
    return times


# --- tasks ------------------------------------------------------------------------------------


def create_task(tenant: str, spec: TaskSpec, now: datetime | None = None) -> TaskItem:
    """Store a new task, in the due index at its first fire, and dispatch it if due soon.

    Raises NameConflict (409), or 400 when the schedule can never fire from now or the
    target can never succeed.
    """
    _check_target(spec.target)
    _check_destinations(spec.notifications)
    now = now or utc_now()
    created_ms = to_ms(now)
    task_id = store.new_ulid(created_ms)
    excluded = excluded_days(tenant, spec.exclude)
    due = first_fire(timing_for(task_id, spec, from_ms(created_ms), excluded), now)
    item = TaskItem(
        task_id=task_id,
        tenant=tenant,
        state=TaskState.ACTIVE,
        **store.attributes_of(spec),
    )
    item = store.create_task(item, due_at=to_ms(due), now_ms=created_ms)
    metrics.add_metric(name="TasksCreated", unit="Count", value=1)
    return _dispatch_soon(item, now)


def get_task(tenant: str, task_id: str) -> TaskItem:
    return store.get_task(tenant, task_id)


def list_tasks(
    tenant: str,
    *,
    limit: int,
    next_token: str | None,
    state: TaskState | None,
    tag: tuple[str, str] | None,
    name: str | None = None,
) -> tuple[list[TaskItem], str | None]:
    """A page of the tenant's tasks; with `name`, the one task of that name (names are
    unique per tenant) if it passes the other filters, in a page of its own."""
    if name is None:
        return store.list_tasks(tenant, limit=limit, next_token=next_token, state=state, tag=tag)
    item = store.find_task_by_name(tenant, name)
    if item is None or (state is not None and item.state != state):
        return [], None
    if tag is not None and dict(item.tags or {}).get(tag[0]) != tag[1]:
        return [], None
    return [item], None


def update_task(
    tenant: str,
    task_id: str,
    update: TaskUpdate,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> TaskItem:
    """Merge a PATCH into the task as one new version.

    A timing change moves the task's due index entry to its next fire from now (and
    revives a completed task that now has fires again); a paused task stays out of
    the index. So does a change of `max_runs`, which also recounts the runs left
    (`run_limits`): none left completes the task at once. Raises TaskNotFound,
    VersionMismatch, NameConflict, or the 400 the merged definition violates.
    """
    now = now or utc_now()

    def merge(current: TaskItem) -> dict[str, Any]:
        spec = apply_update(store.spec_of(current), update)
        changes = store.changed_attributes(current, store.attributes_of(spec))
        # Only a new target (or new notifications) is checked: a stored one stays
        # editable (its fires say why they fail) even if the policy has changed since
        # it was written.
        if "target" in changes:
            _check_target(spec.target)
        if "notifications" in changes:
            _check_destinations(spec.notifications)
        if changes.keys() & TIMING_FIELDS:
            excluded = excluded_days(tenant, spec.exclude)
            timing = timing_for(task_id, spec, from_ms(int(current.created_at)), excluded)
            due = first_fire(timing, now)  # validated even while paused
            if current.state != TaskState.PAUSED:
                changes.update(state=TaskState.ACTIVE, due_at=to_ms(due))
        elif changes.keys() & LIMIT_FIELDS and current.state != TaskState.PAUSED:
            next_due = first_due_at(
                timing_for(task_id, spec, from_ms(int(current.created_at))), now
            )
            changes.update(
                state=TaskState.ACTIVE if next_due is not None else TaskState.COMPLETED,
                due_at=to_ms(next_due) if next_due is not None else None,
            )
        limited = spec.max_runs is not None or current.max_runs is not None
        if limited and changes.keys() & (TIMING_FIELDS | LIMIT_FIELDS):
            # Both bump schedule_version: the fires sent ahead will not run.
            withdraw = current.state != TaskState.PAUSED  # a pause withdrew them already
            changes.update(run_limits.count_changes(current, spec.max_runs, now, withdraw=withdraw))
            if changes.get("runs_left") == 0 and current.state != TaskState.PAUSED:
                changes.update(state=TaskState.COMPLETED, due_at=None)
        return changes

    # Re-merged into the newer version when a concurrent write lands between the read
    # and the write (without If-Match), so nothing written in between is lost.
    updated, written = store.edit_task(tenant, task_id, merge, expected_version)
    return _dispatch_soon(updated, now) if written else updated


def delete_task(tenant: str, task_id: str, expected_version: int | None = None) -> None:
    store.delete_task(tenant, task_id, expected_version=expected_version)


def pause_task(
    tenant: str, task_id: str, expected_version: int | None = None, now: datetime | None = None
) -> TaskItem:
    """Stop firing: the task leaves the due index (fires already enqueued are dropped by
    the executor, which skips scheduled fires of paused tasks). Pausing twice is a no-op.
    A task with a run limit gets back the runs of the fires sent ahead (`run_limits`)."""
    now = now or utc_now()
    current = store.get_task(tenant, task_id)
    _check_version(current, expected_version)
    if current.state == TaskState.PAUSED:
        return current
    return pause_stored_task(tenant, task_id, PauseReason.USER, now, expected_version)


def resume_task(
    tenant: str, task_id: str, expected_version: int | None = None, now: datetime | None = None
) -> TaskItem:
    """Fire again from the next fire after now; fires missed while paused are not run.

    The store bumps the task's schedule_version, so a fire sent ahead before the pause
    does not run even when delivered after the resume; the fires wanted from now on are
    sent again at once.

    A task with no fire left (a one-time task whose time passed) becomes completed.
    Resuming an active task is a no-op.
    """
    now = now or utc_now()
    current = store.get_task(tenant, task_id)
    _check_version(current, expected_version)
    if current.state == TaskState.ACTIVE:
        return current
    due = first_due_at(stored_timing(current, store.CalendarCache()), now)
    if run_limits.remaining_runs(current) == 0:
        due = None  # its run limit is used up (lowered while paused)
    changes = {
        "state": TaskState.ACTIVE if due is not None else TaskState.COMPLETED,
        "due_at": to_ms(due) if due is not None else None,
        # A resume starts the failures count afresh (nothing is written for a task that
        # has none).
        "pause_reason": None,
        "failure_streak": None,
    }
    updated = store.update_task(tenant, task_id, changes, expected_version=int(current.version))
    return _dispatch_soon(updated, now)


def trigger_task(tenant: str, task_id: str, now: datetime | None = None) -> str:
    """Run the task now, outside its schedule, also while paused; the execution id."""
    task = store.get_task(tenant, task_id)
    return workqueue.enqueue_manual(task, now)


def backfill_task(
    tenant: str, task_id: str, start: datetime, end: datetime, now: datetime | None = None
) -> int:
    """Run the task's scheduled times in [start, end] now; how many were enqueued.

    Each keeps the execution id of its scheduled fire, so a time that already ran is not
    run again. Raises 400 for an empty, future or too large range.
    """
    now = now or utc_now()
    if end <= start:
        raise ValidationError(f"end must be after start ({format_timestamp(start)})", field="end")
    if end > now:
        raise ValidationError(
            f"end must not be in the future (now is {format_timestamp(now)}); "
            "a backfill runs fires that are already due",
            field="end",
        )
    task = store.get_task(tenant, task_id)
    timing = stored_timing(task, store.CalendarCache())
    times = backfill_times(timing, start, end, limit=MAX_BACKFILL_FIRES + 1)
    if len(times) > MAX_BACKFILL_FIRES:
        last = format_timestamp(times[MAX_BACKFILL_FIRES - 1])
        raise ValidationError(
            f"end must keep the range to at most {MAX_BACKFILL_FIRES} fires; fire "
            f"{MAX_BACKFILL_FIRES} is at {last}, so end there and backfill the rest in "
            "another call",
            field="end",
        )
    fires = workqueue.enqueue_backfill(task, start, end)
    metrics.add_metric(name="FiresBackfilled", unit="Count", value=fires)
    _dispatch_soon(task, now)
    return fires


def list_runs(
    tenant: str, task_id: str, *, limit: int, next_token: str | None
) -> tuple[list[RunItem], str | None]:
    """The task's runs, newest first (after checking the task is the tenant's)."""
    store.get_task(tenant, task_id)
    return store.list_runs(task_id, limit=limit, next_token=next_token)


# --- schedules ----------------------------------------------------------------------------------


def preview_schedule(
    schedule: str,
    timezone: str,
    after: datetime | None,
    count: int,
    *,
    tenant: str = "",
    exclude: list[str] | None = None,
) -> tuple[list[datetime], str]:
    """The next `count` fire times strictly after `after` (default now), occurrences on
    days `exclude` names (its calendars the tenant's) skipped, and the schedule in words.
    Raises ScheduleError (400) for a bad or never-firing schedule or zone, and
    UnknownCalendar for a calendar the tenant does not have."""
    excluded = excluded_days(tenant, exclude or [])
    times = preview(schedule, timezone, after=after, count=count, excluded=excluded)
    return times, describe(schedule, timezone)


# --- calendars ----------------------------------------------------------------------------------


def put_calendar(tenant: str, name: str, description: str, dates: list[str]) -> store.CalendarItem:
    """Create or replace the tenant's calendar. Tasks naming it plan with its new dates
    from their next planning on (fires already sent are re-checked by the executor)."""
    return store.put_calendar(tenant, name, description, dates)


def get_calendar(tenant: str, name: str) -> store.CalendarItem:
    return store.get_calendar(tenant, name)


def list_calendars(tenant: str) -> list[store.CalendarItem]:
    return store.list_calendars(tenant)


def delete_calendar(tenant: str, name: str) -> None:
    """CalendarInUse (409) while a task's `exclude` names it."""
    store.delete_calendar(tenant, name)


# --- dead letters ---------------------------------------------------------------------------------


def list_dead_letters(
    tenant: str, *, limit: int, next_token: str | None
) -> tuple[list[Any], str | None]:
    items, token = workqueue.list_dead_letters(tenant, limit, next_token)
    return list(items), token


def redrive_dead_letters(tenant: str, execution_ids: list[str] | None) -> int:
    return int(workqueue.redrive(tenant, execution_ids))


# --- helpers --------------------------------------------------------------------------------------


def _check_target(target: Target) -> None:
    """InvalidTarget (400) when the target is known to fail at every fire."""
    settings = api_settings()
    import_handler_modules(settings.handler_modules)  # done at cold start: a no-op here
    check_target_feasible(target, network=settings.network_policy, handler_names=registered_names())


def _check_destinations(notifications: list[Notification]) -> None:
    """400 when a notification's HTTP destination is known to be refused at every event."""
    check_destinations_feasible(notifications, network=api_settings().network_policy)


def _check_version(current: TaskItem, expected_version: int | None) -> None:
    if expected_version is not None and int(current.version) != expected_version:
        raise store.VersionMismatch(current.task_id, expected_version, int(current.version))


def _dispatch_soon(item: TaskItem, now: datetime) -> TaskItem:
    """Enqueue the task's fires inside the horizon now rather than at the next sweep.

    The task is already stored with its due_at, so if this fails the next sweep (within
    a minute) sends the fires: the failure is logged, not returned to the client,
    whose write did succeed.
    """
    horizon_ms = get_settings().horizon_seconds * 1000
    schedule_state = item.schedule_state
    if (
        item.state != TaskState.ACTIVE
        or schedule_state is None
        or schedule_state.due_at is None
        or schedule_state.due_at > to_ms(now) + horizon_ms
    ):
        return item
    try:
        fires = workqueue.dispatch_now(schedule_state, now, definition=item)
    except Exception:
        logger.exception("dispatch on write failed; the next sweep dispatches the task")
        metrics.add_metric(name="DispatchOnWriteFailures", unit="Count", value=1)
        return item
    if not fires:
        return item
    # The commit may have changed what the client sees (a one-time task is now completed).
    return store.get_task(item.tenant, item.task_id)
