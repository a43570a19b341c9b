"""Tasks stored by the previous release (one item: definition, due keys, counters) keep
firing after an upgrade: the sweep that meets one migrates it and dispatches it."""

from __future__ import annotations

from datetime import timedelta

from sundial import store
from sundial.core.clock import to_ms
from sundial.core.planning import execution_id, first_due_at
from sundial.settings import get_settings
from sundial.store import TaskItem


def test_a_task_stored_in_the_one_item_layout_keeps_firing_after_an_upgrade(
    make_task, make_dispatcher, sqs, clock
):
    dispatcher = make_dispatcher(use_leases=False)
    task = make_task(schedule="*/10 * * * * *")
    task.version = task.schedule_version = 1
    task.created_at = task.updated_at = to_ms(clock.utc_now() - timedelta(days=1))
    due = first_due_at(store.timing_of(task), clock.utc_now())
    raw = task.serialize()
    raw["due_at"] = {"N": str(to_ms(due))}
    raw["due_shard"] = {"N": str(store.shard_for(task.task_id, get_settings().shard_count))}
    raw["fires_dispatched"] = {"N": "41"}
    TaskItem._get_connection().connection.client.put_item(
        TableName=TaskItem.Meta.table_name, Item=raw
    )

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
