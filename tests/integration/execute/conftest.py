"""Fixtures for the executor under moto: real SQS event documents built from messages the
emulated work queue delivered, a simulated clock, an SQS client that records what the
executor asked of SQS, and a probe handler target that counts its calls.

Nothing here waits on wall-clock time for protocol decisions: leases and backoffs are
crossed by moving the simulated clock, and redeliveries reuse the record SQS handed out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from execute_helpers import (
    FIRE_AT,
    PROBE,
    REGION,
    LambdaContext,
    Probe,
    RecordingSqs,
    SimClock,
    WorkQueueDriver,
    event,
)

from sundial import clients, store
from sundial.execute import batch
from sundial.execute.run import Executor
from sundial.execute.wiring import reset_executor
from sundial.observability import metrics
from sundial.settings import reset_settings
from sundial.store import TaskItem
from sundial.targets import NetworkPolicy, TargetEnvironment
from sundial.targets.aws import aws_client, reset_aws_clients
from sundial.targets.handler import task, unregister
from sundial.workqueue.delivery import WorkQueue


@pytest.fixture
def execute_env(
    queues: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    reset_settings()
    clients.reset_clients()
    reset_aws_clients()
    reset_executor()
    yield queues
    clients.reset_clients()
    reset_aws_clients()
    reset_executor()


@pytest.fixture(autouse=True)
def _fresh_metrics() -> Iterator[None]:
    """Metrics are process-wide and flushed by the Lambda handler only; tests that drive
    batches directly must not leave values for the next test's handler to flush."""
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


@pytest.fixture
def probe() -> Iterator[Probe]:
    instance = Probe()
    task(PROBE)(instance)
    yield instance
    if instance.gate is not None:
        instance.gate.set()
    unregister(PROBE)


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def sqs(execute_env: dict[str, str]) -> RecordingSqs:
    return RecordingSqs(boto3.client("sqs", region_name=REGION))


@pytest.fixture
def make_executor(
    sqs: RecordingSqs, clock: SimClock, execute_env: dict[str, str]
) -> Callable[..., Executor]:
    def make(**options: Any) -> Executor:
        network = options.pop("network", NetworkPolicy(allow_loopback=True))
        resolver = options.pop("resolver", None)
        aws = options.pop("aws", aws_client)
        environment = TargetEnvironment(aws=aws, network=network)
        if resolver is not None:
            environment = TargetEnvironment(aws=aws, network=network, resolver=resolver)
        queue = WorkQueue(
            sqs,
            execute_env["WorkQueue"],
            execute_env["DeadLetterQueue"],
            requeue_after_receives=options.pop("requeue_after_receives", 5),
        )
        return Executor(
            queue,
            environment,
            clock=options.pop("clock", clock),
            random_source=options.pop("random_source", lambda: 0.5),
        )

    return make


@pytest.fixture
def executor(make_executor: Callable[..., Executor]) -> Executor:
    return make_executor()


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def work(execute_env: dict[str, str], sqs: RecordingSqs) -> WorkQueueDriver:
    return WorkQueueDriver(sqs.real, execute_env)


@pytest.fixture
def deliver(
    work: WorkQueueDriver, executor: Executor, context: LambdaContext
) -> Callable[..., dict[str, Any]]:
    """Process records as one Lambda invocation; the partial batch response."""

    def run(*records: dict[str, Any], using: Executor | None = None) -> dict[str, Any]:
        return dict(batch.process_batch(event(*records), context, using or executor))

    return run


@pytest.fixture
def probe_task(
    make_task: Callable[..., TaskItem], tables: dict[str, str]
) -> Callable[..., TaskItem]:
    """A stored task whose target is the probe handler."""

    def make(**overrides: Any) -> TaskItem:
        attributes: dict[str, Any] = {
            "target": {"type": "handler", "name": PROBE},
            "payload": {"n": 1},
        }
        attributes.update(overrides)
        return store.create_task(make_task(**attributes), now_ms=FIRE_AT - 3_600_000)

    return make
