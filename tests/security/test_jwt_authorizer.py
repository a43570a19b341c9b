"""The authorizer in JWT mode, through its Lambda handler: a refused token is exactly
"Unauthorized" (API Gateway's 401), an accepted one yields a policy naming its tenant
and nothing else, and the issuer's keys are fetched once for many requests."""

from __future__ import annotations

from typing import Any

import pytest
from security_helpers import JWT_ISSUER, JwtApi
from sundial_local.jwt_issuer import LocalIssuer

from sundial.api.auth import TENANT_CONTEXT_KEY


def refused(api: JwtApi, header: str) -> None:
    with pytest.raises(Exception) as raised:
        api.authorize(header)
    assert str(raised.value) == "Unauthorized"


def test_a_token_yields_a_policy_for_its_tenant_only(jwt_api: JwtApi) -> None:
    policy = jwt_api.authorize(f"Bearer {jwt_api.issuer.mint('acme')}")

    assert policy["context"] == {TENANT_CONTEXT_KEY: "acme"}
    assert policy["principalId"] == "acme"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda issuer: issuer.mint("acme", now=0), id="expired"),
        pytest.param(
            lambda issuer: LocalIssuer.generate(JWT_ISSUER, issuer.audience).mint("acme"),
            id="another-key",
        ),
        pytest.param(
            lambda issuer: LocalIssuer(issuer.private_key, "https://evil.example.com/").mint(
                "acme"
            ),
            id="another-issuer",
        ),
        pytest.param(lambda issuer: issuer.mint("has space"), id="invalid-tenant"),
        pytest.param(lambda issuer: "not.a.jwt", id="garbage"),
    ],
)
def test_a_bad_token_is_unauthorized(jwt_api: JwtApi, make: Any) -> None:
    refused(jwt_api, f"Bearer {make(jwt_api.issuer)}")


def test_a_token_without_the_bearer_scheme_is_unauthorized(jwt_api: JwtApi) -> None:
    refused(jwt_api, jwt_api.issuer.mint("acme"))
    refused(jwt_api, "")


def test_the_issuers_keys_are_fetched_once_for_many_requests(
    jwt_api: JwtApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sundial.api import jwks

    fetched: list[str] = []
    serve = jwks.fetch_json
    monkeypatch.setattr(jwks, "fetch_json", lambda url: fetched.append(url) or serve(url))
    for tenant in ("acme", "globex", "initech"):
        jwt_api.authorize(f"Bearer {jwt_api.issuer.mint(tenant)}")

    assert fetched == [
        jwks.discovery_url(JWT_ISSUER),
        jwt_api.issuer.discovery()["jwks_uri"],
    ]
