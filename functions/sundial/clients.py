"""boto3 clients, created once per process and shared by threads (boto3 clients are
thread-safe; sessions and resources are not).

botocore resolves endpoints from AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, which
is how the local stack and `sam local` point the functions at an emulator.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode retries throttling and transient errors with exponential backoff
# and jitter; the dispatcher's shard threads share one client, so its pool must be wide.
CLIENT_CONFIG = Config(
    retries={"max_attempts": 5, "mode": "standard"},
    max_pool_connections=64,
    connect_timeout=2,
    read_timeout=10,
)


@functools.cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=CLIENT_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests start a new emulator; the local stack moves endpoints)."""
    client.cache_clear()
