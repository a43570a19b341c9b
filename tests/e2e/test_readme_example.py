"""The README's worked example, as written there, on the local stack: the calendar import,
the task file applied with its secrets from the environment, excluded days left out of
the next fires, and a run that fails for good paging the on-call webhook, signed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from test_notifications_local import verified

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Worked example"
REPORT_SECRET, ONCALL_SECRET = "report-secret", "oncall-secret"


def readme_blocks() -> tuple[list[str], str]:
    """The worked example's shell lines (the `sundial` ones) and its task file."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)
    (task_file,) = [body for kind, body in blocks if kind == "yaml"]
    commands = [
        line.split("#")[0].strip().removeprefix(".venv/bin/")
        for kind, body in blocks
        if kind == "sh"
        for line in body.splitlines()
        if line.startswith(".venv/bin/sundial")
    ]
    return commands, task_file


def run(stack, command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SUNDIAL_URL": stack.base,
        "SUNDIAL_API_KEY": stack.client("alpha").key,
        "REPORT_SECRET": REPORT_SECRET,
        "ONCALL_SECRET": ONCALL_SECRET,
    }
    args = ["-m", "sundial_cli", *command.split()[1:]]
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60
    )


def holiday_calendar(day: date) -> str:
    """An iCalendar file with one all-day event, as calendar applications export them."""
    stamp = day.strftime("%Y%m%d")
    following = (day + timedelta(days=1)).strftime("%Y%m%d")
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//holidays//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:{uuid.uuid4()}\r\nDTSTAMP:{stamp}T000000Z\r\n"
        f"DTSTART;VALUE=DATE:{stamp}\r\nDTEND;VALUE=DATE:{following}\r\n"
        "SUMMARY:A public holiday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def test_the_readme_worked_example_skips_holidays_and_pages_on_a_final_failure(
    stack, receiver, wait_for, tmp_path
):
    commands, task_file = readme_blocks()
    assert [c.split()[:3] for c in commands] == [
        ["sundial", "calendars", "import"],
        ["sundial", "apply", "-f"],
        ["sundial", "apply", "-f"],
        ["sundial", "tasks", "get"],
    ]
    # The example's holiday file, with tomorrow (in Berlin) as its holiday, so the next
    # fires show it left out; its range is widened to take in tomorrow whatever the year.
    berlin = ZoneInfo("Europe/Berlin")
    tomorrow = datetime.now(berlin).date() + timedelta(days=1)
    (tmp_path / "holidays.ics").write_text(holiday_calendar(tomorrow), encoding="utf-8")
    calendar_import = re.sub(r"--from \S+", f"--from {tomorrow.year}-01-01", commands[0])
    calendar_import = re.sub(r"--to \S+", f"--to {tomorrow.year + 1}-12-31", calendar_import)
    # The task file, pointed at this machine: a report URL nothing answers (every attempt
    # fails) and the receiver as the on-call webhook; a fresh name per run.
    oncall = f"/oncall-{uuid.uuid4().hex}"
    name = f"nightly-report-{uuid.uuid4().hex[:8]}"
    body = task_file.replace("https://reports.example.com/nightly", "http://127.0.0.1:9/nightly")
    body = body.replace("https://oncall.example.com/hooks/sundial", receiver.url(oncall))
    body = body.replace("name: nightly-report", f"name: {name}")
    body = body.replace("retry: {max_attempts: 3}", "retry: {max_attempts: 1}")
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "nightly-report.yaml").write_text(body, encoding="utf-8")

    imported = run(stack, calendar_import, tmp_path)
    assert imported.returncode == 0, imported.stderr
    planned = run(stack, commands[1], tmp_path)
    assert planned.returncode == 2, planned.stderr  # a dry run that finds changes
    assert "create" in planned.stdout and name in planned.stdout
    assert REPORT_SECRET not in planned.stdout + planned.stderr
    applied = run(stack, commands[2], tmp_path)
    assert applied.returncode == 0, applied.stderr
    shown = run(stack, commands[3].replace("nightly-report", name) + " --json", tmp_path)
    assert shown.returncode == 0, shown.stderr
    task = json.loads(shown.stdout)

    assert task["exclude"][0] == "calendar:holidays"
    fire_days = {
        datetime.fromisoformat(t).astimezone(berlin).date() for t in task["next_fire_times"]
    }
    assert tomorrow not in fire_days
    assert tomorrow + timedelta(days=1) in fire_days
    assert ONCALL_SECRET not in shown.stdout and REPORT_SECRET not in shown.stdout

    # A run that fails for good pages the on-call webhook once, signed.
    assert run(stack, f"sundial tasks trigger {name}", tmp_path).returncode == 0
    (page,) = wait_for(lambda: receiver.at(oncall), 60)
    assert page.headers["X-Sundial-Event"] == "run.failed"
    assert verified(page, ONCALL_SECRET)
    event = json.loads(page.body)
    assert event["task"] == {"id": task["id"], "name": name}
    assert event["run"]["status"] == "failed" and event["run"]["execution_id"]
