"""How the CLI's tables show ids and times: short ids that stay distinct and never wrap,
one time format (local, or UTC marked Z), whatever the table."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pytest
from rich.console import Console
from sundial_cli import shortids
from sundial_cli.output import Display
from sundial_cli.render import dead_letters_table, run_line, runs_table, task_table, tasks_table
from sundial_cli.timefmt import show_time

TASK_ID = "01JD7X3V9Q2W8N4M6K5T1R0P9S"
TWIN_ID = "01JD7X3V9Q2W8N4M6K5T1R0P9T"  # shares its first 25 characters with TASK_ID
OTHER_ID = "01JE000000AAAAAAAAAAAAAAAA"
FIRE = "2026-12-04T15:01:15.123000+00:00"


@pytest.fixture
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local time zone is Asia/Tokyo (UTC+9, no DST)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def rendered(renderable: object, width: int = 80) -> str:
    out = io.StringIO()
    Console(file=out, width=width, highlight=False, color_system=None).print(renderable)
    return out.getvalue()


def task(task_id: str, name: str) -> dict[str, object]:
    return {
        "id": task_id,
        "name": name,
        "state": "active",
        "schedule": "0 30 2 * * *",
        "timezone": "Europe/Berlin",
        "next_fire_times": [FIRE],
        "last_run": {"status": "succeeded", "finished_at": FIRE},
        "created_at": FIRE,
        "updated_at": FIRE,
    }


def test_short_ids_are_eight_characters_when_that_keeps_them_apart() -> None:
    assert shortids.short_forms([TASK_ID, OTHER_ID]) == {
        TASK_ID: "01JD7X3V",
        OTHER_ID: "01JE0000",
    }


def test_short_ids_grow_until_no_two_look_alike() -> None:
    forms = shortids.short_forms([TASK_ID, TWIN_ID, OTHER_ID])
    assert len(set(forms.values())) == 3
    assert forms[TASK_ID] == TASK_ID and forms[TWIN_ID] == TWIN_ID
    assert len(forms[OTHER_ID]) == 26


def test_an_execution_id_is_shortened_in_its_ulids_and_keeps_its_fire_time() -> None:
    scheduled, manual = f"{TASK_ID}:1796396475123", f"{TASK_ID}:manual:{OTHER_ID}"
    assert shortids.shorten(scheduled, 8) == "01JD7X3V:1796396475123"
    assert shortids.shorten(manual, 8) == "01JD7X3V:manual:01JE0000"
    assert shortids.matches("01jd7x3v:manual:01JE0000", manual)
    assert not shortids.matches("01JD7X3V:1796396475124", scheduled)
    assert shortids.is_full_execution_id(scheduled) and shortids.is_full_execution_id(manual)
    assert not shortids.is_full_execution_id("01JD7X3V:1796396475123")


def test_ids_in_a_table_at_80_columns_are_never_split() -> None:
    tasks = [task(TASK_ID, "a-rather-long-task-name-" * 3), task(OTHER_ID, "short")]
    for wide in (False, True):
        lines = rendered(tasks_table(tasks, Display(wide=wide)), width=80).splitlines()
        assert max(len(line) for line in lines) <= 80
        for task_id in (TASK_ID, OTHER_ID):
            shown = task_id if wide else task_id[:8]
            assert sum(line.split()[0] == shown for line in lines if line.split()) == 1


def test_wide_shows_ids_in_full_and_the_default_shortens_them() -> None:
    tasks = [task(TASK_ID, "nightly")]
    assert TASK_ID not in rendered(tasks_table(tasks, Display()))
    assert "01JD7X3V " in rendered(tasks_table(tasks, Display()))
    assert TASK_ID in rendered(tasks_table(tasks, Display(wide=True)))
    # One task's page is where its id is copied from: always in full, on one line.
    assert TASK_ID in rendered(task_table(task(TASK_ID, "nightly"), Display()), width=40)


def test_a_time_is_shown_in_local_time_or_in_utc_marked_z(tokyo: None) -> None:
    assert show_time(FIRE) == "2026-12-05 00:01:15"
    assert show_time(FIRE, utc=True) == "2026-12-04 15:01:15Z"
    assert show_time("2026-12-04T16:01:15+01:00", utc=True) == "2026-12-04 15:01:15Z"
    assert show_time(None) is None and show_time("not a time") == "not a time"


def test_every_table_shows_times_in_the_one_format(tokyo: None) -> None:
    run = {"execution_id": f"{TASK_ID}:1796396475123", "fire_at": FIRE, "status": "succeeded"}
    letter = {**run, "task_id": TASK_ID, "dead_lettered_at": FIRE, "reason": "permanent"}
    renderables = [
        tasks_table([task(TASK_ID, "nightly")], Display()),
        task_table(task(TASK_ID, "nightly"), Display()),
        runs_table([run], Display()),
        run_line(run, Display()),
        dead_letters_table([letter], {TASK_ID: "nightly"}, Display()),
    ]
    for renderable in renderables:
        out = rendered(renderable, width=200)
        assert "2026-12-05 00:01:15" in out and "15:01:15" not in out
    utc = rendered(runs_table([run], Display(utc=True)), width=200)
    assert "2026-12-04 15:01:15Z" in utc


def test_dead_letters_show_the_task_name_and_the_reason() -> None:
    letter = {
        "execution_id": f"{TASK_ID}:1796396475123",
        "task_id": TASK_ID,
        "fire_at": FIRE,
        "attempt": 3,
        "reason": "attempts_exhausted",
        "error": "HTTP 503",
    }
    gone = {**letter, "task_id": OTHER_ID, "execution_id": f"{OTHER_ID}:1796396475123"}
    out = rendered(dead_letters_table([letter, gone], {TASK_ID: "nightly"}, Display()), 120)
    assert "REASON" in out and "attempts_exhausted (attempt 3)" in out and "HTTP 503" in out
    assert "nightly" in out
    assert "01JE0000" in out  # a task deleted since: its short id


def test_every_table_fits_80_columns_without_cutting_a_cell() -> None:
    manual = f"{TASK_ID}:manual:{OTHER_ID}"
    run = {"execution_id": manual, "fire_at": FIRE, "status": "succeeded", "attempt": 10}
    letter = {**run, "task_id": TASK_ID, "dead_lettered_at": FIRE, "reason": "event_too_old"}
    console = Console(width=80)
    for renderable in (
        tasks_table([task(TASK_ID, "nightly")], Display()),
        runs_table([run], Display()),
        dead_letters_table([letter], {}, Display()),
    ):
        # Narrower than its minimum, rich would crop the rows at the terminal's edge.
        assert console.measure(renderable).minimum <= 80


def test_a_task_shows_its_notifications_without_secrets_and_why_it_is_paused() -> None:
    shown = {
        **task(TASK_ID, "nightly"),
        "state": "paused",
        "pause_reason": "failures",
        "pause_after_failures": 3,
        "notifications": [
            {
                "on": ["run.failed", "task.paused"],
                "destination": {
                    "type": "http",
                    "url": "https://hooks.example.com/x",
                    "method": "POST",
                    "headers": {"Authorization": "***"},
                },
            },
            {"on": ["task.completed"], "destination": {"type": "eventbridge", "bus": "ops"}},
        ],
    }
    out = rendered(task_table(shown, Display()), width=200)
    assert "paused (after 3 consecutive failed runs)" in out
    assert "run.failed, task.paused -> http POST https://hooks.example.com/x" in out
    assert "task.completed -> eventbridge ops" in out
    assert "***" not in out
    by_user = rendered(task_table({**shown, "pause_reason": "user"}, Display()), width=200)
    assert "paused (by its user)" in by_user
