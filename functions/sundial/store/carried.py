"""Definitions carried in scheduled fires' messages, on the store's side: which stored
definitions may be carried (`core.task.carried`'s allowlist applied to an item), the
flag that tells the dispatcher so, the dispatcher's read of them, and the TaskItem an
executor rebuilds from a carried copy.

The flag (`CARRIED_FLAG` in the schedule state's planning map, which the due index
projects) is written by the API with every definition that may be carried, so the
dispatcher reads definitions only for those tasks: a task whose definition is not
carried costs what it did. The flag is a hint, never trusted for safety: the
dispatcher applies the allowlist again to the definition it reads, and the executor
uses a carried copy only when its version is the current one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sundial.core.task.carried import CARRIED_FIELDS, VERSION_KEY, carried_definition
from sundial.store.keys import is_task_key
from sundial.store.models import ScheduleItem, TaskItem
from sundial.store.task_mapping import CARRIED_FLAG

# BatchGetItem reads at most 100 items per call.
_BATCH_GET_MAX_KEYS = 100


def carried_of(item: TaskItem) -> dict[str, Any] | None:
    """What a fire message may carry of this stored definition, or None."""
    stored = {name: getattr(item, name) for name in CARRIED_FIELDS}
    if stored["timeout_seconds"] is not None:
        stored["timeout_seconds"] = int(stored["timeout_seconds"])
    if stored["pause_after_failures"] is not None:
        stored["pause_after_failures"] = int(stored["pause_after_failures"])
    stored[VERSION_KEY] = int(item.version)
    return carried_definition(stored, notifications=item.notifications, exclude=item.exclude)


def may_carry(fields: Mapping[str, Any]) -> bool:
    """Whether a definition with these stored values (`CARRIED_FIELDS`, `notifications`,
    `exclude`) may be carried: what the API writes as the flag."""
    stored = {name: fields.get(name) for name in CARRIED_FIELDS}
    stored[VERSION_KEY] = 0  # any version: the flag does not depend on it
    return (
        carried_definition(
            stored, notifications=fields.get("notifications"), exclude=fields.get("exclude")
        )
        is not None
    )


def is_flagged(item: ScheduleItem) -> bool:
    """Whether the schedule state (as the due index projects it) says the definition
    may be carried."""
    return bool((item.misfire or {}).get(CARRIED_FLAG))


def read_carried(task_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The carried copies of these tasks' definitions, by task id: eventually consistent
    BatchGetItems, 100 tasks each (an older copy is harmless: its version will not match,
    and the executor reads the definition). A task that is gone, or whose definition may
    not be carried (the flag was a moment behind), is left out."""
    keys = sorted({t for t in task_ids if is_task_key(t)})
    carried: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), _BATCH_GET_MAX_KEYS):
        for item in TaskItem.batch_get(keys[start : start + _BATCH_GET_MAX_KEYS]):
            copy = carried_of(item)
            if copy is not None:
                carried[item.task_id] = copy
    return carried


def definition_from_carried(
    task_id: str, tenant: str, carried: Mapping[str, Any], state: ScheduleItem
) -> TaskItem | None:
    """The definition a carried copy stands for, when its version is the one the
    schedule state (read consistently) names; None otherwise (a write since the fire
    was sent, or a copy this executor cannot use): the definition is then read."""
    version = carried.get(VERSION_KEY)
    if not isinstance(version, int) or isinstance(version, bool) or version != int(state.version):
        return None
    target, retry = carried.get("target"), carried.get("retry", {})
    timeout, overlap = carried.get("timeout_seconds"), carried.get("overlap")
    pause_after = carried.get("pause_after_failures")
    if (
        not isinstance(target, dict)
        or not isinstance(retry, dict)
        or not _is_int(timeout)
        or not isinstance(overlap, str)
        or not (pause_after is None or _is_int(pause_after))
    ):
        return None
    # state and schedule_version mirror the definition's at the same version.
    return TaskItem(
        task_id,
        tenant=tenant,
        target=target,
        payload=carried.get("payload"),
        retry=retry,
        timeout_seconds=timeout,
        overlap=overlap,
        pause_after_failures=pause_after,
        state=state.state,
        version=version,
        schedule_version=int(state.schedule_version),
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
