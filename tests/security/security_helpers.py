"""Helpers shared by the security tests."""

from __future__ import annotations

from sundial.store import claim_run, run_key
from sundial.store.deadletters import DeadLetter, record_dead_letter

FIRE_AT_MS = 1_790_000_000_000


def dead_letter(task_id: str, tenant: str) -> str:
    key = run_key(task_id, FIRE_AT_MS)
    claim_run(
        key.task_id,
        key.fire_key,
        execution_id=key.execution_id,
        fire_at_ms=FIRE_AT_MS,
        now_ms=FIRE_AT_MS + 1000,
        lease_ms=30_000,
        tenant=tenant,
    )
    record_dead_letter(
        DeadLetter(
            tenant=tenant,
            task_id=task_id,
            fire_key=key.fire_key,
            execution_id=key.execution_id,
            fire_at_ms=FIRE_AT_MS,
            kind="scheduled",
            attempt=1,
            error="HTTP 404",
            reason="permanent",
            dead_lettered_at_ms=FIRE_AT_MS + 1500,
        )
    )
    return key.execution_id
