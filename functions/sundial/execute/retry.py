"""Which failures are retried, and when (docs/execution.md "Retries").

`classify` turns whatever a target raised into a TargetFailure (retryable or not);
`plan_retry` decides, from the task's retry policy, whether the run gets another
attempt and after how long, or is failed and dead-lettered, and why.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass

from botocore import exceptions as botocore_errors

from sundial.core.backoff import retry_delay_seconds
from sundial.core.task import Retry
from sundial.execute.failures import (
    PermanentFailure,
    RetryableFailure,
    TargetFailure,
    TargetTimeout,
    is_retryable_status,
)
from sundial.workqueue.delivery import MAX_RETURN_DELAY_SECONDS

# AWS error codes that mean "not now": throttling and service-side trouble. Anything
# else a service answers with (access denied, not found, invalid parameter, too large)
# is a problem of the task or the deployment that a retry would only repeat.
RETRYABLE_AWS_ERRORS = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "KMSThrottlingException",
        "EC2ThrottledException",
        "ENILimitReachedException",
        # Lambda: the function is being created or updated, or its sandbox is starting.
        "ResourceNotReadyException",
        "ResourceConflictException",
        "EC2UnexpectedException",
        "SubnetIPAddressLimitReachedException",
    }
)

PERMANENT = "permanent"
ATTEMPTS_EXHAUSTED = "attempts_exhausted"
EVENT_TOO_OLD = "event_too_old"


def classify(exc: BaseException) -> TargetFailure:
    """What a target's exception means for retrying.

    Timeouts, connection errors, throttling, 5xx and unknown exceptions are retryable
    (an unexpected exception may well pass); an AWS error a retry cannot fix is not.
    """
    if isinstance(exc, TargetFailure):
        return exc
    if isinstance(exc, botocore_errors.ClientError):
        return _aws_error(exc)
    if isinstance(exc, botocore_errors.ReadTimeoutError | botocore_errors.ConnectTimeoutError):
        return TargetTimeout(f"AWS call timed out: {exc}")
    if isinstance(exc, botocore_errors.ParamValidationError):
        return PermanentFailure(f"invalid AWS request: {exc}")
    if isinstance(exc, botocore_errors.NoCredentialsError | botocore_errors.NoRegionError):
        return PermanentFailure(f"AWS client is not configured: {exc}")
    if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError since 3.10
        return TargetTimeout(f"timed out: {exc}" if str(exc) else "timed out")
    if isinstance(exc, botocore_errors.HTTPClientError | ConnectionError | OSError):
        return RetryableFailure(f"connection error: {_describe(exc)}")
    return RetryableFailure(f"exception: {_describe(exc)}")


def _aws_error(exc: botocore_errors.ClientError) -> TargetFailure:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    message = f"{exc.operation_name} failed: {code}: {error.get('Message', '')}".rstrip(": ")
    if code in RETRYABLE_AWS_ERRORS or (status and is_retryable_status(status)):
        return RetryableFailure(message)
    return PermanentFailure(message)


@dataclass(frozen=True)
class RetryPlan:
    """Retry after `delay_seconds`, or (None) fail the run for `reason`."""

    delay_seconds: int | None
    reason: str | None = None


def plan_retry(
    failure: TargetFailure,
    *,
    attempts_used: int,
    policy: Retry,
    age_origin_ms: int,
    now_ms: int,
    random: Callable[[], float] = _random.random,
) -> RetryPlan:
    """Whether the run gets another attempt after `failure`, and when.

    `attempts_used` counts this round's attempts (since the run's last redrive);
    `age_origin_ms` is where the event's age counts from (the fire time of a scheduled
    fire, the enqueue time of manual triggers, backfills and redrives). A retry must
    both have an attempt left and start within `max_event_age_seconds`.
    """
    if not failure.retryable:
        return RetryPlan(None, PERMANENT)
    if attempts_used >= policy.max_attempts:
        return RetryPlan(None, ATTEMPTS_EXHAUSTED)
    cap = min(policy.max_backoff_seconds, MAX_RETURN_DELAY_SECONDS)
    delay = retry_delay_seconds(attempts_used, policy.backoff_seconds, cap, random=random)
    if failure.retry_after_seconds is not None:
        # The target's own hint is a floor, still within the task's cap.
        delay = max(delay, min(failure.retry_after_seconds, cap))
    if now_ms + delay * 1000 - age_origin_ms > policy.max_event_age_seconds * 1000:
        return RetryPlan(None, EVENT_TOO_OLD)
    return RetryPlan(delay)


def event_too_old(*, policy: Retry, age_origin_ms: int, now_ms: int) -> bool:
    """Whether an attempt starting now would be older than `max_event_age_seconds`."""
    return now_ms - age_origin_ms > policy.max_event_age_seconds * 1000


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
