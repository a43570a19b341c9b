"""The notifier: stream records in, one notifications-queue message per (event, destination).

Records are taken in stream order. A record whose messages cannot all be sent is
reported as the batch's failure (ReportBatchItemFailures with its sequence number):
Lambda retries from it, so nothing after it is skipped, and what it sent already is
sent again with the same event ids (delivery is at least once; receivers dedupe on
`id`). Run events are built from the outcome's own write, which is durable before the
executor moves on: a notifier that crashes, or a stream record delivered twice,
loses no event and makes no new id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic

from sundial import store
from sundial.core.aws_limits import SQS_MAX_BATCH_ENTRIES
from sundial.core.notification_events import event_document
from sundial.core.task.notifications import Notification, destinations_for
from sundial.notify.events import PendingEvent, events_of
from sundial.observability import logger
from sundial.store.models import TaskItem
from sundial.store.run_resource import run_view


@dataclass
class Notifier:
    """Turns stream records into delivery messages on the notifications queue."""

    sqs: Any
    queue_url: str
    # Definitions read during one batch, by task id (None: the task is gone).
    _tasks: dict[str, TaskItem | None] = field(default_factory=dict)

    def process(self, records: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, str]]]:
        """A stream batch; the partial batch response naming the first record that failed."""
        self._tasks = {}
        for record in records:
            try:
                self.send(self.messages_of(events_of(record)))
            except Exception:
                sequence = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
                logger.exception("notifying failed; the stream retries from this record")
                return {"batchItemFailures": [{"itemIdentifier": sequence}]}
        return {"batchItemFailures": []}

    def messages_of(self, events: Iterable[PendingEvent]) -> list[dict[str, Any]]:
        """One message per (event, destination that asked for it)."""
        messages = []
        for pending in events:
            task = self.task(pending.task_id)
            if task is None:
                continue  # deleted since: nobody to tell
            destinations = destinations_for(notifications_of(task), pending.event)
            if not destinations:
                continue  # not (or no longer) asked for
            document = event_document(
                event_id=pending.event_id,
                event=pending.event,
                time_ms=pending.time_ms,
                tenant=task.tenant,
                task_id=pending.task_id,
                task_name=task.name,
                run=run_view(pending.run) if pending.run is not None else None,
            )
            for destination in destinations:
                messages.append(
                    {
                        "event": document,
                        # The stored form: an HTTP destination's signing secret goes with
                        # it, on the encrypted queue, so delivery needs no read.
                        "destination": destination.model_dump(mode="json", exclude_none=True),
                    }
                )
        return messages

    def task(self, task_id: str) -> TaskItem | None:
        """The task's definition, read once per batch (None: deleted since)."""
        if task_id not in self._tasks:
            self._tasks[task_id] = store.get_definition(task_id, at_least_version=0)
        return self._tasks[task_id]

    def send(self, messages: list[dict[str, Any]]) -> None:
        """Send every message, or raise (then the record is retried whole)."""
        for start in range(0, len(messages), SQS_MAX_BATCH_ENTRIES):
            chunk = messages[start : start + SQS_MAX_BATCH_ENTRIES]
            response = self.sqs.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {
                        "Id": str(index),
                        "MessageBody": json.dumps(message, separators=(",", ":")),
                        "MessageAttributes": {
                            "sundial-event-id": {
                                "DataType": "String",
                                "StringValue": message["event"]["id"],
                            }
                        },
                    }
                    for index, message in enumerate(chunk)
                ],
            )
            if response.get("Failed"):
                raise RuntimeError(f"notifications queue refused {response['Failed']}")


def notifications_of(task: TaskItem) -> list[Notification]:
    """The task's stored notifications, each validated alone: one that a later release
    no longer accepts is left out (and logged) rather than failing the stream record,
    and with it every event behind it, forever."""
    valid = []
    for stored in task.notifications or []:
        try:
            valid.append(Notification.model_validate(stored))
        except pydantic.ValidationError:
            logger.error(
                "stored notification is not valid; its events are not sent",
                extra={"task_id": task.task_id},
            )
    return valid
