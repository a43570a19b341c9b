"""The dispatcher's tick: one sweep of every shard within the Lambda's time budget,
continued at once by a self-invocation when a backlog remains (after an outage)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sundial import clients
from sundial.core.clock import SYSTEM_CLOCK, Clock
from sundial.dispatch.settings import DispatcherSettings, dispatcher_settings
from sundial.dispatch.sweep import Dispatcher
from sundial.observability import logger
from sundial.workqueue import SweepReport
from sundial.workqueue.config import work_queue_url
from sundial.workqueue.reconcile import reconcile

# A sweep's lease lasts as long as the sweep can: the Lambda's remaining time, or this
# when it is unknown (local ticks, tests).
DEFAULT_LEASE_MS = 60_000


def make_dispatcher(
    *,
    owner: str,
    settings: DispatcherSettings | None = None,
    clock: Clock = SYSTEM_CLOCK,
    remaining_ms: Callable[[], int] | None = None,
) -> Dispatcher:
    settings = settings or dispatcher_settings()
    queue_url = work_queue_url(settings)
    lease_ms = remaining_ms() if remaining_ms is not None else DEFAULT_LEASE_MS
    return Dispatcher(
        sqs=clients.client("sqs"),
        queue_url=queue_url,
        horizon=timedelta(seconds=settings.horizon_seconds),
        lookahead=timedelta(seconds=settings.lookahead_seconds),
        max_fires_per_commit=settings.max_fires_per_commit,
        shard_count=settings.shard_count,
        owner=owner,
        clock=clock,
        page_size=settings.dispatch_page_size,
        threads=settings.dispatch_threads,
        remaining_ms=remaining_ms,
        reserve_ms=settings.dispatch_reserve_ms,
        lease_ms=lease_ms,
        send_lead_ms=settings.send_lead_ms,
        send_wait_budget_ms=settings.send_wait_budget_ms,
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
    settings: DispatcherSettings | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> TickResult:
    """Sweep every shard; when a backlog remains, hand it to the next invocation at once.

    `continue_with(event)` starts that invocation (the handler passes an asynchronous
    self-invoke). Chains stop after `max_continuations`, so a bug that never drains
    cannot keep the function invoking itself forever; the next tick starts afresh.
    """
    settings = settings or dispatcher_settings()
    dispatcher = make_dispatcher(
        owner=sweep_id, settings=settings, remaining_ms=remaining_ms, clock=clock
    )
    report = dispatcher.sweep()
    if continuation == 0:  # once per tick, not per continuation
        _reconcile(settings, clock)
    continued = False
    if report.backlog_shards and continue_with and continuation < settings.max_continuations:
        continue_with({"continuation": continuation + 1, "parent_sweep_id": sweep_id})
        continued = True
    return TickResult(report, continued)


def _reconcile(settings: DispatcherSettings, clock: Clock) -> None:
    """The safety net for runs whose message is gone; its failure never fails the tick."""
    if not settings.reconcile_page_size:
        return
    try:
        reconcile(
            after_ms=settings.reconcile_after_seconds * 1000,
            page_size=settings.reconcile_page_size,
            now_ms=clock.now_ms(),
        )
    except Exception:
        logger.exception("reconciling stuck runs failed; the next tick tries again")


def invoke_self_async(function_name: str) -> Callable[[dict[str, Any]], None]:
    """A continuation that invokes this function again, asynchronously (InvocationType Event)."""

    def invoke(event: dict[str, Any]) -> None:
        clients.client("lambda").invoke(
            FunctionName=function_name, InvocationType="Event", Payload=json.dumps(event).encode()
        )

    return invoke
