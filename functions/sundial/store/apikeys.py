"""API keys: each belongs to a tenant and is stored hashed.

The keys table is keyed by the SHA-256 of the raw key, so the authorizer finds a key
with one GetItem and a leaked table reveals no usable key. The raw key exists only in
the output of `sundial keys create`. A key is revoked by stamping `revoked_at` (kept,
not deleted, so `keys list` shows who had access and until when).

`key_id` is the public handle of a key (the first hex digits of its hash): safe to
print, log and pass to `keys revoke`, useless for authenticating.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from sundial.core import clock
from sundial.settings import get_settings
from sundial.store import writes
from sundial.store.models import _ClientMeta

# Raw keys: a recognisable prefix (secret scanners and humans can tell what leaked)
# and 32 random bytes (256 bits, unguessable), URL-safe base64.
KEY_PREFIX = "sdl_"
KEY_RANDOM_BYTES = 32
# 12 hex digits = 48 bits of the hash: unique among any realistic number of keys, and
# revealing them tells nothing about a 256-bit secret.
KEY_ID_HEX_DIGITS = 12
# Tenants named by an operator (`keys create --tenant`): they appear in logs, metrics
# and the authorizer context, so keep them short and free of separators.
TENANT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Longer than any key we issue or the local stack configures; bounds hashing work on
# whatever a client sends.
MAX_KEY_CHARS = 512
# RFC 6750 token68 characters: anything else cannot be a bearer token.
KEY_PATTERN = re.compile(r"[A-Za-z0-9._~+/-]+=*")


class KeyNotFound(LookupError):
    """No key with this id."""


class KeyAlreadyRevoked(Exception):
    """The key was revoked before."""


# --- table binding -----------------------------------------------------------------------


@dataclass
class _Binding:
    table: str | None = None


_binding = _Binding()


class _KeysTableName:
    """`Meta.table_name`: the bound table, else KEYS_TABLE, read at use (see models.py)."""

    def __get__(self, instance: object, owner: type | None = None) -> str:
        name = _binding.table or get_settings().keys_table
        if not name:
            raise RuntimeError("no keys table: set KEYS_TABLE or call bind_keys_table()")
        return name


def bind_keys_table(
    table: str, *, region: str | None = None, endpoint_url: str | None = None
) -> None:
    """Point the keys model at `table` (CLI, local stack, tests); drops cached connections."""
    _binding.table = table
    ApiKeyItem.Meta.region = region if region is not None else get_settings().region
    ApiKeyItem.Meta.host = endpoint_url
    ApiKeyItem._connection = None


def unbind_keys_table() -> None:
    _binding.table = None
    ApiKeyItem.Meta.region = None
    ApiKeyItem.Meta.host = None
    ApiKeyItem._connection = None


class ApiKeyItem(Model):
    """One API key. Times in epoch ms."""

    class Meta(_ClientMeta):
        table_name = _KeysTableName()

    key_hash = UnicodeAttribute(hash_key=True)  # hex SHA-256 of the raw key
    key_id = UnicodeAttribute()
    tenant = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    created_at = NumberAttribute()
    revoked_at = NumberAttribute(null=True)
    # The API Gateway API key value that meters this tenant in the usage plan, when the
    # deployment throttles per tenant (the authorizer returns it as usageIdentifierKey).
    usage_key = UnicodeAttribute(null=True)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


# --- keys ----------------------------------------------------------------------------------


def generate_key() -> str:
    """A new raw API key."""
    return KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_BYTES)


def hash_key(raw_key: str) -> str:
    """What the table stores of a raw key."""
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def is_well_formed(raw_key: str) -> bool:
    """Whether `raw_key` could be a key at all (checked before spending a lookup on it)."""
    return 0 < len(raw_key) <= MAX_KEY_CHARS and KEY_PATTERN.fullmatch(raw_key) is not None


def check_tenant(tenant: str) -> str:
    if not TENANT_PATTERN.fullmatch(tenant):
        raise ValueError(
            f"tenant {tenant!r} must be 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return tenant


def create_key(
    tenant: str,
    *,
    description: str = "",
    usage_key: str | None = None,
    raw_key: str | None = None,
    replace: bool = False,
    now_ms: int | None = None,
) -> tuple[str, ApiKeyItem]:
    """Store a new key for `tenant`; returns the raw key (shown once) and its item.

    `raw_key` lets the local stack register fixed keys; by default one is generated.
    `replace` (fixed keys only) overwrites a stored key of the same value, whoever's it
    was: the local stack's configured keys win over those a restored state holds.
    """
    if replace and raw_key is None:
        raise ValueError("replace applies to a given raw_key only")
    check_tenant(tenant)
    raw = raw_key if raw_key is not None else generate_key()
    if not is_well_formed(raw):
        raise ValueError("an API key must be 1-512 characters of A-Z a-z 0-9 . _ ~ + / - =")
    digest = hash_key(raw)
    item = ApiKeyItem(
        digest,
        key_id=digest[:KEY_ID_HEX_DIGITS],
        tenant=tenant,
        description=description,
        created_at=clock.now_ms() if now_ms is None else now_ms,
        usage_key=usage_key,
    )
    # A collision of 256-bit random keys does not happen; the condition makes a reused
    # fixed key fail loudly instead of silently moving it to another tenant.
    writes.put(item, None if replace else ApiKeyItem.key_hash.does_not_exist())
    return raw, item


def find_key(raw_key: str) -> ApiKeyItem | None:
    """The key's item (revoked or not), or None when no such key was ever issued."""
    if not is_well_formed(raw_key):
        return None
    try:
        # Consistent: a revocation takes effect on the next lookup, not a second later.
        return ApiKeyItem.get(hash_key(raw_key), consistent_read=True)
    except ApiKeyItem.DoesNotExist:
        return None


def list_keys(tenant: str | None = None) -> list[ApiKeyItem]:
    """Every key (of `tenant`), oldest first. A scan: the table holds one item per key."""
    condition = ApiKeyItem.tenant == tenant if tenant is not None else None
    items = list(ApiKeyItem.scan(filter_condition=condition))
    return sorted(items, key=lambda item: (item.created_at, item.key_id))


def revoke_key(key_id: str, *, now_ms: int | None = None) -> ApiKeyItem:
    """Revoke the key with this id. Raises KeyNotFound, KeyAlreadyRevoked."""
    matches = [item for item in ApiKeyItem.scan(ApiKeyItem.key_id == key_id)]
    if not matches:
        raise KeyNotFound(key_id)
    item = matches[0]
    stamp = clock.now_ms() if now_ms is None else now_ms
    try:
        raw = writes.update(
            ApiKeyItem,
            item.key_hash,
            None,
            [ApiKeyItem.revoked_at.set(stamp)],
            ApiKeyItem.key_hash.exists() & ApiKeyItem.revoked_at.does_not_exist(),
        )
    except writes.ConditionFailed:
        raise KeyAlreadyRevoked(key_id) from None
    return ApiKeyItem.from_raw_data(raw)


def usage_key_of(tenant: str) -> str | None:
    """The usage-plan key already assigned to `tenant` (all its keys share one), if any."""
    for item in list_keys(tenant):
        if item.usage_key:
            return str(item.usage_key)
    return None
