"""Pages of query results and the opaque tokens that resume them.

A token is `base64url(json(key)) "." base64url(hmac)`: the DynamoDB key to resume
after, signed together with the *scope* of the listing (e.g. the tenant). A token
is therefore useless outside the listing that issued it: another tenant's token,
an edited one or a made-up one fails the signature and is rejected, so clients
cannot steer a query to keys they are not entitled to.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sundial.settings import get_settings
from sundial.store.errors import InvalidPageToken

RawItem = dict[str, dict[str, Any]]

# Bytes of HMAC-SHA256 kept in a token: 128 bits make forgery hopeless and keep the
# token short enough for a query string.
TOKEN_MAC_BYTES = 16
# A token longer than this was not issued by us (our keys are well below 2 KB);
# refusing early bounds the work an attacker can make us do.
MAX_TOKEN_CHARS = 4096


def encode_token(key: RawItem, scope: str) -> str:
    """An opaque token resuming a listing of `scope` after `key` (a LastEvaluatedKey)."""
    body = json.dumps(key, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return f"{_b64(body)}.{_b64(_mac(scope, body))}"


def decode_token(token: str, scope: str) -> RawItem:
    """The key inside a token issued by `encode_token` for the same scope.

    Raises InvalidPageToken for anything else.
    """
    if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise InvalidPageToken()
    body_part, mac_part = token.split(".")
    try:
        body, mac = _unb64(body_part), _unb64(mac_part)
    except (binascii.Error, ValueError):
        raise InvalidPageToken() from None
    if not hmac.compare_digest(mac, _mac(scope, body)):
        raise InvalidPageToken()
    key = json.loads(body)
    if not isinstance(key, dict):  # cannot happen with a valid signature; keeps types honest
        raise InvalidPageToken()
    return key


def collect_page(
    pages: Iterable[dict[str, Any]],
    limit: int,
    key_names: Sequence[str],
    max_scanned: int | None = None,
) -> tuple[list[RawItem], RawItem | None]:
    """Up to `limit` items from raw Query pages, and the key to resume after (None: done).

    The query must ask for pages of `limit + 1` items: the extra item tells whether
    another page exists, so the last page never comes with a token that leads
    nowhere. With a filter, pages may hold few matches; reading stops after
    `max_scanned` evaluated items and returns the key reached, so one request never
    reads a whole partition.
    """
    items: list[RawItem] = []
    scanned = 0
    for page in pages:
        scanned += int(page.get("ScannedCount", 0))
        for raw in page.get("Items", []):
            if len(items) == limit:
                # More items exist: resume right after the last one returned.
                return items, {name: items[-1][name] for name in key_names}
            items.append(raw)
        last_key = page.get("LastEvaluatedKey")
        if last_key is None:
            return items, None
        if max_scanned is not None and scanned >= max_scanned and len(items) < limit:
            return items, dict(last_key)
    return items, None


def _mac(scope: str, body: bytes) -> bytes:
    secret = get_settings().pagination_secret.encode("utf-8")
    # The scope is length-prefixed so that no (scope, body) pair can imitate another.
    message = f"{len(scope)}:{scope}:".encode() + body
    return hmac.new(secret, message, hashlib.sha256).digest()[:TOKEN_MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
