"""The issuer's signing keys (its JWKS), fetched by the authorizer and kept by its process.

A token names its key by `kid`. The keys are fetched once and kept for `ttl_seconds`; a
token naming a key the cached set lacks (the issuer rotated its keys) refetches them at
once, but at most once per `refetch_interval_seconds`, whatever arrives: a stream of
tokens with made-up `kid`s costs the issuer one request per interval, not one each.
Failed fetches are rate-limited the same way, and keys already held keep serving while
the issuer cannot be reached.

The JWKS URL is given, or read from the issuer's OpenID Connect discovery document
(`<issuer>/.well-known/openid-configuration`, its `jwks_uri`), whose `issuer` must be
the configured one (OpenID Connect Discovery 1.0 §4.3).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

from sundial.observability import logger

DEFAULT_TTL_SECONDS = 3600
DEFAULT_REFETCH_INTERVAL_SECONDS = 60
FETCH_TIMEOUT_SECONDS = 3
# A JWKS is a few kilobytes; a larger answer is not one.
MAX_DOCUMENT_BYTES = 256 * 1024
ASYMMETRIC_KEY_TYPES = ("RSA", "EC")
DISCOVERY_PATH = "/.well-known/openid-configuration"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

Fetch = Callable[[str], Mapping[str, Any]]
Clock = Callable[[], float]


class KeysUnavailable(Exception):
    """The issuer's keys could not be fetched and none are held: the authorizer fails
    (API Gateway answers 5xx), rather than calling every token invalid."""


def fetch_json(url: str) -> Mapping[str, Any]:
    """GET a JSON object over HTTPS (HTTP on loopback only), bounded in time and size."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (
        parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
    ):
        raise KeysUnavailable(f"refusing to fetch keys from {url!r}: not https")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as answer:
        body = answer.read(MAX_DOCUMENT_BYTES + 1)
    if len(body) > MAX_DOCUMENT_BYTES:
        raise KeysUnavailable(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    document = json.loads(body)
    if not isinstance(document, dict):
        raise KeysUnavailable(f"{url} did not answer a JSON object")
    return document


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + DISCOVERY_PATH


class JwksCache:
    """The issuer's keys by `kid`, fetched as the module docstring says. Thread-safe."""

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None = None,
        *,
        fetch: Fetch | None = None,
        clock: Clock = time.monotonic,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        refetch_interval_seconds: float = DEFAULT_REFETCH_INTERVAL_SECONDS,
    ) -> None:
        self.issuer = issuer
        self._configured_url = jwks_url
        self._discovered_url: str | None = None
        self._fetch = fetch or fetch_json
        self._clock = clock
        self._ttl = ttl_seconds
        self._interval = refetch_interval_seconds
        self._keys: dict[str | None, PyJWK] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str | None) -> PyJWK | None:
        """The key `kid` names (a token without `kid`: the issuer's only key), or None.

        Raises KeysUnavailable when no keys are held and none can be fetched now."""
        with self._lock:
            now = self._clock()
            if self._keys is None or now - self._fetched_at >= self._ttl:
                self._refresh(now)
            found = self._find(kid)
            if found is None and self._may_attempt(now):
                self._refresh(now)  # the issuer may have rotated its keys
                found = self._find(kid)
            return found

    def _find(self, kid: str | None) -> PyJWK | None:
        keys = self._keys or {}
        if kid is None:
            return next(iter(keys.values())) if len(keys) == 1 else None
        return keys.get(kid)

    def _may_attempt(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._interval

    def _refresh(self, now: float) -> None:
        if not self._may_attempt(now):
            if self._keys is None:
                raise KeysUnavailable("the issuer's keys are not available yet")
            return  # keep serving what is held until the next attempt is due
        self._attempted_at = now
        try:
            keys = self._load()
        except Exception as exc:  # any failure to fetch is the same to callers
            self._discovered_url = None  # the discovery document may have moved the keys
            logger.warning("cannot fetch the issuer's keys", extra={"error": str(exc)})
            if self._keys is None:
                raise KeysUnavailable("the issuer's keys cannot be fetched") from exc
            return
        self._keys = keys
        self._fetched_at = now

    def _load(self) -> dict[str | None, PyJWK]:
        document = self._fetch(self._jwks_url())
        try:
            # PyJWKSet skips keys it cannot use (unsupported or symmetric key types).
            key_set = PyJWKSet.from_dict(dict(document))
        except (PyJWKError, PyJWKSetError) as exc:
            raise KeysUnavailable(f"the issuer's JWKS holds no usable key: {exc}") from exc
        # Only public keys of asymmetric algorithms: a shared secret in the set would let
        # whoever else holds it sign for the issuer.
        return {key.key_id: key for key in key_set.keys if key.key_type in ASYMMETRIC_KEY_TYPES}

    def _jwks_url(self) -> str:
        if self._configured_url:
            return self._configured_url
        if self._discovered_url is None:
            document = self._fetch(discovery_url(self.issuer))
            if document.get("issuer") != self.issuer:
                raise KeysUnavailable("the discovery document names another issuer")
            url = document.get("jwks_uri")
            if not isinstance(url, str) or not url:
                raise KeysUnavailable("the discovery document has no jwks_uri")
            self._discovered_url = url
        return self._discovered_url
