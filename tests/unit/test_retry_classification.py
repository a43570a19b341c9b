"""What is retried (docs/execution.md "Retries"): the classification matrix and the retry plan."""

from __future__ import annotations

import socket

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)

from sundial.core.task import Retry
from sundial.execute.retry import (
    ATTEMPTS_EXHAUSTED,
    EVENT_TOO_OLD,
    PERMANENT,
    plan_retry,
)
from sundial.targets.failures import (
    PermanentFailure,
    RetryableFailure,
    TargetFailure,
    TargetTimeout,
    classify,
    is_retryable_status,
)
from sundial.targets.http import Response, interpret
from sundial.workqueue.delivery import MAX_RETURN_DELAY_SECONDS

NOW = 1_780_000_000_000


def _response(status: int, **headers: str) -> Response:
    return Response(status, "Reason", {k.lower(): v for k, v in headers.items()}, b"")


@pytest.mark.parametrize("status", [200, 201, 202, 204, 226, 299])
def test_2xx_succeeds(status):
    assert interpret(_response(status), "https://x.example/")["status_code"] == status


@pytest.mark.parametrize("status", [500, 501, 502, 503, 504, 507, 599, 408, 429])
def test_5xx_408_and_429_are_retryable(status):
    with pytest.raises(RetryableFailure):
        interpret(_response(status), "https://x.example/")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 451, 499])
def test_other_4xx_fail_at_once(status):
    with pytest.raises(PermanentFailure):
        interpret(_response(status), "https://x.example/")


@pytest.mark.parametrize("status", [300, 301, 302, 303, 307, 308])
def test_redirects_are_not_followed_and_fail_at_once(status):
    with pytest.raises(PermanentFailure, match="redirects are not followed"):
        interpret(_response(status, Location="http://169.254.169.254/"), "https://x.example/")


def test_every_status_lands_in_exactly_one_class():
    for status in range(200, 600):
        retryable = is_retryable_status(status)
        assert retryable == (status >= 500 or status in (408, 429))


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "SendMessage",
    )


@pytest.mark.parametrize(
    ("exception", "kind"),
    [
        (TimeoutError("read timed out"), TargetTimeout),
        (TimeoutError(), TargetTimeout),
        (ConnectionRefusedError(111, "Connection refused"), RetryableFailure),
        (ConnectionResetError(104, "reset"), RetryableFailure),
        (socket.gaierror(-3, "Temporary failure in name resolution"), RetryableFailure),
        (OSError(113, "No route to host"), RetryableFailure),
        (ValueError("bug in a handler"), RetryableFailure),
        (KeyError("missing"), RetryableFailure),
        (_client_error("ThrottlingException", 400), RetryableFailure),
        (_client_error("TooManyRequestsException", 429), RetryableFailure),
        (_client_error("ServiceUnavailable", 503), RetryableFailure),
        (_client_error("InternalFailure", 500), RetryableFailure),
        (_client_error("ResourceConflictException", 409), RetryableFailure),
        (_client_error("AccessDeniedException", 403), PermanentFailure),
        (_client_error("ResourceNotFoundException", 404), PermanentFailure),
        (_client_error("InvalidParameterValue", 400), PermanentFailure),
        (_client_error("RequestEntityTooLargeException", 413), PermanentFailure),
        (EndpointConnectionError(endpoint_url="https://sqs"), RetryableFailure),
        (ConnectTimeoutError(endpoint_url="https://sqs"), TargetTimeout),
        (ReadTimeoutError(endpoint_url="https://sqs"), TargetTimeout),
        (ParamValidationError(report="MessageBody is required"), PermanentFailure),
        (NoCredentialsError(), PermanentFailure),
    ],
)
def test_exceptions_are_classified(exception, kind):
    failure = classify(exception)
    assert type(failure) is kind
    assert failure.retryable == (kind is not PermanentFailure)


def test_target_failures_keep_their_own_verdict():
    failure = PermanentFailure("payload.day is required")
    assert classify(failure) is failure


def _plan(failure: TargetFailure, attempts_used: int = 1, **policy) -> object:
    return plan_retry(
        failure,
        attempts_used=attempts_used,
        policy=Retry(**policy),
        age_origin_ms=NOW,
        now_ms=NOW,
        random=lambda: 0.5,
    )


def test_retryable_failure_with_attempts_left_is_retried_after_the_jittered_backoff():
    plan = _plan(RetryableFailure("503"), attempts_used=2, backoff_seconds=10)
    assert (plan.delay_seconds, plan.reason) == (10, None)  # half of 10 * 2


def test_permanent_failure_is_never_retried():
    assert _plan(PermanentFailure("404")).reason == PERMANENT


def test_attempts_run_out_at_max_attempts():
    assert _plan(RetryableFailure("x"), attempts_used=2, max_attempts=3).delay_seconds is not None
    assert _plan(RetryableFailure("x"), attempts_used=3, max_attempts=3).reason == (
        ATTEMPTS_EXHAUSTED
    )


def test_a_retry_must_start_within_the_max_event_age():
    policy = Retry(backoff_seconds=100, max_backoff_seconds=100, max_event_age_seconds=60)

    def plan(age_s: int) -> object:
        return plan_retry(
            RetryableFailure("x"),
            attempts_used=1,
            policy=policy,
            age_origin_ms=NOW - age_s * 1000,
            now_ms=NOW,
            random=lambda: 0.5,
        )

    assert plan(age_s=0).delay_seconds == 50  # starts 50 s after its origin: fits in 60
    assert plan(age_s=20).reason == EVENT_TOO_OLD  # would start 70 s after it


def test_retry_after_is_a_floor_within_the_cap():
    hinted = RetryableFailure("429", retry_after_seconds=120)
    assert _plan(hinted, backoff_seconds=2, max_backoff_seconds=300).delay_seconds == 120
    assert _plan(hinted, backoff_seconds=2, max_backoff_seconds=60).delay_seconds == 60


def test_no_delay_exceeds_what_sqs_lets_a_message_hide():
    plan = _plan(
        RetryableFailure("x"),
        attempts_used=30,
        max_attempts=100,
        backoff_seconds=3600,
        max_backoff_seconds=43_200,
        max_event_age_seconds=1_209_600,
    )
    assert plan.delay_seconds is not None
    assert plan.delay_seconds <= MAX_RETURN_DELAY_SECONDS < 43_200
