"""The sweep: DESIGN.md §3, per shard, in parallel.

1. Query one page of the shard's due index (`due_at <= now + horizon`).
2. Plan each task with the pure planner.
3. Enqueue first: send every planned fire with its delay.
4. Then commit: advance each task whose fires *all* went out, conditionally on the
   `due_at` and `schedule_version` the query saw.

A crash anywhere leaves either nothing sent (nothing lost) or messages sent and the
task not advanced (the next sweep re-sends: duplicates the executor drops). A task is
never advanced past a fire whose message did not go out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sundial import store
from sundial.core.clock import SYSTEM_CLOCK, Clock, from_ms, to_ms
from sundial.core.messages import FireMessage
from sundial.core.planning import Plan, plan_fires
from sundial.dispatch.enqueue import OutgoingMessage, send_messages
from sundial.observability import logger
from sundial.store import TaskItem
from sundial.store.models import TASK_COMPLETED


@dataclass
class SweepReport:
    """What one sweep (or one dispatch-on-write) did; the handler turns it into metrics."""

    fires_emitted: int = 0
    tasks_committed: int = 0
    tasks_completed: int = 0
    # Another sweep or an API write advanced the task first; its fires we sent are duplicates.
    commit_conflicts: int = 0
    duplicates_sent: int = 0
    # Tasks left for the next sweep because a message (or the commit) did not go through.
    tasks_deferred: int = 0
    items_read: int = 0
    shards_swept: int = 0
    shards_busy: int = 0
    # Shards whose query failed past the SDK's retries; swept again next tick.
    shard_errors: int = 0
    # Shards with due work left when the time budget ran out.
    backlog_shards: int = 0
    # How far behind its fire time each late message was sent.
    lag_ms: list[int] = field(default_factory=list)

    def add(self, other: SweepReport) -> None:
        for name, value in vars(other).items():
            if isinstance(value, list):
                getattr(self, name).extend(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    def summary(self) -> dict[str, Any]:
        result = {k: v for k, v in vars(self).items() if not isinstance(v, list)}
        result["max_lag_ms"] = max(self.lag_ms, default=0)
        return result


@dataclass
class Dispatcher:
    """Plans, enqueues and commits due fires. One instance per sweep; threads share it."""

    sqs: Any
    queue_url: str
    horizon: timedelta
    shard_count: int
    owner: str  # names this sweep in shard leases and logs
    clock: Clock = SYSTEM_CLOCK
    page_size: int = 100
    threads: int = 8
    # Milliseconds of Lambda time left; None means unbounded (local ticks, tests).
    remaining_ms: Callable[[], int] | None = None
    reserve_ms: int = 10_000
    lease_ms: int = 60_000
    use_leases: bool = True

    # -- the whole sweep ---------------------------------------------------------------

    def sweep(self, shards: Iterable[int] | None = None) -> SweepReport:
        """Sweep every shard (or the given ones) in parallel; returns the combined report."""
        report = SweepReport()
        targets = list(range(self.shard_count)) if shards is None else list(shards)
        store.connect()  # before the shard threads race to create the clients
        with ThreadPoolExecutor(max_workers=max(1, min(self.threads, len(targets) or 1))) as pool:
            for shard_report in pool.map(self.sweep_shard, targets):
                report.add(shard_report)
        return report

    def out_of_time(self) -> bool:
        return self.remaining_ms is not None and self.remaining_ms() < self.reserve_ms

    def sweep_shard(self, shard: int) -> SweepReport:
        report = SweepReport()
        if self.out_of_time():
            report.backlog_shards = 1
            return report
        if self.use_leases and not store.acquire_shard_lease(
            shard, self.owner, to_ms(self.clock.utc_now()), self.lease_ms
        ):
            report.shards_busy = 1
            return report
        try:
            self._drain_shard(shard, report)
        except Exception:
            # One shard's failure (throttled past retries, a network fault) must not
            # stop the others; whatever it did not commit stays due for the next sweep.
            logger.exception("shard sweep failed", extra={"shard": shard})
            report.shard_errors += 1
            return report
        finally:
            if self.use_leases:
                store.release_shard_lease(shard, self.owner)
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

    def dispatch(self, items: list[TaskItem], now: datetime, report: SweepReport) -> None:
        """Plan, enqueue, then commit a page of due tasks."""
        planned: list[tuple[TaskItem, Plan, list[OutgoingMessage]]] = []
        for item in items:
            plan = self._plan(item, now)
            if plan is None:
                report.tasks_deferred += 1
                continue
            planned.append((item, plan, self._messages(item, plan)))

        outgoing = [m for _, _, messages in planned for m in messages]
        sent = send_messages(self.sqs, self.queue_url, outgoing, clock=self.clock.utc_now)
        sent_at = to_ms(self.clock.utc_now())
        report.fires_emitted += len(sent)
        fire_times = {
            f.execution_id: to_ms(f.fire_at) for _, plan, _ in planned for f in plan.fires
        }
        report.lag_ms.extend(sent_at - fire_times[key] for key in sent if sent_at > fire_times[key])

        for item, plan, messages in planned:
            if any(m.key not in sent for m in messages):
                # Step 3 failed for this task: do not advance it; the next sweep retries.
                report.tasks_deferred += 1
                continue
            self._commit(item, plan, report, len(messages))

    def _plan(self, item: TaskItem, now: datetime) -> Plan | None:
        try:
            return plan_fires(store.timing_of(item), from_ms(int(item.due_at)), now, self.horizon)
        except Exception:
            # A task that cannot be planned (stored before a parser change?) must not
            # stop the others; it stays due and is reported every sweep until fixed.
            logger.exception("cannot plan task", extra={"task_id": item.task_id})
            return None

    def _messages(self, item: TaskItem, plan: Plan) -> list[OutgoingMessage]:
        return [
            OutgoingMessage(
                key=fire.execution_id,
                body=FireMessage(
                    execution_id=fire.execution_id,
                    task_id=item.task_id,
                    tenant=item.tenant,
                    fire_at=to_ms(fire.fire_at),
                    schedule_version=int(item.schedule_version),
                    kind="scheduled",
                    coalesced=fire.coalesced,
                ).to_json(),
                visible_at_ms=to_ms(fire.fire_at),
            )
            for fire in plan.fires
        ]

    def _commit(self, item: TaskItem, plan: Plan, report: SweepReport, sent: int) -> None:
        finished = plan.next_due_at is None
        try:
            won = store.commit_dispatch(
                item.task_id,
                int(item.due_at),
                int(item.schedule_version),
                to_ms(plan.next_due_at) if plan.next_due_at is not None else None,
                max((to_ms(f.scheduled_at) for f in plan.fires), default=None),
                fires=sent,
                state=TASK_COMPLETED if finished else None,
            )
        except Exception:
            # Throttled past the SDK's retries, or the network failed: the messages went
            # out, the task stays due, the next sweep re-sends (duplicates, never a loss).
            logger.exception("commit failed", extra={"task_id": item.task_id})
            report.tasks_deferred += 1
            return
        if won:
            report.tasks_committed += 1
            report.tasks_completed += int(finished)
        else:
            report.commit_conflicts += 1
            report.duplicates_sent += sent
