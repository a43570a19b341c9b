"""The `sundial` CLI as a user runs it (`python -m sundial_cli`, a separate process) against
`sundial local`: tasks created with it fire, imported crontab jobs reach their target."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import uuid
from typing import Any


def sundial(stack, command: str, input: str | None = None) -> subprocess.CompletedProcess:
    key = stack.client("alpha").key
    env = {**os.environ, "SUNDIAL_URL": stack.base, "SUNDIAL_API_KEY": key}
    return subprocess.run(
        [sys.executable, "-m", "sundial_cli", *shlex.split(command)],
        input=input,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def sundial_json(stack, command: str, input: str | None = None) -> Any:
    done = sundial(stack, f"{command} --json", input=input)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_task_created_with_the_cli_fires_and_its_runs_are_listed(stack, receiver, wait_for):
    path = f"/cli-{uuid.uuid4().hex}"
    task = sundial_json(
        stack,
        f"tasks create -s '*/2 * * * * *' --target-url {receiver.url(path)} --payload '{{}}'",
    )
    wait_for(lambda: receiver.at(path), 30)

    def succeeded() -> list[dict]:
        runs = sundial_json(stack, f"tasks runs {task['id']}")["runs"]
        return [r for r in runs if r["status"] == "succeeded"]

    wait_for(succeeded, 30)
    table = sundial(stack, f"tasks runs {task['id']}")
    assert table.returncode == 0 and "succeeded" in table.stdout

    assert sundial_json(stack, f"tasks pause {task['id']}")["state"] == "paused"
    listed = sundial(stack, "tasks list --state paused --wide")
    assert task["id"] in listed.stdout
    assert sundial(stack, f"tasks delete {task['id']}").returncode == 0


def test_an_imported_crontab_job_delivers_its_command_to_the_target(stack, receiver, wait_for):
    path = f"/crontab-{uuid.uuid4().hex}"
    crontab = f"MAILTO=root\n@reboot /bin/boot\n0 3 * * * /usr/bin/backup --all # {path}\n"
    report = sundial_json(
        stack,
        f"import-crontab - --target-url {receiver.url(path)} --name-prefix e2e",
        input=crontab,
    )
    assert report["counts"] == {"skipped": 2, "created": 1}
    (job,) = [line for line in report["lines"] if line["status"] == "created"]

    assert sundial(stack, f"tasks trigger {job['task_id']}").returncode == 0
    (hit,) = wait_for(lambda: receiver.at(path), 30)
    assert json.loads(hit.body) == {"command": f"/usr/bin/backup --all # {path}", "line": 3}


def test_an_error_from_the_running_stack_is_one_line_and_exit_code_3(stack):
    done = sundial(stack, "tasks get 01NOSUCHTASK0000000000000")
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.startswith("error: not_found") and done.stderr.count("\n") == 1


def test_task_files_applied_to_the_local_stack_round_trip_through_export(stack, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    (tmp_path / "nightly.yaml").write_text(
        f"name: nightly-{suffix}\n"
        'schedule: "0 30 2 * * *"\n'
        "timezone: Europe/Berlin\n"
        "target: {type: handler, name: echo}\n"
        "retry: {max_attempts: 5}\n"
    )
    (tmp_path / "more.yml").write_text(
        f"- name: hourly-{suffix}\n  schedule: '@hourly'\n  target: {{type: handler, name: echo}}\n"
    )
    assert sundial(stack, f"apply --dry-run -f {tmp_path}").returncode == 2
    assert sundial(stack, f"apply -f {tmp_path}").returncode == 0
    assert sundial(stack, f"apply --dry-run -f {tmp_path}").returncode == 0  # nothing to do
    nightly = tmp_path / "nightly.yaml"
    nightly.write_text(nightly.read_text().replace("max_attempts: 5", "max_attempts: 6"))
    dry_run = sundial(stack, f"apply --dry-run --json -f {tmp_path}")
    assert dry_run.returncode == 2  # changes pending
    plan = json.loads(dry_run.stdout)["plan"]
    changed = [step for step in plan if step["action"] != "unchanged"]
    assert [(s["name"], s["changes"]) for s in changed] == [
        (f"nightly-{suffix}", [{"field": "retry.max_attempts", "before": "5", "after": "6"}])
    ]
    assert sundial(stack, f"apply -f {tmp_path}").returncode == 0
    exported = sundial(stack, "export")
    assert exported.returncode == 0 and f"name: hourly-{suffix}" in exported.stdout
    again = sundial(stack, "apply --dry-run -f -", input=exported.stdout)
    assert again.returncode == 0, again.stdout + again.stderr
