"""Pausing a task, by its user or by its failures: one path, so both are exact.

The task leaves the due index and its state becomes `paused` in one versioned write of
its definition and schedule state (executors then drop its scheduled fires, also those
sent ahead); a task with a run limit gets back the runs of those fires (`run_limits`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sundial import store
from sundial.core.vocabulary import PauseReason, TaskState
from sundial.store import TaskItem
from sundial.workqueue import run_limits


def pause_task(
    tenant: str,
    task_id: str,
    reason: PauseReason,
    now: datetime,
    expected_version: int | None = None,
    *,
    unless: Callable[[TaskItem], bool] | None = None,
) -> TaskItem:
    """Pause the tenant's task for `reason` (a paused task stays as it is); the task as
    it now is. `unless(task)`, when given, is asked on every read of the task: True
    leaves it alone (the failures pause checks the streak still stands).

    Raises TaskNotFound, VersionMismatch.
    """

    def pause(task: TaskItem) -> dict[str, Any]:
        if task.state == TaskState.PAUSED or (unless is not None and unless(task)):
            return {}
        changes: dict[str, Any] = {
            "state": TaskState.PAUSED,
            "pause_reason": reason.value,
            "due_at": None,
        }
        if task.max_runs is not None:
            limit = int(task.max_runs)
            changes.update(run_limits.count_changes(task, limit, now, withdraw=True))
        return changes

    paused, _ = store.edit_task(tenant, task_id, pause, expected_version)
    return paused
