"""The authorizer's cache of the issuer's keys: fetched once, kept for a TTL, refetched on
an unknown kid at most once per interval, served stale while the issuer is down.
Fetches are counted; time is an injected clock."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from sundial.api.jwks import DEFAULT_REFETCH_INTERVAL_SECONDS as INTERVAL
from sundial.api.jwks import DEFAULT_TTL_SECONDS as TTL
from sundial.api.jwks import JwksCache, KeysUnavailable, discovery_url, fetch_json

ISSUER = "https://issuer.example.com"
JWKS_URL = "https://keys.example.com/jwks.json"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(kid: str) -> dict[str, Any]:
    return {**json.loads(RSAAlgorithm.to_jwk(KEY.public_key())), "kid": kid}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Issuer:
    """Serves a discovery document and a JWKS; counts requests per URL; can be down."""

    def __init__(self, *kids: str) -> None:
        self.kids = list(kids)
        self.requests: dict[str, int] = {}
        self.down = False
        self.discovered_issuer = ISSUER

    def fetch(self, url: str) -> Mapping[str, Any]:
        self.requests[url] = self.requests.get(url, 0) + 1
        if self.down:
            raise OSError("connection refused")
        if url == discovery_url(ISSUER):
            return {"issuer": self.discovered_issuer, "jwks_uri": JWKS_URL}
        assert url == JWKS_URL
        return {"keys": [jwk(kid) for kid in self.kids]}

    @property
    def key_fetches(self) -> int:
        return self.requests.get(JWKS_URL, 0)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def cache_of(issuer: Issuer, clock: Clock, jwks_url: str | None = JWKS_URL) -> JwksCache:
    return JwksCache(ISSUER, jwks_url, fetch=issuer.fetch, clock=clock)


def test_keys_are_fetched_once_and_kept_for_the_ttl(clock: Clock) -> None:
    issuer = Issuer("a")
    cache = cache_of(issuer, clock)
    for _ in range(5):
        assert cache.key("a") is not None
    clock.now += TTL - 1
    assert cache.key("a") is not None
    assert issuer.key_fetches == 1

    clock.now += 1
    assert cache.key("a") is not None
    assert issuer.key_fetches == 2


def test_a_rotated_key_is_fetched_when_a_token_names_it(clock: Clock) -> None:
    issuer = Issuer("a")
    cache = cache_of(issuer, clock)
    cache.key("a")
    issuer.kids = ["a", "b"]
    clock.now += INTERVAL

    assert cache.key("b") is not None
    assert issuer.key_fetches == 2


def test_unknown_kids_refetch_at_most_once_per_interval(clock: Clock) -> None:
    issuer = Issuer("a")
    cache = cache_of(issuer, clock)
    cache.key("a")
    clock.now += INTERVAL

    for made_up in range(100):
        assert cache.key(f"garbage-{made_up}") is None
    assert issuer.key_fetches == 2

    clock.now += INTERVAL - 1
    assert cache.key("garbage") is None
    assert issuer.key_fetches == 2
    clock.now += 1
    assert cache.key("garbage") is None
    assert issuer.key_fetches == 3


def test_an_unknown_kid_right_after_a_fetch_fetches_nothing(clock: Clock) -> None:
    issuer = Issuer("a")
    cache = cache_of(issuer, clock)
    assert cache.key("unknown") is None
    assert issuer.key_fetches == 1


def test_held_keys_keep_serving_while_the_issuer_is_down(clock: Clock) -> None:
    issuer = Issuer("a")
    cache = cache_of(issuer, clock)
    cache.key("a")
    issuer.down = True
    clock.now += TTL

    assert cache.key("a") is not None
    assert cache.key("a") is not None  # the failed attempt is not retried at once
    assert issuer.key_fetches == 2


def test_without_keys_an_unreachable_issuer_fails_and_is_not_hammered(clock: Clock) -> None:
    issuer = Issuer("a")
    issuer.down = True
    cache = cache_of(issuer, clock)

    for _ in range(10):
        with pytest.raises(KeysUnavailable):
            cache.key("a")
    assert issuer.key_fetches == 1

    issuer.down = False
    clock.now += INTERVAL
    assert cache.key("a") is not None


def test_the_jwks_url_comes_from_discovery_once(clock: Clock) -> None:
    issuer = Issuer("a")
    cache = cache_of(issuer, clock, jwks_url=None)
    cache.key("a")
    clock.now += TTL
    cache.key("a")

    assert issuer.requests == {discovery_url(ISSUER): 1, JWKS_URL: 2}


def test_a_discovery_document_of_another_issuer_is_refused(clock: Clock) -> None:
    issuer = Issuer("a")
    issuer.discovered_issuer = "https://evil.example.com"
    with pytest.raises(KeysUnavailable):
        cache_of(issuer, clock, jwks_url=None).key("a")
    assert issuer.key_fetches == 0


def test_symmetric_keys_in_the_set_are_never_used(clock: Clock) -> None:
    def fetch(url: str) -> Mapping[str, Any]:
        return {"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}, jwk("a")]}

    cache = JwksCache(ISSUER, JWKS_URL, fetch=fetch, clock=clock)
    assert cache.key("hmac") is None
    assert cache.key("a") is not None


def test_discovery_url_is_under_the_issuer() -> None:
    assert discovery_url("https://x.auth0.com/") == (
        "https://x.auth0.com/.well-known/openid-configuration"
    )


@pytest.mark.parametrize("url", ["http://keys.example.com/jwks.json", "file:///etc/passwd"])
def test_keys_are_never_fetched_over_plain_http_off_loopback(url: str) -> None:
    # Also what a discovery document's jwks_uri is held to.
    with pytest.raises(KeysUnavailable):
        fetch_json(url)
