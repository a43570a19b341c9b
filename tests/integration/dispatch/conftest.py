"""Fixtures for the dispatcher under moto: a simulated clock, a recording SQS client,
and DynamoDB call counters (counted through botocore event hooks, never timed)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

# The simulated world's fixtures, for every dispatch test.
from sim_world import per_minute, world  # noqa: F401

from sundial import clients, store
from sundial.core.clock import to_ms
from sundial.core.planning import first_due_at
from sundial.dispatch.sweep import Dispatcher
from sundial.settings import reset_settings
from sundial.store import ScheduleItem, TaskItem

REGION = "us-east-1"
START = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
HORIZON = timedelta(seconds=90)
SHARDS = 4


@dataclass
class SimClock:
    now: datetime = START

    def utc_now(self) -> datetime:
        return self.now

    def now_ms(self) -> int:
        return to_ms(self.now)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds=seconds)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RecordingSqs:
    """An SQS client recording every message SQS accepted.

    It forwards to the emulated SQS, or with `real=None` accepts batches itself: moto
    recomputes queue attributes over every queued message on each send, so a queue
    thousands deep makes scale tests quadratic in the number of fires.
    `fail` (optional) decides per entry body whether to report it failed, as SQS does
    in a partial batch failure; `crash` (optional) is called before each batch.
    """

    def __init__(self, real: Any | None):
        self.real = real
        self.sent: list[dict[str, Any]] = []
        self.letters: list[dict[str, Any]] = []
        self.batches = 0
        self.fail: Callable[[dict[str, Any]], bool] | None = None
        self.crash: Callable[[int], None] | None = None
        self.lock = threading.Lock()

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.batches += 1
        if self.crash:
            self.crash(self.batches)
        refused = [e for e in Entries if self.fail and self.fail(json.loads(e["MessageBody"]))]
        accepted = [e for e in Entries if e not in refused]
        response: dict[str, Any] = {"Successful": [], "Failed": []}
        if accepted and self.real is not None:
            response = self.real.send_message_batch(QueueUrl=QueueUrl, Entries=accepted)
        elif accepted:
            with self.lock:
                response["Successful"] = [{"Id": e["Id"]} for e in accepted]
        response.setdefault("Failed", [])
        response["Failed"] += [
            {"Id": e["Id"], "SenderFault": False, "Code": "InternalError"} for e in refused
        ]
        by_id = {e["Id"]: e for e in Entries}
        with self.lock:
            for ok in response.get("Successful", []):
                entry = by_id[ok["Id"]]
                body = json.loads(entry["MessageBody"])
                self.sent.append({**body, "delay": entry["DelaySeconds"], "batch": self.batches})
        return response

    def execution_ids(self) -> list[str]:
        return [m["execution_id"] for m in self.sent]

    # What an executor sends besides fires: a failed run's dead letter (recorded), and a
    # message's new visibility (nothing to do here: each is delivered once, by the test).
    def send_message(self, QueueUrl: str, MessageBody: str, **_: Any) -> dict[str, Any]:
        with self.lock:
            self.letters.append(json.loads(MessageBody))
        return {"MessageId": f"letter-{len(self.letters)}"}

    def change_message_visibility(self, **_: Any) -> dict[str, Any]:
        return {}


@dataclass
class DynamoCalls:
    """DynamoDB requests made through the store's client, by operation."""

    calls: Counter[str] = field(default_factory=Counter)
    items_read: int = 0

    def __call__(self, event_name: str, parsed: dict[str, Any], **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        self.calls[operation] += 1
        if operation == "Query":
            self.items_read += int(parsed.get("Count", 0))


@pytest.fixture
def dispatch_env(
    queues: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("SHARD_COUNT", str(SHARDS))
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    reset_settings()
    clients.reset_clients()
    yield queues
    clients.reset_clients()


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def sqs(dispatch_env: dict[str, str]) -> RecordingSqs:
    return RecordingSqs(boto3.client("sqs", region_name=REGION))


@pytest.fixture
def local_sqs(dispatch_env: dict[str, str]) -> RecordingSqs:
    """An SQS stand-in that accepts every batch: for tests sending thousands of fires."""
    return RecordingSqs(None)


@pytest.fixture
def dynamo_calls(dispatch_env: dict[str, str]) -> DynamoCalls:
    calls = DynamoCalls()
    # Definitions and schedule states share the table, each model with its own client.
    clients = [model._get_connection().connection.client for model in (TaskItem, ScheduleItem)]
    for client in clients:
        client.meta.events.register("after-call.dynamodb", calls)
    yield calls
    for client in clients:
        client.meta.events.unregister("after-call.dynamodb", calls)


@pytest.fixture
def make_dispatcher(
    sqs: RecordingSqs, clock: SimClock, dispatch_env: dict[str, str]
) -> Callable[..., Dispatcher]:
    def make(owner: str = "sweep-1", **overrides: Any) -> Dispatcher:
        options: dict[str, Any] = {
            "sqs": sqs,
            "queue_url": dispatch_env["WorkQueue"],
            "horizon": HORIZON,
            "shard_count": SHARDS,
            "owner": owner,
            "clock": clock,
            "threads": SHARDS,
        }
        options.update(overrides)
        return Dispatcher(**options)

    return make


@pytest.fixture
def seed(make_task: Callable[..., TaskItem], clock: SimClock) -> Callable[..., TaskItem]:
    """Store an active task whose due_at is its first fire after the clock (or `due_at`)."""

    def create(
        schedule: str = "0 * * * * *", due_at: datetime | None = None, **kw: Any
    ) -> TaskItem:
        item = make_task(schedule=schedule, **kw)
        item.created_at = to_ms(clock.utc_now() - timedelta(days=1))
        due = due_at or first_due_at(store.timing_of(item), clock.utc_now())
        return store.create_task(
            item,
            due_at=to_ms(due) if due else None,
            now_ms=to_ms(clock.utc_now() - timedelta(days=1)),
        )

    return create


@pytest.fixture
def seed_many(make_task: Callable[..., TaskItem], clock: SimClock) -> Callable[..., list[TaskItem]]:
    """Store many tasks quickly (BatchWriteItem); `due_at` None leaves them out of the index."""

    def create(count: int, schedule: str, due_at: datetime | None, **kw: Any) -> list[TaskItem]:
        stamp = to_ms(clock.utc_now() - timedelta(days=1))
        items = []
        with TaskItem.batch_write() as batch:
            for _ in range(count):
                item = make_task(schedule=schedule, **kw)
                item.created_at = item.updated_at = stamp
                item.version = item.schedule_version = 1
                item.schedule_state = store.new_schedule_state(
                    item, to_ms(due_at) if due_at is not None else None
                )
                batch.save(item)
                batch.save(item.schedule_state)
                items.append(item)
        return items

    return create
