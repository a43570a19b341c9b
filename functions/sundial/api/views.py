"""Stored items as API resources: the task (with its next fires and last run) and the run.

A task's `last_run` is the run with the greatest `fire_key` in the task's runs partition,
whatever produced it: a scheduled fire, a backfilled time (which keeps its scheduled
fire's key) or a manual trigger (`<trigger time>:manual:<ulid>`), in any status, until it
expires. One task reads it with a query (`store.newest_run`); a list page reads the last
runs of all its tasks by key in one batch (`store.newest_runs`, which says why that is
the same run).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sundial import store
from sundial.api import service
from sundial.core.clock import format_timestamp, from_ms, to_ms
from sundial.core.errors import SundialError
from sundial.core.task import TaskView
from sundial.core.task.targets import hide_credentials
from sundial.core.vocabulary import PauseReason, TaskState
from sundial.observability import logger
from sundial.store import RunItem, TaskItem, spec_of
from sundial.store.run_resource import run_resource
from sundial.workqueue import run_limits

# A handful of upcoming fires: enough to check a schedule at a glance, few enough to
# compute for a page of 100 tasks.
NEXT_FIRE_TIMES_SHOWN = 5


def task_view(
    item: TaskItem,
    now: datetime,
    last: RunItem | None,
    calendars: store.CalendarCache | None = None,
) -> dict[str, Any]:
    """The task resource; a task that cannot be planned is shown with `schedule_error`.
    `calendars` shares the calendars read for next_fire_times across a page."""
    last_run = run_resource(last) if last is not None else None
    try:
        spec = spec_of(item)
        next_fire_times = service.next_fire_times(
            item, now, NEXT_FIRE_TIMES_SHOWN, calendars or store.CalendarCache()
        )
    except (SundialError, ValueError, OverflowError) as exc:
        # Stored before validation refused it: one such task must not take down the
        # list it is on, and its own GET says why it does not fire.
        logger.warning("task cannot be planned", extra={"task_id": item.task_id})
        shown = last_run.model_dump(mode="json") if last_run is not None else None
        return _unplannable_view(item, shown, exc)
    view = TaskView.of(
        spec,
        task_id=item.task_id,
        state=TaskState(item.state),
        version=int(item.version),
        created_at=from_ms(int(item.created_at)),
        updated_at=from_ms(int(item.updated_at)),
        next_fire_times=next_fire_times,
        last_run=last_run,
        remaining_runs=run_limits.remaining_runs(item),
        pause_reason=_pause_reason(item),
    )
    return view.to_json()


def _pause_reason(item: TaskItem) -> PauseReason | None:
    """Why the task is paused; a task paused before reasons were recorded was paused by
    its user."""
    if item.state != TaskState.PAUSED:
        return None
    return PauseReason(item.pause_reason) if item.pause_reason else PauseReason.USER


def _unplannable_view(
    item: TaskItem, last_run: dict[str, Any] | None, error: Exception
) -> dict[str, Any]:
    """The task as stored, times that do not fit a timestamp shown as null, no next fires."""
    reason = error.message if isinstance(error, SundialError) else str(error).splitlines()[0]
    target = dict(item.target or {})
    target.pop("signing_secret", None)
    if target.get("type") == "http":
        target["headers"] = hide_credentials(dict(target.get("headers") or {}))
    return {
        "id": item.task_id,
        "name": item.name,
        "schedule": item.schedule,
        "timezone": item.timezone,
        "start_at": _timestamp(item.start_at),
        "end_at": _timestamp(item.end_at),
        "description": item.description or "",
        "target": target,
        "payload": item.payload,
        "retry": item.retry,
        "timeout_seconds": int(item.timeout_seconds),
        "overlap": item.overlap,
        "misfire": item.misfire,
        "jitter_seconds": int(item.jitter_seconds or 0),
        "tags": item.tags or {},
        "max_runs": int(item.max_runs) if item.max_runs is not None else None,
        "remaining_runs": run_limits.remaining_runs(item),
        "pause_after_failures": (
            int(item.pause_after_failures) if item.pause_after_failures is not None else None
        ),
        "exclude": item.exclude or [],
        "state": item.state,
        "pause_reason": _pause_reason(item),
        "version": int(item.version),
        "next_fire_times": [],
        "last_run": last_run,
        "created_at": _timestamp(item.created_at),
        "updated_at": _timestamp(item.updated_at),
        "schedule_error": (
            f"This task cannot be planned and does not fire: {reason}. "
            "Delete it and create it again with a valid definition."
        ),
    }


def _timestamp(ms: Any) -> str | None:
    try:
        return format_timestamp(from_ms(int(ms))) if ms is not None else None
    except (ValueError, OverflowError):
        return None


def task_views(items: Sequence[TaskItem], now: datetime) -> list[dict[str, Any]]:
    """Views of a page of tasks, their last runs read together."""
    lasts = store.newest_runs(items, to_ms(now))
    calendars = store.CalendarCache()
    return [task_view(item, now, last, calendars) for item, last in zip(items, lasts, strict=True)]


def dead_letter_view(item: Any) -> dict[str, Any]:
    """The executor's dead-letter record as the API shows it (a dict or a model)."""
    if hasattr(item, "model_dump"):
        return dict(item.model_dump(mode="json"))
    if hasattr(item, "to_json"):
        return dict(item.to_json())
    return dict(item)
