"""How a target run can fail, and whether trying again may help (docs/execution.md "Retries").

Targets raise these for failures they recognise (an HTTP status, a Lambda function
error); anything else they raise is classified by `sundial.execute.retry.classify`.
Handlers registered with `@task` may raise `PermanentFailure` to stop retries.
"""

from __future__ import annotations


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
