"""Tasks stored before schedule-state items existed: one item carrying the definition,
the due-index keys, the counters and the overlap marker.

Such a task is given its schedule state the first time anything meets it: the
dispatcher (its definition is in the due index) or an API write. One conditional
transaction creates the schedule state from the old item and removes the per-fire
attributes from the definition, so the task is never in the due index twice, nor out of
it while a fire is pending, and it fires on as before.
"""

from __future__ import annotations

from typing import Any

from sundial.store import writes
from sundial.store.keys import is_task_key
from sundial.store.models import ScheduleItem, TaskItem, schedule_key
from sundial.store.pagination import RawItem

# Per-fire attributes an old definition carries, moved to the schedule state as they are.
MOVED_ATTRIBUTES = (
    "due_shard", "due_at", "last_fire_at", "fires_dispatched",
    "running_execution", "running_until", "waiting_execution", "waiting_until",
    "waiting_receipt",
)  # fmt: skip
# Definition attributes the schedule state mirrors under the same name.
MIRRORED_ATTRIBUTES = (
    "state", "version", "schedule_version", "schedule", "timezone", "start_at", "end_at",
    "jitter_seconds", "misfire", "created_at",
)  # fmt: skip


def migrate_legacy_task(task_id: str) -> ScheduleItem | None:
    """Give an old-layout task its schedule state; the state written, or None when there
    was nothing to do (no such task, already migrated, or changed while we looked: the
    caller re-reads and meets the outcome of whoever changed it)."""
    if not is_task_key(task_id):
        return None
    old = _read_raw(task_id)
    if old is None or "tenant" not in old:
        return None
    state = ScheduleItem.from_raw_data(_schedule_state_from(old))
    unchanged = TaskItem.version == int(old["version"]["N"])
    unchanged &= (
        (_legacy("due_at") == int(old["due_at"]["N"]))
        if "due_at" in old
        else _legacy("due_at").does_not_exist()
    )
    removed = [_legacy(name).remove() for name in MOVED_ATTRIBUTES]
    try:
        writes.transact(
            TaskItem,
            [
                writes.op_put(state, ScheduleItem.key.does_not_exist()),
                writes.op_update(TaskItem, task_id, None, removed, unchanged),
            ],
        )
    except writes.ConditionFailed:
        return None
    return state


def _schedule_state_from(old: RawItem) -> RawItem:
    """The schedule-state item of an old-layout task item (raw attribute values)."""
    state: RawItem = {
        "task_id": {"S": schedule_key(old["task_id"]["S"])},
        "task_tenant": old["tenant"],
    }
    for name in (*MIRRORED_ATTRIBUTES, *MOVED_ATTRIBUTES):
        if name in old:
            state[name] = old[name]
    state.setdefault("fires_dispatched", {"N": "0"})
    return state


def _read_raw(task_id: str) -> RawItem | None:
    # Raw, consistent: the old attributes are no longer in the definition's model.
    client = TaskItem._get_connection().connection.client
    response = client.get_item(
        TableName=TaskItem.Meta.table_name, Key={"task_id": {"S": task_id}}, ConsistentRead=True
    )
    item: RawItem | None = response.get("Item")
    return item


def _legacy(name: str) -> Any:
    # An attribute of the old layout, for expressions on the definition: the schedule
    # state declares it under the same name and type.
    return getattr(ScheduleItem, name)
