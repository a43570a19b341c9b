"""A fire planned before a calendar came to exclude its day is dropped before it runs;
tasks whose exclude names no calendar cost the executor no extra read."""

from __future__ import annotations

from collections import Counter

import pytest
from execute_helpers import failures, fire, has_run, manual

from sundial import store
from sundial.store import CalendarItem

# FIRE_AT (every test's fire time) is on 2026-05-28 in UTC, the tasks' zone.
FIRE_DAY = "2026-05-28"


@pytest.fixture
def calendar_reads(tables):
    """BatchGetItem/GetItem requests of the calendars' client, counted."""
    calls: Counter[str] = Counter()

    def count(event_name, **_):
        calls[event_name.rsplit(".", 1)[-1]] += 1

    client = CalendarItem._get_connection().connection.client
    client.meta.events.register("after-call.dynamodb", count)
    yield calls
    client.meta.events.unregister("after-call.dynamodb", count)


def test_a_fire_whose_day_a_calendar_excluded_after_it_was_planned_is_dropped(
    probe, probe_task, work, deliver
):
    store.put_calendar("acme", "off", "", [])
    task = probe_task(exclude=["calendar:off"])
    message = fire(task)
    work.send(message)
    store.put_calendar("acme", "off", "", [FIRE_DAY])  # after the fire was sent

    response = deliver(*work.receive(expected=1))

    assert failures(response) == []
    assert probe.calls == []
    assert not has_run(message)


def test_a_fire_on_a_day_its_calendars_do_not_exclude_runs(probe, probe_task, work, deliver):
    store.put_calendar("acme", "off", "", ["2026-05-29"])
    task = probe_task(exclude=["calendar:off"])
    message = fire(task)
    work.send(message)

    deliver(*work.receive(expected=1))

    assert len(probe.calls) == 1
    assert has_run(message)


def test_a_manual_trigger_on_an_excluded_day_still_runs(probe, probe_task, work, deliver):
    store.put_calendar("acme", "off", "", [FIRE_DAY])
    task = probe_task(exclude=["calendar:off"])
    work.send(manual(task, "01JDMANUAL0000000000000001"))

    deliver(*work.receive(expected=1))

    assert len(probe.calls) == 1


def test_tasks_naming_no_calendar_cost_the_executor_no_calendar_read(
    probe, probe_task, work, deliver, calendar_reads
):
    plain = probe_task()
    dates_only = probe_task(exclude=["2026-05-29"])
    work.send(fire(plain))
    work.send(fire(dates_only))

    deliver(*work.receive(expected=2))

    assert len(probe.calls) == 2
    assert calendar_reads["BatchGetItem"] == calendar_reads["GetItem"] == 0


def test_a_batch_reads_each_calendar_once(probe, probe_task, work, deliver, calendar_reads):
    store.put_calendar("acme", "off", "", ["2026-05-29"])
    first, second = probe_task(exclude=["calendar:off"]), probe_task(exclude=["calendar:off"])
    work.send(fire(first))
    work.send(fire(second))
    calendar_reads.clear()

    deliver(*work.receive(expected=2))

    assert len(probe.calls) == 2
    assert calendar_reads["BatchGetItem"] == 1
