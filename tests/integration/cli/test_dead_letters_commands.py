"""`sundial dead-letters list|redrive` against the real API."""

from __future__ import annotations

from cli_harness import Sundial

from sundial.store import claim_run, run_key
from sundial.store.deadletters import DeadLetter, record_dead_letter

FIRE_AT_MS = 1_790_000_000_000
HOOK = "https://example.com/hook"


def dead_letter(task_id: str, tenant: str, offset_ms: int = 0) -> str:
    """A run that failed for good on attempt 1, filed as a dead letter; its execution id."""
    key = run_key(task_id, FIRE_AT_MS + offset_ms)
    now = FIRE_AT_MS + offset_ms + 1_000
    claim_run(
        key.task_id,
        key.fire_key,
        execution_id=key.execution_id,
        fire_at_ms=FIRE_AT_MS + offset_ms,
        now_ms=now,
        lease_ms=30_000,
        tenant=tenant,
    )
    record_dead_letter(
        DeadLetter(
            tenant=tenant,
            task_id=task_id,
            fire_key=key.fire_key,
            execution_id=key.execution_id,
            fire_at_ms=FIRE_AT_MS + offset_ms,
            kind="scheduled",
            attempt=1,
            error=f"HTTP 404 from {HOOK}",
            reason="permanent",
            dead_lettered_at_ms=now + 500,
        )
    )
    return key.execution_id


def test_dead_letters_are_listed_newest_first_as_a_table_and_as_json(sundial: Sundial) -> None:
    task_id = sundial.json(f"tasks create -s @daily --target-url {HOOK}")["id"]
    older = dead_letter(task_id, "acme")
    newer = dead_letter(task_id, "acme", offset_ms=60_000)

    listed = sundial.json("dead-letters list")["dead_letters"]
    assert [d["execution_id"] for d in listed] == [newer, older]
    table = sundial("dead-letters list").stdout
    assert table.index(newer) < table.index(older)
    assert f"HTTP 404 from {HOOK}" in table

    paged = sundial.json("dead-letters list --limit 1 --all")["dead_letters"]
    assert [d["execution_id"] for d in paged] == [newer, older]


def test_redrive_runs_the_named_dead_letters_or_all_of_them(sundial: Sundial) -> None:
    task_id = sundial.json(f"tasks create -s @daily --target-url {HOOK}")["id"]
    first = dead_letter(task_id, "acme")
    dead_letter(task_id, "acme", offset_ms=60_000)

    assert sundial.json(f"dead-letters redrive {first}") == {"redriven": 1}
    everything = sundial("dead-letters redrive")
    assert everything.exit_code == 0 and everything.stdout.startswith("Redriven:")
