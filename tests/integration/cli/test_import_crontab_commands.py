"""`sundial import-crontab` against the real API: one task per job line, nothing twice."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from cli_harness import Sundial

SAMPLE = shlex.quote(str(Path(__file__).resolve().parents[2] / "data" / "sample.crontab"))
RUNNER = "https://runner.example.com/run"


def import_sample(sundial: Sundial, flags: str) -> tuple[int, dict]:
    result = sundial(f"import-crontab {SAMPLE} {flags} --json")
    return result.exit_code, json.loads(result.stdout)


def test_each_job_line_becomes_a_task_that_carries_its_command(sundial: Sundial) -> None:
    code, report = import_sample(sundial, f"--target-url {RUNNER} --tag team:ops")
    assert code == 3  # two lines of the sample are refused; the others were imported
    assert report["counts"] == {"applied": 2, "skipped": 3, "created": 5, "failed": 2}
    created = {line["line"]: line for line in report["lines"] if line["status"] == "created"}
    assert sorted(created) == [6, 7, 8, 12, 13]

    tasks = {t["id"]: t for t in sundial.json("tasks list --all")["tasks"]}
    assert set(tasks) == {line["task_id"] for line in created.values()}
    weekly = tasks[created[12]["task_id"]]
    assert (weekly["schedule"], weekly["timezone"]) == ("0 9 * * MON", "Europe/Berlin")
    assert weekly["target"]["url"] == RUNNER
    assert weekly["payload"] == {
        "command": 'mail -s "weekly" team@example.com',
        "line": 12,
        "stdin": "Hello team,\nsee you at 10.\n",
        "env": {"SHELL": "/bin/bash"},
    }
    assert weekly["tags"] == {"source": "crontab", "team": "ops"}
    assert weekly["next_fire_times"][0].endswith(("09:00:00+01:00", "09:00:00+02:00"))
    hourly = tasks[created[8]["task_id"]]
    assert hourly["schedule"] == "@hourly" and hourly["timezone"] == "UTC"

    failed = {line["line"]: line for line in report["lines"] if line["status"] == "failed"}
    assert failed[14]["error"]["code"] == "invalid_schedule"


def test_importing_the_same_crontab_again_creates_nothing_twice(sundial: Sundial) -> None:
    import_sample(sundial, "--handler run_command")
    _, again = import_sample(sundial, "--handler run_command")
    assert again["counts"].get("created", 0) == 0
    assert again["counts"]["exists"] == 5
    assert len(sundial.json("tasks list --all")["tasks"]) == 5


def test_a_dry_run_against_a_server_creates_nothing(sundial: Sundial) -> None:
    _, report = import_sample(sundial, "--handler run_command --dry-run")
    assert report["counts"]["would_create"] == 5
    assert sundial.json("tasks list")["tasks"] == []


def test_the_summary_table_lists_created_tasks_and_reasons(
    sundial: Sundial, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the rows say, not how they wrap: a terminal wide enough to keep each on one line.
    monkeypatch.setenv("COLUMNS", "250")
    result = sundial(f"import-crontab {SAMPLE} --handler run_command")
    assert result.exit_code == 3
    assert "created" in result.stdout and "sample-nightly.sh-" in result.stdout
    assert "@reboot runs when a machine boots" in result.stdout
    assert "the same job as line 13" in result.stdout
    assert "5 created, 2 applied, 3 skipped, 2 failed" in result.stdout
    assert result.stderr == "error: 2 line(s) could not be imported (see above)\n"


def test_a_key_the_api_refuses_stops_the_import_at_the_first_job(sundial: Sundial) -> None:
    result = sundial(f"import-crontab {SAMPLE} --handler h --key wrong-key-00 --json")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: unauthorized")
    report = json.loads(result.stdout)
    assert "created" not in report["counts"]
    assert max(line["line"] for line in report["lines"]) < 6  # nothing after the first job
