"""Step 3 of the dispatch protocol: send fires to the work queue before anything is committed.

`send_messages` reports exactly which messages SQS accepted; the sweep commits a task
only when every one of its messages is among them (a fire whose message did not go out
is never advanced past).

Each message's DelaySeconds is computed from the clock just before its batch goes out,
not when its page was planned: SQS counts the delay from when it receives the message,
so a delay computed earlier (a page planned, then sent batch after batch, or a batch
retried after a backoff) would show the message after its fire time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sundial.core.clock import from_ms, utc_now
from sundial.core.planning import delay_seconds

# SendMessageBatch takes at most 10 entries per call.
SQS_BATCH_SIZE = 10
# Partial batch failures (throttling, internal errors) are retried this many times with
# exponential backoff before the sweep gives up on those messages for this tick.
SEND_ATTEMPTS = 4
SEND_BACKOFF_SECONDS = 0.05


@dataclass(frozen=True)
class OutgoingMessage:
    key: str  # unique within one send: the execution id
    body: str
    visible_at_ms: int | None = None  # the fire time; None: deliver at once


def send_messages(
    sqs: Any,
    queue_url: str,
    messages: Sequence[OutgoingMessage],
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], datetime] = utc_now,
) -> set[str]:
    """Send in batches of 10, retrying failed entries; return the keys SQS accepted.

    A call that raises (network, throttling beyond the SDK's retries) counts as every
    entry of that batch failing; it is retried like a partial failure.
    """
    sent: set[str] = set()
    for start in range(0, len(messages), SQS_BATCH_SIZE):
        pending = list(messages[start : start + SQS_BATCH_SIZE])
        for attempt in range(SEND_ATTEMPTS):
            if attempt:
                sleep(SEND_BACKOFF_SECONDS * 2 ** (attempt - 1))
            pending = _send_batch(sqs, queue_url, pending, sent, clock())
            if not pending:
                break
    return sent


def _send_batch(
    sqs: Any, queue_url: str, batch: list[OutgoingMessage], sent: set[str], now: datetime
) -> list[OutgoingMessage]:
    """One SendMessageBatch; adds accepted keys to `sent` and returns the failed messages."""
    # Entry ids only need to be unique within the batch and are limited to 80
    # alphanumeric characters, so positions are used rather than execution ids.
    entries = [
        {"Id": str(i), "MessageBody": m.body, "DelaySeconds": _delay(m, now)}
        for i, m in enumerate(batch)
    ]
    try:
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    except Exception:  # any failure leaves the whole batch unsent
        return batch
    accepted = {int(ok["Id"]) for ok in response.get("Successful", [])}
    sent.update(batch[i].key for i in accepted)
    # Anything not reported successful counts as failed, listed in "Failed" or not.
    return [m for i, m in enumerate(batch) if i not in accepted]


def _delay(message: OutgoingMessage, now: datetime) -> int:
    if message.visible_at_ms is None:
        return 0
    return delay_seconds(from_ms(message.visible_at_ms), now)
