"""How a target run can fail, and whether trying again may help (docs/execution.md "Retries").

Targets raise these for failures they recognise (an HTTP status, a Lambda function
error); anything else they raise is classified by `classify`.
Handlers registered with `@task` may raise `PermanentFailure` to stop retries.
"""

from __future__ import annotations

from botocore import exceptions as botocore_errors


class TargetFailure(Exception):
    """A run that did not succeed. `retryable`: a later attempt may succeed.

    `retry_after_seconds` is the target's own hint (an HTTP `Retry-After`): the next
    attempt waits at least that long, within the task's backoff cap.
    """

    retryable = True

    def __init__(self, message: str, *, retry_after_seconds: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after_seconds = retry_after_seconds


class RetryableFailure(TargetFailure):
    """5xx, 408, 429, a connection error, an exception: worth another attempt."""

    retryable = True


class TargetTimeout(RetryableFailure):
    """The target did not finish inside the run's time budget."""


class PermanentFailure(TargetFailure):
    """Another 4xx, an invalid target, a refused address: retrying cannot help."""

    retryable = False


# Statuses that say "not now" rather than "never": the server failed (5xx), timed out
# waiting for the request (408), or asks the caller to slow down (429).
RETRYABLE_CLIENT_STATUSES = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    """Whether a non-2xx HTTP status is worth retrying: 5xx, 408 and 429 are."""
    return status >= 500 or status in RETRYABLE_CLIENT_STATUSES


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


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
