"""Integration fixtures: DynamoDB emulated in-process by moto, tables made from template.yaml."""

from __future__ import annotations

import copy
import functools
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.endpoint
import botocore.session
import pytest
from botocore.exceptions import ReadTimeoutError
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber
from sundial_local.template import (
    Template,
    create_queues,
    create_tables,
    load_template,
    parameter_values,
)

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


class LostResponses:
    """Emulated DynamoDB applies a chosen request, and its caller never hears back.

    `lose_next(operation)` arms the next request of that operation (e.g. "UpdateItem"),
    or the one after `after` others: moto applies it, then the SDK sees a read timeout
    instead of the response and re-sends the very same request (botocore's standard
    retry), as it does when DynamoDB applied a write whose response the network lost.
    Only a request's first send is lost; its retry gets an answer.

    `unanswered_next(operation, applied=...)` arms a request none of whose sends gets an
    answer, so the SDK runs out of retries and the caller gets the error: the write's
    outcome is unknown to it. `applied` says whether DynamoDB applied its first send
    (the retries never reach it). The same request made again by its caller (a new
    call, not the SDK's retry) is answered. `lost` lists the operations lost so far.
    """

    def __init__(self) -> None:
        # [operation, requests of it still to let by, "lost" | "applied" | "dropped"]
        self.armed: list[list[Any]] = []
        self.lost: list[str] = []
        self.silenced: set[bytes] = set()  # bodies of requests no send of which is answered
        self.lock = threading.Lock()

    def lose_next(self, operation: str, *, after: int = 0) -> None:
        with self.lock:
            self.armed.append([operation, after, "lost"])

    def unanswered_next(self, operation: str, *, applied: bool, after: int = 0) -> None:
        with self.lock:
            self.armed.append([operation, after, "applied" if applied else "dropped"])

    def before(self, request: Any) -> bool:
        """Whether `request` times out before DynamoDB sees it."""
        body = bytes(request.body or b"")
        with self.lock:
            if body in self.silenced:
                if not _first_send(request):
                    return True  # the SDK's retry of an unanswered request
                self.silenced.discard(body)  # its caller sends it again: answered
            if _first_send(request) and (armed := self._due(request, "dropped")) is not None:
                self._take(armed, body)
                return True
        return False

    def take(self, request: Any) -> bool:
        """Whether the response to `request`, just applied, is to be lost."""
        if not _first_send(request):
            return False  # a retry: it gets its answer
        with self.lock:
            armed = self._due(request, "lost", "applied")
            if armed is None:
                return False
            self._take(armed, bytes(request.body or b""))
        return True

    def _due(self, request: Any, *modes: str) -> list[Any] | None:
        operation = _header(request, "X-Amz-Target").rpartition(".")[2]
        due = None
        for armed in (a for a in self.armed if a[0] == operation and a[2] in modes):
            if armed[1] > 0:
                armed[1] -= 1  # one more of the requests it lets by
            elif due is None:
                due = armed
        return due

    def _take(self, armed: list[Any], body: bytes) -> None:
        self.armed.remove(armed)
        self.lost.append(armed[0])
        if armed[2] != "lost":
            self.silenced.add(body)


def _first_send(request: Any) -> bool:
    # "attempt=1; max=6" (or "attempt=1" in older botocore) on the first send.
    return _header(request, "amz-sdk-request").partition(";")[0].strip() == "attempt=1"


def _header(request: Any, name: str) -> str:
    value = request.headers.get(name, "")
    return value.decode() if isinstance(value, bytes) else str(value)


@pytest.fixture
def lost_responses(serialized_requests: None, monkeypatch: pytest.MonkeyPatch) -> LostResponses:
    """Arms DynamoDB requests whose response is lost after they are applied."""
    faults = LostResponses()
    process = BotocoreStubber.process_request

    def applied_then_lost(self: BotocoreStubber, request: Any) -> Any:
        if faults.before(request):
            raise ReadTimeoutError(endpoint_url=request.url)
        response = process(self, request)
        if faults.take(request):
            raise ReadTimeoutError(endpoint_url=request.url)
        return response

    monkeypatch.setattr(BotocoreStubber, "process_request", applied_then_lost)
    # The SDK's backoff between retries is real time: these tests count retries, not waits.
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=lambda s: None))
    return faults


@functools.cache
def _template_body() -> dict[str, Any]:
    return load_template()


def _template() -> Template:
    """template.yaml with its default parameters, as create_tables and create_queues load it
    (parsed once per run: a fresh copy each time, nothing is shared between tests)."""
    body = copy.deepcopy(_template_body())
    return Template(body, parameter_values(body, {}), region=REGION)


@pytest.fixture
def tables(aws_env: None, serialized_requests: None) -> Iterator[dict[str, str]]:
    """The template's tables in a fresh emulated account, with the store bound to them."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        names = create_tables(client, template=_template())
        bind_tables(names["TasksTable"], names["RunsTable"], region=REGION)
        yield names
        unbind_tables()


@pytest.fixture
def queues(tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The template's queues (work queue, dead-letter queue) beside the tables.

    Their URLs are in the environment as the deployed functions see them.
    """
    urls = create_queues(boto3.client("sqs", region_name=REGION), template=_template())
    monkeypatch.setenv("WORK_QUEUE_URL", urls["WorkQueue"])
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", urls["DeadLetterQueue"])
    reset_settings()
    return urls


# The fire time of the dead letters `dead_letter` files (offsets are added to it).
DEAD_LETTER_FIRE_AT_MS = 1_790_000_000_000


@pytest.fixture
def dead_letter(tables: dict[str, str]) -> Callable[..., str]:
    """Files a run that failed for good on attempt 1 as a dead letter; returns its execution id."""
    from sundial.store import claim_run, run_key
    from sundial.store.deadletters import DeadLetter, record_dead_letter

    def file(task_id: str, tenant: str, offset_ms: int = 0) -> str:
        fire_at = DEAD_LETTER_FIRE_AT_MS + offset_ms
        key = run_key(task_id, fire_at)
        run = claim_run(
            key.task_id,
            key.fire_key,
            execution_id=key.execution_id,
            fire_at_ms=fire_at,
            now_ms=fire_at + 1_000,
            lease_ms=30_000,
            tenant=tenant,
        )
        record_dead_letter(
            DeadLetter(
                tenant=tenant,
                task_id=task_id,
                fire_key=key.fire_key,
                execution_id=key.execution_id,
                fire_at_ms=fire_at,
                kind="scheduled",
                attempt=1,
                error="HTTP 404 from https://example.com/hook",
                reason="permanent",
                dead_lettered_at_ms=fire_at + 1_500,
            ),
            claim_token=run.claim_token,
        )
        return key.execution_id

    return file


@pytest.fixture
def cold_start(tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """Call to drop every model's DynamoDB client, as on a cold start; it returns the
    names of the threads that create clients from then on, one entry per client."""
    from sundial.store.models import _MODELS

    def go_cold() -> list[str]:
        for model in _MODELS:
            model._connection = None
        created_on: list[str] = []
        create_client = botocore.session.Session.create_client

        def recording(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
            created_on.append(threading.current_thread().name)
            return create_client(self, service_name, *args, **kwargs)

        monkeypatch.setattr(botocore.session.Session, "create_client", recording)
        return created_on

    return go_cold


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
