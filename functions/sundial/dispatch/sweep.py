"""The sweep: the dispatch protocol (docs/dispatch.md "How dispatch works"), per shard, in parallel.

1. Query one page of the shard's due index (`due_at <= now + horizon`).
2-4. Plan (as far ahead as the `Reach` allows), enqueue, then commit that page
   (`sundial.workqueue.scheduled`, the same step the API's dispatch-on-write takes).

One sweep lease keeps two overlapping sweeps off the index (two lease writes per sweep,
whatever the shard count), and a time budget stops a sweep taking new pages while
enough Lambda time remains to finish the one it is on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sundial import store
from sundial.core.clock import SYSTEM_CLOCK, Clock, to_ms
from sundial.core.threads import in_callers_context
from sundial.observability import logger
from sundial.store import ScheduleItem
from sundial.workqueue import Reach, SweepReport, send_then_commit
from sundial.workqueue.send_timing import DEFAULT_SEND_WAIT_BUDGET_MS, SendTiming


@dataclass
class Dispatcher:
    """Plans, enqueues and commits due fires. One instance per sweep; threads share it."""

    sqs: Any
    queue_url: str
    horizon: timedelta
    shard_count: int
    owner: str  # names this sweep in the sweep lease and logs
    clock: Clock = SYSTEM_CLOCK
    page_size: int = 100
    threads: int = 8
    # Milliseconds of Lambda time left; None means unbounded (local ticks, tests).
    remaining_ms: Callable[[], int] | None = None
    reserve_ms: int = 10_000
    lease_ms: int = 60_000
    use_leases: bool = True
    # How far past the horizon a commit may plan a task, in time and in fires (see
    # `Reach`); none by default, the deployment's settings give both.
    lookahead: timedelta = timedelta(0)
    max_fires_per_commit: int = 0
    # Timed sends: messages show this long before their fire times (0: sent at once, up
    # to a second early), and a sweep spends at most the budget waiting for phases.
    send_lead_ms: int = 0
    send_wait_budget_ms: int = DEFAULT_SEND_WAIT_BUDGET_MS
    timing: SendTiming | None = field(default=None, init=False)
    # The calendars read by this sweep (tasks that exclude days): each read once.
    calendars: store.CalendarCache = field(default_factory=store.CalendarCache, init=False)

    @property
    def reach(self) -> Reach:
        return Reach(self.horizon, self.lookahead, self.max_fires_per_commit)

    # -- the whole sweep ---------------------------------------------------------------

    def sweep(self, shards: Iterable[int] | None = None) -> SweepReport:
        """Sweep every shard (or the given ones) in parallel; returns the combined report.

        While another sweep holds the lease this one sweeps nothing: that sweep works
        every shard.
        """
        report = SweepReport()
        self.calendars = store.CalendarCache()  # calendar changes apply from this sweep on
        targets = list(range(self.shard_count)) if shards is None else list(shards)
        store.connect()  # before the shard threads race to create the clients
        if self.use_leases and not store.acquire_sweep_lease(
            self.owner, to_ms(self.clock.utc_now()), self.lease_ms
        ):
            report.lease_busy = 1
            return report
        # `threads` shards are worked at once. With timed sends every shard gets a thread,
        # and a permit for its DynamoDB work: a shard sending a page (waiting for its
        # instants) gives its permit to another, so the shards' waits overlap instead of
        # queueing, and pages sharing an instant go out together when it comes.
        working = threading.Semaphore(self.threads)
        workers = min(self.threads, len(targets))
        if self.send_lead_ms:
            self.timing = SendTiming.for_sweep(
                self.clock, self.send_lead_ms, self.send_wait_budget_ms, working
            )
            workers = len(targets)

        def sweep_shard(shard: int) -> SweepReport:
            with working:
                return self.sweep_shard(shard)

        try:
            with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                for shard_report in pool.map(in_callers_context(sweep_shard), targets):
                    report.add(shard_report)
        finally:
            self.timing = None
            if self.use_leases:
                self._release_lease()
        return report

    def _release_lease(self) -> None:
        try:
            store.release_sweep_lease(self.owner)
        except Exception:
            # The sweep's work is done and committed; an unreleased lease only holds off
            # the next sweep until it expires.
            logger.exception("sweep lease not released")

    def out_of_time(self) -> bool:
        return self.remaining_ms is not None and self.remaining_ms() < self.reserve_ms

    def sweep_shard(self, shard: int) -> SweepReport:
        report = SweepReport()
        if self.out_of_time():
            report.backlog_shards = 1
            return report
        try:
            self._drain_shard(shard, report)
        except Exception:
            # One shard's failure (throttled past retries, a network fault) must not
            # stop the others; whatever it did not commit stays due for the next sweep.
            logger.exception("shard sweep failed", extra={"shard": shard})
            report.shard_errors += 1
            return report
        report.shards_swept = 1
        return report

    def _drain_shard(self, shard: int, report: SweepReport) -> None:
        start_key = None
        while True:
            now = self.clock.utc_now()
            items, start_key = store.query_due(
                shard, to_ms(now + self.horizon), self.page_size, start_key
            )
            report.items_read += len(items)
            self.dispatch(items, now, report)
            if start_key is None:
                return
            # Stop taking new pages while enough time remains to finish the one we did.
            if self.out_of_time():
                report.backlog_shards = 1
                return

    # -- one page ----------------------------------------------------------------------

    def dispatch(self, items: list[ScheduleItem], now: datetime, report: SweepReport) -> None:
        """Plan, enqueue, then commit a page of due tasks."""
        send_then_commit(
            items,
            now,
            report,
            sqs=self.sqs,
            queue_url=self.queue_url,
            reach=self.reach,
            clock=self.clock,
            timing=self.timing,
            calendars=self.calendars,
        )
