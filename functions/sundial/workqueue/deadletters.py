"""Dead letters (docs/execution.md "Dead letters"; the API lists them at `GET /dead-letters`).

A run that cannot succeed (a permanent failure, or retries exhausted by attempts or
event age) gets two dead letters:

* an explicit message on the dead-letter queue, for operators and alarms, carrying the
  task, tenant, execution id, fire time, attempts, last error and when it happened;
* a record in DynamoDB, written atomically with the run's `failed` status, which the API
  lists per tenant (newest first) and `redrive` puts back.

A message that is not a valid fire message gets the queue message only (it names no
trustworthy tenant).
"""

from __future__ import annotations

from typing import Any

from sundial.core.aws_limits import SQS_MAX_MESSAGE_BYTES
from sundial.core.clock import utc_rfc3339
from sundial.store import deadletters as records
from sundial.store.deadletters import DeadLetter
from sundial.store.models import DeadLetterItem
from sundial.workqueue.delivery import Delivery

# A malformed body is quoted in its dead letter up to a quarter of SQS's message size,
# leaving room for the rest of the letter.
MALFORMED_BODY_PREVIEW_CHARS = SQS_MAX_MESSAGE_BYTES // 4
# API listings take 1-100 items per page.
MAX_PAGE_SIZE = 100


def run_letter_message(letter: DeadLetter) -> dict[str, Any]:
    """The dead-letter queue message of a failed run."""
    return {
        "type": "failed_run",
        "tenant": letter.tenant,
        "task_id": letter.task_id,
        "execution_id": letter.execution_id,
        "fire_at": utc_rfc3339(letter.fire_at_ms),
        "kind": letter.kind,
        "attempts": letter.attempt,
        "error": letter.error,
        "reason": letter.reason,
        "dead_lettered_at": utc_rfc3339(letter.dead_lettered_at_ms),
    }


def malformed_letter_message(delivery: Delivery, reason: str, now_ms: int) -> dict[str, Any]:
    """The dead-letter queue message of a work-queue message that cannot be parsed."""
    return {
        "type": "malformed_message",
        "reason": reason,
        "message_id": delivery.message_id,
        "receive_count": delivery.receive_count,
        "body": delivery.body[:MALFORMED_BODY_PREVIEW_CHARS],
        "dead_lettered_at": utc_rfc3339(now_ms),
    }


def dead_letter_view(item: DeadLetterItem) -> dict[str, Any]:
    """A dead letter as the API returns it (`GET /dead-letters`)."""
    return {
        "execution_id": item.execution_id,
        "task_id": item.run_task_id,
        "fire_at": utc_rfc3339(int(item.fire_at)),
        "attempt": int(item.attempt),
        "error": item.error,
        "reason": item.reason,
        "dead_lettered_at": utc_rfc3339(int(item.dead_lettered_at)),
    }


def list_dead_letters(
    tenant: str, limit: int = 50, next_token: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the tenant's dead letters, newest first, and the next page's token
    (None: no more). Each is the API's dead-letter object plus `reason`.

    Raises InvalidPageToken (a 400 `validation_error` on `next_token`) for a token this
    listing did not issue, and ValueError for a limit outside 1-100.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
    items, token = records.list_dead_letters(tenant, limit, next_token)
    return [dead_letter_view(item) for item in items], token
