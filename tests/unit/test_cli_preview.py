"""`sundial preview`: offline (sockets are disabled here), and the same answer as POST /preview."""

from __future__ import annotations

import json
import shlex

import pytest
from cli_runner import cli_runner
from sundial_cli import cli, main

AFTER = "2026-01-01T00:00:00Z"


def run(command: str):
    """`sundial <command>`, split as a shell would split it."""
    return cli_runner().invoke(cli, shlex.split(command), catch_exceptions=False)


def test_json_is_the_preview_route_body_with_fire_times_strictly_after_after() -> None:
    result = run(f"preview '*/15 * * * *' --timezone UTC --after {AFTER} --count 3 --json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "fire_times": [
            "2026-01-01T00:15:00+00:00",
            "2026-01-01T00:30:00+00:00",
            "2026-01-01T00:45:00+00:00",
        ],
        "description": "Every 15 minutes",
    }
    assert result.stderr == ""


def test_fire_times_carry_the_offset_of_the_schedules_zone() -> None:
    result = run(f"preview '0 30 2 * * *' --tz Europe/Berlin --after {AFTER} -n 1 --json")
    assert json.loads(result.stdout)["fire_times"] == ["2026-01-01T02:30:00+01:00"]


def test_an_after_without_offset_is_wall_time_in_the_timezone() -> None:
    result = run("preview @hourly --tz Asia/Tokyo --after 2026-01-01T09:00:00 -n 1 --json")
    assert json.loads(result.stdout)["fire_times"] == ["2026-01-01T10:00:00+09:00"]


def test_the_table_shows_the_schedule_in_words_and_each_time_in_the_zone_and_utc() -> None:
    result = run(f"preview '0 9 * * MON-FRI' --tz America/New_York --after {AFTER} -n 2")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "09:00" in lines[0] and "America/New_York" in lines[0]
    assert "2026-01-01 09:00:00-05:00" in result.stdout
    assert "2026-01-01 14:00:00+00:00" in result.stdout  # the UTC column
    assert "2026-01-02 09:00:00-05:00" in result.stdout


def test_a_schedule_that_never_fires_exits_3_with_the_api_error_on_one_line() -> None:
    result = run("preview '0 0 30 2 *' --json")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("error: invalid_schedule (schedule): ")
    assert result.stderr.count("\n") == 1


def test_an_unknown_timezone_is_invalid_timezone() -> None:
    result = run("preview @daily --tz Mars/Olympus_Mons")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: invalid_timezone (timezone): ")


@pytest.mark.parametrize(
    "command",
    [
        "preview",  # no schedule
        "preview @daily --count 0",
        "preview @daily --count 101",
        "preview @daily --after 'next tuesday'",
        "preview @daily --no-such-flag",
    ],
)
def test_usage_errors_exit_2(command: str) -> None:
    assert run(command).exit_code == 2


def test_the_console_script_returns_the_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "@hourly", "--after", AFTER, "--count", "2", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["fire_times"]) == 2
    assert main(["preview", "not a schedule"]) == 3
    assert main(["preview"]) == 2
    assert main(["--help"]) == 0
