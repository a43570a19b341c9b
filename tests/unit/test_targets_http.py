"""The HTTP target's request, built without a network (the exchange itself is tested
against a local server in tests/integration/execute/test_http_target.py)."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from sundial.core.task import HttpTarget
from sundial.targets import http
from sundial.targets.base import Invocation, NetworkPolicy, TargetEnvironment
from sundial.targets.ssrf import RefusedDestination

INVOCATION = Invocation(
    task_id="01JDTASK000000000000000000",
    tenant="acme",
    execution_id="01JDTASK000000000000000000:1780000000250",
    fire_at_ms=1_780_000_000_250,
    attempt=3,
    payload={"a": 1},
    deadline=time.monotonic() + 30,
)


def _target(**fields) -> HttpTarget:
    return HttpTarget.model_validate(
        {"type": "http", "url": "https://hooks.example.com/x", **fields}
    )


def test_headers_name_the_execution_and_keep_the_tasks_own():
    target = _target(headers={"Authorization": "Bearer t", "X-Team": "data"})
    headers = http.request_headers(target, INVOCATION, b'{"a":1}', unix_seconds=1_780_000_000)
    assert headers == {
        "User-Agent": http.USER_AGENT,
        "Authorization": "Bearer t",
        "X-Team": "data",
        "Content-Type": "application/json",
        "Idempotency-Key": INVOCATION.execution_id,
        "X-Sundial-Task-Id": INVOCATION.task_id,
        "X-Sundial-Execution-Id": INVOCATION.execution_id,
        "X-Sundial-Scheduled-Time": "2026-05-28T20:26:40.250Z",
        "X-Sundial-Attempt": "3",
    }


@pytest.mark.parametrize("name", ["content-type", "CONTENT-TYPE", "Content-Type"])
def test_a_tasks_content_type_in_any_case_is_sent_once_replacing_the_default(name: str):
    target = _target(headers={name: "application/cloudevents+json", "user-agent": "mine"})
    headers = http.request_headers(target, INVOCATION, b"{}", unix_seconds=1_780_000_000)
    sent = [(k, v) for k, v in headers.items() if k.lower() in ("content-type", "user-agent")]
    assert sorted(sent) == sorted([(name, "application/cloudevents+json"), ("user-agent", "mine")])


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    target = _target(signing_secret="s3cret")
    body = b'{"a":1}'
    headers = http.request_headers(target, INVOCATION, body, unix_seconds=1_780_000_000)
    expected = hmac.new(b"s3cret", b"1780000000." + body, hashlib.sha256).hexdigest()
    assert headers["X-Sundial-Signature"] == f"t=1780000000,v1={expected}"


def test_retry_after_reads_seconds_and_http_dates():
    assert http.retry_after_seconds("120") == 120
    assert http.retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480) == 10
    assert http.retry_after_seconds("soon") is None
    assert http.retry_after_seconds(None) is None


def test_success_result_keeps_the_status_and_a_body_preview():
    response = http.Response(200, "OK", {}, b'{"accepted":true}')
    assert http.interpret(response, "u") == {"status_code": 200, "body": '{"accepted":true}'}
    assert http.interpret(http.Response(204, "No Content", {}, b""), "u") == {"status_code": 204}


def test_refused_destination_fails_before_any_connection():
    # Sockets are disabled here: reaching a connect() would fail the test differently.
    environment = TargetEnvironment(aws=lambda *_: None, network=NetworkPolicy())
    with pytest.raises(RefusedDestination):
        http.invoke(_target(url="http://169.254.169.254/"), INVOCATION, environment)
