"""`sundial import-crontab --dry-run`: every task validated offline by the API's own model.

Sockets are disabled in unit tests, so these also prove that a dry run sends nothing.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from cli_runner import cli_runner
from sundial_cli import cli

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample.crontab"
SAMPLE_ARG = shlex.quote(str(SAMPLE))


def dry_run(flags: str, input: str | None = None):
    """`sundial import-crontab <flags> --dry-run`; `-` in flags reads `input`."""
    args = ["import-crontab", *shlex.split(flags), "--dry-run"]
    return cli_runner().invoke(cli, args, input=input, catch_exceptions=False)


def by_line(report: dict) -> dict[int, dict]:
    return {line["line"]: line for line in report["lines"]}


def test_dry_run_reports_every_line_of_the_sample_with_its_outcome() -> None:
    result = dry_run(f"{SAMPLE_ARG} --target-url https://runner.example.com/run --json")
    report = json.loads(result.stdout)
    lines = by_line(report)
    assert {n: line["status"] for n, line in lines.items()} == {
        2: "applied",
        3: "skipped",
        6: "would_create",
        7: "would_create",
        8: "would_create",
        9: "skipped",
        11: "applied",
        12: "would_create",
        13: "would_create",
        14: "failed",
        15: "failed",
        16: "skipped",
    }
    assert report["counts"] == {"applied": 2, "skipped": 3, "would_create": 5, "failed": 2}
    assert report["dry_run"] is True and report["ignored"] == 4
    assert lines[14]["error"]["code"] == "invalid_schedule"
    assert lines[16]["reason"] == "the same job as line 13"
    assert "boot" in lines[9]["reason"]
    # Failed lines make the exit code 3, after the whole file was reported.
    assert result.exit_code == 3
    assert result.stderr == "error: 2 line(s) could not be imported (see above)\n"


def test_dry_run_shows_the_task_each_job_line_becomes() -> None:
    result = dry_run(f"{SAMPLE_ARG} --handler run_command --tag team:ops --json")
    task = by_line(json.loads(result.stdout))[12]["task"]
    assert task == {
        "name": task["name"],
        "schedule": "0 9 * * MON",
        "timezone": "Europe/Berlin",
        "description": f"crontab line 12: {SAMPLE.read_text().splitlines()[11]}",
        "target": {"type": "handler", "name": "run_command"},
        "payload": {
            "command": 'mail -s "weekly" team@example.com',
            "line": 12,
            "stdin": "Hello team,\nsee you at 10.\n",
            "env": {"SHELL": "/bin/bash"},
        },
        "jitter_seconds": 0,
        "tags": {"source": "crontab", "team": "ops"},
    }
    assert task["name"].startswith("sample-mail-")


def test_the_summary_table_names_each_skip_and_failure_with_its_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What the rows say, not how they wrap: a terminal wide enough to keep each on one line.
    monkeypatch.setenv("COLUMNS", "250")
    result = dry_run(SAMPLE_ARG)
    out = result.stdout
    assert "would create" in out and "sample-sync-inbox-" in out
    assert "Sundial sends no mail" in out
    assert "@reboot runs when a machine boots" in out
    assert "invalid_schedule (schedule)" in out
    assert "5 would create, 2 applied, 3 skipped, 2 failed; 4 comment and blank lines" in out


def test_a_crontab_can_come_from_stdin_and_a_clean_one_exits_0() -> None:
    result = dry_run("- --tz Europe/Paris --json", input="0 6 * * * /bin/wake\n")
    assert result.exit_code == 0
    (line,) = json.loads(result.stdout)["lines"]
    assert line["task"]["timezone"] == "Europe/Paris"
    assert line["name"].startswith("crontab-wake-")


def test_an_invalid_target_fails_each_job_in_the_dry_run_as_the_api_would() -> None:
    result = dry_run("- --target-url ftp://nope --json", input="0 6 * * * /bin/wake\n")
    (line,) = json.loads(result.stdout)["lines"]
    assert line["status"] == "failed" and line["error"]["code"] == "invalid_target"
    assert line["error"]["field"] == "target.url"


def test_a_system_crontab_needs_the_system_flag_to_read_the_user_column() -> None:
    system = "SHELL=/bin/sh\n17 * * * * root cd / && run-parts /etc/cron.hourly\n"
    as_user = json.loads(dry_run("- --json", input=system).stdout)["lines"][1]
    assert as_user["command"].startswith("root ") and "--system" in as_user["warning"]
    as_system = json.loads(dry_run("- --system --json", input=system).stdout)["lines"][1]
    assert as_system["task"]["payload"]["user"] == "root"
    assert as_system["command"] == "cd / && run-parts /etc/cron.hourly"


def test_importing_for_real_needs_a_target_and_the_two_target_flags_exclude_each_other() -> None:
    runner = cli_runner()
    missing = runner.invoke(cli, ["import-crontab", str(SAMPLE)])
    assert missing.exit_code == 2 and "--target-url" in missing.stderr
    both = runner.invoke(
        cli, ["import-crontab", str(SAMPLE), "--handler", "h", "--target-url", "https://x/"]
    )
    assert both.exit_code == 2


def test_a_bad_default_timezone_or_a_missing_file_is_a_usage_error() -> None:
    assert dry_run(f"{SAMPLE_ARG} --tz Nowhere/City").exit_code == 2
    assert dry_run("/no/such/crontab").exit_code == 2
