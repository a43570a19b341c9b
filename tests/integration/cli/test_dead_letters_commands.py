"""`sundial dead-letters list|redrive` against the real API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cli_harness import Sundial

FIRE_AT_MS = 1_790_000_000_000
HOOK = "https://example.com/hook"


def test_dead_letters_are_listed_newest_first_as_a_table_and_as_json(
    sundial: Sundial, dead_letter: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the rows say, not how they wrap: a terminal wide enough to keep each on one line.
    monkeypatch.setenv("COLUMNS", "250")
    task_id = sundial.json(f"tasks create -s @daily --target-url {HOOK}")["id"]
    older = dead_letter(task_id, "acme")
    newer = dead_letter(task_id, "acme", offset_ms=60_000)

    listed = sundial.json("dead-letters list")["dead_letters"]
    assert [d["execution_id"] for d in listed] == [newer, older]
    table = sundial("dead-letters list --wide").stdout
    assert table.index(newer) < table.index(older)
    assert f"HTTP 404 from {HOOK}" in table

    paged = sundial.json("dead-letters list --limit 1 --all")["dead_letters"]
    assert [d["execution_id"] for d in paged] == [newer, older]


def test_redrive_runs_the_named_dead_letters_or_all_of_them(
    sundial: Sundial, dead_letter: Callable[..., str]
) -> None:
    task_id = sundial.json(f"tasks create -s @daily --target-url {HOOK}")["id"]
    first = dead_letter(task_id, "acme")
    dead_letter(task_id, "acme", offset_ms=60_000)

    assert sundial.json(f"dead-letters redrive {first}") == {"redriven": 1}
    everything = sundial("dead-letters redrive")
    assert everything.exit_code == 0 and everything.stdout.startswith("Redriven:")
