"""Lambda entry point of the API function (template.yaml ApiFunction)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sundial.api.app import resolve
from sundial.api.settings import api_settings
from sundial.core.handlers import import_handler_modules
from sundial.observability import logger, metrics, tracer

# A missing or malformed variable stops the cold start here, naming it, rather than the
# first request; so does a handler module that cannot be imported (their @task names are
# what a handler target is checked against).
import_handler_modules(api_settings().handler_modules)


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
)
# Responses carry task payloads (user data) and the 1.7 MB Swagger page: neither belongs
# in X-Ray segment metadata, which is also capped at 64 KB.
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(event, context)
