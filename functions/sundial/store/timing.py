"""The timing fields of a stored task, as the pure planner takes them."""

from __future__ import annotations

from sundial.core.planning import Timing, from_ms
from sundial.store.models import TaskItem


def timing_of(item: TaskItem) -> Timing:
    misfire = item.misfire or {}
    return Timing(
        task_id=item.task_id,
        schedule=item.schedule,
        timezone=item.timezone,
        created_at=from_ms(int(item.created_at)),
        start_at=from_ms(int(item.start_at)) if item.start_at is not None else None,
        end_at=from_ms(int(item.end_at)) if item.end_at is not None else None,
        jitter_seconds=int(item.jitter_seconds or 0),
        misfire_policy=str(misfire.get("policy", "fire_once")),
        grace_seconds=int(misfire.get("grace_seconds", 60)),
    )
