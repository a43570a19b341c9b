"""Integration fixtures: DynamoDB emulated in-process by moto, tables made from template.yaml."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from sundial.local.template import create_queues, create_tables
from sundial.settings import reset_settings
from sundial.store import TaskItem, bind_tables, new_ulid, unbind_tables

REGION = "us-east-1"
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and region; nothing can reach a real AWS account."""
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    reset_settings()
    yield
    reset_settings()


@pytest.fixture
def serialized_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply each emulated request atomically, as DynamoDB applies each write.

    moto checks a condition and writes the item without a lock, so two threads
    could both pass a condition that DynamoDB would let only one pass.
    """
    lock = threading.Lock()
    process = BotocoreStubber.process_request

    def locked(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return process(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", locked)


@pytest.fixture
def tables(aws_env: None, serialized_requests: None) -> Iterator[dict[str, str]]:
    """The template's tables in a fresh emulated account, with the store bound to them."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        names = create_tables(client)
        bind_tables(names["TasksTable"], names["RunsTable"], region=REGION)
        yield names
        unbind_tables()


@pytest.fixture
def queues(tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The template's queues (work queue, dead-letter queue) beside the tables.

    Their URLs are in the environment as the deployed functions see them.
    """
    urls = create_queues(boto3.client("sqs", region_name=REGION))
    monkeypatch.setenv("WORK_QUEUE_URL", urls["WorkQueue"])
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", urls["DeadLetterQueue"])
    reset_settings()
    return urls


@pytest.fixture
def make_task() -> Callable[..., TaskItem]:
    """A valid, unsaved task; keyword arguments override any attribute."""

    def make(tenant: str = "acme", **overrides: Any) -> TaskItem:
        attributes: dict[str, Any] = {
            "task_id": new_ulid(),
            "tenant": tenant,
            "name": None,
            "schedule": "*/5 * * * * *",
            "timezone": "UTC",
            "description": "",
            "target": {"type": "http", "url": "https://example.com/hook", "headers": {}},
            "payload": {"hello": "world"},
            "retry": {"max_attempts": 3, "backoff_seconds": 2},
            "timeout_seconds": 30,
            "overlap": "allow",
            "misfire": {"policy": "fire_once", "grace_seconds": 60},
            "jitter_seconds": 0,
            "tags": {},
        }
        attributes.update(overrides)
        return TaskItem(**attributes)

    return make
