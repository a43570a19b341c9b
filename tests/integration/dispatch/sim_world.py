"""A simulated world for dispatch tests: the dispatcher ticking every minute, the API, and an
executor receiving each message at its fire time, all on one simulated clock.

Each message is delivered when its fire time comes; the target counts its calls.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from sundial.core.clock import from_ms, to_ms
from sundial.core.planning import execution_id
from sundial.dispatch.sweep import Dispatcher
from sundial.execute.run import Executor
from sundial.settings import DEFAULT_LOOKAHEAD_SECONDS, DEFAULT_MAX_FIRES_PER_COMMIT
from sundial.targets import NetworkPolicy, TargetEnvironment
from sundial.targets.aws import aws_client
from sundial.targets.handler import task as handler_task
from sundial.targets.handler import unregister
from sundial.workqueue import scheduled, send
from sundial.workqueue.delivery import Delivery, WorkQueue

TARGET = "lookahead.probe"
LOOKAHEAD = timedelta(seconds=DEFAULT_LOOKAHEAD_SECONDS)
TICK = timedelta(seconds=60)


class World:
    """The dispatcher ticking every minute, the API, and an executor receiving each message
    at its fire time, all on the test's clock."""

    def __init__(self, dispatcher: Dispatcher, executor: Executor, sqs: Any, clock: Any):
        self.dispatcher = dispatcher
        self.executor = executor
        self.sqs = sqs
        self.clock = clock
        self.next_tick = clock.utc_now()
        self.delivered: set[int] = set()
        self.ran: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()

    def target(self, payload: Any, invocation: Any) -> dict[str, Any]:
        self.ran[invocation.execution_id] += 1
        return {}

    def run_until(self, until: datetime) -> None:
        """Tick and deliver, in time order, everything due by `until`."""
        while True:
            waiting = [
                (message["fire_at"], n)
                for n, message in enumerate(self.sqs.sent)
                if n not in self.delivered
            ]
            tick_ms = to_ms(self.next_tick)
            first = min(waiting, default=None)
            if first is None or tick_ms <= first[0]:
                if self.next_tick > until:
                    break
                self.clock.now = max(self.clock.now, self.next_tick)
                self.dispatcher.sweep()
                self.next_tick += TICK
                continue
            if first[0] > to_ms(until):
                break
            self.clock.now = max(self.clock.now, from_ms(first[0]))
            self.deliver(first[1])
        self.clock.now = max(self.clock.now, until)

    def deliver(self, n: int) -> None:
        self.delivered.add(n)
        body = {k: v for k, v in self.sqs.sent[n].items() if k not in ("delay", "batch")}
        record = {
            "messageId": f"m-{n}",
            "receiptHandle": f"r-{n}",
            "body": json.dumps(body),
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
        }
        deadline = time.monotonic() + 900
        processed = self.executor.process(Delivery.from_record(record), deadline)
        self.outcomes[str(processed.outcome)] += 1

    def sent(self, execution: str) -> int:
        return sum(1 for m in self.sqs.sent if m["execution_id"] == execution)


@pytest.fixture
def world(make_dispatcher, local_sqs, clock, dispatch_env, monkeypatch):
    # Dispatch-on-write and backfills send through the same recording stand-in as sweeps.
    recording = SimpleNamespace(client=lambda name: local_sqs)
    monkeypatch.setattr(scheduled, "clients", recording)
    monkeypatch.setattr(send, "clients", recording)
    dispatcher = make_dispatcher(
        sqs=local_sqs,
        use_leases=False,
        lookahead=LOOKAHEAD,
        max_fires_per_commit=DEFAULT_MAX_FIRES_PER_COMMIT,
    )
    queue = WorkQueue(
        local_sqs,
        dispatch_env["WorkQueue"],
        dispatch_env["DeadLetterQueue"],
        requeue_after_receives=5,
    )
    executor = Executor(
        queue,
        TargetEnvironment(aws=aws_client, network=NetworkPolicy()),
        clock=clock,
        random_source=lambda: 0.5,
    )
    instance = World(dispatcher, executor, local_sqs, clock)
    handler_task(TARGET)(instance.target)
    yield instance
    unregister(TARGET)


@pytest.fixture
def per_minute(seed):
    """A task firing at second 0 of every minute, through the executor's probe target."""

    def create(**kw: Any):
        return seed(
            "0 * * * * *",
            target={"type": "handler", "name": TARGET},
            timeout_seconds=5,
            **kw,
        )

    return create


def minutes(start: datetime, *offsets: float) -> list[datetime]:
    return [start + timedelta(minutes=m) for m in offsets]


def ids(task, times) -> set[str]:
    return {execution_id(task.task_id, at) for at in times}


def assert_ran_exactly(world: World, wanted: set[str]) -> None:
    assert world.outcomes["error"] == 0
    assert set(world.ran) == wanted  # nothing stale ran, nothing wanted was lost
    assert all(count == 1 for count in world.ran.values())  # and nothing ran twice
