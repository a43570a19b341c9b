"""Task operations: each one conditional write (or one transaction) with its guarantee.

Reads and writes are scoped by tenant: another tenant's task is reported exactly
like a missing one (TaskNotFound). The due-index keys are maintained here: a task
carries `due_at` and `due_shard` together while a fire is pending, and neither
otherwise, so paused and completed tasks cost nothing to sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from sundial.core import clock
from sundial.core.vocabulary import TaskState
from sundial.settings import get_settings
from sundial.store import writes
from sundial.store.errors import NameConflict, TaskAlreadyExists, TaskNotFound, VersionMismatch
from sundial.store.keys import is_task_key, name_claim_key
from sundial.store.models import NameClaimItem, TaskItem
from sundial.store.pagination import RawItem, collect_page, decode_token, encode_token
from sundial.store.shards import shard_for
from sundial.store.task_mapping import changed_attributes

# What a caller may change with update_task; the rest is bookkeeping owned by the store.
MUTABLE_FIELDS = frozenset(
    {
        "name", "schedule", "timezone", "start_at", "end_at", "description", "target",
        "payload", "retry", "timeout_seconds", "overlap", "misfire", "jitter_seconds",
        "tags", "state", "due_at", "last_fire_at",
    }
)  # fmt: skip
# Changing any of these changes which fires are due: schedule_version is bumped, and
# executors drop messages emitted under the old one.
TIMING_FIELDS = frozenset({"schedule", "timezone", "start_at", "end_at", "jitter_seconds"})
# A read-modify-write without If-Match re-reads and re-applies when a concurrent write
# got in between; a few rounds absorb any realistic burst of edits to one task.
MAX_UPDATE_ROUNDS = 3
# A filtered listing reads at most this many index items per request (then hands
# back a token), so a filter matching nothing never reads a whole tenant at once.
MAX_SCANNED_PER_LIST = 1000
_TENANT_INDEX_KEYS = ("task_id", "tenant")
_DUE_INDEX_KEYS = ("task_id", "due_shard", "due_at")


# --- create / read -------------------------------------------------------------------------


def create_task(item: TaskItem, *, now_ms: int | None = None) -> TaskItem:
    """Store a new task; its name, if any, is claimed in the same transaction.

    Sets the bookkeeping on `item` (version 1, schedule_version 1, created_at,
    updated_at, due_shard when due_at is set) and returns it.
    Raises NameConflict when the tenant already has a task of that name.
    """
    if not is_task_key(item.task_id):
        raise ValueError(f"{item.task_id!r} cannot be a task id")
    stamp = clock.now_ms() if now_ms is None else now_ms
    item.version = 1
    item.schedule_version = 1
    item.created_at = stamp
    item.updated_at = stamp
    item.timing_since = stamp
    item.due_shard = None if item.due_at is None else _shard(item.task_id)
    is_new = TaskItem.task_id.does_not_exist()
    try:
        if item.name is None:
            writes.put(item, is_new)
        else:
            claim = NameClaimItem(name_claim_key(item.tenant, item.name), claimed_by=item.task_id)
            writes.transact(
                TaskItem,
                [writes.op_put(item, is_new), writes.op_put(claim, _unclaimed())],
            )
    except writes.ConditionFailed as exc:
        if 0 in exc.failed:
            raise TaskAlreadyExists(item.task_id) from None
        raise NameConflict(str(item.name)) from None
    return item


def get_task(tenant: str, task_id: str, consistent: bool = True) -> TaskItem:
    """The tenant's task; TaskNotFound when absent or owned by another tenant."""
    item = _read(task_id, consistent)
    if item is None or item.tenant != tenant:
        raise TaskNotFound(task_id)
    return item


def get_task_any_tenant(task_id: str, consistent: bool = True) -> TaskItem:
    """A task whoever owns it: for the dispatcher and executor, never for API callers."""
    item = _read(task_id, consistent)
    if item is None:
        raise TaskNotFound(task_id)
    return item


def list_tasks(
    tenant: str,
    limit: int = 50,
    next_token: str | None = None,
    state: TaskState | None = None,
    tag: tuple[str, str] | None = None,
) -> tuple[list[TaskItem], str | None]:
    """One page of the tenant's tasks in id (= creation) order, and the token of the next.

    `tag` is a (key, value) pair the task's tags must contain. A page may hold fewer
    than `limit` tasks while a token is returned (filters); a None token means done.
    Raises InvalidPageToken for a token this listing did not issue.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    scope = f"tasks:{tenant}"
    start = decode_token(next_token, scope) if next_token else None
    condition: Condition | None = None
    if state is not None:
        condition = TaskItem.state == state
    if tag is not None:
        has_tag = TaskItem.tags[tag[0]] == tag[1]
        condition = has_tag if condition is None else condition & has_tag
    query = TaskItem.by_tenant.query(
        tenant, filter_condition=condition, page_size=limit + 1, last_evaluated_key=start
    )
    raw_items, last_key = collect_page(
        query.page_iter,
        limit,
        _TENANT_INDEX_KEYS,
        max_scanned=MAX_SCANNED_PER_LIST if condition is not None else None,
    )
    token = encode_token(last_key, scope) if last_key is not None else None
    return [TaskItem.from_raw_data(raw) for raw in raw_items], token


# --- update / delete -------------------------------------------------------------------------


# Derives the changes to write from the task as read (see `edit_task`).
TaskEdit = Callable[[TaskItem], Mapping[str, Any]]


def update_task(
    tenant: str,
    task_id: str,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    *,
    now_ms: int | None = None,
) -> TaskItem:
    """Apply `changes` (attribute -> value; None removes) as one new version of the task.

    `edit_task` with changes that do not depend on what is read; see there.
    """
    _check_mutable(changes)
    task, _ = edit_task(tenant, task_id, lambda _: changes, expected_version, now_ms=now_ms)
    return task


def edit_task(
    tenant: str,
    task_id: str,
    edit: TaskEdit,
    expected_version: int | None = None,
    *,
    now_ms: int | None = None,
) -> tuple[TaskItem, bool]:
    """Read the task, write the changes `edit` derives from it as one new version; return
    the task as it now is and whether anything was written.

    Optimistic concurrency: the write is conditioned on the version read, and on
    `expected_version` when given (If-Match). A write that loses a race to a concurrent
    one re-reads: with `expected_version` that reports VersionMismatch; without, `edit`
    is applied again to the newer version, so nothing written in between is lost.
    Bumps `version`, sets `updated_at`, bumps `schedule_version` when a timing field
    really changes or the task leaves the paused state. Setting `due_at` also sets
    `due_shard`; `due_at=None` removes both, so the task leaves the due index. A new
    name is claimed and the old one released in the same transaction. Changes equal to
    the stored values are ignored; with none left nothing is written.

    Raises TaskNotFound, VersionMismatch (stale `expected_version`), NameConflict, and
    whatever `edit` raises (nothing is written then).
    """
    stamp = clock.now_ms() if now_ms is None else now_ms
    for _ in range(MAX_UPDATE_ROUNDS):
        current = get_task(tenant, task_id)
        if expected_version is not None and current.version != expected_version:
            raise VersionMismatch(task_id, expected_version, int(current.version))
        changes = edit(current)
        _check_mutable(changes)
        effective = changed_attributes(current, changes)
        if not effective:
            return current, False
        try:
            return _write_update(current, effective, stamp), True
        except _Raced:
            continue  # re-read: reports TaskNotFound / VersionMismatch, or re-applies
    raise VersionMismatch(task_id, expected_version, None)


def delete_task(tenant: str, task_id: str, expected_version: int | None = None) -> TaskItem:
    """Delete the tenant's task and release its name, atomically; returns what was deleted.

    Run history is left to expire. Raises TaskNotFound, VersionMismatch.
    """
    for _ in range(MAX_UPDATE_ROUNDS):
        current = get_task(tenant, task_id)
        if expected_version is not None and current.version != expected_version:
            raise VersionMismatch(task_id, expected_version, int(current.version))
        # Conditioned on the version read, so a concurrent rename cannot leave a claim behind.
        unchanged = _unchanged(current)
        requests = [writes.op_delete(TaskItem, task_id, None, unchanged)]
        if current.name is not None:
            requests.append(_release_name(current))
        try:
            if len(requests) > 1:
                writes.transact(TaskItem, requests)
            else:
                writes.delete(TaskItem, task_id, None, unchanged)
            return current
        except writes.ConditionFailed as exc:
            if 0 not in exc.failed:
                raise _claim_corrupted(current) from None
    raise VersionMismatch(task_id, expected_version, None)


# --- the due index -------------------------------------------------------------------------


def query_due(
    shard: int, until_ms: int, limit: int, start_key: RawItem | None = None
) -> tuple[list[TaskItem], RawItem | None]:
    """One page of shard `shard` of the due index, oldest `due_at` first, up to `until_ms`.

    Eventually consistent (a GSI): `commit_dispatch`'s condition makes stale items
    harmless. Returns the items and the key to pass as `start_key` for the next page
    (None: the shard is drained up to `until_ms`).
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    query = TaskItem.due.query(
        shard, TaskItem.due_at <= until_ms, page_size=limit + 1, last_evaluated_key=start_key
    )
    raw_items, last_key = collect_page(query.page_iter, limit, _DUE_INDEX_KEYS)
    return [TaskItem.from_raw_data(raw) for raw in raw_items], last_key


def commit_dispatch(
    task_id: str,
    seen_due_at: int,
    schedule_version: int,
    next_due_at: int | None,
    last_fire_at: int | None,
    *,
    fires: int = 0,
    state: TaskState | None = None,
    now_ms: int | None = None,
) -> bool:
    """Advance a task past the fires just enqueued: True if this commit won.

    CONDITION due_at = seen_due_at AND schedule_version = schedule_version: False
    means another sweep or an API write got there first (nothing is written; the
    messages already sent are duplicates the executor drops). `next_due_at` None
    removes the task from the due index. `fires` is added to `fires_dispatched`.
    `state` (e.g. completed) is a user-visible change, so it also bumps `version`.
    """
    actions: list[Action] = [*_due_actions(task_id, next_due_at)]
    if last_fire_at is not None:
        actions.append(TaskItem.last_fire_at.set(last_fire_at))
    if fires:
        actions.append(TaskItem.fires_dispatched.add(fires))
    if state is not None:
        actions.append(TaskItem.state.set(state))
        actions.append(TaskItem.version.add(1))
        actions.append(TaskItem.updated_at.set(clock.now_ms() if now_ms is None else now_ms))
    condition = (TaskItem.due_at == seen_due_at) & (TaskItem.schedule_version == schedule_version)
    try:
        writes.update(TaskItem, task_id, None, actions, condition)
    except writes.ConditionFailed:
        return False
    return True


def note_manual_run(task_id: str, fire_key: str) -> None:
    """Record the fire key of a manual trigger about to be enqueued, unless a newer one
    is recorded already: no manual run of the task has a greater key than the one kept."""
    _keep_greatest(task_id, TaskItem.last_manual_key, fire_key)


def note_backfill(task_id: str, latest_ms: int) -> None:
    """Record the newest time of a backfill about to be enqueued, unless a newer one is
    recorded already."""
    _keep_greatest(task_id, TaskItem.last_backfill_at, latest_ms)


def _keep_greatest(task_id: str, attribute: Any, value: Any) -> None:
    # Neither version nor updated_at moves: this is bookkeeping, not an edit of the task.
    condition = TaskItem.task_id.exists() & (attribute.does_not_exist() | (attribute < value))
    try:
        writes.update(TaskItem, task_id, None, [attribute.set(value)], condition)
    except writes.ConditionFailed:
        return  # deleted meanwhile, or a newer value is already kept


# --- helpers -----------------------------------------------------------------------------------


class _Raced(Exception):
    """The task changed between our read and our write."""


def _read(task_id: str, consistent: bool) -> TaskItem | None:
    if not is_task_key(task_id):
        return None  # e.g. a name-claim key: never a task
    try:
        return TaskItem.get(task_id, consistent_read=consistent)
    except TaskItem.DoesNotExist:
        return None


def _check_mutable(changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - MUTABLE_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")


def _write_update(current: TaskItem, effective: Mapping[str, Any], stamp: int) -> TaskItem:
    task_id = current.task_id
    actions = _change_actions(task_id, effective)
    actions += [TaskItem.version.set(current.version + 1), TaskItem.updated_at.set(stamp)]
    if TIMING_FIELDS & effective.keys():
        actions.append(TaskItem.schedule_version.set(current.schedule_version + 1))
        actions.append(TaskItem.timing_since.set(stamp))
    elif current.state == TaskState.PAUSED and "state" in effective:
        # Leaving a pause: fires sent ahead before it carry the old version, so the
        # executor drops them even when it receives one due while paused only after the
        # resume (a backlog, a redelivery); the resume sends again the fires it wants.
        actions.append(TaskItem.schedule_version.set(current.schedule_version + 1))
    unchanged = _unchanged(current)
    if "name" not in effective:
        try:
            raw = writes.update(TaskItem, task_id, None, actions, unchanged)
        except writes.ConditionFailed:
            raise _Raced() from None
        return TaskItem.from_raw_data(raw)

    # Rename: [update task, release old name?, claim new name?] in one transaction.
    requests = [writes.op_update(TaskItem, task_id, None, actions, unchanged)]
    if current.name is not None:
        requests.append(_release_name(current))
    new_name = effective["name"]
    if new_name is not None:
        claim = NameClaimItem(name_claim_key(current.tenant, new_name), claimed_by=task_id)
        requests.append(writes.op_put(claim, _unclaimed()))
    try:
        writes.transact(TaskItem, requests)
    except writes.ConditionFailed as exc:
        if 0 in exc.failed:
            raise _Raced() from None
        if new_name is not None and len(requests) - 1 in exc.failed:
            raise NameConflict(new_name) from None
        raise _claim_corrupted(current) from None
    return get_task_any_tenant(task_id)


def _change_actions(task_id: str, changes: Mapping[str, Any]) -> list[Action]:
    actions: list[Action] = []
    for field, value in changes.items():
        if field == "due_at":
            actions += _due_actions(task_id, value)
            continue
        attribute = getattr(TaskItem, field)
        if value is None:
            if not attribute.null:
                raise ValueError(f"{field} cannot be removed")
            actions.append(attribute.remove())
        else:
            actions.append(attribute.set(writes.serialized(attribute, value)))
    return actions


def _due_actions(task_id: str, due_at: int | None) -> list[Action]:
    # due_at and due_shard move together: an item is in the sparse index only with both.
    if due_at is None:
        return [TaskItem.due_at.remove(), TaskItem.due_shard.remove()]
    return [TaskItem.due_at.set(due_at), TaskItem.due_shard.set(_shard(task_id))]


def _unchanged(current: TaskItem) -> Condition:
    return (TaskItem.version == current.version) & (TaskItem.tenant == current.tenant)


def _unclaimed() -> Condition:
    return NameClaimItem.task_id.does_not_exist()


def _release_name(current: TaskItem) -> writes.TransactItem:
    # Absent is fine (nothing to release); held by another task is not (see below).
    mine = (NameClaimItem.claimed_by == current.task_id) | NameClaimItem.task_id.does_not_exist()
    key = name_claim_key(current.tenant, str(current.name))
    return writes.op_delete(NameClaimItem, key, None, mine)


def _claim_corrupted(current: TaskItem) -> RuntimeError:
    # Only reachable if the invariant "a task's name claim names that task" was broken
    # outside this module; releasing another task's claim would break it further.
    return RuntimeError(f"the claim on name {current.name!r} is held by another task")


def _shard(task_id: str) -> int:
    return shard_for(task_id, get_settings().shard_count)
