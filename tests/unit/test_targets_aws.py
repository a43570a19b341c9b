"""What AWS targets share: the envelope, regions from ARNs, read timeouts."""

from __future__ import annotations

import json
import time

import pytest

from sundial.targets import parse_target
from sundial.targets.aws import (
    READ_TIMEOUT_STEPS,
    arn_region,
    envelope_json,
    message_attributes,
    queue_url_region,
    read_timeout,
)
from sundial.targets.base import Invocation
from sundial.targets.failures import PermanentFailure


def _invocation(seconds: float = 30, payload=None) -> Invocation:
    return Invocation(
        task_id="01JDTASK000000000000000000",
        tenant="acme",
        execution_id="01JDTASK000000000000000000:1780000000000",
        fire_at_ms=1_780_000_000_000,
        attempt=2,
        payload=payload if payload is not None else {"k": "v"},
        deadline=time.monotonic() + seconds,
        coalesced=3,
    )


def test_envelope_carries_the_payload_and_what_downstream_dedupes_on():
    assert json.loads(envelope_json(_invocation())) == {
        "execution_id": "01JDTASK000000000000000000:1780000000000",
        "task_id": "01JDTASK000000000000000000",
        "scheduled_time": "2026-05-28T20:26:40Z",
        "attempt": 2,
        "coalesced": 3,
        "payload": {"k": "v"},
    }
    attributes = message_attributes(_invocation())
    assert attributes["sundial-execution-id"]["StringValue"].endswith(":1780000000000")


def test_regions_come_from_the_target():
    assert arn_region("arn:aws:lambda:eu-west-1:123456789012:function:f") == "eu-west-1"
    assert arn_region("arn:aws-cn:sns:cn-north-1:123456789012:t") == "cn-north-1"
    assert arn_region("default") is None
    assert queue_url_region("https://sqs.ap-southeast-2.amazonaws.com/1/q") == "ap-southeast-2"
    assert queue_url_region("http://127.0.0.1:5000/123456789012/q") is None


def test_read_timeout_fits_the_remaining_time():
    assert read_timeout(_invocation(seconds=3.5)) == 2
    assert read_timeout(_invocation(seconds=600)) == 10  # a put never needs longer
    assert read_timeout(_invocation(seconds=600), ceiling=900) == 300
    assert read_timeout(_invocation(seconds=0.2)) == READ_TIMEOUT_STEPS[0]


def test_a_stored_target_that_no_longer_validates_is_a_permanent_failure():
    with pytest.raises(PermanentFailure, match="invalid target"):
        parse_target({"type": "sqs", "queue_url": "not a url"})
