"""Sending fires to the work queue: the one place a fire message is built and sent.

`send_messages` reports exactly which messages SQS accepted; the sweep commits a task
only when every one of its messages is among them (a fire whose message did not go out
is never advanced past).

Each message's DelaySeconds is computed from the clock just before its batch goes out,
not when its page was planned: SQS counts the delay from when it receives the message,
so a delay computed earlier (a page planned, then sent batch after batch, or a batch
retried after a backoff) would show the message after its fire time.

With a `SendTiming` (the sweep's), messages are also sent at the sub-second phase that
makes them visible a small lead before their fire times (`core.send_phase`): the page's
messages are grouped by the instant they should go out, and each group is sent when
its instant comes, in batches of 10, each batch's delay still computed as it goes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sundial import clients
from sundial.core.aws_limits import SQS_MAX_BATCH_ENTRIES
from sundial.core.clock import SYSTEM_CLOCK, Clock, from_ms
from sundial.core.planning import delay_seconds
from sundial.core.send_phase import send_slots
from sundial.core.vocabulary import FireKind
from sundial.store import ScheduleItem, TaskItem
from sundial.workqueue.config import work_queue_url
from sundial.workqueue.messages import FireMessage
from sundial.workqueue.send_timing import SendTiming

# Partial batch failures (throttling, internal errors) are retried this many times with
# exponential backoff before the sender gives up on those messages for this call.
SEND_ATTEMPTS = 4
SEND_BACKOFF_SECONDS = 0.05


@dataclass(frozen=True)
class OutgoingMessage:
    key: str  # unique within one send: the execution id
    body: str
    visible_at_ms: int | None = None  # the fire time; None: deliver at once


def message_for(
    task: TaskItem | ScheduleItem,
    execution_id: str,
    fire_at_ms: int,
    kind: FireKind,
    *,
    coalesced: int = 1,
    deliver_at_fire_time: bool = False,
    definition: dict[str, Any] | None = None,
) -> OutgoingMessage:
    """The message of one run of `task`, stamped with the task's current schedule version.

    Scheduled fires are delivered at their fire time (`deliver_at_fire_time`); manual
    triggers, backfills and redrives at once. `definition`: the carried copy of the
    task's definition (`store.carried`), if any.
    """
    body = FireMessage(
        execution_id=execution_id,
        task_id=task.task_id,
        tenant=task.tenant,
        fire_at=fire_at_ms,
        schedule_version=int(task.schedule_version),
        kind=kind,
        coalesced=coalesced,
        definition=definition,
    ).to_json()
    return OutgoingMessage(
        key=execution_id, body=body, visible_at_ms=fire_at_ms if deliver_at_fire_time else None
    )


def send_now(messages: Sequence[OutgoingMessage], *, sqs: Any | None = None) -> set[str]:
    """Send to the deployment's work queue; the keys SQS accepted (see `send_messages`)."""
    # Checked before a client is made, so the error names the missing URL, not a region.
    queue_url = work_queue_url()
    return send_messages(sqs or clients.client("sqs"), queue_url, messages)


def send_messages(
    sqs: Any,
    queue_url: str,
    messages: Sequence[OutgoingMessage],
    *,
    clock: Clock = SYSTEM_CLOCK,
    timing: SendTiming | None = None,
) -> set[str]:
    """Send in batches of SendMessageBatch's 10, retrying failed entries; return the keys
    SQS accepted. With `timing`, each message goes out at its phase (see the module).

    A call that raises (network, throttling beyond the SDK's retries) counts as every
    entry of that batch failing; it is retried like a partial failure.
    """
    groups: list[tuple[int | None, list[OutgoingMessage]]] = [(None, list(messages))]
    if timing is not None:
        slots = send_slots(clock.now_ms(), [m.visible_at_ms for m in messages], timing.lead_ms)
        groups = [(slot.send_at_ms, [messages[i] for i in slot.members]) for slot in slots]
    sent: set[str] = set()
    with timing.sending() if timing is not None else nullcontext():
        for send_at_ms, group in groups:
            if timing is not None and send_at_ms is not None:
                timing.wait_until(send_at_ms, clock)
            for start in range(0, len(group), SQS_MAX_BATCH_ENTRIES):
                batch = group[start : start + SQS_MAX_BATCH_ENTRIES]
                _send_with_retries(sqs, queue_url, batch, sent, clock)
    return sent


def _send_with_retries(
    sqs: Any, queue_url: str, batch: list[OutgoingMessage], sent: set[str], clock: Clock
) -> None:
    pending = batch
    for attempt in range(SEND_ATTEMPTS):
        if attempt:
            clock.sleep(SEND_BACKOFF_SECONDS * 2 ** (attempt - 1))
        pending = _send_batch(sqs, queue_url, pending, sent, clock.utc_now())
        if not pending:
            return


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
