"""Failures of commands that talk to the API, from a real server: one line on stderr,
nothing on stdout, and an exit code per kind of failure (3 refused, 4 unreachable)."""

from __future__ import annotations

import json

from cli_harness import Sundial, cli_runner
from sundial_cli import cli
from sundial_local.emulator import free_port


def test_a_refused_create_prints_the_envelope_as_one_line_and_exits_3(sundial: Sundial) -> None:
    result = sundial(
        "tasks create -s @daily --target-url https://x.example/ --retry-max-attempts 1000 --json"
    )
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("error: validation_error (retry.max_attempts): ")
    assert result.stderr.count("\n") == 1


def test_a_name_taken_is_a_conflict(sundial: Sundial) -> None:
    create = "tasks create --name once -s @daily --handler h"
    assert sundial(create).exit_code == 0
    taken = sundial(create)
    assert taken.exit_code == 3 and taken.stderr.startswith("error: name_conflict (name): ")


def test_a_missing_or_wrong_key_is_unauthorized(sundial: Sundial) -> None:
    missing = sundial("tasks list", tenant=None)
    assert missing.exit_code == 3
    assert missing.stderr.startswith("error: unauthorized")
    assert "SUNDIAL_API_KEY" in missing.stderr
    wrong = sundial("tasks list --key not-a-key-of-anyone")
    assert wrong.exit_code == 3 and wrong.stderr.startswith("error: unauthorized")


def test_another_tenants_task_is_not_found(sundial: Sundial) -> None:
    theirs = sundial.json("tasks create -s @daily --handler h", tenant="globex")["id"]
    for command in ("get", "pause", "trigger", "runs", "delete"):
        result = sundial(f"tasks {command} {theirs}")
        assert result.exit_code == 3, command
        assert result.stderr.startswith("error: not_found"), command


def test_an_api_that_does_not_answer_exits_4(served_api: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1"
    result = cli_runner().invoke(cli, ["--url", closed, "--key", "k", "tasks", "list", "--json"])
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: cannot reach the Sundial API at {closed}")


def test_every_command_prints_only_json_with_json(sundial: Sundial) -> None:
    task_id = sundial.json("tasks create -s @daily --handler h")["id"]
    for command in (
        "tasks list",
        f"tasks get {task_id}",
        f"tasks runs {task_id}",
        f"tasks pause {task_id}",
        f"tasks resume {task_id}",
        f"tasks trigger {task_id}",
        "dead-letters list",
        "dead-letters redrive",
        f"tasks delete {task_id}",
    ):
        result = sundial(command, "--json")
        assert result.exit_code == 0, (command, result.output)
        json.loads(result.stdout)
        assert result.stderr == "", command
