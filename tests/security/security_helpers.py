"""Helpers shared by the security tests."""

from __future__ import annotations

from typing import Any

from api_client import Api, FakeLambdaContext
from sundial_local.jwt_issuer import LocalIssuer

FIRE_AT_MS = 1_790_000_000_000

JWT_ISSUER = "https://issuer.example.com/"
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:local/v1/GET/tasks"


class JwtApi(Api):
    """Each request carries a token minted for its tenant, through the JWT authorizer."""

    def __init__(self, issuer: LocalIssuer) -> None:
        super().__init__()
        self.issuer = issuer

    def event(self, method: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
        tenant = kwargs.get("tenant", "acme")
        event = super().event(method, path, body, **kwargs)
        if tenant is not None:
            policy = self.authorize(f"Bearer {self.issuer.mint(tenant)}")
            event["requestContext"]["authorizer"] = {
                **policy["context"],
                "principalId": policy["principalId"],
            }
        return event

    def authorize(self, header: str) -> dict[str, Any]:
        from sundial.api.authorizer import handler

        token_event = {"type": "TOKEN", "authorizationToken": header, "methodArn": METHOD_ARN}
        policy: dict[str, Any] = handler(token_event, FakeLambdaContext())
        (statement,) = policy["policyDocument"]["Statement"]
        assert statement["Effect"] == "Allow"
        return policy
