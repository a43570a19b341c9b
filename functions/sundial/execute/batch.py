"""One SQS batch: every record through the protocol, in parallel, failures reported per item.

Records run concurrently (a thread each, through Powertools' AsyncBatchProcessor) so
that ten fires due in the same second start in the same second, instead of each
waiting for the targets before it. Each record succeeds or fails alone: a record that
goes back to the queue is reported in `batchItemFailures` (ReportBatchItemFailures),
the others are deleted, and the invocation itself never fails because of a record.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from sundial import store
from sundial.core.aws_limits import LAMBDA_MAX_TIMEOUT_SECONDS
from sundial.core.threads import in_callers_context
from sundial.execute import metrics
from sundial.execute.run import Executor
from sundial.workqueue.delivery import Delivery

# The event source mapping's BatchSize (template.yaml): SQS hands Lambda at most ten
# messages per batch without a batching window, which would delay fires.
MAX_BATCH_SIZE = 10
# Without a Lambda context (the local stack's poller may not give one), runs get the
# longest a Lambda invocation can last.
DEFAULT_INVOCATION_SECONDS = LAMBDA_MAX_TIMEOUT_SECONDS


class ReturnedToQueue(Exception):
    """Not an error: the record goes back to the queue, reported as a batch item failure."""


def process_batch(
    event: dict[str, Any], context: Any, executor: Executor
) -> PartialItemFailureResponse:
    """Run every record of an SQS event; the partial batch response for Lambda."""
    deadline = invocation_deadline(context)
    began_ms = executor.clock.now_ms()
    store.connect()  # before the records' threads race to create the clients
    # Every record's task, read for the batch at once (two requests, not two a record).
    current = executor.admit([Delivery.from_record(r) for r in event.get("Records") or []])
    # Threads of this batch only: a record waiting for its fire time holds a thread, and
    # the local stack runs several batches at once in one process, which must not wait
    # for each other's threads (in Lambda an environment runs one batch at a time).
    threads = ThreadPoolExecutor(max_workers=MAX_BATCH_SIZE, thread_name_prefix="sundial-run")

    async def handle(record: SQSRecord) -> str:
        delivery = Delivery.from_record(record)
        loop = asyncio.get_running_loop()
        processed = await loop.run_in_executor(
            threads, in_callers_context(executor.process), delivery, deadline, current, began_ms
        )
        metrics.record_outcome(processed)  # on the loop's thread: metrics are not thread-safe
        if not processed.acknowledge:
            raise ReturnedToQueue(processed.outcome)
        return processed.outcome

    # A processor per batch: it keeps per-batch state.
    processor = AsyncBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    try:
        return async_process_partial_response(
            event=event, record_handler=handle, processor=processor, context=context
        )
    finally:
        threads.shutdown(wait=False)


def invocation_deadline(context: Any) -> float:
    """When the invocation ends, on the time.monotonic() clock."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    seconds = remaining() / 1000 if callable(remaining) else DEFAULT_INVOCATION_SECONDS
    return time.monotonic() + seconds
