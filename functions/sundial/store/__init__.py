"""DynamoDB store: PynamoDB models and the conditional operations on them.

Every operation is one conditional write (or one transaction) whose name says its
guarantee; callers decide what to do with the outcome (docs/tasks.md "Tasks and the store").
"""

from sundial.store.errors import (
    ClaimRefused,
    Duplicate,
    InvalidPageToken,
    LeaseHeld,
    NameConflict,
    NotYetDue,
    StaleAttempt,
    StoreError,
    TaskAlreadyExists,
    TaskNotFound,
    TransactionConflict,
    VersionMismatch,
)
from sundial.store.failure_streak import count_failure, end_failure_streak
from sundial.store.ids import new_ulid, ulid_timestamp_ms
from sundial.store.keys import RunKey, name_claim_key, run_key
from sundial.store.leases import acquire_sweep_lease, break_sweep_lease, release_sweep_lease
from sundial.store.models import (
    RunItem,
    ScheduleItem,
    TaskItem,
    bind_tables,
    connect,
    unbind_tables,
)
from sundial.store.newest import newest_run, newest_runs
from sundial.store.runs import (
    claim_run,
    list_runs,
    record_retry,
    record_skipped,
    record_success,
)
from sundial.store.shards import shard_for
from sundial.store.task_mapping import attributes_of, changed_attributes, spec_of, timing_of
from sundial.store.tasks import (
    commit_dispatch,
    create_task,
    delete_task,
    edit_task,
    find_task_by_name,
    get_definition,
    get_definitions,
    get_schedule_state,
    get_schedule_states,
    get_task,
    get_task_any_tenant,
    list_tasks,
    new_schedule_state,
    note_backfill,
    note_manual_run,
    query_due,
    update_task,
)

__all__ = [
    "ClaimRefused",
    "Duplicate",
    "InvalidPageToken",
    "LeaseHeld",
    "NameConflict",
    "NotYetDue",
    "RunItem",
    "RunKey",
    "ScheduleItem",
    "StaleAttempt",
    "StoreError",
    "TaskAlreadyExists",
    "TaskItem",
    "TaskNotFound",
    "TransactionConflict",
    "VersionMismatch",
    "acquire_sweep_lease",
    "attributes_of",
    "bind_tables",
    "break_sweep_lease",
    "changed_attributes",
    "claim_run",
    "commit_dispatch",
    "connect",
    "count_failure",
    "create_task",
    "delete_task",
    "edit_task",
    "end_failure_streak",
    "find_task_by_name",
    "get_definition",
    "get_definitions",
    "get_schedule_state",
    "get_schedule_states",
    "get_task",
    "get_task_any_tenant",
    "list_runs",
    "list_tasks",
    "name_claim_key",
    "new_schedule_state",
    "new_ulid",
    "newest_run",
    "newest_runs",
    "note_backfill",
    "note_manual_run",
    "query_due",
    "record_retry",
    "record_skipped",
    "record_success",
    "release_sweep_lease",
    "run_key",
    "shard_for",
    "spec_of",
    "timing_of",
    "ulid_timestamp_ms",
    "unbind_tables",
    "update_task",
]
