"""Helpers of the executor's integration tests (imported by conftest.py and the tests)."""

from __future__ import annotations

import copy
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sundial import store
from sundial.core.clock import from_ms
from sundial.execute.admission import run_key_of
from sundial.store import TaskItem
from sundial.workqueue.messages import FireMessage

REGION = "us-east-1"
# The `sam local` sample batch: one fire message, then two malformed records (a JSON body
# that is not a whole fire message, and a body that is not JSON).
SAMPLE_BATCH = Path(__file__).resolve().parents[3] / "infra" / "events" / "executor-batch.json"
# 2026-05-28T20:26:40Z: every test's fires are due then, on the simulated clock.
FIRE_AT = 1_780_000_000_000
PROBE = "test.probe"


@dataclass
class SimClock:
    """The executor's clock: `now` moves only when a test (or a sleep) moves it."""

    now: int = FIRE_AT
    slept: list[float] = field(default_factory=list)

    def utc_now(self) -> datetime:
        return from_ms(self.now)

    def now_ms(self) -> int:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += int(seconds * 1000)

    def advance(self, ms: int) -> None:
        self.now += ms


class RecordingSqs:
    """The emulated SQS client; remembers visibility changes and messages sent."""

    def __init__(self, real: Any):
        self.real = real
        self.visibility: list[tuple[str, int]] = []
        self.sent: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def change_message_visibility(self, **kwargs: Any) -> Any:
        with self.lock:
            self.visibility.append((kwargs["ReceiptHandle"], kwargs["VisibilityTimeout"]))
        return self.real.change_message_visibility(**kwargs)

    def send_message(self, **kwargs: Any) -> Any:
        with self.lock:
            self.sent.append(kwargs)
        return self.real.send_message(**kwargs)

    def visibility_of(self, record: dict[str, Any]) -> list[int]:
        return [seconds for handle, seconds in self.visibility if handle == record["receiptHandle"]]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class Probe:
    """A `handler` target that records each call; `script` decides what each call does
    (an exception to raise, or None to succeed); `gate`, when set, holds every call until
    the test opens it (bounded, so a broken test fails instead of hanging)."""

    def __init__(self) -> None:
        self.calls: list[Any] = []
        self.script: deque[BaseException | None] = deque()
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, payload: Any, invocation: Any) -> Any:
        with self.lock:
            self.calls.append(invocation)
            outcome = self.script.popleft() if self.script else None
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(timeout=20), "probe gate never opened"
        if outcome is not None:
            raise outcome
        return {"echo": payload}

    @property
    def executions(self) -> list[str]:
        return [call.execution_id for call in self.calls]


def sample_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(SAMPLE_BATCH.read_text())["Records"]
    return records


def malformed_sample_records() -> list[dict[str, Any]]:
    return sample_records()[1:]


@dataclass
class LambdaContext:
    """What the executor reads of Lambda's context object (plus what Powertools logs)."""

    remaining_ms: int = 300_000
    function_name: str = "sundial-executor"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:sundial-executor"
    aws_request_id: str = "3f1c2b6e-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class WorkQueueDriver:
    """Sends fire messages to the emulated work queue and turns what it delivers into the
    SQS event documents Lambda's event source mapping would pass to the executor."""

    def __init__(self, real_sqs: Any, urls: dict[str, str]):
        self.sqs = real_sqs
        self.url = urls["WorkQueue"]
        self.dlq_url = urls["DeadLetterQueue"]
        self.arn = real_sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.template = sample_records()[0]

    def send(self, body: str | FireMessage, **kwargs: Any) -> None:
        text = body.to_json() if isinstance(body, FireMessage) else body
        self.sqs.send_message(QueueUrl=self.url, MessageBody=text, **kwargs)

    def receive(self, expected: int = 1) -> list[dict[str, Any]]:
        """Up to `expected` visible messages, as Lambda SQS event records."""
        records: list[dict[str, Any]] = []
        while len(records) < expected:
            response = self.sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=min(10, expected - len(records)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                VisibilityTimeout=3600,
            )
            messages = response.get("Messages", [])
            if not messages:
                break
            records += [self.record(message) for message in messages]
        return records

    def record(self, message: dict[str, Any]) -> dict[str, Any]:
        record = copy.deepcopy(self.template)
        attributes = message.get("Attributes", {})
        record.update(
            messageId=message["MessageId"],
            receiptHandle=message["ReceiptHandle"],
            body=message["Body"],
            md5OfBody=message["MD5OfBody"],
            eventSourceARN=self.arn,
            awsRegion=REGION,
            messageAttributes={
                name: {
                    "stringValue": value.get("StringValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value["DataType"],
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
        )
        record["attributes"].update(
            {k: attributes[k] for k in record["attributes"] if k in attributes}
        )
        return record

    def pending(self) -> list[dict[str, Any]]:
        """Messages visible on the work queue now (received, so hidden afterwards)."""
        return self.receive(expected=10)

    def dead_letters(self) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=3600
        )
        return [json.loads(m["Body"]) for m in response.get("Messages", [])]


def event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def failures(response: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


def fire(item: TaskItem, at: int = FIRE_AT, **overrides: Any) -> FireMessage:
    """The scheduled fire message of `item` at `at` (nominal time = fire time)."""
    fields: dict[str, Any] = {
        "execution_id": f"{item.task_id}:{at}",
        "task_id": item.task_id,
        "tenant": item.tenant,
        "fire_at": at,
        "schedule_version": int(item.schedule_version),
    }
    fields.update(overrides)
    return FireMessage(**fields)


def manual(item: TaskItem, manual_id: str, at: int = FIRE_AT) -> FireMessage:
    return FireMessage(
        execution_id=f"{item.task_id}:manual:{manual_id}",
        task_id=item.task_id,
        tenant=item.tenant,
        fire_at=at,
        schedule_version=int(item.schedule_version),
        kind="manual",
    )


def run_of(message: FireMessage) -> store.RunItem:
    key = run_key_of(message)
    return store.RunItem.get(key.task_id, key.fire_key, consistent_read=True)


def has_run(message: FireMessage) -> bool:
    try:
        run_of(message)
    except store.RunItem.DoesNotExist:
        return False
    return True
