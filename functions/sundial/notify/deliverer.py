"""The deliverer: notifications-queue messages in, each delivered to its destination.

A failed delivery is hidden for its backoff (ChangeMessageVisibility, doubling from
`delivery_backoff_seconds`) and reported as a batch item failure, so it comes back
then; its receive count is its delivery attempt. When the attempts run out, or a
retry cannot help (a refused URL, a 4xx, an access error), the message goes to the
notifications dead-letter queue with the reason and `NotificationsFailed` counts it.
The queue's own redrive policy catches a message whose delivery crashes the function.
Nothing here touches the run: its outcome was written before its event existed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from sundial.core.aws_limits import SQS_MAX_VISIBILITY_SECONDS
from sundial.notify.destinations import deliver, parse_destination
from sundial.observability import logger, metrics
from sundial.targets.base import TargetEnvironment
from sundial.targets.failures import PermanentFailure, TargetFailure

FAILED_METRIC = "NotificationsFailed"
DELIVERED_METRIC = "NotificationsDelivered"
# The longest wait between two deliveries: a receiver back up is not kept waiting long.
MAX_BACKOFF_SECONDS = 900


def backoff_seconds(attempt: int, base_seconds: int) -> int:
    """The wait after failed delivery `attempt` (1-based): doubling, within SQS's limit."""
    return int(min(base_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))


@dataclass
class Deliverer:
    sqs: Any
    queue_url: str
    dead_letter_queue_url: str
    targets: TargetEnvironment
    max_attempts: int
    backoff_base_seconds: int

    def process(self, records: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, str]]]:
        """An SQS batch; the partial batch response naming the messages to deliver again."""
        failures = []
        for record in records:
            if not self.process_one(record):
                failures.append({"itemIdentifier": str(record["messageId"])})
        return {"batchItemFailures": failures}

    def process_one(self, record: Mapping[str, Any]) -> bool:
        """Deliver one message; False when it must come back (its backoff is set)."""
        attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            message = json.loads(record["body"])
            document = message["event"]
            deliver(parse_destination(message["destination"]), document, self.targets)
        except TargetFailure as failure:
            return self.failed(record, failure, attempt)
        except (ValueError, KeyError, TypeError) as exc:
            return self.failed(record, PermanentFailure(f"malformed message: {exc}"), attempt)
        metrics.add_metric(name=DELIVERED_METRIC, unit=MetricUnit.Count, value=1)
        return True

    def failed(self, record: Mapping[str, Any], failure: TargetFailure, attempt: int) -> bool:
        final = isinstance(failure, PermanentFailure) or attempt >= self.max_attempts
        logger.warning(
            "notification delivery failed",
            extra={
                "message_id": record.get("messageId"),
                "attempt": attempt,
                "final": final,
                "error": failure.message,
            },
        )
        if final:
            try:
                self.dead_letter(record, failure, attempt)
            except Exception:
                logger.exception("could not dead-letter the notification; it comes back")
                return False
            return True
        delay = backoff_seconds(attempt, self.backoff_base_seconds)
        if failure.retry_after_seconds is not None:
            delay = max(delay, min(failure.retry_after_seconds, SQS_MAX_VISIBILITY_SECONDS))
        try:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url,
                ReceiptHandle=record["receiptHandle"],
                VisibilityTimeout=delay,
            )
        except Exception:
            # It comes back when its current visibility ends instead: sooner, not lost.
            logger.exception("could not set the notification's backoff")
        return False

    def dead_letter(self, record: Mapping[str, Any], failure: TargetFailure, attempt: int) -> None:
        """Park the message, with why, in the notifications dead-letter queue."""
        self.sqs.send_message(
            QueueUrl=self.dead_letter_queue_url,
            MessageBody=str(record["body"]),
            MessageAttributes={
                "sundial-error": {"DataType": "String", "StringValue": failure.message[:1024]},
                "sundial-attempts": {"DataType": "Number", "StringValue": str(attempt)},
            },
        )
        metrics.add_metric(name=FAILED_METRIC, unit=MetricUnit.Count, value=1)
