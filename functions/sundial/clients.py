"""boto3 clients, created once per process and shared by threads (boto3 clients are
thread-safe; sessions and resources are not).

botocore resolves endpoints from AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, which
is how the local stack and `sam local` point the functions at an emulator.
"""

from __future__ import annotations

import functools
import os
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
# The local stack's emulator queues requests it cannot serve yet instead of refusing
# them: one that times out is still served later, so a retry only doubles the work that
# made it slow. There the functions wait for the answer (this many seconds) and retry
# less, and an overloaded emulator falls behind instead of drowning in retries.
EMULATOR_READ_TIMEOUT_ENV = "SUNDIAL_EMULATOR_READ_TIMEOUT_SECONDS"
EMULATOR_MAX_ATTEMPTS = 2


def client_config() -> Config:
    emulator_timeout = os.environ.get(EMULATOR_READ_TIMEOUT_ENV)
    if not emulator_timeout:
        return CLIENT_CONFIG
    return CLIENT_CONFIG.merge(
        Config(
            read_timeout=float(emulator_timeout),
            retries={"max_attempts": EMULATOR_MAX_ATTEMPTS, "mode": "standard"},
        )
    )


@functools.cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=client_config())


def reset_clients() -> None:
    """Forget cached clients (tests start a new emulator; the local stack moves endpoints)."""
    client.cache_clear()
