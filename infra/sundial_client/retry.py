"""When a failed call is sent again, and how long to wait first.

A call is retried only when sending it again cannot do twice what it asks:

* a 429, a 503 `enqueue_failed` (nothing was enqueued), or a connection that was never
  made: the API did nothing, so every call is retried;
* a 5xx, or an answer lost after the request went out: the API may have acted, so only
  calls that are safe to repeat are retried: reads, deletes, pause and resume (no-ops
  the second time), updates (the same change again), backfills (a backfilled time keeps
  its scheduled fire's key, so it is not enqueued twice), and creates, which carry an
  `Idempotency-Key` so that a repeated create returns the first task instead of making
  a second one. Trigger and redrive are not repeated: each would run again.
* a 409 `idempotency_in_progress`: the first attempt of a create is still running;
  retrying returns its result once it is stored.

Waits grow exponentially with full jitter (so clients that failed together do not
retry together), capped, and never shorter than a `Retry-After` the API sent.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

# The longest Retry-After honoured: a larger one is not worth blocking a caller on.
MAX_RETRY_AFTER_SECONDS = 60.0
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries of a call; waits of up to `base_seconds * 2**n`, capped."""

    attempts: int = 4
    base_seconds: float = 0.5
    max_seconds: float = 8.0

    def delay(self, retry: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number `retry` (1 for the first)."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (retry - 1))
        wait = random.uniform(0, ceiling)
        return max(wait, _seconds(retry_after))

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)


# No retries: every call is tried once.
NO_RETRIES = RetryPolicy(attempts=1)


def retried_status(status: int, code: str | None, *, repeatable: bool) -> bool:
    """Whether an error answer is worth another attempt of the call."""
    if status == 429 or (status == 503 and code == "enqueue_failed"):
        return True
    if status == 409 and code == "idempotency_in_progress":
        return True
    return repeatable and status in RETRIED_STATUSES


def _seconds(retry_after: str | None) -> float:
    """Retry-After in seconds (the delay form; an HTTP date is not worth parsing here)."""
    try:
        return min(max(float(retry_after or 0), 0.0), MAX_RETRY_AFTER_SECONDS)
    except ValueError:
        return 0.0
