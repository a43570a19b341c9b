"""The SQS event source mapping, emulated the way Lambda runs it.

Each worker long-polls the queue for up to `batch_size` messages, invokes the function
with a real SQS event document, then deletes the records it did not report in
`batchItemFailures` (ReportBatchItemFailures). Failed records, and the whole batch when
the function raises or answers nonsense, stay in the queue and come back when their
visibility timeout ends; the queue's redrive policy moves poison messages to the
dead-letter queue. `concurrency` workers mirror the mapping's MaximumConcurrency.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sundial.core.aws_limits import SQS_MAX_BATCH_ENTRIES
from sundial_local.runtime import LocalFunction
from sundial_local.template import DEFAULT_REGION

log = logging.getLogger(__name__)

# Short enough that a stopping stack is not kept waiting by an idle long poll.
LONG_POLL_SECONDS = 1


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One record of the event Lambda delivers for an SQS message."""
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", "0"),
            "SenderId": attributes.get("SenderId", "local"),
            "ApproximateFirstReceiveTimestamp": attributes.get(
                "ApproximateFirstReceiveTimestamp", "0"
            ),
        },
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType", "String"),
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": DEFAULT_REGION,
    }


def failed_ids(response: Any, records: list[dict[str, Any]]) -> set[str]:
    """Message ids to leave in the queue, as Lambda reads a partial batch response."""
    every = {r["messageId"] for r in records}
    if response is None:
        return set()
    if not isinstance(response, dict) or not isinstance(
        response.get("batchItemFailures", []), list
    ):
        return every  # an unreadable response fails the whole batch
    failures: set[str] = set()
    for failure in response.get("batchItemFailures", []):
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in every:
            return every  # Lambda treats an unknown or empty identifier as total failure
        failures.add(identifier)
    return failures


class QueuePoller:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        function: LocalFunction,
        stop: threading.Event,
        *,
        batch_size: int = SQS_MAX_BATCH_ENTRIES,
        concurrency: int = 2,
    ):
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.function = function
        self.stop_event = stop
        self.batch_size = min(batch_size, SQS_MAX_BATCH_ENTRIES)
        self.threads = [
            threading.Thread(target=self._work, name=f"sundial-poller-{n}", daemon=True)
            for n in range(concurrency)
        ]
        self.batches = 0

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def is_alive(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def join(self, timeout: float | None = None) -> None:
        """Wait for in-flight batches to finish (call after setting the stop event)."""
        for thread in self.threads:
            thread.join(timeout)

    def _work(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.poll_once()
            except Exception:
                log.exception("polling %s failed", self.queue_url)
                self.stop_event.wait(1)

    def poll_once(self) -> int:
        """One receive, invoke and delete; returns the number of records handled."""
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=LONG_POLL_SECONDS,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return 0
        records = [sqs_record(m, self.queue_arn) for m in received]
        try:
            response = self.function.invoke({"Records": records})
        except Exception:
            log.exception("%s failed; the batch returns to the queue", self.function.name)
            return len(records)
        keep = failed_ids(response, records)
        done = [r for r in records if r["messageId"] not in keep]
        for start in range(0, len(done), SQS_MAX_BATCH_ENTRIES):
            chunk = done[start : start + SQS_MAX_BATCH_ENTRIES]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)
                ],
            )
        self.batches += 1
        return len(records)
