"""`sundial calendars ...` and `tasks create/update --exclude` against the real API over
HTTP: what the commands send is what the API stores, refusals exit 3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cli_harness import Sundial

HOOK = "https://example.com/hook"


def test_a_calendar_is_put_listed_shown_and_deleted(sundial: Sundial) -> None:
    put = sundial.json(
        "calendars put holidays --date 2026-12-25 --date 2026-12-31..2027-01-01"
        " --description 'public holidays'"
    )
    assert put["dates"] == ["2026-12-25", "2026-12-31..2027-01-01"]
    assert put["description"] == "public holidays"
    assert sundial.json("calendars get holidays") == put
    assert [c["name"] for c in sundial.json("calendars list")["calendars"]] == ["holidays"]

    shown = sundial("calendars get holidays")
    assert shown.exit_code == 0
    assert "2026-12-31..2027-01-01" in shown.stdout and "public holidays" in shown.stdout
    listed = sundial("calendars list")
    assert "holidays" in listed.stdout

    deleted = sundial("calendars delete holidays")
    assert deleted.exit_code == 0
    assert sundial.json("calendars list") == {"calendars": []}


def test_a_bad_date_is_refused_with_exit_3_naming_dates(sundial: Sundial) -> None:
    result = sundial("calendars put holidays --date 2026-02-30")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: validation_error (dates): ")


def test_deleting_a_calendar_in_use_exits_3_with_calendar_in_use(sundial: Sundial) -> None:
    sundial.json("calendars put holidays --date 2026-12-25")
    task = sundial.json(
        f"tasks create -s '0 0 9 * * *' --target-url {HOOK} --exclude calendar:holidays"
    )
    assert task["exclude"] == ["calendar:holidays"]
    refused = sundial("calendars delete holidays")
    assert refused.exit_code == 3
    assert refused.stderr.startswith("error: calendar_in_use")
    updated = sundial.json(f"tasks update {task['id']} --clear exclude")
    assert updated["exclude"] == []
    assert sundial("calendars delete holidays").exit_code == 0


def test_exclude_flags_make_the_tasks_exclusions_and_its_next_fires_skip_them(
    sundial: Sundial,
) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    task = sundial.json(
        f"tasks create -s '0 0 12 * * *' --target-url {HOOK} --exclude {tomorrow}"
        " --exclude 2030-01-01..2030-01-02"
    )
    assert task["exclude"] == [tomorrow, "2030-01-01..2030-01-02"]
    assert all(not t.startswith(tomorrow) for t in task["next_fire_times"])
    shown = sundial(f"tasks get {task['id']}")
    assert "excluded" in shown.stdout and tomorrow in shown.stdout

    replaced = sundial.json(f"tasks update {task['id']} --exclude 2031-01-01")
    assert replaced["exclude"] == ["2031-01-01"]


def test_an_unknown_calendar_is_refused_and_no_task_is_stored(sundial: Sundial) -> None:
    result = sundial(f"tasks create --name n -s @daily --target-url {HOOK} --exclude calendar:no")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: validation_error (exclude): ")
    assert sundial.json("tasks list")["tasks"] == []
