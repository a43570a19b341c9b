"""Runs outside the schedule: the API's trigger and backfill.

Both send their messages at once and never touch the task's due index entry, so the
schedule goes on as if they had not happened; both raise EnqueueFailed when SQS did not
accept every message.
"""

from __future__ import annotations

from datetime import datetime

from sundial import store
from sundial.core.clock import to_ms, utc_now
from sundial.core.errors import SundialError
from sundial.core.planning import backfill_times, execution_id
from sundial.core.vocabulary import ErrorCode, FireKind
from sundial.store import TaskItem
from sundial.workqueue.config import work_queue_url
from sundial.workqueue.send import OutgoingMessage, message_for, send_now

# The API's limit: a backfill enqueues at most 1,000 fires per call.
MAX_BACKFILL_FIRES = 1000


class EnqueueFailed(SundialError):
    """SQS did not accept every message; repeating the call is safe (same execution ids)."""

    code = ErrorCode.ENQUEUE_FAILED
    status = 503


def enqueue_manual(task: TaskItem, now: datetime | None = None) -> str:
    """Run the task now, outside its schedule (also while paused); returns the execution id."""
    now = now or utc_now()
    work_queue_url()  # a deployment without a queue fails here, before anything is written
    key = store.run_key(task.task_id, to_ms(now), manual_id=store.new_ulid())
    # Before the send, so the task item never names a manual run older than one stored.
    store.note_manual_run(task.task_id, key.fire_key)
    _send_all([message_for(task, key.execution_id, to_ms(now), FireKind.MANUAL)])
    return key.execution_id


def enqueue_backfill(task: TaskItem, start: datetime, end: datetime) -> int:
    """Run the scheduled times in [start, end] now; returns how many were enqueued.

    Each run gets the id its scheduled fire had, so a backfill never repeats a run that
    already happened (the executor's claim sees the finished run and drops it), and its
    slot's time as its fire time, as that fire would have had: in the run record, the
    target's scheduled time and the envelope. The messages go out at once, and the
    executor runs a fire time in the past at once (its event age counts from enqueueing).
    """
    work_queue_url()  # a deployment without a queue fails here, before anything is written
    # Excluded days are skipped, as the schedule skipped them.
    excluded = store.CalendarCache().excluded_days(task.tenant, task.exclude)
    times = backfill_times(store.timing_of(task, excluded), start, end, limit=MAX_BACKFILL_FIRES)
    messages = [
        message_for(task, execution_id(task.task_id, at), to_ms(at), FireKind.BACKFILL)
        for at in times
    ]
    if times:
        store.note_backfill(task.task_id, to_ms(times[-1]))
    _send_all(messages)
    return len(messages)


def _send_all(messages: list[OutgoingMessage]) -> None:
    sent = send_now(messages)
    if len(sent) != len(messages):
        raise EnqueueFailed(
            f"{len(messages) - len(sent)} of {len(messages)} runs could not be enqueued; "
            "repeat the request (runs already enqueued are not run twice)"
        )
