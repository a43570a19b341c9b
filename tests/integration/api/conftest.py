"""The API function and its authorizer, run through their real Lambda handlers against moto.

Requests are the REST (v1) proxy events of infra/events/ (see api_client.py), adjusted per
test: method, path, query, headers, body, and the tenant the authorizer (or IAM) put in
the request context.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from api_client import Api

from sundial import clients
from sundial.settings import reset_settings
from sundial.store import apikeys

REGION = "us-east-1"


@pytest.fixture
def api_env(
    queues: dict[str, str], tables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """Tables and queues of the template, and the API function's environment."""
    monkeypatch.setenv("KEYS_TABLE", tables["KeysTable"])
    monkeypatch.setenv("IDEMPOTENCY_TABLE", tables["IdempotencyTable"])
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "SundialTest")
    monkeypatch.setenv("AUTH_MODE", "API_KEY")
    reset_settings()
    clients.reset_clients()
    apikeys.bind_keys_table(tables["KeysTable"], region=REGION)
    yield tables
    apikeys.unbind_keys_table()
    clients.reset_clients()
    reset_settings()


@pytest.fixture
def api(api_env: dict[str, str]) -> Api:
    return Api()


@pytest.fixture
def iam_api(api_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.setenv("AUTH_MODE", "IAM")
    reset_settings()
    return Api(auth_mode="IAM")


@pytest.fixture
def work_queue(queues: dict[str, str]) -> Any:
    """Reads what the API enqueued on the work queue."""

    class Queue:
        def __init__(self) -> None:
            self.sqs = boto3.client("sqs", region_name=REGION)
            self.url = queues["WorkQueue"]

        def messages(self) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            while True:
                batch = self.sqs.receive_message(
                    QueueUrl=self.url, MaxNumberOfMessages=10, VisibilityTimeout=600
                ).get("Messages", [])
                if not batch:
                    return found
                found += [json.loads(m["Body"]) for m in batch]

    return Queue()
