"""Entry points of the dispatcher: the scheduled tick, and the API's enqueue calls.

* `run_tick` — one sweep of every shard within the Lambda's time budget, continued at
  once by a self-invocation when a backlog remains (after an outage).
* `dispatch_now` — the sweep's plan/enqueue/commit for one task, so a task created at
  10:00:30 to fire at 10:00:40 fires at 10:00:40, not at the next tick.
* `enqueue_manual`, `enqueue_backfill` — runs outside the schedule (API trigger and
  backfill); they never touch the task's due index entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sundial import clients, store
from sundial.core.clock import SYSTEM_CLOCK, Clock, to_ms, utc_now
from sundial.core.errors import SundialError
from sundial.core.messages import FireMessage
from sundial.core.planning import backfill_times, execution_id
from sundial.dispatch.enqueue import OutgoingMessage, send_messages
from sundial.dispatch.sweep import Dispatcher, SweepReport
from sundial.settings import Settings, get_settings
from sundial.store import TaskItem

# A sweep's shard leases last as long as the sweep can: the Lambda's remaining time,
# or this when it is unknown (local ticks, tests).
DEFAULT_LEASE_MS = 60_000
MAX_BACKFILL_FIRES = 1000  # API.md: at most 1,000 fires per backfill call


class EnqueueFailed(SundialError):
    """SQS did not accept every message; repeating the call is safe (same execution ids)."""

    code = "enqueue_failed"
    status = 503


def make_dispatcher(
    *,
    owner: str,
    settings: Settings | None = None,
    clock: Clock = SYSTEM_CLOCK,
    remaining_ms: Callable[[], int] | None = None,
) -> Dispatcher:
    settings = settings or get_settings()
    if not settings.work_queue_url:
        raise RuntimeError("WORK_QUEUE_URL is not set")
    lease_ms = remaining_ms() if remaining_ms is not None else DEFAULT_LEASE_MS
    return Dispatcher(
        sqs=clients.client("sqs"),
        queue_url=settings.work_queue_url,
        horizon=timedelta(seconds=settings.horizon_seconds),
        shard_count=settings.shard_count,
        owner=owner,
        clock=clock,
        page_size=settings.dispatch_page_size,
        threads=settings.dispatch_threads,
        remaining_ms=remaining_ms,
        reserve_ms=settings.dispatch_reserve_ms,
        lease_ms=lease_ms,
    )


@dataclass(frozen=True)
class TickResult:
    report: SweepReport
    continued: bool


def run_tick(
    *,
    sweep_id: str,
    continuation: int = 0,
    remaining_ms: Callable[[], int] | None = None,
    continue_with: Callable[[dict[str, Any]], None] | None = None,
    settings: Settings | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> TickResult:
    """Sweep every shard; when a backlog remains, hand it to the next invocation at once.

    `continue_with(event)` starts that invocation (the handler passes an asynchronous
    self-invoke). Chains stop after `max_continuations`, so a bug that never drains
    cannot keep the function invoking itself forever; the next tick starts afresh.
    """
    settings = settings or get_settings()
    dispatcher = make_dispatcher(
        owner=sweep_id, settings=settings, remaining_ms=remaining_ms, clock=clock
    )
    report = dispatcher.sweep()
    continued = False
    if report.backlog_shards and continue_with and continuation < settings.max_continuations:
        continue_with({"continuation": continuation + 1, "parent_sweep_id": sweep_id})
        continued = True
    return TickResult(report, continued)


def invoke_self_async(function_name: str) -> Callable[[dict[str, Any]], None]:
    """A continuation that invokes this function again, asynchronously (InvocationType Event)."""

    def invoke(event: dict[str, Any]) -> None:
        clients.client("lambda").invoke(
            FunctionName=function_name, InvocationType="Event", Payload=json.dumps(event).encode()
        )

    return invoke


def dispatch_now(task: TaskItem, now: datetime | None = None) -> int:
    """Enqueue and commit the task's fires due within the horizon; returns fires sent.

    Called by the API after create, update, resume and backfill. Nothing is due (0) when
    the task has no pending fire inside the horizon. Losing the commit to a concurrent
    sweep is fine: that sweep sent the same fires (the executor drops the duplicates).
    """
    if task.due_at is None:
        return 0
    dispatcher = make_dispatcher(owner=f"api:{task.task_id}")
    now = now or dispatcher.clock.utc_now()
    if int(task.due_at) > to_ms(now + dispatcher.horizon):
        return 0
    report = SweepReport()
    dispatcher.dispatch([task], now, report)
    return report.fires_emitted


def enqueue_manual(task: TaskItem, now: datetime | None = None) -> str:
    """Run the task now, outside its schedule (also while paused); returns the execution id."""
    now = now or utc_now()
    key = store.run_key(task.task_id, to_ms(now), manual_id=store.new_ulid())
    _send_all([_message(task, key.execution_id, to_ms(now), "manual")])
    return key.execution_id


def enqueue_backfill(
    task: TaskItem, start: datetime, end: datetime, now: datetime | None = None
) -> int:
    """Run the scheduled times in [start, end] now; returns how many were enqueued.

    Each run gets the id its scheduled fire had, so a backfill never repeats a run that
    already happened (the executor's claim sees the finished run and drops it).
    """
    now = now or utc_now()
    times = backfill_times(store.timing_of(task), start, end, limit=MAX_BACKFILL_FIRES)
    messages = [
        _message(task, execution_id(task.task_id, at), to_ms(now), "backfill") for at in times
    ]
    _send_all(messages)
    return len(messages)


def _message(task: TaskItem, execution: str, fire_at_ms: int, kind: str) -> OutgoingMessage:
    body = FireMessage(
        execution_id=execution,
        task_id=task.task_id,
        tenant=task.tenant,
        fire_at=fire_at_ms,
        schedule_version=int(task.schedule_version),
        kind=kind,
    ).to_json()
    return OutgoingMessage(key=execution, body=body)


def _send_all(messages: list[OutgoingMessage]) -> None:
    settings = get_settings()
    if not settings.work_queue_url:
        raise RuntimeError("WORK_QUEUE_URL is not set")
    sent = send_messages(clients.client("sqs"), settings.work_queue_url, messages)
    if len(sent) != len(messages):
        raise EnqueueFailed(
            f"{len(messages) - len(sent)} of {len(messages)} runs could not be enqueued; "
            "repeat the request (runs already enqueued are not run twice)"
        )
