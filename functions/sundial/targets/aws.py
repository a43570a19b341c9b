"""boto3 clients for AWS targets, and what the targets have in common.

Clients are cached per (service, region, read timeout): boto3 clients are thread-safe
and expensive to build, and a timeout is fixed when a client is made. Endpoints come
from botocore's own resolution, so AWS_ENDPOINT_URL (the local stack) is honoured.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import boto3
from botocore.config import Config

from sundial.targets.base import Invocation

# A target call either reaches AWS in a few seconds or is better retried by Sundial's
# own backoff than by waiting longer here.
CONNECT_TIMEOUT_SECONDS = 5
# The SDK retries throttling and 5xx itself first (standard mode); what is still
# failing after this many tries becomes a retryable failure of the run.
SDK_MAX_ATTEMPTS = 3
# Read timeouts come from a few steps, so the cache holds a few clients, not one per
# remaining-time value; a call gets the largest step that fits its remaining time.
READ_TIMEOUT_STEPS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 900)
# A put (SQS, SNS, EventBridge) answers in milliseconds; only a synchronous Lambda
# invoke waits for the function.
PUT_READ_TIMEOUT_SECONDS = 10

_ARN_REGION = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d+):")
_SQS_URL_REGION = re.compile(r"https://sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com")


@functools.lru_cache(maxsize=64)
def aws_client(service: str, region: str | None, read_timeout: int) -> Any:
    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=read_timeout,
        retries={"max_attempts": SDK_MAX_ATTEMPTS, "mode": "standard"},
    )
    session = boto3.session.Session()
    return session.client(service, region_name=region, config=config)


def reset_aws_clients() -> None:
    """Forget cached clients (tests start a new emulator)."""
    aws_client.cache_clear()


def read_timeout(invocation: Invocation, ceiling: int = PUT_READ_TIMEOUT_SECONDS) -> int:
    """The largest timeout step within the invocation's remaining time and `ceiling`."""
    budget = min(invocation.remaining_seconds(), ceiling)
    fitting = [step for step in READ_TIMEOUT_STEPS if step <= budget]
    return fitting[-1] if fitting else READ_TIMEOUT_STEPS[0]


def arn_region(arn: str) -> str | None:
    """The region an ARN names (targets in other regions are called there)."""
    match = _ARN_REGION.match(arn)
    return match.group(1) if match else None


def queue_url_region(url: str) -> str | None:
    match = _SQS_URL_REGION.match(url)
    return match.group(1) if match else None


def envelope_json(invocation: Invocation) -> str:
    return json.dumps(invocation.envelope(), separators=(",", ":"), ensure_ascii=False)


def message_attributes(invocation: Invocation) -> dict[str, dict[str, str]]:
    """The ids as SQS/SNS message attributes: consumers can dedupe without the body."""
    return {
        "sundial-execution-id": {"DataType": "String", "StringValue": invocation.execution_id},
        "sundial-task-id": {"DataType": "String", "StringValue": invocation.task_id},
        "sundial-attempt": {"DataType": "Number", "StringValue": str(invocation.attempt)},
    }
