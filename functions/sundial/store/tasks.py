"""Task operations: each one conditional write (or one transaction) with its guarantee.

A task is two items in the tasks table: its definition (`TaskItem`, written only by the
API) and its schedule state (`ScheduleItem`, `schedule#<task_id>`: the due-index keys,
the counters, and a mirror of what the dispatcher and the executor's guard read). Every
API write writes both in one transaction, conditioned on the definition's version, so
they never disagree; the per-fire path writes the schedule state only.

Reads and writes are scoped by tenant: another tenant's task is reported exactly
like a missing one (TaskNotFound). The due-index keys are maintained here: a schedule
state carries `due_at` and `due_shard` together while a fire is pending, and neither
otherwise, so paused and completed tasks cost nothing to sweep.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from sundial.core import clock
from sundial.core.exclusions import calendar_names
from sundial.core.task.carried import CARRIED_FIELDS
from sundial.core.vocabulary import TaskState
from sundial.settings import get_settings
from sundial.store import writes
from sundial.store.calendars import reference_changes, reference_ops
from sundial.store.carried import carried_of, is_flagged, may_carry
from sundial.store.errors import (
    NameConflict,
    TaskAlreadyExists,
    TaskNotFound,
    UnknownCalendar,
    VersionMismatch,
)
from sundial.store.keys import is_task_key, name_claim_key
from sundial.store.migration import migrate_legacy_task
from sundial.store.models import (
    DUE_INDEX,
    RUNS_LEFT_KEY,
    SCHEDULE_STATE_PREFIX,
    NameClaimItem,
    ScheduleItem,
    TaskItem,
    schedule_key,
)
from sundial.store.pagination import RawItem, collect_page, decode_token, encode_token
from sundial.store.shards import shard_for
from sundial.store.task_mapping import changed_attributes, planning_misfire, same_value

# What a caller may change with update_task; the rest is bookkeeping owned by the store.
MUTABLE_FIELDS = frozenset(
    {
        "name", "schedule", "timezone", "start_at", "end_at", "description", "target",
        "payload", "retry", "timeout_seconds", "overlap", "misfire", "jitter_seconds",
        "tags", "max_runs", "pause_after_failures", "state", "pause_reason", "due_at",
        "last_fire_at", "runs_left", "fires_dispatched", "failure_streak", "exclude",
        "notifications",
    }
)  # fmt: skip
# Changing any of these changes which fires are due: schedule_version is bumped, and
# executors drop messages emitted under the old one.
TIMING_FIELDS = frozenset(
    {"schedule", "timezone", "start_at", "end_at", "jitter_seconds", "exclude"}
)
# Definition fields the schedule state mirrors (the dispatcher plans from them, the
# executor's guard checks `state`): written to both items in the same transaction.
# `exclude` is not mirrored, nor is `misfire` copied as is: the schedule state's
# `misfire` carries the run limit's count, the exclusions flag and the carried flag
# too (`task_mapping.planning_misfire`).
MIRRORED_FIELDS = (TIMING_FIELDS - {"exclude"}) | {"state"}
# Definition fields that decide whether scheduled fires may carry the definition
# (`store.carried`): a change to one of them may flip the carried flag.
CARRY_DEPENDS_ON = (*CARRIED_FIELDS, "notifications", "exclude")
# Fields that live on the schedule state only. `runs_left` and `fires_dispatched` are
# the run limit's count: the API rewrites them (conditioned on the count it read) when
# the limit changes or fires sent ahead are withdrawn.
SCHEDULE_STATE_FIELDS = frozenset(
    {"due_at", "last_fire_at", "runs_left", "fires_dispatched", "failure_streak"}
)
# Changing the run limit also bumps schedule_version: a dispatch commit planned under
# the old limit then fails its condition, and fires it sent are dropped by executors.
LIMIT_FIELDS = frozenset({"max_runs"})
# A read-modify-write without If-Match re-reads and re-applies when a concurrent write
# got in between. Every lost round is another writer's won one, so a burst of N
# concurrent edits to one task needs at most N rounds per edit; this bounds the burst
# that still merges (beyond it, the last loser gets 412 and retries itself).
MAX_UPDATE_ROUNDS = 64
# A filtered listing reads at most this many index items per request (then hands
# back a token), so a filter matching nothing never reads a whole tenant at once.
MAX_SCANNED_PER_LIST = 1000
_TENANT_INDEX_KEYS = ("task_id", "tenant")
_DUE_INDEX_KEYS = ("task_id", "due_shard", "due_at")


# --- create / read -------------------------------------------------------------------------


def create_task(
    item: TaskItem, *, due_at: int | None = None, now_ms: int | None = None
) -> TaskItem:
    """Store a new task, in the due index at `due_at` (None: not due); its name, if any,
    is claimed in the same transaction as its definition and schedule state.

    Sets the bookkeeping on `item` (version 1, schedule_version 1, created_at,
    updated_at), attaches its schedule state and returns it. The calendars its `exclude`
    names gain a reference in the same transaction.
    Raises NameConflict when the tenant already has a task of that name, UnknownCalendar
    when a calendar it names does not exist (nothing is written then).
    """
    if not is_task_key(item.task_id):
        raise ValueError(f"{item.task_id!r} cannot be a task id")
    stamp = clock.now_ms() if now_ms is None else now_ms
    item.version = 1
    item.schedule_version = 1
    item.created_at = stamp
    item.updated_at = stamp
    item.timing_since = stamp
    state = new_schedule_state(item, due_at)
    requests = [
        writes.op_put(item, TaskItem.task_id.does_not_exist()),
        writes.op_put(state, ScheduleItem.key.does_not_exist()),
    ]
    if item.name is not None:
        claim = NameClaimItem(name_claim_key(item.tenant, item.name), claimed_by=item.task_id)
        requests.append(writes.op_put(claim, _unclaimed()))
    references = _add_references(item.tenant, requests, None, item.exclude)
    try:
        writes.transact(TaskItem, requests)
    except writes.ConditionFailed as exc:
        if 0 in exc.failed or 1 in exc.failed:
            raise TaskAlreadyExists(item.task_id) from None
        _raise_unknown_calendar(exc, references)
        raise NameConflict(str(item.name)) from None
    item.schedule_state = state
    return item


def get_task(tenant: str, task_id: str, consistent: bool = True) -> TaskItem:
    """The tenant's task, its schedule state attached (two GetItems); TaskNotFound when
    absent or owned by another tenant."""
    item = _read(task_id, consistent)
    if item is None or item.tenant != tenant:
        raise TaskNotFound(task_id)
    item.schedule_state = get_schedule_state(task_id, consistent)
    return item


def get_task_any_tenant(task_id: str, consistent: bool = True) -> TaskItem:
    """A task whoever owns it, its schedule state attached: for the workers, never for
    API callers."""
    item = _read(task_id, consistent)
    if item is None:
        raise TaskNotFound(task_id)
    item.schedule_state = get_schedule_state(task_id, consistent)
    return item


def get_schedule_state(task_id: str, consistent: bool = True) -> ScheduleItem | None:
    """A task's schedule state (None: deleted, or stored before schedule states existed)."""
    if not is_task_key(task_id):
        return None
    try:
        return ScheduleItem.get(schedule_key(task_id), consistent_read=consistent)
    except ScheduleItem.DoesNotExist:
        return None


def get_definition(task_id: str, at_least_version: int) -> TaskItem | None:
    """A task's definition, at `at_least_version` or newer; None when it is gone.

    One eventually consistent read, which is exact as soon as it returns the version
    asked for (the schedule state, read consistently, names the current one); an older
    copy (a write moments ago) is read again consistently.
    """
    item = _read(task_id, consistent=False)
    if item is None or int(item.version) < at_least_version:
        item = _read(task_id, consistent=True)
    return item


def get_timing_definition(task_id: str, schedule_version: int) -> TaskItem | None:
    """A task's definition with the timing of `schedule_version` or newer (every timing
    change bumps it); None when it is gone. Like `get_definition`, one eventually
    consistent read, read again consistently when the copy is older than asked."""
    item = _read(task_id, consistent=False)
    if item is None or int(item.schedule_version) < schedule_version:
        item = _read(task_id, consistent=True)
    return item


def get_schedule_states(task_ids: Iterable[str]) -> dict[str, ScheduleItem]:
    """The schedule states of these tasks (at most 100), read consistently in one
    BatchGetItem, by task id; a task without one (deleted, or stored before schedule
    states existed) is left out."""
    keys = sorted({schedule_key(t) for t in task_ids if is_task_key(t)})
    if not keys:
        return {}
    return {state.task_id: state for state in ScheduleItem.batch_get(keys, consistent_read=True)}


def get_definitions(versions: Mapping[str, int]) -> dict[str, TaskItem]:
    """The definitions of these tasks (at most 100), each at the version `versions` names
    or newer, by task id; a task that is gone is left out.

    `get_definition` for many: one eventually consistent BatchGetItem, then each copy
    older than asked (a write moments ago) read again consistently.
    """
    keys = sorted(t for t in versions if is_task_key(t))
    if not keys:
        return {}
    found = {item.task_id: item for item in TaskItem.batch_get(keys)}
    for task_id in keys:
        item = found.get(task_id)
        if item is None or int(item.version) < versions[task_id]:
            fresh = _read(task_id, consistent=True)
            if fresh is None:
                found.pop(task_id, None)
            else:
                found[task_id] = fresh
    return found


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
    Raises InvalidPageToken for a token this listing did not issue. One query of
    `by_tenant`, then one BatchGetItem of the page's schedule states (attached).
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
    items = [TaskItem.from_raw_data(raw) for raw in raw_items]
    _attach_schedule_states(items)
    return items, token


def find_task_by_name(tenant: str, name: str) -> TaskItem | None:
    """The tenant's task named `name`, its schedule state attached; None when there is none.

    Names are unique per tenant by the item that reserves each, which names the task:
    that item, then the task (three consistent GetItems, whatever the tenant's size).
    """
    try:
        claim = NameClaimItem.get(name_claim_key(tenant, name), consistent_read=True)
    except NameClaimItem.DoesNotExist:
        return None
    try:
        item = get_task(tenant, claim.claimed_by)
    except TaskNotFound:  # deleted between the two reads
        return None
    return item if item.name == name else None  # renamed between them


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
    the task as it now is (its schedule state attached) and whether anything was written.

    Optimistic concurrency: the write is conditioned on the version read, and on
    `expected_version` when given (If-Match). A write that loses a race to a concurrent
    one re-reads: with `expected_version` that reports VersionMismatch; without, `edit`
    is applied again to the newer version, so nothing written in between is lost.
    Bumps `version`, sets `updated_at`, bumps `schedule_version` when a timing field
    really changes or the task leaves the paused state. Setting `due_at` also sets
    `due_shard`; `due_at=None` removes both, so the task leaves the due index.
    Definition and schedule state are written in one transaction, and so are a new
    name's claim and the old one's release. Changes equal to the stored values are
    ignored; with none left nothing is written.

    Raises TaskNotFound, VersionMismatch (stale `expected_version`), NameConflict, and
    whatever `edit` raises (nothing is written then).
    """
    stamp = clock.now_ms() if now_ms is None else now_ms
    for _ in range(MAX_UPDATE_ROUNDS):
        current = get_task(tenant, task_id)
        if expected_version is not None and current.version != expected_version:
            raise VersionMismatch(task_id, expected_version, int(current.version))
        if current.schedule_state is None:
            # Stored before schedule states existed: give it one, then edit as usual.
            migrate_legacy_task(task_id)
            continue
        changes = edit(current)
        _check_mutable(changes)
        effective = _effective_changes(current, current.schedule_state, changes)
        if not effective:
            return current, False
        try:
            _write_update(current, current.schedule_state, effective, stamp)
        except _Raced:
            continue  # re-read: reports TaskNotFound / VersionMismatch, or re-applies
        return get_task(tenant, task_id), True
    raise VersionMismatch(task_id, expected_version, int(current.version))


def delete_task(tenant: str, task_id: str, expected_version: int | None = None) -> TaskItem:
    """Delete the tenant's task (definition and schedule state) and release its name,
    atomically; returns what was deleted.

    Run history is left to expire. Raises TaskNotFound, VersionMismatch.
    """
    for _ in range(MAX_UPDATE_ROUNDS):
        current = get_task(tenant, task_id)
        if expected_version is not None and current.version != expected_version:
            raise VersionMismatch(task_id, expected_version, int(current.version))
        # Conditioned on the version read, so a concurrent rename cannot leave a claim behind.
        requests = [
            writes.op_delete(TaskItem, task_id, None, _unchanged(current)),
            # Unconditional: absent for a task stored before schedule states existed.
            writes.op_delete(ScheduleItem, schedule_key(task_id), None, None),
        ]
        if current.name is not None:
            requests.append(_release_name(current))
        # Its calendars lose the reference in the same transaction.
        references = _add_references(current.tenant, requests, current.exclude, None)
        try:
            writes.transact(TaskItem, requests)
            return current
        except writes.ConditionFailed as exc:
            if 0 not in exc.failed:
                if references.keys() & exc.failed.keys():
                    # Unreachable while "a named calendar is never deleted" holds.
                    raise RuntimeError(f"a calendar task {task_id} names is missing") from None
                raise _claim_corrupted(current) from None
    raise VersionMismatch(task_id, expected_version, None)


# --- the due index -------------------------------------------------------------------------


def query_due(
    shard: int, until_ms: int, limit: int, start_key: RawItem | None = None
) -> tuple[list[ScheduleItem], RawItem | None]:
    """One page of shard `shard` of the due index, oldest `due_at` first, up to `until_ms`.

    Eventually consistent (a GSI): `commit_dispatch`'s condition makes stale items
    harmless. Returns the schedule states (as projected: the keys and what planning
    reads) and the key to pass as `start_key` for the next page (None: the shard is
    drained up to `until_ms`). An entry of a task stored before schedule states existed
    (its definition carries the due keys) is migrated on the spot and returned as the
    schedule state it now has, so no such task stops firing.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    index = ScheduleItem.due if get_settings().due_index == DUE_INDEX else ScheduleItem.legacy_due
    query = index.query(
        shard, ScheduleItem.due_at <= until_ms, page_size=limit + 1, last_evaluated_key=start_key
    )
    raw_items, last_key = collect_page(query.page_iter, limit, _DUE_INDEX_KEYS)
    items: list[ScheduleItem] = []
    for raw in raw_items:
        key = raw["task_id"]["S"]
        if key.startswith(SCHEDULE_STATE_PREFIX):
            items.append(ScheduleItem.from_raw_data(raw))
            continue
        migrated = migrate_legacy_task(key)
        if migrated is not None and migrated.due_at is not None:
            items.append(migrated)
    return items, last_key


def commit_dispatch(
    task_id: str,
    seen_due_at: int,
    schedule_version: int,
    next_due_at: int | None,
    last_fire_at: int | None,
    *,
    fires: int = 0,
    state: TaskState | None = None,
    runs_left: int | None = None,
    now_ms: int | None = None,
) -> bool:
    """Advance a task past the fires just enqueued: True if this commit won.

    One conditional UpdateItem of the schedule state, CONDITION due_at = seen_due_at
    AND schedule_version = schedule_version: False means another sweep or an API write
    got there first (nothing is written; the messages already sent are duplicates the
    executor drops). `next_due_at` None removes the task from the due index. `fires` is
    added to `fires_dispatched`. `state` (e.g. completed) is a user-visible change: it
    bumps `version` and is written to the definition too, in the same transaction
    (once in a task's life). `runs_left` (a task with a run limit only) is what is left
    of the limit after these fires; the condition's schedule_version makes it exact, as
    every change of the limit bumps it.

    A commit applied whose response was lost is re-sent by the SDK, and fails its
    condition on its own write (or gets no answer at all, and the item is read); it finds
    its `commit_token` on the item and counts as won, not as a race lost (a concurrent
    commit writes another token).
    """
    # Made once per commit, so the SDK's retries of this request carry the same token.
    token = secrets.token_urlsafe(12)
    actions: list[Action] = [
        *_due_actions(task_id, next_due_at),
        ScheduleItem.commit_token.set(token),
    ]
    if last_fire_at is not None:
        actions.append(ScheduleItem.last_fire_at.set(last_fire_at))
    if fires:
        actions.append(ScheduleItem.fires_dispatched.add(fires))
    if runs_left is not None:
        actions.append(ScheduleItem.misfire[RUNS_LEFT_KEY].set(runs_left))
    condition = (ScheduleItem.due_at == seen_due_at) & (
        ScheduleItem.schedule_version == schedule_version
    )
    key = schedule_key(task_id)

    def mine(old: writes.RawItem | None) -> bool:
        # Our own commit, applied, left our token there; anything else (another commit,
        # an API write, a deleted task) means the commit lost the race.
        return old is not None and ScheduleItem.from_raw_data(old).commit_token == token

    try:
        if state is None:
            writes.update(ScheduleItem, key, None, actions, condition, mine=mine)
            return True
        # Both versions move by one: they were equal (every write keeps them so), and a
        # concurrent API write conditioned on the old version now fails and re-reads.
        actions += [ScheduleItem.state.set(state), ScheduleItem.version.add(1)]
        definition = [
            TaskItem.state.set(state),
            TaskItem.version.add(1),
            TaskItem.updated_at.set(clock.now_ms() if now_ms is None else now_ms),
        ]
        writes.transact(
            TaskItem,
            [
                writes.op_update(ScheduleItem, key, None, actions, condition),
                writes.op_update(TaskItem, task_id, None, definition, TaskItem.task_id.exists()),
            ],
            mine=(0, mine),
        )
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


def _attach_schedule_states(items: list[TaskItem]) -> None:
    if not items:
        return
    keys = [schedule_key(item.task_id) for item in items]
    found = {state.task_id: state for state in ScheduleItem.batch_get(keys)}
    for item in items:
        item.schedule_state = found.get(item.task_id)


def new_schedule_state(item: TaskItem, due_at: int | None) -> ScheduleItem:
    """The schedule state of a new task: a mirror of its definition, due at `due_at`,
    with all of its run limit left."""
    runs_left = None if item.max_runs is None else int(item.max_runs)
    state = ScheduleItem(
        schedule_key(item.task_id),
        task_tenant=item.tenant,
        state=item.state,
        version=item.version,
        schedule_version=item.schedule_version,
        timing_version=item.schedule_version,
        schedule=item.schedule,
        timezone=item.timezone,
        start_at=item.start_at,
        end_at=item.end_at,
        jitter_seconds=item.jitter_seconds,
        misfire=planning_misfire(
            item.misfire or {}, item.exclude, runs_left, carried=carried_of(item) is not None
        ),
        created_at=item.created_at,
        fires_dispatched=0,
    )
    if due_at is not None:
        state.due_at = due_at
        state.due_shard = _shard(item.task_id)
    return state


def _check_mutable(changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - MUTABLE_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")


def _effective_changes(
    current: TaskItem, state: ScheduleItem, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """The changes whose value differs from what the task holds."""
    definition = {k: v for k, v in changes.items() if k not in SCHEDULE_STATE_FIELDS}
    effective = changed_attributes(current, definition)
    for field in SCHEDULE_STATE_FIELDS & changes.keys():
        if not same_value(getattr(state, field), changes[field]):
            effective[field] = changes[field]
    return effective


def _write_update(
    current: TaskItem, state: ScheduleItem, effective: Mapping[str, Any], stamp: int
) -> None:
    """Definition and schedule state in one transaction, each conditioned on the version
    read: they never disagree, and a concurrent writer makes this one re-read."""
    task_id = current.task_id
    new_version = int(current.version) + 1
    definition: list[Action] = []
    schedule: list[Action] = [ScheduleItem.version.set(new_version)]
    runs_left = effective.get("runs_left", state.runs_left)
    # The planning map is rewritten when what it derives from changes: the misfire
    # policy, the exclusions, or whether scheduled fires may carry the definition.
    carried = may_carry(
        {name: effective.get(name, getattr(current, name)) for name in CARRY_DEPENDS_ON}
    )
    rewrite_map = bool(effective.keys() & {"misfire", "exclude"}) or carried != is_flagged(state)
    for field, value in effective.items():
        if field == "due_at":
            schedule += _due_actions(task_id, value)
            continue
        if field == "runs_left":
            if not rewrite_map:  # else in the map below
                path = ScheduleItem.misfire[RUNS_LEFT_KEY]
                schedule.append(path.remove() if value is None else path.set(value))
            continue
        if field not in SCHEDULE_STATE_FIELDS:
            definition.append(_change(getattr(TaskItem, field), field, value))
        if field in MIRRORED_FIELDS or field in SCHEDULE_STATE_FIELDS:
            schedule.append(_change(getattr(ScheduleItem, field), field, value))
    if rewrite_map:
        misfire = effective.get("misfire", current.misfire) or {}
        exclude = effective.get("exclude", current.exclude)
        misfire = planning_misfire(misfire, exclude, runs_left, carried=carried)
        schedule.append(_change(ScheduleItem.misfire, "misfire", misfire))
    definition += [TaskItem.version.set(new_version), TaskItem.updated_at.set(stamp)]
    timing_changed = bool(TIMING_FIELDS & effective.keys())
    # Leaving a pause: fires sent ahead before it carry the old version, so the executor
    # drops them even when it receives one due while paused only after the resume (a
    # backlog, a redelivery); the resume sends again the fires it wants.
    resumed = current.state == TaskState.PAUSED and "state" in effective
    limit_changed = bool(LIMIT_FIELDS & effective.keys())
    if timing_changed or resumed or limit_changed:
        schedule_version = int(current.schedule_version) + 1
        definition.append(TaskItem.schedule_version.set(schedule_version))
        schedule.append(ScheduleItem.schedule_version.set(schedule_version))
    if timing_changed:
        definition.append(TaskItem.timing_since.set(stamp))
        schedule.append(ScheduleItem.timing_version.set(schedule_version))
    elif (resumed or limit_changed) and state.timing_version is None:
        # The timing took effect at the version before this bump.
        schedule.append(ScheduleItem.timing_version.set(int(current.schedule_version)))
    same_state = ScheduleItem.version == current.version
    if state.runs_left is not None or effective.keys() & {"runs_left", "fires_dispatched"}:
        # A task with a run limit: the count was derived from what was read (and a write
        # that withdraws fires sent ahead must see them all), so a dispatch commit since
        # then, which moves no version, makes this write re-read.
        same_state &= _same_count(state)
    requests = [
        writes.op_update(TaskItem, task_id, None, definition, _unchanged(current)),
        writes.op_update(ScheduleItem, schedule_key(task_id), None, schedule, same_state),
    ]
    new_name = effective.get("name")
    if "name" in effective:
        # Rename: release the old name, claim the new one, in the same transaction.
        if current.name is not None:
            requests.append(_release_name(current))
        if new_name is not None:
            claim = NameClaimItem(name_claim_key(current.tenant, new_name), claimed_by=task_id)
            requests.append(writes.op_put(claim, _unclaimed()))
    name_claim = len(requests) - 1
    references: dict[int, str] = {}
    if "exclude" in effective:
        references = _add_references(
            current.tenant, requests, current.exclude, effective["exclude"]
        )
    try:
        writes.transact(TaskItem, requests)
    except writes.ConditionFailed as exc:
        if 0 in exc.failed or 1 in exc.failed:
            raise _Raced() from None
        _raise_unknown_calendar(exc, references)
        if new_name is not None and name_claim in exc.failed:
            raise NameConflict(new_name) from None
        raise _claim_corrupted(current) from None


def _same_count(state: ScheduleItem) -> Condition:
    seen = ScheduleItem.fires_dispatched == int(state.fires_dispatched)
    if int(state.fires_dispatched) == 0:
        # A state written before the counter existed reads as 0 without it.
        return seen | ScheduleItem.fires_dispatched.does_not_exist()
    return seen


def _add_references(
    tenant: str,
    requests: list[writes.TransactItem],
    before: list[str] | None,
    after: list[str] | None,
) -> dict[int, str]:
    """Append the requests moving the reference counts of the calendars a task's
    `exclude` names, from `before` to `after`; their indexes in `requests`, with the
    calendars they name."""
    changes = reference_changes(calendar_names(before or []), calendar_names(after or []))
    indexes: dict[int, str] = {}
    for name, op in reference_ops(tenant, changes):
        indexes[len(requests)] = name
        requests.append(op)
    return indexes


def _raise_unknown_calendar(exc: writes.ConditionFailed, references: Mapping[int, str]) -> None:
    for index in sorted(references.keys() & exc.failed.keys()):
        raise UnknownCalendar(references[index]) from None


def _change(attribute: Any, field: str, value: Any) -> Action:
    if value is None:
        if not attribute.null:
            raise ValueError(f"{field} cannot be removed")
        return attribute.remove()
    return attribute.set(writes.serialized(attribute, value))


def _due_actions(task_id: str, due_at: int | None) -> list[Action]:
    # due_at and due_shard move together: an item is in the sparse index only with both.
    if due_at is None:
        return [ScheduleItem.due_at.remove(), ScheduleItem.due_shard.remove()]
    return [ScheduleItem.due_at.set(due_at), ScheduleItem.due_shard.set(_shard(task_id))]


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
