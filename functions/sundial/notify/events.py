"""Which events a stream record of the runs or tasks table is: read from its images.

A record is an event only when its images prove the transition, whatever the stream's
filters let through:

* a run event: the write moved the run from `running` to an outcome (succeeded,
  retrying, failed) at the same attempt (every outcome write is conditioned on the
  attempt holding its claim; a released claim goes back an attempt) and marked it with
  the events it reports (`notify`). So a mark left behind by an earlier outcome is
  never read again: a claim, a release or a redrive does not move a run from `running`
  to an outcome at the same attempt.
* `task.paused`: a definition became `paused` for its failures;
* `task.completed`: a schedule state became `completed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sundial.core.notification_events import OUTCOME_EVENTS, run_event_id, task_event_id
from sundial.core.vocabulary import EventType, PauseReason, RunStatus, TaskState
from sundial.store.models import SCHEDULE_STATE_PREFIX, RunItem

RawImage = Mapping[str, Mapping[str, Any]]  # an item in DynamoDB's JSON ({"S": ...})


@dataclass(frozen=True)
class PendingEvent:
    """An event found in a stream record, before the task's destinations are known."""

    event_id: str
    event: EventType
    task_id: str
    time_ms: int
    run: RunItem | None  # the run as the outcome left it; None for task events


def events_of(record: Mapping[str, Any]) -> list[PendingEvent]:
    """The events a DynamoDB stream record stands for (most records: none)."""
    change = record.get("dynamodb") or {}
    new: RawImage | None = change.get("NewImage")
    old: RawImage | None = change.get("OldImage")
    if new is None or old is None:  # an insert or a removal is no transition
        return []
    created_ms = int(float(change.get("ApproximateCreationDateTime", 0)) * 1000)
    if "fire_key" in new:
        return _run_events(new, old, created_ms)
    return _task_events(new, old, created_ms)


def _string(image: RawImage, name: str) -> str | None:
    value = image.get(name, {}).get("S")
    return str(value) if value is not None else None


def _number(image: RawImage, name: str) -> int | None:
    value = image.get(name, {}).get("N")
    return int(float(value)) if value is not None else None


def _run_events(new: RawImage, old: RawImage, created_ms: int) -> list[PendingEvent]:
    marks = set(new.get("notify", {}).get("SS", ()))
    status = _string(new, "status") or ""
    same_attempt = _number(new, "attempt") == _number(old, "attempt")
    if not marks or _string(old, "status") != RunStatus.RUNNING or not same_attempt:
        return []
    reported = [event for event in OUTCOME_EVENTS.get(status, ()) if event in marks]
    if not reported:
        return []
    run = RunItem.from_raw_data(dict(new))
    time_ms = int(run.finished_at) if run.finished_at is not None else created_ms
    return [
        PendingEvent(
            run_event_id(run.execution_id, int(run.attempt), event),
            event,
            run.task_id,
            time_ms,
            run,
        )
        for event in reported
    ]


def _task_events(new: RawImage, old: RawImage, created_ms: int) -> list[PendingEvent]:
    key = _string(new, "task_id") or ""
    state, before = _string(new, "state"), _string(old, "state")
    if key.startswith(SCHEDULE_STATE_PREFIX):
        if state == TaskState.COMPLETED and before != TaskState.COMPLETED:
            task_id = key.removeprefix(SCHEDULE_STATE_PREFIX)
            # A task completes once per timing: a later completion needs a new timing
            # (an update or a resume moves schedule_version).
            version = _number(new, "schedule_version") or 0
            event = EventType.TASK_COMPLETED
            return [
                PendingEvent(
                    task_event_id(task_id, version, event), event, task_id, created_ms, None
                )
            ]
        return []
    paused_now = state == TaskState.PAUSED and before != TaskState.PAUSED
    if paused_now and _string(new, "pause_reason") == PauseReason.FAILURES:
        version = _number(new, "version") or 0
        event = EventType.TASK_PAUSED
        return [PendingEvent(task_event_id(key, version, event), event, key, created_ms, None)]
    return []
