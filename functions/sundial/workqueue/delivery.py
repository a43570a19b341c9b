"""The work queue as the executor sees it: a delivered message, and the ways to give it
back or dead-letter it.

A message the executor cannot finish now (its backoff, another worker's lease, an
early arrival, a buffered overlap) goes back by hiding it until it is due: a
ChangeMessageVisibility on its receipt handle, then a batch item failure so Lambda
does not delete it. Every such return is one more receive, and the queue's redrive
policy dead-letters a message after maxReceiveCount receives, a net meant only for
poison messages. So once a message has been received `requeue_after_receives` times,
it is replaced instead: a fresh copy (receive count zero) is sent with a delay and the
old one acknowledged. The copy keeps the original enqueue time in a message attribute,
because event age counts from it for manual triggers, backfills and redrives.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sundial.core.aws_limits import (
    LAMBDA_MAX_TIMEOUT_SECONDS,
    SQS_MAX_DELAY_SECONDS,
    SQS_MAX_VISIBILITY_SECONDS,
)
from sundial.observability import logger

# SQS caps a message's visibility at 12 hours from the moment it was received, and the
# invocation holding it may have run for up to 15 minutes: a message is hidden for at
# most what is left, with a minute to spare. Retry backoffs are capped by this too.
MAX_RETURN_DELAY_SECONDS = SQS_MAX_VISIBILITY_SECONDS - LAMBDA_MAX_TIMEOUT_SECONDS - 60
# Message attribute carrying a message's first enqueue time (epoch ms) across copies.
ENQUEUED_AT_ATTRIBUTE = "sundial-enqueued-at"
# After an unexpected error (DynamoDB unreachable, a bug), a message comes back after
# this many seconds, doubled per receive up to the cap: soon enough for a blip, and a
# poison message still reaches maxReceiveCount (and the dead-letter queue) in an hour.
ERROR_BACKOFF_SECONDS = 5
ERROR_BACKOFF_MAX_SECONDS = 900


@dataclass(frozen=True)
class Delivery:
    """One received SQS message, as the executor needs it."""

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    sent_at_ms: int
    enqueued_at_ms: int  # the first enqueue, across copies (see module docstring)

    @classmethod
    def from_record(cls, record: Any) -> Delivery:
        """From a Lambda SQS event record (a Powertools SQSRecord or the raw dict)."""
        raw = getattr(record, "raw_event", record)
        attributes = raw.get("attributes") or {}
        sent_at = int(attributes.get("SentTimestamp") or 0)
        enqueued = (raw.get("messageAttributes") or {}).get(ENQUEUED_AT_ATTRIBUTE) or {}
        enqueued_at = enqueued.get("stringValue") or enqueued.get("StringValue")
        return cls(
            message_id=raw["messageId"],
            receipt_handle=raw["receiptHandle"],
            body=raw["body"],
            receive_count=int(attributes.get("ApproximateReceiveCount") or 1),
            sent_at_ms=sent_at,
            enqueued_at_ms=int(enqueued_at) if enqueued_at else sent_at,
        )


class WorkQueue:
    """Operations on the work and dead-letter queues (one thread-safe boto3 SQS client)."""

    def __init__(
        self,
        sqs: Any,
        work_queue_url: str,
        dead_letter_queue_url: str,
        *,
        requeue_after_receives: int,
    ):
        self.sqs = sqs
        self.work_queue_url = work_queue_url
        self.dead_letter_queue_url = dead_letter_queue_url
        self.requeue_after_receives = requeue_after_receives

    def return_later(self, delivery: Delivery, seconds: float) -> bool:
        """Have the message delivered again in `seconds` (rounded up, capped by SQS).

        Returns whether the delivery is to be acknowledged: True when a fresh copy
        replaced it, False when it was hidden and must be reported as a batch item
        failure.
        """
        delay = max(0, min(math.ceil(seconds), MAX_RETURN_DELAY_SECONDS))
        if delivery.receive_count >= self.requeue_after_receives and self._send_copy(
            delivery, delay
        ):
            return True
        self.hide(delivery.receipt_handle, delay)
        return False

    def back_off_after_error(self, delivery: Delivery) -> None:
        """Bring the message back soon, but later with every receive, after an error."""
        exponent = min(max(delivery.receive_count - 1, 0), 16)
        self.hide(
            delivery.receipt_handle,
            min(ERROR_BACKOFF_SECONDS * 2**exponent, ERROR_BACKOFF_MAX_SECONDS),
        )

    def hide(self, receipt_handle: str, seconds: int) -> bool:
        """ChangeMessageVisibility; False (logged) when SQS refused it.

        A refusal is harmless: the message then comes back when its current visibility
        timeout ends, and the run's record still says when it is due.
        """
        try:
            self.sqs.change_message_visibility(
                QueueUrl=self.work_queue_url,
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=int(seconds),
            )
        except (ClientError, BotoCoreError) as exc:
            logger.warning("could not change message visibility", extra={"error": str(exc)})
            return False
        return True

    def wake(self, receipt_handle: str) -> None:
        """Make a waiting message visible now (best effort: it comes back on its own)."""
        self.hide(receipt_handle, 0)

    def send_dead_letter(self, letter: dict[str, Any]) -> None:
        """Put an explicit dead letter on the dead-letter queue (raises when SQS refuses:
        the message is then processed again rather than losing its dead letter)."""
        self.sqs.send_message(
            QueueUrl=self.dead_letter_queue_url,
            MessageBody=json.dumps(letter, separators=(",", ":"), ensure_ascii=False),
        )

    def _send_copy(self, delivery: Delivery, delay: int) -> bool:
        try:
            self.sqs.send_message(
                QueueUrl=self.work_queue_url,
                MessageBody=delivery.body,
                # A copy due later than SQS's longest delay arrives early and is hidden
                # again (with a receive count of one).
                DelaySeconds=min(delay, SQS_MAX_DELAY_SECONDS),
                MessageAttributes={
                    ENQUEUED_AT_ATTRIBUTE: {
                        "DataType": "Number",
                        "StringValue": str(delivery.enqueued_at_ms),
                    }
                },
            )
        except (ClientError, BotoCoreError) as exc:
            logger.warning("could not requeue a fresh copy", extra={"error": str(exc)})
            return False
        return True
