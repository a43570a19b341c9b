"""Lambda entry point of the API-key authorizer (template.yaml AuthorizerFunction).

Its own module, not `auth.py`: the API function imports `auth.py` too, and must not
need the authorizer's settings (KEYS_TABLE) to start.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerTokenEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from sundial.api.auth import authenticate, authorizer_response
from sundial.api.settings import authorizer_settings
from sundial.observability import logger

# A missing or malformed variable stops the cold start here, naming it, rather than the
# first request.
authorizer_settings()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """TOKEN authorizer of the REST API (template.yaml KeyAuthorizer)."""
    request = APIGatewayAuthorizerTokenEvent(event)
    key = authenticate(request.get("authorizationToken"))
    logger.append_keys(tenant=key.tenant, key_id=key.key_id)
    return authorizer_response(key, request.method_arn)
