"""`sundial calendars import`: the days of an iCalendar file's all-day events over a
range, recurring ones expanded; the calendar PUT is what the file says."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cli_runner import cli_runner
from sundial_cli import cli
from sundial_client import Client

pytest.importorskip("icalendar")

from sundial_cli.ics import IcsError, ics_days

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//holidays//EN
BEGIN:VEVENT
UID:xmas
SUMMARY:Christmas Day
DTSTART;VALUE=DATE:20201225
DTEND;VALUE=DATE:20201226
RRULE:FREQ=YEARLY
END:VEVENT
BEGIN:VEVENT
UID:break
SUMMARY:Winter break
DTSTART;VALUE=DATE:20261228
DTEND;VALUE=DATE:20270102
END:VEVENT
BEGIN:VEVENT
UID:fridays
SUMMARY:Maintenance Friday
DTSTART;VALUE=DATE:20261204
RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=4
EXDATE;VALUE=DATE:20261211
END:VEVENT
BEGIN:VEVENT
UID:meeting
SUMMARY:A meeting, not a day off
DTSTART:20261215T100000Z
DTEND:20261215T110000Z
END:VEVENT
BEGIN:VEVENT
UID:cancelled
SUMMARY:Called off
STATUS:CANCELLED
DTSTART;VALUE=DATE:20261216
END:VEVENT
END:VCALENDAR
"""


def test_all_day_events_become_dates_and_ranges_with_recurrences_expanded():
    days = ics_days(ICS, date(2026, 12, 1), date(2027, 12, 31))
    assert days.entries == [
        "2026-12-04",
        "2026-12-18",  # the 11th is an EXDATE
        "2026-12-25",  # a Friday: both the yearly and the weekly event name it
        "2026-12-28..2027-01-01",  # DTEND is exclusive
        "2027-12-25",
    ]
    assert (days.timed_events, days.cancelled_events) == (1, 1)


def test_events_are_clipped_to_the_range():
    days = ics_days(ICS, date(2026, 12, 30), date(2026, 12, 31))
    assert days.entries == ["2026-12-30..2026-12-31"]


def test_a_file_that_is_not_icalendar_is_refused():
    with pytest.raises(IcsError):
        ics_days("not a calendar", date(2026, 1, 1), date(2026, 12, 31))


def test_import_puts_the_calendar_of_the_files_days(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sent: list[dict[str, Any]] = []

    def call(self: Client, method: str, path: str, **kwargs: Any) -> Any:
        sent.append({"method": method, "path": path, **kwargs})
        body = kwargs["body"]
        return {
            "name": "holidays",
            "description": body.get("description", ""),
            "dates": body["dates"],
            "updated_at": "2026-12-01T00:00:00+00:00",
        }

    monkeypatch.setattr(Client, "_call", call)
    path = tmp_path / "holidays.ics"
    path.write_text(ICS)
    result = cli_runner().invoke(
        cli,
        [
            "--json",
            "calendars",
            "import",
            "holidays",
            str(path),
            "--from",
            "2027-01-01",
            "--to",
            "2027-12-31",
            "--description",
            "from ics",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    (request,) = sent
    assert (request["method"], request["path"]) == ("PUT", "/calendars/holidays")
    assert request["body"] == {"dates": ["2027-01-01", "2027-12-25"], "description": "from ics"}
    assert json.loads(result.stdout)["dates"] == ["2027-01-01", "2027-12-25"]


def test_an_empty_range_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "holidays.ics"
    path.write_text(ICS)
    result = cli_runner().invoke(
        cli, ["calendars", "import", "h", str(path), "--from", "2027-01-02", "--to", "2027-01-01"]
    )
    assert result.exit_code == 2
    assert "--to" in result.output
