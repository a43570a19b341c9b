"""JWT mode: the tenant a bearer JWT of the deployment's OIDC issuer speaks for.

A token is accepted only when all of these hold, and any failure is the same 401:
* its header names an asymmetric algorithm (RS*, PS*, ES*). `none` and the HMAC ones
  are refused before any key is looked at, so a token "signed" with the issuer's public
  key as an HMAC secret (algorithm confusion) never verifies;
* the key it names is one of the issuer's (`jwks.py`), of that algorithm's key type (and
  of that algorithm, when the key says), and the signature verifies with it;
* `iss` and `aud` are the deployment's (`aud` may be a list holding it);
* `exp` is present and not past, `nbf` (if present) not ahead, both with
  LEEWAY_SECONDS for clocks that disagree a little;
* the tenant claim is a string that is a tenant id (`core/tenant_ids.py`).

Expiry is checked with the verifier's clock rather than PyJWT's, so tests give it one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

import jwt

from sundial.api.jwks import JwksCache
from sundial.core.tenant_ids import is_claimed_tenant_id
from sundial.observability import logger

# Clocks of the issuer and of Lambda may disagree by a few seconds; half a minute is
# what most OIDC libraries allow, and bounds how long an expired token still works.
LEEWAY_SECONDS: Final = 30
# The signature algorithms accepted, by the key type (`kty`) each needs.
KEY_TYPE_OF: Final = {
    "RS256": "RSA", "RS384": "RSA", "RS512": "RSA",
    "PS256": "RSA", "PS384": "RSA", "PS512": "RSA",
    "ES256": "EC", "ES384": "EC", "ES512": "EC",
}  # fmt: skip


class InvalidToken(Exception):
    """The token does not authenticate anyone; the message says why (for the logs only)."""


@dataclass
class JwtVerifier:
    issuer: str
    audience: str
    keys: JwksCache
    tenant_claim: str = "sub"
    clock: Callable[[], float] = field(default=time.time)

    def tenant_of(self, token: str) -> str:
        """The tenant `token` speaks for. Raises InvalidToken; KeysUnavailable when the
        issuer's keys cannot be had."""
        claims = self.verified_claims(token)
        tenant = claims.get(self.tenant_claim)
        if not is_claimed_tenant_id(tenant):
            raise InvalidToken(f"claim {self.tenant_claim!r} is not a tenant id")
        return str(tenant)

    def verified_claims(self, token: str) -> Mapping[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("not a JWT") from exc
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in KEY_TYPE_OF:
            raise InvalidToken(f"algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("kid is not a string")
        key = self.keys.key(kid)
        if key is None:
            raise InvalidToken(f"no key of the issuer has kid {kid!r}")
        declared = key._jwk_data.get("alg")  # PyJWK defaults a missing alg by key type
        if key.key_type != KEY_TYPE_OF[algorithm] or declared not in (None, algorithm):
            raise InvalidToken(f"key {kid!r} is not a {algorithm} key")
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                # Times are checked below, with the verifier's clock.
                options={
                    "require": ["exp", "iss", "aud"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(str(exc)) from exc
        self._check_times(claims)
        return claims

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        now = self.clock()
        expires, not_before = claims.get("exp"), claims.get("nbf")
        if not _is_time(expires) or now >= expires + LEEWAY_SECONDS:
            raise InvalidToken("expired")
        if not_before is not None and (
            not _is_time(not_before) or now < not_before - LEEWAY_SECONDS
        ):
            raise InvalidToken("not valid yet")


def _is_time(value: Any) -> TypeGuard[int | float]:
    """A NumericDate (RFC 7519 §2): a number of seconds, never a bool or a string."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def tenant_or_log(verifier: JwtVerifier, token: str) -> str | None:
    """The token's tenant, or None after logging why it was refused."""
    try:
        return verifier.tenant_of(token)
    except InvalidToken as exc:
        logger.info("authorization refused", extra={"reason": str(exc)})
        return None
