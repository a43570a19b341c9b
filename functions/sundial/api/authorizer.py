"""Lambda entry point of the authorizer (template.yaml AuthorizerFunction): API keys in
API_KEY mode, the issuer's JWTs in JWT mode.

Its own module, not `auth.py`: the API function imports `auth.py` too, and must not
need the authorizer's settings (KEYS_TABLE, JWT_ISSUER) to start.
"""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerTokenEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from sundial.api.auth import (
    Unauthorized,
    authenticate,
    authorizer_response,
    jwt_authorizer_response,
    jwt_bearer_token,
)
from sundial.api.jwks import JwksCache
from sundial.api.jwt_verifier import JwtVerifier, tenant_or_log
from sundial.api.settings import AUTH_MODE_JWT, AuthorizerSettings, authorizer_settings
from sundial.observability import logger

# A missing or malformed variable stops the cold start here, naming it, rather than the
# first request.
authorizer_settings()


def jwt_verifier() -> JwtVerifier:
    """One per process and settings: its key cache lives as long as the execution
    environment (tests and the local stack re-read the settings within one process, and
    then get a verifier of the new ones)."""
    global _verifier
    settings = authorizer_settings()
    with _verifier_lock:
        if _verifier is None or _verifier[0] is not settings:
            assert settings.jwt_issuer and settings.jwt_audience  # AuthorizerSettings checks it
            verifier = JwtVerifier(
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                tenant_claim=settings.jwt_tenant_claim,
                keys=JwksCache(settings.jwt_issuer, settings.jwt_jwks_url),
            )
            _verifier = (settings, verifier)
        return _verifier[1]


_verifier: tuple[AuthorizerSettings, JwtVerifier] | None = None
_verifier_lock = threading.Lock()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """TOKEN authorizer of the REST API (template.yaml KeyAuthorizer)."""
    request = APIGatewayAuthorizerTokenEvent(event)
    if authorizer_settings().auth_mode == AUTH_MODE_JWT:
        token = jwt_bearer_token(request.get("authorizationToken"))
        tenant = tenant_or_log(jwt_verifier(), token) if token else None
        if tenant is None:
            raise Unauthorized()
        logger.append_keys(tenant=tenant)
        return jwt_authorizer_response(tenant, request.method_arn)
    key = authenticate(request.get("authorizationToken"))
    logger.append_keys(tenant=key.tenant, key_id=key.key_id)
    return authorizer_response(key, request.method_arn)
