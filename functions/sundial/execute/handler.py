"""Executor Lambda: consumes the work queue (SQS event source mapping, partial batch
responses). The protocol lives in `run.py`, the batch in `batch.py`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from sundial.execute.batch import process_batch
from sundial.execute.settings import executor_settings
from sundial.execute.wiring import default_executor
from sundial.observability import logger, metrics, tracer

# A missing or malformed variable stops the cold start here, naming it, rather than the
# first batch.
executor_settings()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_batch(event, context, default_executor())
