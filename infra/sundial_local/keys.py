"""The API keys a local stack answers to, the same from one start to the next.

Without SUNDIAL_LOCAL_API_KEYS the stack makes one key for the `local` tenant. The keys
table stores only hashes, so with a state file the raw key is kept beside it (mode
0600, `<state file>.key`): the next start restores the table, finds the key file and
prints the same key, and the table gains no new key per start. Without a state file
nothing outlives the stack, so each start makes a fresh key.

Keys given in SUNDIAL_LOCAL_API_KEYS are the configuration: each is (re)registered for
the tenant it names, replacing what a restored state file holds under the same key.

The stack's own keys are exactly those a start prints: a key an earlier start made (one
configured then, or the generated `local` key) and this start does not print is revoked,
so a key dropped from SUNDIAL_LOCAL_API_KEYS, or given to another tenant there, no
longer opens its old tenant. Keys made through the API (`sundial keys create`) belong to
their tenants and are left alone.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sundial.store import apikeys

LOCAL_TENANT = "local"
KEY_FILE_SUFFIX = ".key"
# How the stack marks the keys it makes (the table's description field).
CONFIGURED_KEY = "SUNDIAL_LOCAL_API_KEYS"
GENERATED_KEY = "sundial local"


def key_file_for(state_file: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(state_file)}{KEY_FILE_SUFFIX}")


def ensure_local_keys(
    configured: dict[str, str], state_file: str | os.PathLike[str] | None
) -> dict[str, str]:
    """Register the stack's keys and return them ({raw key: tenant})."""
    keys = _configured(configured) if configured else _generated(state_file)
    _revoke_stack_keys_but(keys)
    return keys


def _configured(configured: dict[str, str]) -> dict[str, str]:
    for key, tenant in configured.items():
        apikeys.create_key(tenant, raw_key=key, description=CONFIGURED_KEY, replace=True)
    return dict(configured)


def _generated(state_file: str | os.PathLike[str] | None) -> dict[str, str]:
    key_file = key_file_for(state_file) if state_file else None
    kept = _read_key(key_file)
    if kept is not None:
        found = apikeys.find_key(kept)
        if found is not None and found.tenant == LOCAL_TENANT and not found.revoked:
            return {kept: LOCAL_TENANT}
    # No kept key, or the table no longer holds it (the state file was deleted or the
    # key revoked): make one, and keep it for the next start.
    key, _ = apikeys.create_key(LOCAL_TENANT, description=GENERATED_KEY)
    if key_file is not None:
        _write_key(key_file, key)
    return {key: LOCAL_TENANT}


def _revoke_stack_keys_but(keys: dict[str, str]) -> None:
    current = {apikeys.hash_key(key) for key in keys}
    for item in apikeys.list_keys():
        made_by_stack = item.description in (CONFIGURED_KEY, GENERATED_KEY)
        if made_by_stack and not item.revoked and item.key_hash not in current:
            with contextlib.suppress(apikeys.KeyAlreadyRevoked):
                apikeys.revoke_key(str(item.key_id))


def _read_key(key_file: Path | None) -> str | None:
    if key_file is None or not key_file.is_file():
        return None
    key = key_file.read_text(encoding="utf-8").strip()
    return key if apikeys.is_well_formed(key) else None


def _write_key(key_file: Path, key: str) -> None:
    # Created 0600 from the start: the key is a credential for the local API.
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(key + "\n")
