"""Dispatcher Lambda: the EventBridge tick (every minute) and its continuations."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from sundial.dispatch.metrics import record_sweep
from sundial.dispatch.service import invoke_self_async, run_tick
from sundial.dispatch.settings import dispatcher_settings
from sundial.observability import logger, metrics, tracer

# A missing or malformed variable stops the cold start here, naming it, rather than the
# first tick.
dispatcher_settings()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    sweep_id = context.aws_request_id
    logger.append_keys(sweep_id=sweep_id)
    continuation = int(event.get("continuation", 0)) if isinstance(event, dict) else 0
    returned: list[dict[str, Any]] = []
    continue_with = (
        returned.append
        if dispatcher_settings().continuation_mode == "return"
        else invoke_self_async(context.invoked_function_arn)
    )
    started = time.monotonic()
    result = run_tick(
        sweep_id=sweep_id,
        continuation=continuation,
        remaining_ms=context.get_remaining_time_in_millis,
        continue_with=continue_with,
    )
    record_sweep(result.report, continuation, duration_ms=(time.monotonic() - started) * 1000)
    summary = {**result.report.summary(), "continued": result.continued}
    logger.info("sweep finished", extra=summary)
    return {**summary, "continuation_event": returned[0] if returned else None}
