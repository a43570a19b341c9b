"""Counted (never timed) benchmarks over in-process moto: read amplification of sweeps,
requests per fire, and the dispatcher's CPU per fire with AWS calls stubbed out.

Requests are counted where every emulated call passes (moto's BotocoreStubber), by the
operation named in the request, so no client can slip past the count.
"""

from __future__ import annotations

import contextlib
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "soak"))

import chaos  # noqa: E402  (the soak's emulated AWS, simulated clock and SQS stand-in)
from moto.core.botocore_stubber import BotocoreStubber  # noqa: E402

READ_OPERATIONS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


class RequestCounter:
    """DynamoDB requests by operation, and items returned by Query/GetItem."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_read = 0
        self.lock = threading.Lock()
        self.active = False

    @contextlib.contextmanager
    def counting(self) -> Iterator[RequestCounter]:
        import json

        process = BotocoreStubber.process_request
        counter = self

        def counted(stubber: BotocoreStubber, request: Any) -> Any:
            response = process(stubber, request)
            target = (request.headers.get("X-Amz-Target") or b"").decode()
            if counter.active and target.startswith("DynamoDB"):
                operation = target.rsplit(".", 1)[-1]
                with counter.lock:
                    counter.calls[operation] += 1
                    if operation in ("Query", "GetItem"):
                        try:
                            body = json.loads(response[2] if isinstance(response, tuple) else b"{}")
                        except (ValueError, TypeError, IndexError):
                            body = {}
                        counter.items_read += int(body.get("Count", 1 if "Item" in body else 0))
            return response

        BotocoreStubber.process_request = counted  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BotocoreStubber.process_request = process  # type: ignore[method-assign]

    def reads(self) -> int:
        return sum(n for op, n in self.calls.items() if op in READ_OPERATIONS)

    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op in WRITE_OPERATIONS)


def _task(schedule: str, due_ms: int | None, stamp: int, **extra: Any) -> Any:
    from sundial import store
    from sundial.store import TaskItem

    task_id = store.new_ulid()
    item = TaskItem(
        task_id=task_id,
        tenant=f"tenant-{random.randrange(50)}",
        schedule=schedule,
        timezone="UTC",
        description="",
        target={"type": "handler", "name": "echo"},
        payload={"n": 1},
        retry={"max_attempts": 3, "backoff_seconds": 2},
        timeout_seconds=30,
        overlap="allow",
        misfire={"policy": "fire_once", "grace_seconds": 60},
        jitter_seconds=0,
        tags={},
        **extra,
    )
    item.version = item.schedule_version = 1
    item.created_at = item.updated_at = stamp
    item.state = "active" if due_ms is not None else "paused"
    if due_ms is not None:
        item.due_at = due_ms
        item.due_shard = store.shard_for(task_id, chaos.SHARDS)
    return item


def read_amplification(stored: int = 100_000, due_fraction: float = 0.01) -> dict[str, Any]:
    """Items the sweep reads ÷ fires it emits, with `stored` tasks of which ~1% are due:
    the rest wait further ahead in the index (89%) or are paused (10%, not indexed)."""
    from sundial.dispatch.sweep import Dispatcher
    from sundial.store import TaskItem

    with chaos.emulated_aws():
        clock = chaos.SimClock(chaos.START)
        now = clock.now_ms()
        stamp = now - 86_400_000
        rng = random.Random(3)
        due = 0
        with TaskItem.batch_write() as batch:
            for _ in range(stored):
                roll = rng.random()
                if roll < due_fraction:
                    due += 1
                    when = now + rng.randrange(1, 60) * 1000  # due inside this sweep's horizon
                elif roll < 0.9:
                    when = now + rng.randrange(600, 86_400) * 1000  # later today
                else:
                    when = None
                batch.save(_task("0 * * * * *", when, stamp))
        sqs = chaos.SimSqs(clock, rng, 0.0)
        counter = RequestCounter()
        with counter.counting():
            counter.active = True
            report = Dispatcher(
                sqs=sqs,
                queue_url=chaos.WORK_QUEUE,
                horizon=chaos.HORIZON,
                shard_count=chaos.SHARDS,
                owner="bench",
                clock=clock,
                page_size=100,
                threads=chaos.SHARDS,
            ).sweep()
            counter.active = False
    query_items = report.items_read
    return {
        "stored_tasks": stored,
        "due_tasks": due,
        "items_read": query_items,
        "fires_emitted": report.fires_emitted,
        "value": round(query_items / max(1, report.fires_emitted), 3),
        "dynamodb_requests": dict(counter.calls),
    }


def requests_per_fire(schedule: str, tasks: int, minutes: int) -> dict[str, Any]:
    """DynamoDB and SQS requests per fire, dispatcher and executor together, with the
    soak's harness and no faults: `tasks` tasks on `schedule` for `minutes` simulated."""
    from sundial.dispatch.sweep import Dispatcher
    from sundial.execute.run import Executor
    from sundial.execute.targets import NetworkPolicy, TargetEnvironment
    from sundial.execute.targets.aws import aws_client
    from sundial.store import TaskItem
    from sundial.workqueue.delivery import WorkQueue

    with chaos.emulated_aws():
        clock = chaos.SimClock(chaos.START)
        start = clock.now_ms()
        end = start + minutes * 60_000 - 500
        with TaskItem.batch_write() as batch:
            for _ in range(tasks):
                first = start + (1000 if schedule.startswith("*") else 60_000)
                batch.save(_task(schedule, first, start - 86_400_000, end_at=end))
        sqs = CountingSqs(clock, random.Random(1), 0.0)
        executor = Executor(
            WorkQueue(sqs, chaos.WORK_QUEUE, chaos.DEAD_LETTER_QUEUE, requeue_after_receives=5),
            TargetEnvironment(aws=aws_client, network=NetworkPolicy()),
            clock=clock,
        )
        counter = RequestCounter()
        fires = 0
        with counter.counting():
            counter.active = True
            next_tick = start
            while clock.now_ms() <= end + 120_000:
                if clock.now_ms() >= next_tick:
                    Dispatcher(
                        sqs=sqs,
                        queue_url=chaos.WORK_QUEUE,
                        horizon=chaos.HORIZON,
                        shard_count=chaos.SHARDS,
                        owner="bench",
                        clock=clock,
                        threads=1,
                    ).sweep()
                    next_tick += 60_000
                fires += sqs.drain(executor)
                visible = sqs.next_visible_ms()
                upcoming = next_tick if visible is None else min(next_tick, visible)
                clock.ms = max(clock.now_ms() + 1000, upcoming)
            counter.active = False
        ticks = minutes + 2
    per_tick_fixed = chaos.SHARDS * 2  # a shard lease taken and released per shard per sweep
    writes = counter.writes()
    return {
        "schedule": schedule,
        "tasks": tasks,
        "simulated_minutes": minutes,
        "fires": fires,
        "dynamodb_writes_per_fire": round(writes / fires, 3),
        "dynamodb_reads_per_fire": round(counter.reads() / fires, 3),
        "sqs_requests_per_fire": round(sqs.requests() / fires, 3),
        "dynamodb_requests": dict(counter.calls),
        "sqs_requests": dict(sqs.calls),
        "lease_writes_per_sweep": per_tick_fixed,
        "sweeps": ticks,
    }


class CountingSqs(chaos.SimSqs):
    """The SQS stand-in, counting billed requests: the API calls Sundial makes, plus what
    Lambda's event source mapping makes for it (one ReceiveMessage per batch received,
    one DeleteMessageBatch per batch acknowledged; its empty long polls are a fixed cost
    per queue, not per fire)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.calls: Counter[str] = Counter()

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls["SendMessageBatch"] += 1
        return super().send_message_batch(QueueUrl, Entries)

    def send_message(self, QueueUrl: str, MessageBody: str, **kwargs: Any) -> dict[str, Any]:
        self.calls["SendMessage"] += 1
        return super().send_message(QueueUrl, MessageBody, **kwargs)

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int):
        self.calls["ChangeMessageVisibility"] += 1
        return super().change_message_visibility(QueueUrl, ReceiptHandle, VisibilityTimeout)

    def drain(self, executor: Any) -> int:
        from sundial.workqueue.delivery import Delivery

        succeeded = 0
        while records := self.receive(10):
            self.calls["ReceiveMessage"] += 1
            acknowledged = []
            for record in records:
                processed = executor.process(Delivery.from_record(record), time.monotonic() + 900)
                succeeded += processed.outcome == "succeeded"
                if processed.acknowledge:
                    acknowledged.append(record["receiptHandle"])
            for receipt in acknowledged:
                self.delete(receipt)
            if acknowledged:
                self.calls["DeleteMessageBatch"] += 1
        return succeeded

    def requests(self) -> int:
        return sum(self.calls.values())


def dispatcher_cpu(tasks: int = 2000) -> dict[str, Any]:
    """CPU the sweep spends per fire planning and serialising, AWS calls stubbed out:
    time.process_time around Dispatcher.dispatch with a no-op SQS and commit."""
    from sundial import store
    from sundial.dispatch.sweep import Dispatcher, SweepReport

    class NoSqs:
        def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:
            return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    clock = chaos.SimClock(chaos.START)
    now = clock()
    now_ms = clock.now_ms()
    results = {}
    with chaos.emulated_aws(), chaos.patched(store, "commit_dispatch", lambda *a, **k: True):
        for label, schedule, first in (
            ("per_minute", "0 * * * * *", now_ms + 30_000),
            ("per_second", "* * * * * *", now_ms + 1000),
            ("cron_5_field", "*/5 * * * *", now_ms + 30_000),
        ):
            items = [_task(schedule, first, now_ms - 86_400_000) for _ in range(tasks)]
            dispatcher = Dispatcher(
                sqs=NoSqs(),
                queue_url=chaos.WORK_QUEUE,
                horizon=timedelta(seconds=90),
                shard_count=chaos.SHARDS,
                owner="bench",
                clock=clock,
            )
            report = SweepReport()
            began = time.process_time()
            for page in range(0, tasks, 100):
                dispatcher.dispatch(items[page : page + 100], now, report)
            spent = time.process_time() - began
            per_fire = spent * 1e6 / max(1, report.fires_emitted)
            results[label] = {
                "fires": report.fires_emitted,
                "us_per_fire": round(per_fire, 1),
                "fires_per_second_per_vcpu": int(1e6 / per_fire) if per_fire else None,
            }
    return results
