"""Who is calling: the authorizer's answers, and the tenant the API function serves.

Three modes, chosen at deploy time (template parameter AuthMode, env AUTH_MODE):

* `API_KEY`: API Gateway runs the authorizer function (`authorizer.py`, a TOKEN
  authorizer) on the Authorization header. A known, unrevoked key yields an Allow
  policy carrying the key's tenant in the authorizer context (and its usage-plan key
  as `usageIdentifierKey`); anything else raises "Unauthorized", which API Gateway
  answers with its 401 Gateway Response.
* `IAM`: API Gateway verifies the SigV4 signature and IAM permissions; the tenant is
  the caller's principal.
* `JWT`: the same TOKEN authorizer verifies a bearer JWT of the deployment's OIDC
  issuer (`jwt_verifier.py`); the tenant is the value of a claim of it. API Gateway
  caches the policy by the whole Authorization header, that is by the token, and a
  token speaks for one tenant only, so a cached policy never serves another tenant.

The API function takes the tenant only from what API Gateway put in the request
context (`caller_tenant`), never from anything the client sent, and refuses to serve
a request without one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
)

from sundial.api.errors import Unauthenticated
from sundial.api.settings import AUTH_MODE_IAM, api_settings
from sundial.observability import logger
from sundial.store import apikeys

# "Bearer <token>"; the scheme is case-insensitive (RFC 7235 §2.1).
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +(?P<token>\S+)\s*")
# An STS session of a role: the role is the principal; the session name is chosen per
# session (often random), so using it would give the same caller a new tenant each time.
_ASSUMED_ROLE = re.compile(
    r"arn:(?P<partition>[^:]+):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/[^/]+"
)
# The context key the authorizer sets and the API function reads.
TENANT_CONTEXT_KEY = "tenant"


class Unauthorized(Exception):
    """API Gateway maps exactly this message from a TOKEN authorizer to a 401."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


# --- the authorizer (API_KEY mode) -----------------------------------------------------------


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None when it is not one."""
    match = _BEARER.fullmatch(header or "")
    if match is None:
        return None
    token = match["token"]
    return token if apikeys.is_well_formed(token) else None


def authenticate(header: str | None) -> apikeys.ApiKeyItem:
    """The active key the header presents. Raises Unauthorized (and logs why) otherwise."""
    token = bearer_token(header)
    if token is None:
        logger.info("authorization refused", extra={"reason": "malformed"})
        raise Unauthorized()
    key = apikeys.find_key(token)
    if key is None:
        logger.info("authorization refused", extra={"reason": "unknown key"})
        raise Unauthorized()
    if key.revoked:
        logger.info("authorization refused", extra={"reason": "revoked", "key_id": key.key_id})
        raise Unauthorized()
    return key


def authorizer_response(key: apikeys.ApiKeyItem, method_arn: str) -> dict[str, Any]:
    """An Allow policy for every route of the stage, with the key's tenant in the context."""
    return tenant_policy(
        method_arn,
        principal_id=key.key_id,
        context={TENANT_CONTEXT_KEY: key.tenant, "key_id": key.key_id},
        usage_identifier_key=key.usage_key,
    )


def tenant_policy(
    method_arn: str,
    *,
    principal_id: str,
    context: dict[str, Any],
    usage_identifier_key: str | None = None,
) -> dict[str, Any]:
    """An Allow policy for every route of the stage, with `context` (the tenant) in it.

    Every route, not just `method_arn`: API Gateway caches the policy by token and
    reuses it for the caller's next requests, whatever route they go to.
    """
    response = APIGatewayAuthorizerResponse.from_route_arn(
        method_arn,
        principal_id=principal_id,
        context=context,
        usage_identifier_key=usage_identifier_key,
    )
    response.allow_all_routes()
    return response.asdict()


def jwt_authorizer_response(tenant: str, method_arn: str) -> dict[str, Any]:
    """JWT mode: an Allow policy for every route with the token's tenant in the context."""
    return tenant_policy(method_arn, principal_id=tenant, context={TENANT_CONTEXT_KEY: tenant})


def jwt_bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <JWT>` header; None when it is not one."""
    match = _BEARER.fullmatch(header or "")
    return match["token"] if match is not None else None


# --- the tenant of a request (API function) ---------------------------------------------------


def caller_tenant(request_context: Mapping[str, Any], mode: str | None = None) -> str:
    """The tenant API Gateway established for this request. Raises Unauthenticated."""
    mode = mode or api_settings().auth_mode
    if mode == AUTH_MODE_IAM:
        identity = request_context.get("identity") or {}
        principal = identity.get("userArn") or identity.get("caller")
        if not principal:
            raise Unauthenticated("Authentication is required: sign the request with SigV4.")
        return principal_of(str(principal))
    tenant = (request_context.get("authorizer") or {}).get(TENANT_CONTEXT_KEY)
    if not tenant:
        raise Unauthenticated()
    return str(tenant)


def principal_of(arn: str) -> str:
    """The IAM principal behind a caller ARN: an assumed-role session counts as its role."""
    match = _ASSUMED_ROLE.fullmatch(arn)
    if match is None:
        return arn
    return f"arn:{match['partition']}:iam::{match['account']}:role/{match['role']}"
