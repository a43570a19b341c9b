"""Retry backoff: capped exponential growth with full jitter (docs/execution.md "Retries").

Full jitter (a uniformly random delay between zero and the exponential ceiling) spreads
the retries of many runs that failed together, say when a shared downstream went down,
instead of bringing them back in synchronised waves ("Exponential Backoff And Jitter",
AWS Architecture Blog, 2015). Pure: the random source is an argument.
"""

from __future__ import annotations

import math
import random as _random
from collections.abc import Callable

from sundial.core.aws_limits import SQS_MAX_VISIBILITY_SECONDS

# A retry waits by hiding its SQS message (ChangeMessageVisibility), so no backoff may be
# longer than SQS's longest visibility timeout.


def backoff_ceiling_seconds(failures: int, base_seconds: float, max_seconds: float) -> float:
    """The largest delay after the `failures`-th failure: base * 2^(failures - 1), capped.

    The cap is `max_seconds` and never more than SQS_MAX_VISIBILITY_SECONDS.
    """
    if failures < 1:
        raise ValueError(f"failures counts from 1, got {failures}")
    if base_seconds < 0 or max_seconds < 0:
        raise ValueError("backoff seconds must not be negative")
    cap = min(max_seconds, SQS_MAX_VISIBILITY_SECONDS)
    # 2**failures overflows a float past ~1024 failures; anything beyond 2**64 is capped anyway.
    growth = 2.0 ** min(failures - 1, 64)
    return min(cap, base_seconds * growth)


def retry_delay_seconds(
    failures: int,
    base_seconds: float,
    max_seconds: float,
    *,
    random: Callable[[], float] = _random.random,
) -> int:
    """Whole seconds to wait after the `failures`-th failure of a run: full jitter over
    [0, backoff_ceiling_seconds(...)], rounded up.

    Whole seconds because SQS visibility timeouts are whole seconds; rounding up (never
    past the ceiling, which is capped at whole seconds of SQS's limit) keeps the message
    from coming back before the run may be claimed again. `random` returns a float in
    [0, 1), as `random.random` does.
    """
    ceiling = backoff_ceiling_seconds(failures, base_seconds, max_seconds)
    draw = random()
    if not 0.0 <= draw < 1.0:
        raise ValueError(f"random() must return a value in [0, 1), got {draw}")
    return min(math.ceil(draw * ceiling), math.floor(ceiling)) if ceiling >= 1 else 0
