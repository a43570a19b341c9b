"""Steps 1 and 2 of the execution protocol: which run a message names, and whether the
task still wants it.

A message the task no longer wants is dropped without a run record: the current
schedule re-emits the fire if it still wants it, and a record would block that.
"""

from __future__ import annotations

from collections.abc import Sequence

from sundial import store
from sundial.core.clock import from_ms
from sundial.core.exclusions import calendar_names
from sundial.core.planning import is_excluded
from sundial.core.vocabulary import FireKind, TaskState
from sundial.observability import logger
from sundial.store.keys import MANUAL_MARKER, RunKey
from sundial.store.models import ScheduleItem, TaskItem
from sundial.workqueue.messages import FireMessage, MalformedMessage


def run_key_of(message: FireMessage) -> RunKey:
    """The run a message is about: a scheduled (or backfilled) fire is named by its
    nominal time, a manual trigger by its ULID (its fire key sorts it by `fire_at`)."""
    suffix = message.execution_id[len(message.task_id) + 1 :]
    manual_prefix = f"{MANUAL_MARKER}:"
    if suffix.startswith(manual_prefix) and len(suffix) > len(manual_prefix):
        key = store.run_key(
            message.task_id, message.fire_at, manual_id=suffix[len(manual_prefix) :]
        )
    elif suffix.isascii() and suffix.isdigit():
        key = store.run_key(message.task_id, int(suffix))
    else:
        raise MalformedMessage(
            f"execution_id {message.execution_id!r} is neither <task>:<ms> nor <task>:manual:<id>",
            field="execution_id",
        )
    if key.execution_id != message.execution_id:  # e.g. leading zeros in the time
        raise MalformedMessage("execution_id is not in canonical form", field="execution_id")
    return key


def load_current_task(message: FireMessage) -> TaskItem | None:
    """The message's task, or None when the message is stale.

    The guard reads the task's small schedule state consistently: it decides deleted,
    paused and rescheduled exactly. Only then is the definition (target, payload,
    policies) needed: the copy the message carries when its version is the one the
    schedule state names (`carried_task`), else read, once and eventually consistent,
    which is exact because the schedule state names the definition's current version
    (`store.get_definition`). A task stored before schedule states existed is guarded by
    its definition, read consistently.
    """
    schedule_state = store.get_schedule_state(message.task_id)
    task: TaskItem | None = None
    if schedule_state is None:
        task = _old_layout_task(message.task_id)
        why = staleness(message, task)
    else:
        why = staleness(message, schedule_state)
        if why is None:
            task = carried_task(message, schedule_state) or store.get_definition(
                message.task_id, at_least_version=int(schedule_state.version)
            )
    if task is None or why is not None:
        _dropped(message, why or "task deleted")
        return None
    if excluded_since_planned(message, task, store.CalendarCache()):
        _dropped(message, EXCLUDED)
        return None
    task.schedule_state = schedule_state
    return task


def load_current_tasks(messages: Sequence[FireMessage]) -> dict[str, TaskItem | None]:
    """`load_current_task` for a batch's messages at once, by execution id: two requests
    for the batch (its schedule states, read consistently, then the definitions the
    fresh messages need), where one at a time would make two per message.

    Exact as `load_current_task` is, as long as the batch's records start when it is read
    (they do: a batch's records run together). Messages whose task has no schedule state
    (deleted, or stored before schedule states existed) are left out, for
    `load_current_task` to decide one by one. Records of one task share its TaskItem,
    which the executor only reads. Messages carrying their task's current definition
    need no definition read: a batch of those only, one request.
    """
    states = store.get_schedule_states(m.task_id for m in messages)
    current: dict[str, TaskItem | None] = {}
    fresh: list[FireMessage] = []
    carried: dict[str, TaskItem] = {}
    for message in messages:
        state = states.get(message.task_id)
        if state is None:
            continue
        why = staleness(message, state)
        if why is None:
            fresh.append(message)
            copy = carried_task(message, state)
            if copy is not None:
                carried[message.execution_id] = copy
        else:
            _dropped(message, why)
            current[message.execution_id] = None
    definitions = store.get_definitions(
        {m.task_id: int(states[m.task_id].version) for m in fresh if m.execution_id not in carried}
    )
    calendars = store.CalendarCache()  # each calendar read once per batch
    for message in fresh:
        task = carried.get(message.execution_id) or definitions.get(message.task_id)
        if task is None:
            _dropped(message, "task deleted")
        elif excluded_since_planned(message, task, calendars):
            _dropped(message, EXCLUDED)
            task = None
        else:
            task.schedule_state = states[message.task_id]
        current[message.execution_id] = task
    return current


def carried_task(message: FireMessage, state: ScheduleItem) -> TaskItem | None:
    """The definition the message carries, when it is the task's current one: its
    version is the one the schedule state, read consistently, names (every edit of a
    definition moves its version, so an edit since the fire was sent makes this None
    and the definition is read)."""
    if message.definition is None:
        return None
    task = store.definition_from_carried(message.task_id, message.tenant, message.definition, state)
    if task is None and message.definition.get("version") == int(state.version):
        # Current, yet unusable: a producer's bug, worth an operator's look (no harm done).
        logger.warning(
            "carried definition unusable; reading it",
            extra={"execution_id": message.execution_id},
        )
    return task


EXCLUDED = "its day is excluded by a calendar changed since the fire was planned"


def excluded_since_planned(
    message: FireMessage, task: TaskItem, calendars: store.CalendarCache
) -> bool:
    """Whether a scheduled fire now falls on a day a calendar of the task excludes.

    Planning skipped the excluded days as they were then; a change to the task's own
    `exclude` bumps its schedule_version (the fire is stale already), but a calendar
    can change after the fire was sent. Only tasks whose `exclude` names a calendar are
    checked, from the definition already read: the others cost nothing more. Read per
    batch, so a calendar changed while a fire waits in the queue applies to it.
    """
    if message.kind != FireKind.SCHEDULED or not calendar_names(task.exclude or []):
        return False
    suffix = message.execution_id[len(message.task_id) + 1 :]
    if not suffix.isdigit():
        return False
    timing = store.timing_of(task, calendars.excluded_days(task.tenant, task.exclude))
    return is_excluded(timing, from_ms(int(suffix)))


def _dropped(message: FireMessage, why: str) -> None:
    logger.info("stale message dropped", extra={"execution_id": message.execution_id, "why": why})


def _old_layout_task(task_id: str) -> TaskItem | None:
    # Deleted (its definition is gone too), or not yet migrated: the next sweep gives it
    # a schedule state, and until then its definition carries everything the guard reads.
    try:
        return store.get_task_any_tenant(task_id, consistent=True)
    except store.TaskNotFound:
        return None


def staleness(message: FireMessage, task: TaskItem | ScheduleItem | None) -> str | None:
    """Why the message no longer stands for a run the task wants, or None.

    `task` is the task's schedule state (or, for a task stored before those existed, its
    definition). Paused tasks drop scheduled fires only: manual triggers run while
    paused (as the API promises), and backfills and redrives are explicit requests too.
    Only planned fires go stale: a scheduled fire with any newer schedule_version (a
    timing change, or a resume, which outdates the fires sent ahead before the pause), a
    backfill only with a timing change (it was asked for explicitly, paused or not).
    """
    if task is None:
        return "task deleted"
    if task.tenant != message.tenant:
        return "task belongs to another tenant"
    if message.kind == FireKind.SCHEDULED and task.state == TaskState.PAUSED:
        return "task paused"
    if message.kind == FireKind.SCHEDULED and message.schedule_version < int(task.schedule_version):
        return "schedule changed since the fire was planned"
    if message.kind == FireKind.BACKFILL and message.schedule_version < timing_version(task):
        return "schedule changed since the fire was planned"
    return None


def timing_version(task: TaskItem | ScheduleItem) -> int:
    """The schedule_version at which the task's current timing took effect."""
    # A definition (a task stored before schedule states) bumped it for timing only.
    if isinstance(task, ScheduleItem) and task.timing_version is not None:
        return int(task.timing_version)
    return int(task.schedule_version)
