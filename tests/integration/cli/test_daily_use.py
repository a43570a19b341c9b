"""The CLI for daily use, against the real API: tasks named by name or short id, runs
filtered by status and followed as they finish, dead letters with their task's name."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from cli_harness import Sundial
from sundial_cli import follow

from sundial import store
from sundial.store import claim_run, record_retry, record_success, run_key

FIRE_AT_MS = 1_790_000_000_000
HOOK = "https://example.com/hook"


def create(sundial: Sundial, name: str | None = None) -> dict[str, Any]:
    named = f"--name {name} " if name else ""
    return sundial.json(f"tasks create {named}-s @daily --target-url {HOOK}")


def a_run(task_id: str, minute: int, status: str) -> str:
    """A run of the task, `minute` minutes after FIRE_AT_MS, left `status`; its id."""
    fire_at = FIRE_AT_MS + minute * 60_000
    key = run_key(task_id, fire_at)
    run = claim_run(
        task_id,
        key.fire_key,
        execution_id=key.execution_id,
        fire_at_ms=fire_at,
        now_ms=fire_at,
        lease_ms=30_000,
        tenant="acme",
    )
    finish(task_id, fire_at, status, run.attempt, run.claim_token)
    return key.execution_id


def finish(task_id: str, fire_at: int, status: str, attempt: int, token: str | None) -> None:
    fire_key = run_key(task_id, fire_at).fire_key
    if status == "succeeded":
        record_success(task_id, fire_key, attempt, claim_token=token, finished_at_ms=fire_at + 5)
    elif status == "retrying":
        record_retry(
            task_id,
            fire_key,
            attempt,
            claim_token=token,
            next_attempt_at_ms=fire_at + 1_000,
            error="HTTP 503",
            now_ms=fire_at + 5,
        )


# --- naming a task ---------------------------------------------------------------------


def test_every_task_command_takes_the_tasks_name(sundial: Sundial) -> None:
    task = create(sundial, "hello")
    assert sundial.json("tasks get hello")["id"] == task["id"]
    assert sundial.json("tasks pause hello")["state"] == "paused"
    assert sundial.json("tasks resume hello")["state"] == "active"
    assert sundial.json("tasks update hello --description hi")["description"] == "hi"
    assert sundial.json("tasks trigger hello")["execution_id"].startswith(task["id"])
    assert sundial.json("tasks runs hello")["runs"] == []
    backfill = "tasks backfill hello --start 2026-01-01T00:00:00Z --end 2026-01-01T12:00:00Z"
    assert sundial.json(backfill)["fires"] == 1
    assert sundial.json("tasks delete hello") == {"id": task["id"], "deleted": True}


def test_a_task_is_found_by_its_full_id_or_a_unique_start_of_it(sundial: Sundial) -> None:
    task = create(sundial, "by-id")
    create(sundial, "other")
    assert sundial.json(f"tasks get {task['id']}")["name"] == "by-id"
    shown = sundial("tasks list").stdout
    short = next(line.split()[0] for line in shown.splitlines() if "by-id" in line)
    assert len(short) >= 8 and task["id"].startswith(short)
    assert sundial.json(f"tasks get {short}")["name"] == "by-id"
    assert sundial.json(f"tasks get {short.lower()}")["name"] == "by-id"
    assert sundial.json(f"tasks get {task['id'].lower()}")["name"] == "by-id"


def test_a_start_shared_by_several_ids_is_refused_naming_them(
    sundial: Sundial, make_task: Callable[..., Any]
) -> None:
    twins = ["01JD7X3V9Q2W8N4M6K5T1R0P9S", "01JD7X3V9Q2W8N4M6K5T1R0P9T"]
    for twin in twins:
        store.create_task(make_task(task_id=twin), due_at=None)
    result = sundial("tasks get 01JD7X3V9Q")
    assert result.exit_code == 2
    assert all(twin in result.stderr for twin in twins)
    assert sundial.json(f"tasks get {twins[0]}")["id"] == twins[0]


def test_a_name_that_matches_nothing_is_the_apis_not_found(sundial: Sundial) -> None:
    create(sundial, "present")
    result = sundial("tasks get absent")
    assert result.exit_code == 3
    assert result.stderr == "error: not_found: task absent not found\n"
    unknown_id = "01JD7X3V9Q2W8N4M6K5T1R0P9S"
    from_api = sundial(f"tasks get {unknown_id}")
    assert (from_api.exit_code, from_api.stderr) == (
        3,
        f"error: not_found: task {unknown_id} not found\n",
    )


def test_names_are_looked_up_within_the_callers_tenant(sundial: Sundial) -> None:
    create(sundial, "private")
    assert sundial("tasks get private", tenant="globex").exit_code == 3


# --- runs ------------------------------------------------------------------------------


def test_runs_status_shows_only_runs_in_that_status(sundial: Sundial) -> None:
    task_id = create(sundial, "mixed")["id"]
    done = a_run(task_id, 0, "succeeded")
    again = a_run(task_id, 1, "retrying")
    retrying = sundial.json("tasks runs mixed --status retrying")["runs"]
    assert [r["execution_id"] for r in retrying] == [again]
    table = sundial("tasks runs mixed --status succeeded --wide").stdout
    assert done in table and again not in table


def test_follow_prints_runs_as_they_finish_and_stops_cleanly(
    sundial: Sundial, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = create(sundial, "tailed")["id"]
    before = a_run(task_id, 0, "succeeded")
    pending: list[Callable[[], object]] = [
        lambda: a_run(task_id, 1, "running"),
        lambda: a_run(task_id, 2, "succeeded"),
    ]
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # each poll finds what happened "meanwhile"
        waits.append(seconds)
        if pending:
            pending.pop(0)()
        else:
            raise KeyboardInterrupt  # Ctrl-C

    monkeypatch.setattr(follow.POLLER, "sleep", sleep)
    result = sundial("tasks runs tailed --follow --wide")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert sum(before in line for line in lines) == 1  # in the table, not printed again
    finished = [line for line in lines if f"{task_id}:{FIRE_AT_MS + 120_000}" in line]
    assert len(finished) == 1 and "succeeded" in finished[0]
    assert not any(f"{task_id}:{FIRE_AT_MS + 60_000}" in line for line in lines)  # running
    assert waits == [follow.INTERVAL_SECONDS] * 3


def test_follow_is_for_people_and_refuses_json(sundial: Sundial) -> None:
    create(sundial, "quiet")
    assert sundial("tasks runs quiet --follow --json").exit_code == 2


# --- dead letters ------------------------------------------------------------------------


def test_dead_letters_show_the_task_name_and_the_reason_and_redrive_short_ids(
    sundial: Sundial, dead_letter: Callable[..., str]
) -> None:
    task_id = create(sundial, "billing-export")["id"]
    execution_id = dead_letter(task_id, "acme")
    table = sundial("dead-letters list").stdout
    row = next(line for line in table.splitlines() if "billing-export" in line)
    assert "permanent" in row and execution_id not in table
    short = row.split()[0]
    assert re.fullmatch(rf"{task_id[:8]}[0-9A-Z]*:\d+", short)
    assert sundial.json(f"dead-letters redrive {short}") == {"redriven": 1}
