"""Notification events: which events a run's outcome reports, their ids and their document.

Pure: the executor marks an outcome with the events it reports that the task asks for
(`outcome_marks`), and the notifier turns a marked outcome, or a task's transition, into
event documents (`event_document`) with ids that a repeated stream record, or a repeated
fire, derives again unchanged (`run_event_id`, `task_event_id`), so receivers dedupe on
`id`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from sundial.core.clock import utc_rfc3339
from sundial.core.vocabulary import EventType, RunStatus

# What each outcome status reports. A final failure is always dead-lettered, so it
# reports both.
OUTCOME_EVENTS: Mapping[str, tuple[EventType, ...]] = {
    RunStatus.SUCCEEDED: (EventType.RUN_SUCCEEDED,),
    RunStatus.RETRYING: (EventType.RUN_RETRYING,),
    RunStatus.FAILED: (EventType.RUN_FAILED, EventType.RUN_DEAD_LETTERED),
}

EVENT_ID_PREFIX = "evt_"


def stored_wanted_events(stored: Iterable[Mapping[str, Any]] | None) -> frozenset[str]:
    """Every event type the stored notifications (the definition's JSON) ask for.

    Read from the stored JSON, not validated models: the executor asks this of every
    outcome, and a task without notifications must cost nothing more.
    """
    return frozenset(event for entry in stored or () for event in entry.get("on", ()))


def outcome_marks(stored: Iterable[Mapping[str, Any]] | None, status: str) -> frozenset[str]:
    """The events an outcome write setting `status` reports that the task asks for
    (empty: the write carries no mark, as it did before notifications existed)."""
    if not stored:
        return frozenset()
    return frozenset(OUTCOME_EVENTS.get(status, ())) & stored_wanted_events(stored)


def _digest(*parts: str) -> str:
    return EVENT_ID_PREFIX + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def run_event_id(execution_id: str, attempt: int, event: str) -> str:
    """A run event's id: one per (execution, attempt, type), however often it is derived."""
    return _digest("run", execution_id, str(attempt), event)


def task_event_id(task_id: str, version: int, event: str) -> str:
    """A task event's id: one per (task, the version that made the transition, type)."""
    return _digest("task", task_id, str(version), event)


def event_document(
    *,
    event_id: str,
    event: str,
    time_ms: int,
    tenant: str,
    task_id: str,
    task_name: str | None,
    run: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The one document every destination receives for an event."""
    return {
        "id": event_id,
        "type": event,
        "time": utc_rfc3339(time_ms),
        "tenant": tenant,
        "task": {"id": task_id, "name": task_name},
        "run": dict(run) if run is not None else None,
    }
