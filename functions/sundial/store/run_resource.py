"""A stored run as the run resource: what the API answers and a notification carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sundial.core.clock import from_ms
from sundial.core.task import RunView
from sundial.core.vocabulary import RunStatus
from sundial.store.models import RunItem


def run_view(run: RunItem) -> dict[str, Any]:
    """The run resource as JSON."""
    return run_resource(run).model_dump(mode="json")


def run_resource(run: RunItem) -> RunView:
    """The run resource, plus `reason` (skipped runs) and `next_attempt_at` (retrying)."""
    return RunView.model_validate(
        {
            "execution_id": run.execution_id,
            "task_id": run.task_id,
            "fire_at": from_ms(int(run.fire_at)),
            "status": run.status,
            "attempt": int(run.attempt),
            "started_at": _instant(run.started_at),
            "finished_at": _instant(run.finished_at),
            "lateness_ms": int(run.lateness_ms) if run.lateness_ms is not None else None,
            "error": run.error,
            "result": run.result,
            "reason": run.reason,
            "next_attempt_at": (
                _instant(run.next_attempt_at) if run.status == RunStatus.RETRYING else None
            ),
        }
    )


def _instant(ms: Any) -> datetime | None:
    return from_ms(int(ms)) if ms is not None else None
