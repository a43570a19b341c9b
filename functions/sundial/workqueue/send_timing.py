"""A sweep's timed sends: the lead its messages should show before their fire times, and
the bound on how long the sweep may wait for the right sub-second phase to send them.

The instants come from `core.send_phase`; this is the waiting, on the sweep's clock. A
page waits at most a second (its slots all lie in the second after it was planned), but
a sweep's shards send page after page, so the waits are also bounded per sweep: no wait
may end later than `wait_budget_ms` after the sweep began. Past that, pages go out at
once and their messages show up to a second early, as without timed sends, so a large
sweep is never late for the fires it still has to send.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sundial.core.clock import Clock

# A lead of 100 ms covers receiving, reading and claiming a message before its fire time.
DEFAULT_SEND_LEAD_MS = 100
# The extra time a sweep may spend waiting for phases; well below the slack between the
# horizon (90 s) and the tick (60 s), which pays for a slow sweep.
DEFAULT_SEND_WAIT_BUDGET_MS = 10_000


@dataclass(frozen=True)
class SendTiming:
    """Send at phases giving `lead_ms` of visibility before each fire; waits end by
    `waits_end_ms` (epoch ms), after which messages go out at once.

    `working`, when given, is the permit a sweep's shard thread holds while it works on
    DynamoDB: given back while the page is sent (its waits and its SendMessageBatch
    calls), so that other shards' pages are read and planned meanwhile and pages sharing
    an instant go out together when it comes, rather than each shard's waits adding up
    one after another, or waiting for a permit past their instant.
    """

    lead_ms: int
    waits_end_ms: int
    working: threading.Semaphore | None = None

    @classmethod
    def for_sweep(
        cls,
        clock: Clock,
        lead_ms: int,
        wait_budget_ms: int,
        working: threading.Semaphore | None = None,
    ) -> SendTiming:
        return cls(lead_ms, clock.now_ms() + wait_budget_ms, working)

    def wait_until(self, send_at_ms: int, clock: Clock) -> None:
        """Sleep until `send_at_ms`, unless that is past the sweep's waiting budget (then
        send at once: a partial wait would miss the phase anyway)."""
        if send_at_ms > self.waits_end_ms:
            return
        wait_ms = send_at_ms - clock.now_ms()
        if wait_ms > 0:
            clock.sleep(wait_ms / 1000)

    @contextmanager
    def sending(self) -> Iterator[None]:
        """Around a page's sends: the shard's work permit is given back meanwhile."""
        if self.working is None:
            yield
            return
        self.working.release()
        try:
            yield
        finally:
            self.working.acquire()  # back to DynamoDB work: the page's commits
