"""The store's side of exclusions: the schedule state's flag follows the definition's
`exclude`, and calendars' reference counts follow the tasks naming them, in the tasks'
own transactions."""

from __future__ import annotations

import pytest

from sundial import store
from sundial.store import CalendarItem, UnknownCalendar
from sundial.store.models import calendar_partition


def references(name: str, tenant: str = "acme") -> int:
    item = CalendarItem.get(calendar_partition(tenant), name, consistent_read=True)
    return int(item.references or 0)


def flagged(task_id: str) -> bool:
    state = store.get_schedule_state(task_id)
    return store.has_exclusions(state)


def test_the_schedule_state_is_flagged_exactly_while_the_task_excludes_days(tables, make_task):
    plain = store.create_task(make_task())
    assert not flagged(plain.task_id)
    assert store.get_task("acme", plain.task_id).exclude is None  # absent, not []

    task = store.create_task(make_task(exclude=["2026-12-25"]))
    assert flagged(task.task_id)
    store.update_task("acme", task.task_id, {"exclude": None})
    assert not flagged(task.task_id)
    store.update_task("acme", task.task_id, {"exclude": ["2026-12-26"]})
    assert flagged(task.task_id)
    # A misfire change keeps the flag, and the policy reaches the schedule state.
    store.update_task("acme", task.task_id, {"misfire": {"policy": "skip", "grace_seconds": 5}})
    state = store.get_schedule_state(task.task_id)
    # (The task's definition is carried in its fires' messages: dates only, no secret.)
    assert state.misfire == {
        "policy": "skip",
        "grace_seconds": 5,
        "exclusions": True,
        "carried": True,
    }
    assert store.timing_of(state).misfire_policy == "skip"


def test_an_exclude_change_bumps_schedule_version(tables, make_task):
    task = store.create_task(make_task())
    updated = store.update_task("acme", task.task_id, {"exclude": ["2026-12-25"]})
    assert int(updated.schedule_version) == 2


def test_references_follow_create_update_and_delete(tables, make_task):
    store.put_calendar("acme", "a", "", ["2026-12-25"])
    store.put_calendar("acme", "b", "", [])
    task = store.create_task(make_task(exclude=["calendar:a", "calendar:a", "2026-01-01"]))
    assert (references("a"), references("b")) == (1, 0)
    store.update_task("acme", task.task_id, {"exclude": ["calendar:b"]})
    assert (references("a"), references("b")) == (0, 1)
    store.update_task("acme", task.task_id, {"description": "unrelated"})
    assert (references("a"), references("b")) == (0, 1)
    store.delete_task("acme", task.task_id)
    assert (references("a"), references("b")) == (0, 0)


def test_a_replaced_calendar_keeps_its_references(tables, make_task):
    store.put_calendar("acme", "a", "", ["2026-12-25"])
    store.create_task(make_task(exclude=["calendar:a"]))
    store.put_calendar("acme", "a", "new", ["2027-12-25"])
    assert references("a") == 1
    with pytest.raises(store.CalendarInUse):
        store.delete_calendar("acme", "a")


def test_naming_a_missing_calendar_writes_nothing(tables, make_task):
    store.put_calendar("acme", "a", "", [])
    item = make_task(name="n", exclude=["calendar:a", "calendar:missing"])
    with pytest.raises(UnknownCalendar) as caught:
        store.create_task(item)
    assert caught.value.name == "missing"
    assert references("a") == 0
    with pytest.raises(store.TaskNotFound):
        store.get_task("acme", item.task_id)
    assert store.find_task_by_name("acme", "n") is None


def test_another_tenants_calendar_of_the_same_name_is_not_referenced(tables, make_task):
    store.put_calendar("globex", "a", "", [])
    with pytest.raises(UnknownCalendar):
        store.create_task(make_task(exclude=["calendar:a"]))
    assert references("a", tenant="globex") == 0
