"""Tasks stored by the previous release (one item: definition, due keys, counters) keep
firing after an upgrade: the sweep that meets one migrates it and dispatches it."""

from __future__ import annotations

from datetime import datetime, timedelta

import boto3
import pytest
from sundial_local.template import create_tables

from sundial import store
from sundial.core.clock import to_ms
from sundial.core.planning import execution_id, first_due_at
from sundial.settings import get_settings, reset_settings
from sundial.store import ScheduleItem, TaskItem, bind_tables
from sundial.store.models import DUE_INDEX, LEGACY_DUE_INDEX

REGION = "us-east-1"


def store_in_the_one_item_layout(task: TaskItem, now: datetime) -> datetime:
    """Write `task` as the previous release did: one item with the due keys; its due time."""
    task.version = task.schedule_version = 1
    task.created_at = task.updated_at = to_ms(now - timedelta(days=1))
    due = first_due_at(store.timing_of(task), now)
    raw = task.serialize()
    raw["due_at"] = {"N": str(to_ms(due))}
    raw["due_shard"] = {"N": str(store.shard_for(task.task_id, get_settings().shard_count))}
    raw["fires_dispatched"] = {"N": "41"}
    TaskItem._get_connection().connection.client.put_item(
        TableName=TaskItem.Meta.table_name, Item=raw
    )
    return due


def test_a_task_stored_in_the_one_item_layout_keeps_firing_after_an_upgrade(
    make_task, make_dispatcher, sqs, clock
):
    dispatcher = make_dispatcher(use_leases=False)
    task = make_task(schedule="*/10 * * * * *")
    due = store_in_the_one_item_layout(task, clock.utc_now())

    report = dispatcher.sweep()

    assert report.tasks_committed == 1 and report.commit_conflicts == 0
    assert execution_id(task.task_id, due) in sqs.execution_ids()
    stored = store.get_task_any_tenant(task.task_id)
    assert int(stored.due_at) > to_ms(due)
    assert int(stored.fires_dispatched) == 41 + report.fires_emitted
    # The next sweep finds it once, as a schedule state, and carries on.
    clock.advance(seconds=60)
    again = dispatcher.sweep()
    assert again.tasks_committed == 1 and again.items_read == 1


@pytest.fixture
def upgrading_tables(tables, monkeypatch):
    """The tasks table as the upgrade's first deploy leaves it: both due indexes (the old
    one ALL-projected), and the dispatcher told to sweep the old one."""
    names = create_tables(
        boto3.client("dynamodb", region_name=REGION),
        names={logical_id: f"{name}-upgrading" for logical_id, name in tables.items()},
        parameters={"LegacyDueIndex": "true"},
    )
    bind_tables(names["TasksTable"], names["RunsTable"], region=REGION)
    monkeypatch.setenv("DUE_INDEX", LEGACY_DUE_INDEX)
    reset_settings()
    yield names
    reset_settings()


def test_an_upgrade_sweeps_the_old_index_then_the_new_one_and_every_fire_goes_out_once(
    upgrading_tables, make_task, make_dispatcher, sqs, clock, monkeypatch
):
    indexes = boto3.client("dynamodb", region_name=REGION).describe_table(
        TableName=upgrading_tables["TasksTable"]
    )["Table"]["GlobalSecondaryIndexes"]
    assert {i["IndexName"] for i in indexes} == {DUE_INDEX, LEGACY_DUE_INDEX, "by_tenant"}
    queried: list[str] = []  # the index of every Query, as sent
    ScheduleItem._get_connection().connection.client.meta.events.register(
        "provide-client-params.dynamodb.Query",
        lambda params, **_: queried.append(params.get("IndexName")),
    )
    dispatcher = make_dispatcher(use_leases=False)
    old = make_task(schedule="*/10 * * * * *")
    due = store_in_the_one_item_layout(old, clock.utc_now())
    new = store.create_task(make_task(schedule="*/10 * * * * *"), due_at=to_ms(due))

    first = dispatcher.sweep()  # first deploy: the old index, new and migrated tasks alike

    assert first.tasks_committed == 2
    assert set(queried) == {LEGACY_DUE_INDEX}  # the new index may still be building
    queried.clear()
    sent = sqs.execution_ids()
    assert {execution_id(old.task_id, due), execution_id(new.task_id, due)} <= set(sent)

    # Second deploy: the old index is gone from the template; sweeps use schedule_due.
    monkeypatch.setenv("DUE_INDEX", DUE_INDEX)
    reset_settings()
    clock.advance(seconds=60)
    second = dispatcher.sweep()

    assert second.tasks_committed == 2 and second.items_read == 2
    assert set(queried) == {DUE_INDEX}
    ids = sqs.execution_ids()
    assert len(ids) == len(set(ids)), "a fire was sent twice across the switch"
