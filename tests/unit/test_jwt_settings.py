"""The authorizer's settings in JWT mode: an issuer and an audience are required, and keys
are fetched over HTTPS only (plain HTTP on loopback, for the local stack's issuer)."""

from __future__ import annotations

import pytest

from sundial.api.settings import AuthorizerSettings
from sundial.settings import InvalidSettings

JWT = {
    "KEYS_TABLE": "keys",
    "AUTH_MODE": "jwt",
    "JWT_ISSUER": "https://issuer.example.com/",
    "JWT_AUDIENCE": "sundial",
}


def test_jwt_mode_reads_issuer_audience_claim_and_jwks_url(settings_from) -> None:
    settings = settings_from(
        AuthorizerSettings, **JWT, JWT_TENANT_CLAIM="org_id", JWT_JWKS_URL="https://k.example/j"
    )
    assert (settings.auth_mode, settings.jwt_issuer, settings.jwt_audience) == (
        "JWT",
        "https://issuer.example.com/",
        "sundial",
    )
    assert (settings.jwt_tenant_claim, settings.jwt_jwks_url) == ("org_id", "https://k.example/j")


def test_the_tenant_claim_defaults_to_sub_and_the_jwks_url_to_discovery(settings_from) -> None:
    settings = settings_from(AuthorizerSettings, **JWT, JWT_JWKS_URL="")
    assert (settings.jwt_tenant_claim, settings.jwt_jwks_url) == ("sub", None)


@pytest.mark.parametrize("missing", ["JWT_ISSUER", "JWT_AUDIENCE"])
def test_jwt_mode_without_issuer_or_audience_stops_the_cold_start(settings_from, missing) -> None:
    with pytest.raises(InvalidSettings, match="JWT_ISSUER and JWT_AUDIENCE"):
        settings_from(AuthorizerSettings, **{k: v for k, v in JWT.items() if k != missing})


@pytest.mark.parametrize(
    "name, url",
    [
        ("JWT_ISSUER", "http://issuer.example.com/"),
        ("JWT_ISSUER", "issuer.example.com"),
        ("JWT_JWKS_URL", "http://10.0.0.1/jwks.json"),
        ("JWT_JWKS_URL", "ftp://keys.example.com/jwks.json"),
    ],
)
def test_keys_are_never_fetched_over_plain_http_off_loopback(settings_from, name, url) -> None:
    with pytest.raises(InvalidSettings, match=name):
        settings_from(AuthorizerSettings, **{**JWT, name: url})


def test_the_local_stacks_issuer_on_loopback_may_be_plain_http(settings_from) -> None:
    settings = settings_from(AuthorizerSettings, **{**JWT, "JWT_ISSUER": "http://127.0.0.1:8080"})
    assert settings.jwt_issuer == "http://127.0.0.1:8080"


def test_api_key_mode_needs_no_issuer(settings_from) -> None:
    assert settings_from(AuthorizerSettings, KEYS_TABLE="keys").auth_mode == "API_KEY"
