"""The sweep lease: one sweep at a time works the due index.

One item for the whole index, so a sweep pays one conditional write to take it and one
to give it back, whatever the shard count. It cuts duplicate sends when sweeps overlap
(a slow tick, a continuation, a retried invocation): the later sweep finds the lease
held and leaves every shard to the one working them. Correctness never depends on it,
because the dispatch commit is conditional. A lease expires on its own, so a crashed
sweep blocks the next ones only until `lease_until`.

Both writes accept the lease held by their own owner, so a write DynamoDB applied whose
response was lost passes again when the SDK re-sends it: it is never taken for another
sweep's lease.
"""

from __future__ import annotations

import contextlib

from sundial.store import writes
from sundial.store.models import SWEEP_LEASE_KEY, SweepLeaseItem


def acquire_sweep_lease(owner: str, now_ms: int, duration_ms: int) -> bool:
    """Take the lease until now + duration: True unless another live owner holds it."""
    until = now_ms + duration_ms
    item = SweepLeaseItem(SWEEP_LEASE_KEY, owner=owner, lease_until=until)
    free = (
        SweepLeaseItem.task_id.does_not_exist()
        | (SweepLeaseItem.lease_until < now_ms)
        | (SweepLeaseItem.owner == owner)
    )

    def mine(old: writes.RawItem | None) -> bool:
        # Taken by this very call, whose answer was lost (a retry of it passes `free`).
        lease = SweepLeaseItem.from_raw_data(old) if old is not None else None
        return lease is not None and lease.owner == owner and lease.lease_until == until

    try:
        writes.put(item, free, mine=mine)
    except writes.ConditionFailed:
        return False
    return True


def release_sweep_lease(owner: str) -> bool:
    """End our lease early so the next sweep need not wait for it; False if not ours."""
    try:
        writes.update(
            SweepLeaseItem,
            SWEEP_LEASE_KEY,
            None,
            [SweepLeaseItem.lease_until.set(0)],
            SweepLeaseItem.owner == owner,
        )
    except writes.ConditionFailed:
        return False
    return True


def break_sweep_lease() -> None:
    """End the lease whoever holds it. Only for a caller that knows its holder is gone:
    the local stack at start, whose previous process (the only other sweeper of its
    state) no longer runs, so its next sweep need not wait out a dead sweep's lease."""
    # A failed condition: no sweep ever ran, nothing to end.
    with contextlib.suppress(writes.ConditionFailed):
        writes.update(
            SweepLeaseItem,
            SWEEP_LEASE_KEY,
            None,
            [SweepLeaseItem.lease_until.set(0)],
            SweepLeaseItem.task_id.exists(),
        )
