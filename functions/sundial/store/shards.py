"""Which partition of the due index a task lives in."""

from __future__ import annotations

import hashlib

# 8 bytes of SHA-256 give a uniform 64-bit integer; the modulo bias over <= 256
# shards is below 2**-56, far under any measurable skew.
_HASH_BYTES = 8


def shard_for(task_id: str, shard_count: int) -> int:
    """The due-index shard (0..shard_count-1) of a task: stable across processes and releases.

    Python's `hash()` is salted per process, so a cryptographic digest is used instead:
    every dispatcher and API instance must agree on the shard of a task.
    """
    if shard_count < 1:
        raise ValueError(f"shard_count must be at least 1, got {shard_count}")
    digest = hashlib.sha256(task_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:_HASH_BYTES], "big") % shard_count
