"""JWT mode's verifier: which tokens name a tenant, and which are refused (all alike, 401).

Keys are served by a fake fetch that counts its calls; time is the verifier's clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from sundial.api.jwks import DEFAULT_REFETCH_INTERVAL_SECONDS, JwksCache
from sundial.api.jwt_verifier import LEEWAY_SECONDS, InvalidToken, JwtVerifier

ISSUER = "https://issuer.example.com/"
AUDIENCE = "sundial-api"
NOW = 1_800_000_000
JWKS_URL = "https://issuer.example.com/.well-known/jwks.json"

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: Any, kid: str, alg: str | None = None) -> dict[str, Any]:
    algorithm = RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else ECAlgorithm
    jwk = json.loads(algorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, **({"alg": alg} if alg else {})}


class Issuer:
    """The issuer's JWKS document, served by `fetch`, which counts its calls."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.keys = list(keys)
        self.fetches = 0

    def fetch(self, url: str) -> Mapping[str, Any]:
        assert url == JWKS_URL
        self.fetches += 1
        return {"keys": self.keys}


def claims(**overrides: Any) -> dict[str, Any]:
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "acme", "iat": NOW, "exp": NOW + 600}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def sign(
    key: Any = RSA_KEY, alg: str = "RS256", kid: str | None = "rsa-1", **overrides: Any
) -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(claims(**overrides), key, algorithm=alg, headers=headers)


@pytest.fixture
def issuer() -> Issuer:
    return Issuer(public_jwk(RSA_KEY, "rsa-1", "RS256"), public_jwk(EC_KEY, "ec-1", "ES256"))


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def verifier_of(issuer: Issuer, now: float = NOW, claim: str = "sub") -> JwtVerifier:
    keys = JwksCache(ISSUER, JWKS_URL, fetch=issuer.fetch, clock=lambda: now)
    return JwtVerifier(ISSUER, AUDIENCE, keys, tenant_claim=claim, clock=lambda: now)


def unsigned(header: dict[str, Any], body: dict[str, Any], signature: bytes = b"") -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return ".".join(
        [part(json.dumps(header).encode()), part(json.dumps(body).encode()), part(signature)]
    )


# --- accepted -----------------------------------------------------------------------------


def test_a_valid_rs256_token_names_its_tenant(issuer: Issuer) -> None:
    assert verifier_of(issuer).tenant_of(sign()) == "acme"


def test_a_valid_es256_token_names_its_tenant(issuer: Issuer) -> None:
    assert verifier_of(issuer).tenant_of(sign(EC_KEY, "ES256", "ec-1")) == "acme"


def test_an_audience_list_holding_the_deployments_audience_is_accepted(issuer: Issuer) -> None:
    token = sign(aud=["another-api", AUDIENCE])
    assert verifier_of(issuer).tenant_of(token) == "acme"


def test_the_tenant_comes_from_the_configured_claim(issuer: Issuer) -> None:
    token = sign(**{"custom:tenant": "globex"})
    assert verifier_of(issuer, claim="custom:tenant").tenant_of(token) == "globex"


def test_a_token_within_the_leeway_of_its_expiry_or_start_is_accepted(issuer: Issuer) -> None:
    assert verifier_of(issuer, now=NOW + 600 + LEEWAY_SECONDS - 1).tenant_of(sign()) == "acme"
    assert verifier_of(issuer, now=NOW - LEEWAY_SECONDS).tenant_of(sign(nbf=NOW)) == "acme"


def test_a_token_without_kid_uses_the_issuers_only_key() -> None:
    issuer = Issuer(public_jwk(RSA_KEY, "rsa-1"))
    assert verifier_of(issuer).tenant_of(sign(kid=None)) == "acme"


# --- refused ------------------------------------------------------------------------------


def refused(verifier: JwtVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as raised:
        verifier.tenant_of(token)
    return str(raised.value)


def test_a_token_of_another_issuer_is_refused(issuer: Issuer) -> None:
    refused(verifier_of(issuer), sign(iss="https://evil.example.com/"))
    refused(verifier_of(issuer), sign(iss=ISSUER.rstrip("/")))


def test_a_token_for_another_audience_or_none_is_refused(issuer: Issuer) -> None:
    refused(verifier_of(issuer), sign(aud="another-api"))
    refused(verifier_of(issuer), sign(aud=None))


def test_an_expired_token_is_refused(issuer: Issuer) -> None:
    refused(verifier_of(issuer, now=NOW + 600 + LEEWAY_SECONDS), sign())


def test_a_token_without_expiry_is_refused(issuer: Issuer) -> None:
    refused(verifier_of(issuer), sign(exp=None))
    refused(verifier_of(issuer), sign(exp="2100-01-01"))


def test_a_token_not_yet_valid_is_refused(issuer: Issuer) -> None:
    refused(verifier_of(issuer), sign(nbf=NOW + LEEWAY_SECONDS + 1))


def test_alg_none_is_refused_before_any_key_is_fetched(issuer: Issuer) -> None:
    token = unsigned({"alg": "none", "kid": "rsa-1"}, claims())
    assert "algorithm" in refused(verifier_of(issuer), token)
    assert issuer.fetches == 0


def test_hs256_signed_with_the_issuers_public_key_is_refused(issuer: Issuer) -> None:
    # Algorithm confusion: the public key (which anyone can fetch) used as an HMAC secret.
    secret = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}
    signing_input = unsigned(header, claims()).rsplit(".", 1)[0]
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()

    assert "algorithm" in refused(verifier_of(issuer), token)


def test_a_token_whose_algorithm_does_not_fit_the_named_key_is_refused(issuer: Issuer) -> None:
    # An ES256 token naming the RSA key, and an RS384 token naming a key declared RS256.
    refused(verifier_of(issuer), sign(EC_KEY, "ES256", "rsa-1"))
    refused(verifier_of(issuer), sign(RSA_KEY, "RS384", "rsa-1"))


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(issuer: Issuer) -> None:
    refused(verifier_of(issuer), sign(OTHER_RSA_KEY, "RS256", "rsa-1"))


def test_a_tampered_token_is_refused(issuer: Issuer) -> None:
    header, _, signature = sign().split(".")
    forged = unsigned({}, claims(sub="globex")).split(".")[1]
    refused(verifier_of(issuer), f"{header}.{forged}.{signature}")


@pytest.mark.parametrize("value", [None, "", 42, ["acme"], "has space", "x" * 129, "new\nline"])
def test_a_missing_empty_non_string_or_invalid_tenant_claim_is_refused(
    issuer: Issuer, value: Any
) -> None:
    refused(verifier_of(issuer), sign(sub=value))


def test_garbage_is_refused(issuer: Issuer) -> None:
    for token in ("", "abc", "a.b.c", "a.b", unsigned({"alg": "RS256"}, {})):
        refused(verifier_of(issuer), token)


def test_an_unknown_kid_refetches_the_keys_once_then_is_refused(issuer: Issuer) -> None:
    clock = Clock(NOW)
    keys = JwksCache(ISSUER, JWKS_URL, fetch=issuer.fetch, clock=clock)
    verifier = JwtVerifier(ISSUER, AUDIENCE, keys, clock=clock)
    assert verifier.tenant_of(sign()) == "acme"  # the first fetch
    clock.now += DEFAULT_REFETCH_INTERVAL_SECONDS

    refused(verifier, sign(OTHER_RSA_KEY, "RS256", "rotated-away"))
    refused(verifier, sign(OTHER_RSA_KEY, "RS256", "another-made-up"))

    assert issuer.fetches == 2
