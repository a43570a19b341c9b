"""Shard leases: one sweep at a time works a shard of the due index.

Leases cut duplicate sends when sweeps overlap (a slow tick, a continuation, a retried
invocation); correctness never depends on them, because the dispatch commit is
conditional. A lease expires on its own, so a crashed sweep blocks its shards only
until `lease_until`.
"""

from __future__ import annotations

from sundial.store import writes
from sundial.store.models import SHARD_LEASE_PREFIX, ShardLeaseItem


def shard_lease_key(shard: int) -> str:
    return f"{SHARD_LEASE_PREFIX}{shard}"


def acquire_shard_lease(shard: int, owner: str, now_ms: int, duration_ms: int) -> bool:
    """Take the shard's lease until now + duration: True unless another live owner holds it."""
    item = ShardLeaseItem(shard_lease_key(shard), owner=owner, lease_until=now_ms + duration_ms)
    free = (
        ShardLeaseItem.task_id.does_not_exist()
        | (ShardLeaseItem.lease_until < now_ms)
        | (ShardLeaseItem.owner == owner)
    )
    try:
        writes.put(item, free)
    except writes.ConditionFailed:
        return False
    return True


def release_shard_lease(shard: int, owner: str) -> bool:
    """End our lease early so the next sweep need not wait for it; False if not ours."""
    try:
        writes.update(
            ShardLeaseItem,
            shard_lease_key(shard),
            None,
            [ShardLeaseItem.lease_until.set(0)],
            ShardLeaseItem.owner == owner,
        )
    except writes.ConditionFailed:
        return False
    return True
