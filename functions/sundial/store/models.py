"""PynamoDB models of the tasks and runs tables and their binding to tables.

The schema of record is `template.yaml`; these models must agree with it (the
integration tests create the tables from the template and run every operation
against them).

Times are epoch **milliseconds** (numbers) everywhere: `due_at` must be a number to
be a range key, and keeping `start_at`, `end_at`, `last_fire_at`, `created_at`,
`updated_at`, `lease_until`, ... in the same unit avoids conversions in the hot
paths. The one exception is the runs table's `expires_at`, in epoch **seconds**
because DynamoDB TTL requires it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Literal

from pynamodb.attributes import (
    Attribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.constants import MAP
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from sundial.core.vocabulary import TaskState
from sundial.settings import get_settings

# --- client behaviour --------------------------------------------------------------------

# PynamoDB's "LEGACY" retry configuration is botocore's *standard* retry mode with
# 1 + this many attempts: throttling and 5xx are retried with capped exponential
# backoff and jitter before an operation gives up.
DYNAMODB_MAX_RETRY_ATTEMPTS = 5
# DynamoDB answers in milliseconds; a hung connection must fail fast enough to be
# retried inside a Lambda invocation rather than eat its whole time budget.
DYNAMODB_CONNECT_TIMEOUT_SECONDS = 2
DYNAMODB_READ_TIMEOUT_SECONDS = 5
# The dispatcher queries every shard (up to 256) in parallel from one process;
# botocore's default pool of 10 would serialise them.
DYNAMODB_MAX_POOL_CONNECTIONS = 64

# --- values ----------------------------------------------------------------------------

# The due index of this release (INCLUDE-projected schedule states), and the one of the
# releases before it (`due`, ALL-projected). A deployment upgrading from those keeps the
# old index for one deploy (template parameter LegacyDueIndex) and sweeps it, since the
# new one is still being built; settings.due_index names the index a sweep queries.
DUE_INDEX: Literal["schedule_due"] = "schedule_due"
LEGACY_DUE_INDEX: Literal["due"] = "due"
TENANT_INDEX = "by_tenant"
# What the `due` index projects besides its keys and the table key: what the dispatcher
# plans a task's fires from and stamps their messages with (template.yaml agrees).
DUE_INDEX_ATTRIBUTES = (
    "task_tenant", "schedule_version", "schedule", "timezone", "start_at", "end_at",
    "jitter_seconds", "misfire", "created_at",
)  # fmt: skip

# Name-claim items share the tasks table (so a claim and its task commit in one
# transaction). Their key starts with this prefix, which no ULID can, and they carry
# no `tenant`, `due_shard` or `due_at`, so neither index ever sees them.
NAME_CLAIM_PREFIX = "name#"
# A task's schedule-state item (`ScheduleItem`) is keyed by this prefix and the task id,
# in the same table, so the API writes it and the definition in one transaction.
SCHEDULE_STATE_PREFIX = "schedule#"
# The sweep lease (`sundial.store.leases`) lives in the tasks table too, under this key,
# which no ULID can be.
SWEEP_LEASE_KEY = "lease#dispatch#sweep"
# The key of the schedule state's `misfire` map that holds the runs left under a run
# limit (see ScheduleItem.misfire).
RUNS_LEFT_KEY = "runs_left"
# Dead-letter records live in the runs table under this partition prefix and the tenant.
DEAD_LETTER_PREFIX = "deadletter#"
# So do a tenant's calendars: one partition per tenant, one item per calendar name.
CALENDAR_PREFIX = "calendar#"


# --- table binding -----------------------------------------------------------------------


@dataclass
class _Binding:
    tasks_table: str | None = None
    runs_table: str | None = None


_binding = _Binding()


class _TableName:
    """`Meta.table_name`, looked up at use: the table bound last, else the one in settings.

    PynamoDB reads `Meta.table_name` on every operation and reconnects when it
    changes, so rebinding takes effect at once and nothing is read at import time.
    """

    def __init__(self, setting: str):
        self.setting = setting

    def __get__(self, instance: object, owner: type | None = None) -> str:
        name = getattr(_binding, self.setting) or getattr(get_settings(), self.setting)
        if not name:
            raise RuntimeError(
                f"no {self.setting}: set {self.setting.upper()} or call sundial.store.bind_tables()"
            )
        return str(name)


def bind_tables(
    tasks_table: str,
    runs_table: str,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> None:
    """Point the models at these tables (tests, the local stack, `sundial` CLI).

    `region` defaults to the settings' region; `endpoint_url` to botocore's own
    resolution (AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB). Cached connections are
    dropped so the next operation connects afresh (e.g. inside a newly started moto mock).
    Unbound (in Lambda), the models use the settings' table names and botocore's region.
    """
    _binding.tasks_table = tasks_table
    _binding.runs_table = runs_table
    region = region if region is not None else get_settings().region
    for model in _MODELS:
        model.Meta.region = region
        model.Meta.host = endpoint_url
        model._connection = None


def unbind_tables() -> None:
    """Forget `bind_tables`: table names come from settings again."""
    _binding.tasks_table = None
    _binding.runs_table = None
    for model in _MODELS:
        model.Meta.region = None
        model.Meta.host = None
        model._connection = None


class _ClientMeta:
    max_retry_attempts = DYNAMODB_MAX_RETRY_ATTEMPTS
    connect_timeout_seconds = DYNAMODB_CONNECT_TIMEOUT_SECONDS
    read_timeout_seconds = DYNAMODB_READ_TIMEOUT_SECONDS
    max_pool_connections = DYNAMODB_MAX_POOL_CONNECTIONS
    region: str | None = None
    host: str | None = None


# --- attributes --------------------------------------------------------------------------


class JSONMapAttribute(Attribute[dict[str, Any]]):
    """A JSON object stored as a native DynamoDB map (readable in the console, addressable
    in expressions such as `tags.env = :v`). It round-trips as JSON: `null`, booleans,
    `{}` and `[]` are kept, numbers keep their value (DynamoDB may write 1.0 back as 1).
    For exact text use JSONAttribute, as `payload` does.
    """

    attr_type = MAP

    def serialize(self, value: dict[str, Any]) -> dict[str, Any]:
        return {str(k): to_attribute_value(v) for k, v in value.items()}

    def deserialize(self, value: dict[str, Any]) -> dict[str, Any]:
        return {k: from_attribute_value(v) for k, v in value.items()}


def to_attribute_value(value: Any) -> dict[str, Any]:
    """A JSON value as a DynamoDB AttributeValue."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):  # before int: bool is an int
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a JSON number")
        return {"N": repr(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute_value(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {str(k): to_attribute_value(v) for k, v in value.items()}}
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def from_attribute_value(value: dict[str, Any]) -> Any:
    """A DynamoDB AttributeValue written by `to_attribute_value`, as a JSON value."""
    ((kind, inner),) = value.items()
    if kind == "NULL":
        return None
    if kind == "BOOL":
        return bool(inner)
    if kind == "N":
        # json.loads gives int for "3" and float for "0.5" / "1e3", as the value was written.
        return json.loads(inner)
    if kind == "S":
        return inner
    if kind == "L":
        return [from_attribute_value(v) for v in inner]
    if kind == "M":
        return {k: from_attribute_value(v) for k, v in inner.items()}
    raise TypeError(f"unsupported DynamoDB type {kind} in a JSON map")


# --- tasks table -------------------------------------------------------------------------


class TenantIndex(GlobalSecondaryIndex["TaskItem"]):
    """A tenant's tasks, for listings.

    ALL: a list page renders whole tasks from one query. Only the API writes definition
    items, so dispatch never rewrites an entry of this index.
    """

    class Meta:
        index_name = TENANT_INDEX
        projection = AllProjection()

    tenant = UnicodeAttribute(hash_key=True)
    task_id = UnicodeAttribute(range_key=True)


class TaskItem(Model):
    """A task's definition: what to call, with what, under which policies, and when.

    Times in epoch ms; `payload` is serialized JSON text. Only the API writes it, always
    in one transaction with the task's `ScheduleItem` (which mirrors `state`, `version`,
    `schedule_version` and the timing), so the per-fire path never rewrites this item,
    however large its payload, nor its `by_tenant` entry. `schedule_state` is not stored
    here: the store attaches the task's schedule-state item as it read or wrote it.
    """

    class Meta(_ClientMeta):
        table_name = _TableName("tasks_table")

    task_id = UnicodeAttribute(hash_key=True)
    tenant = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    # when
    schedule = UnicodeAttribute()
    timezone = UnicodeAttribute()
    start_at = NumberAttribute(null=True)
    end_at = NumberAttribute(null=True)
    # what
    description = UnicodeAttribute(default="")
    target = JSONMapAttribute()
    # Text, not a map: any JSON (a top-level array, a string, null) round-trips as written.
    payload = JSONAttribute(null=True)
    # policies
    retry = JSONMapAttribute()
    timeout_seconds = NumberAttribute()
    overlap = UnicodeAttribute()
    misfire = JSONMapAttribute()
    jitter_seconds = NumberAttribute(default=0)
    tags = JSONMapAttribute(default=dict)
    # Scheduled runs after which the task completes (None: no limit). The schedule state
    # carries what is left of it (`ScheduleItem.runs_left`).
    max_runs = NumberAttribute(null=True)
    # Consecutive failed runs that pause the task (None: never); the streak itself is on
    # the schedule state (`failure_streak`).
    pause_after_failures = NumberAttribute(null=True)
    # Excluded days (dates, ranges, `calendar:NAME`); absent when there are none.
    exclude = ListAttribute[str](null=True)
    # Notifications (`on` + `destination`, secrets kept); absent when there are none.
    notifications = JSONAttribute(null=True)
    # lifecycle
    state = UnicodeAttribute(default=TaskState.ACTIVE.value)  # a TaskState
    # Why a paused task is paused (a PauseReason; None on a task paused before it existed,
    # which a user paused).
    pause_reason = UnicodeAttribute(null=True)
    version = NumberAttribute(default=1)
    # Kept here too (the API stamps manual triggers and backfills with it).
    schedule_version = NumberAttribute(default=1)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    # What bounds the keys of the task's runs, so a list page can read the newest by key
    # (store/newest.py): when the current timing took effect (creation or the last
    # timing change), the newest backfilled time, and the fire key of the newest manual
    # trigger. Written by the API only, never on the per-fire path.
    timing_since = NumberAttribute(null=True)
    last_backfill_at = NumberAttribute(null=True)
    last_manual_key = UnicodeAttribute(null=True)

    by_tenant = TenantIndex()

    # Not an attribute: the task's schedule-state item, attached by the store's reads
    # and writes (None for a task stored before schedule-state items existed).
    schedule_state: ScheduleItem | None = None

    # The per-fire fields, as the attached schedule state holds them (read-only here:
    # only the store's writes of the schedule state change them).
    @property
    def due_at(self) -> float | None:
        return None if self.schedule_state is None else self.schedule_state.due_at

    @property
    def due_shard(self) -> float | None:
        return None if self.schedule_state is None else self.schedule_state.due_shard

    @property
    def last_fire_at(self) -> float | None:
        return None if self.schedule_state is None else self.schedule_state.last_fire_at

    @property
    def fires_dispatched(self) -> float:
        return 0 if self.schedule_state is None else self.schedule_state.fires_dispatched


class DueIndex(GlobalSecondaryIndex["ScheduleItem"]):
    """Sparse index of tasks with a pending fire, sharded so sweeps run in parallel.

    Only schedule-state items carry `due_shard`/`due_at`. INCLUDE projects what the
    dispatcher plans and stamps messages from (DUE_INDEX_ATTRIBUTES), so the entry stays
    small and a write to anything else (counters, the overlap marker) touches no entry.
    """

    class Meta:
        index_name = DUE_INDEX
        projection = IncludeProjection(list(DUE_INDEX_ATTRIBUTES))

    due_shard = NumberAttribute(hash_key=True)
    due_at = NumberAttribute(range_key=True)


class LegacyDueIndex(GlobalSecondaryIndex["ScheduleItem"]):
    """The previous releases' due index: the same keys, ALL-projected. It exists only
    during the first deploy of an upgrade (template.yaml's LegacyDueIndex), when sweeps
    query it because DUE_INDEX is still being built; its entries hold every attribute,
    so the items read from it are whole."""

    class Meta:
        index_name = LEGACY_DUE_INDEX
        projection = AllProjection()

    due_shard = NumberAttribute(hash_key=True)
    due_at = NumberAttribute(range_key=True)


class ScheduleItem(Model):
    """A task's schedule state: what the dispatcher plans from and the executor guards with.

    Keyed `schedule#<task_id>`, a few hundred bytes whatever the task's payload, so a
    dispatch commit (one conditional UpdateItem moving `due_at`) costs 1 WRU for the
    item plus 1 + 1 for its `due` entry. The tenant is stored as `task_tenant`, never
    `tenant`, so `by_tenant` never indexes this item. `state`, `version` (the
    definition's), `schedule_version` and the timing mirror the definition: the API
    writes both in one transaction.
    """

    class Meta(_ClientMeta):
        table_name = _TableName("tasks_table")

    key = UnicodeAttribute(hash_key=True, attr_name="task_id")
    task_tenant = UnicodeAttribute()
    state = UnicodeAttribute()  # a TaskState
    version = NumberAttribute()
    schedule_version = NumberAttribute()
    # The schedule_version at which the current timing took effect. A resume bumps
    # schedule_version too (fires sent ahead before a pause must not run after it) but
    # not this: a backfill asked for while paused still runs after the resume. None on
    # states written before it existed: their timing took effect at schedule_version.
    timing_version = NumberAttribute(null=True)
    # the timing, as on the definition
    schedule = UnicodeAttribute()
    timezone = UnicodeAttribute()
    start_at = NumberAttribute(null=True)
    end_at = NumberAttribute(null=True)
    jitter_seconds = NumberAttribute(default=0)
    # The definition's misfire policy, plus two keys the dispatcher needs from the due
    # index's entry alone (the index projects this map, and an index's projection cannot
    # change in place, docs/deploy.md): under RUNS_LEFT_KEY the scheduled runs a task with
    # `max_runs` may still dispatch, and `"exclusions": true` when the task excludes days
    # (`store.task_mapping.planning_misfire`), so only those tasks have their exclusions
    # read. The exclude list itself stays on the definition, keeping this item (rewritten
    # by every commit) small.
    misfire = JSONMapAttribute()
    created_at = NumberAttribute()
    # the due index keys: both present while a fire is pending, both absent otherwise
    due_shard = NumberAttribute(null=True)
    due_at = NumberAttribute(null=True)
    # bookkeeping, moved by each dispatch commit
    last_fire_at = NumberAttribute(null=True)
    fires_dispatched = NumberAttribute(default=0)
    # Random, fresh for every dispatch commit (store.tasks.commit_dispatch): a commit
    # whose condition fails on an item carrying its own token was applied already.
    commit_token = UnicodeAttribute(null=True)
    # Consecutive failed runs of a task with `pause_after_failures` (absent: none), and the
    # fire key of the last one counted, so a duplicate delivery of it is not counted again.
    # Written only for tasks with the setting: by a failure, and by a success ending a
    # streak.
    failure_streak = NumberAttribute(null=True)
    last_failed_fire = UnicodeAttribute(null=True)
    # overlap marker (`sundial.store.overlap`), written only for overlap `skip`/`buffer_one`:
    # the execution holding the task's run slot until its lease ends, and (buffer_one)
    # the one execution waiting for it, with the receipt handle that wakes its message.
    # Here rather than on the definition: a marker write then costs 1 WRU and no index
    # entry, where on the definition it would rewrite the whole task and its by_tenant
    # entry.
    running_execution = UnicodeAttribute(null=True)
    running_until = NumberAttribute(null=True)
    waiting_execution = UnicodeAttribute(null=True)
    waiting_until = NumberAttribute(null=True)
    waiting_receipt = UnicodeAttribute(null=True)

    due = DueIndex()
    legacy_due = LegacyDueIndex()

    @property
    def task_id(self) -> str:
        """The task's id (the key without its prefix)."""
        return task_id_of_schedule_key(self.key)

    @property
    def runs_left(self) -> int | None:
        """Scheduled runs the task may still dispatch; None: no run limit."""
        value = (self.misfire or {}).get(RUNS_LEFT_KEY)
        return None if value is None else int(value)

    @property
    def tenant(self) -> str:
        return self.task_tenant


def schedule_key(task_id: str) -> str:
    """The key of a task's schedule-state item."""
    return f"{SCHEDULE_STATE_PREFIX}{task_id}"


def task_id_of_schedule_key(key: str) -> str:
    return key.removeprefix(SCHEDULE_STATE_PREFIX)


class SweepLeaseItem(Model):
    """Which sweep works the due index, until when; `task_id` is SWEEP_LEASE_KEY.

    Like name claims, lease items carry no index attributes, so no index sees them.
    """

    class Meta(_ClientMeta):
        table_name = _TableName("tasks_table")

    task_id = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()
    lease_until = NumberAttribute()


class NameClaimItem(Model):
    """Reserves a task name within a tenant; `task_id` is `name_claim_key(tenant, name)`."""

    class Meta(_ClientMeta):
        table_name = _TableName("tasks_table")

    task_id = UnicodeAttribute(hash_key=True)
    claimed_by = UnicodeAttribute()


# --- runs table --------------------------------------------------------------------------


class RunItem(Model):
    """One execution of a task; `fire_key` sorts runs by fire time."""

    class Meta(_ClientMeta):
        table_name = _TableName("runs_table")

    task_id = UnicodeAttribute(hash_key=True)
    fire_key = UnicodeAttribute(range_key=True)
    execution_id = UnicodeAttribute()
    tenant = UnicodeAttribute(null=True)
    fire_at = NumberAttribute()
    status = UnicodeAttribute()  # a RunStatus
    attempt = NumberAttribute()
    # Random, fresh for every claim (store.runs.claim_run) and never written otherwise:
    # a write that finds its own token on the run knows the run is as its claim left it.
    claim_token = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    next_attempt_at = NumberAttribute(null=True)
    started_at = NumberAttribute(null=True)
    finished_at = NumberAttribute(null=True)
    lateness_ms = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    result = JSONAttribute(null=True)
    expires_at = NumberAttribute()  # epoch SECONDS: the table's TTL attribute
    # Set while the run has a dead-letter record (the record's time, epoch ms): a
    # redriven run that succeeds removes it.
    dead_lettered_at = NumberAttribute(null=True)
    # Attempts already spent when the run was last redriven: the retry budget
    # (retry.max_attempts) counts the attempts after it, so a redrive grants a fresh one.
    attempt_base = NumberAttribute(null=True)
    # The notification events the last outcome write reported that the task asked for
    # (a string set; absent when it asked for none). The runs table's stream carries the
    # write to the notifier: this is the outbox, written in the outcome's own request.
    # Only outcome writes set it; the notifier reads an event only from a write that
    # moved the run from `running` to an outcome at the same attempt, so a mark left
    # behind by an earlier outcome is never read again.
    notify = UnicodeSetAttribute(null=True)


class DeadLetterItem(Model):
    """A run that failed for good, listed for its tenant newest first (`GET /dead-letters`).

    Kept in the runs table: `task_id` is `dead_letter_partition(tenant)` (it starts with
    DEAD_LETTER_PREFIX, which no ULID can, so no task's run listing ever meets it) and
    `fire_key` is `<dead_lettered_at, 15 digits>#<execution_id>`, so one descending
    query lists a tenant's dead letters newest first. It expires with its run.
    """

    class Meta(_ClientMeta):
        table_name = _TableName("runs_table")

    task_id = UnicodeAttribute(hash_key=True)
    fire_key = UnicodeAttribute(range_key=True)
    tenant = UnicodeAttribute()
    execution_id = UnicodeAttribute()
    run_task_id = UnicodeAttribute()
    run_fire_key = UnicodeAttribute()
    fire_at = NumberAttribute()
    kind = UnicodeAttribute()  # a FireKind
    attempt = NumberAttribute()
    error = UnicodeAttribute()
    reason = UnicodeAttribute()
    dead_lettered_at = NumberAttribute()
    expires_at = NumberAttribute()  # epoch SECONDS: the table's TTL attribute


class CalendarItem(Model):
    """A tenant's calendar of days, named by tasks' `exclude` as `calendar:NAME`.

    Kept in the runs table: `task_id` is `calendar_partition(tenant)` (it starts with
    CALENDAR_PREFIX, which no ULID can) and `fire_key` is the calendar's name, so one
    query lists a tenant's calendars. `references` counts the tasks whose `exclude` names
    it; it moves only inside the transactions that write those tasks, and a calendar is
    deleted only on the condition that it is zero, so a delete and a new reference
    racing cannot both win.
    """

    class Meta(_ClientMeta):
        table_name = _TableName("runs_table")

    task_id = UnicodeAttribute(hash_key=True)
    fire_key = UnicodeAttribute(range_key=True)
    tenant = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    dates = ListAttribute[str](default=list)
    updated_at = NumberAttribute()
    references = NumberAttribute(null=True)

    @property
    def name(self) -> str:
        return self.fire_key


def calendar_partition(tenant: str) -> str:
    return f"{CALENDAR_PREFIX}{tenant}"


_MODELS: tuple[type[Model], ...] = (
    TaskItem,
    ScheduleItem,
    NameClaimItem,
    SweepLeaseItem,
    RunItem,
    DeadLetterItem,
    CalendarItem,
)


def connect() -> None:
    """Create every model's DynamoDB client now, on the calling thread.

    PynamoDB creates a model's client on first use, without a lock: threads that start
    together (a batch's records, a sweep's shards) would each build one, a slow step
    repeated per thread, that delays a cold start's first fires. Called before fanning
    out, it leaves the threads a cached client; once connected it costs nothing.
    """
    for model in _MODELS:
        model._get_connection().connection.client  # noqa: B018 (created on access)
