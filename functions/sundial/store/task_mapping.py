"""Between a stored task item and the domain: its definition, its timing, its changes.

The one place that knows how a `TaskSpec` is laid out as item attributes (times as
epoch milliseconds, the HTTP target's secret kept) and how it reads back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sundial.core.clock import from_ms, to_ms
from sundial.core.exclusions import ExcludedDays
from sundial.core.planning import Timing
from sundial.core.task import TaskSpec
from sundial.store.models import RUNS_LEFT_KEY, ScheduleItem, TaskItem


def spec_of(item: TaskItem) -> TaskSpec:
    """The definition of a stored task (what was validated when it was written)."""
    return TaskSpec.model_validate(
        {
            "name": item.name,
            "schedule": item.schedule,
            "timezone": item.timezone,
            "start_at": _instant(item.start_at),
            "end_at": _instant(item.end_at),
            "description": item.description,
            "target": item.target,
            "payload": item.payload,
            "retry": item.retry,
            "timeout_seconds": int(item.timeout_seconds),
            "overlap": item.overlap,
            "misfire": item.misfire,
            "jitter_seconds": int(item.jitter_seconds),
            "tags": item.tags,
            "max_runs": int(item.max_runs) if item.max_runs is not None else None,
            "pause_after_failures": (
                int(item.pause_after_failures) if item.pause_after_failures is not None else None
            ),
            "exclude": item.exclude or [],
            "notifications": item.notifications or [],
        }
    )


def attributes_of(spec: TaskSpec) -> dict[str, Any]:
    """The task item attributes a definition is stored as (times in epoch ms)."""
    data = spec.model_dump(mode="json")
    target = spec.target.model_dump(mode="json", exclude_none=True)  # keeps signing_secret
    return {
        **data,
        "target": target,
        "payload": spec.payload,
        "start_at": to_ms(spec.start_at) if spec.start_at else None,
        "end_at": to_ms(spec.end_at) if spec.end_at else None,
        # Absent rather than empty: a task without exclusions stores what it did before.
        "exclude": list(spec.exclude) or None,
        # Destinations keep their signing secrets, as the target does.
        "notifications": [
            notification.model_dump(mode="json", exclude_none=True)
            for notification in spec.notifications
        ]
        or None,
    }


def changed_attributes(current: TaskItem, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes whose value differs from what `current` holds."""
    return {
        name: value
        for name, value in attributes.items()
        if not same_value(getattr(current, name), value)
    }


def same_value(stored: Any, new: Any) -> bool:
    # JSON equality, which unlike Python's tells 1 from true and 1 from 1.0.
    return json.dumps(stored, sort_keys=True) == json.dumps(new, sort_keys=True)


# The key of the schedule state's misfire map that says the task excludes days.
EXCLUSIONS_FLAG = "exclusions"


# The key of the schedule state's misfire map that says scheduled fires may carry the
# definition (`store.carried`).
CARRIED_FLAG = "carried"


def planning_misfire(
    misfire: Mapping[str, Any],
    exclude: list[str] | None,
    runs_left: int | None,
    *,
    carried: bool = False,
) -> dict[str, Any]:
    """The schedule state's `misfire` map (see `ScheduleItem.misfire`): the definition's
    policy, the runs left under a run limit (absent without one), the exclusions flag
    when the task excludes days, and the carried flag when its scheduled fires may
    carry its definition."""
    flags = (EXCLUSIONS_FLAG, RUNS_LEFT_KEY, CARRIED_FLAG)
    planning = {k: v for k, v in misfire.items() if k not in flags}
    if runs_left is not None:
        planning[RUNS_LEFT_KEY] = runs_left
    if exclude:
        planning[EXCLUSIONS_FLAG] = True
    if carried:
        planning[CARRIED_FLAG] = True
    return planning


def has_exclusions(item: TaskItem | ScheduleItem) -> bool:
    """Whether the task excludes days: its definition lists some, or its schedule state
    (as the due index projects it) carries the flag."""
    if isinstance(item, TaskItem):
        return bool(item.exclude)
    return bool((item.misfire or {}).get(EXCLUSIONS_FLAG))


def timing_of(item: TaskItem | ScheduleItem, excluded: ExcludedDays | None = None) -> Timing:
    """The timing fields of a stored task (definition or schedule state, which mirrors
    them), as the pure planner takes them: the runs left under a run limit only from a
    schedule state, which alone counts them; the days it excludes only when given (they
    need the definition's `exclude` and its calendars' dates, see `store.exclusions`)."""
    misfire = item.misfire or {}
    return Timing(
        task_id=item.task_id,
        schedule=item.schedule,
        timezone=item.timezone,
        created_at=from_ms(int(item.created_at)),
        start_at=_instant(item.start_at),
        end_at=_instant(item.end_at),
        jitter_seconds=int(item.jitter_seconds or 0),
        misfire_policy=str(misfire.get("policy", "fire_once")),
        grace_seconds=int(misfire.get("grace_seconds", 60)),
        runs_left=item.runs_left if isinstance(item, ScheduleItem) else None,
        excluded=excluded or ExcludedDays(),
    )


def _instant(ms: Any) -> datetime | None:
    return from_ms(int(ms)) if ms is not None else None
