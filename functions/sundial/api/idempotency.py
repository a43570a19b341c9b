"""`Idempotency-Key` on create: a retried request returns the first response.

Built on Powertools' idempotency utility and its DynamoDB persistence layer (the
IdempotencyTable of template.yaml), whose one conditional write claims a key, so two
concurrent retries cannot both create a task:

* the record is keyed by (tenant, key), so tenants' keys never collide;
* it stores the hash of the request body: the same key with a different body is a
  client bug and is refused (409), never answered with the other request's result;
* only successes are stored; a failed create (409 name conflict, 400) releases the key,
  so the client can fix the request and retry with the same key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from sundial import clients
from sundial.api.errors import IdempotencyInProgress, IdempotencyKeyReused
from sundial.api.settings import api_settings

Operation = Callable[[], dict[str, Any]]


def run_once(
    tenant: str,
    key: str,
    body: Any,
    operation: Operation,
    lambda_context: LambdaContext | None = None,
) -> dict[str, Any]:
    """`operation()`'s result, or the result stored when (tenant, key) first ran with `body`.

    `operation` must return JSON-serializable data (it is stored as the response).
    Raises IdempotencyKeyReused (another body) or IdempotencyInProgress (the first
    request is still running).
    """
    settings = api_settings()
    config = IdempotencyConfig(
        event_key_jmespath="[tenant, key]",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=settings.idempotency_ttl_seconds,
    )
    if lambda_context is not None:
        # Lets an in-progress record expire with this invocation, so a crashed attempt
        # does not block the key until the whole TTL has passed.
        config.register_lambda_context(lambda_context)
    persistence = DynamoDBPersistenceLayer(
        table_name=settings.idempotency_table, boto3_client=clients.client("dynamodb")
    )

    @idempotent_function(
        data_keyword_argument="request", persistence_store=persistence, config=config
    )
    def guarded(request: dict[str, Any], operation: Operation) -> dict[str, Any]:
        return operation()

    try:
        return guarded(request={"tenant": tenant, "key": key, "body": body}, operation=operation)
    except IdempotencyValidationError:
        raise IdempotencyKeyReused() from None
    except IdempotencyAlreadyInProgressError:
        raise IdempotencyInProgress() from None
