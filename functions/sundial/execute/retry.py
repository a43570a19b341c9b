"""When a failed run is retried (docs/execution.md "Retries").

`sundial.targets.failures.classify` says whether a failure is worth another attempt;
`plan_retry` decides, from the task's retry policy, whether the run gets another
attempt and after how long, or is failed and dead-lettered, and why.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass

from sundial.core.backoff import retry_delay_seconds
from sundial.core.task import Retry
from sundial.targets.failures import (
    TargetFailure,
)
from sundial.workqueue.delivery import MAX_RETURN_DELAY_SECONDS

PERMANENT = "permanent"
ATTEMPTS_EXHAUSTED = "attempts_exhausted"
EVENT_TOO_OLD = "event_too_old"


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
