"""The sweep skips occurrences on excluded days, reads a calendar as it is when it plans,
and costs a task without exclusions exactly what it cost before (requests counted)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sundial import store
from sundial.core.clock import to_ms
from sundial.core.planning import execution_id
from sundial.store import CalendarItem

MIDNIGHT = "0 0 0 * * *"


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def calendar_calls(dynamo_calls):
    """The requests made through the calendars' client too (they live in the runs table)."""
    client = CalendarItem._get_connection().connection.client
    client.meta.events.register("after-call.dynamodb", dynamo_calls)
    yield dynamo_calls
    client.meta.events.unregister("after-call.dynamodb", dynamo_calls)


def sweep_at(dispatcher, clock, when: datetime):
    clock.now = when
    return dispatcher.sweep()


def test_the_sweep_skips_excluded_occurrences(seed, make_dispatcher, sqs, clock):
    store.put_calendar("acme", "off", "", ["2026-06-03"])
    task = seed(MIDNIGHT, exclude=["2026-06-02", "calendar:off"])
    dispatcher = make_dispatcher(use_leases=False)
    for day in range(1, 6):
        sweep_at(dispatcher, clock, at(day, 23, 59, 30))
    fired = [execution_id(task.task_id, at(day)) for day in (2, 3, 4, 5, 6)]
    assert sorted(set(sqs.execution_ids())) == sorted([fired[2], fired[3], fired[4]])


def test_a_calendar_change_applies_to_every_fire_planned_after_it(
    seed, make_dispatcher, sqs, clock
):
    store.put_calendar("acme", "off", "", [])
    task = seed(MIDNIGHT, exclude=["calendar:off"])
    dispatcher = make_dispatcher(use_leases=False)

    # The task is due at midnight on the 2nd, planned before the calendar named that day.
    store.put_calendar("acme", "off", "", ["2026-06-02"])
    sweep_at(dispatcher, clock, at(1, 23, 59, 30))
    assert sqs.execution_ids() == []
    # Committed past it, due on the 3rd: the calendar now names the 3rd instead.
    store.put_calendar("acme", "off", "", ["2026-06-03"])
    sweep_at(dispatcher, clock, at(2, 23, 59, 30))
    assert sqs.execution_ids() == []
    sweep_at(dispatcher, clock, at(3, 23, 59, 30))
    assert sqs.execution_ids() == [execution_id(task.task_id, at(4))]
    assert store.get_task("acme", task.task_id).due_at == to_ms(at(5))


def test_a_task_without_exclusions_plans_with_no_read_beyond_the_due_index(
    seed, make_dispatcher, clock, calendar_calls
):
    seed(MIDNIGHT)
    dispatcher = make_dispatcher(use_leases=False)
    calendar_calls.calls.clear()
    sweep_at(dispatcher, clock, at(1, 23, 59, 30))
    # Planning reads nothing beyond the due index; the one BatchGetItem reads the
    # definition its fires' messages carry (once per commit, instead of once per fire
    # in the executor).
    assert calendar_calls.calls == {"Query": 4, "UpdateItem": 1, "BatchGetItem": 1}


def test_a_task_excluding_days_reads_its_definition_and_each_calendar_once_a_sweep(
    seed, make_dispatcher, clock, calendar_calls
):
    store.put_calendar("acme", "off", "", ["2026-06-03"])
    seed(MIDNIGHT, exclude=["calendar:off"])
    seed(MIDNIGHT, exclude=["calendar:off", "2026-06-05"])
    seed(MIDNIGHT, exclude=["2026-06-05"])  # dates only: no calendar read
    dispatcher = make_dispatcher(use_leases=False)
    calendar_calls.calls.clear()
    sweep_at(dispatcher, clock, at(1, 23, 59, 30))
    # Per task that excludes days, one GetItem of its definition; one read of the
    # calendar for the whole sweep (shards share the cache; racing threads may each
    # read it once, never more).
    assert calendar_calls.calls["GetItem"] == 3
    assert 1 <= calendar_calls.calls["BatchGetItem"] <= 2
    assert calendar_calls.calls["UpdateItem"] == 3
