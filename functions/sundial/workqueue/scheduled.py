"""Scheduled fires: plan, send, then commit (steps 2-4 of docs/dispatch.md "How dispatch works"),
for the sweep and for the API's dispatch-on-write alike.

1. Plan each due task with the pure planner, as far ahead as its `Reach` allows.
2. Enqueue first: send every planned fire, each batch's delay computed as it goes out.
3. Then commit: advance each task whose fires *all* went out, conditionally on the
   `due_at` and `schedule_version` its read saw (one UpdateItem of the task's small
   schedule-state item, never of its definition).

A crash anywhere leaves either nothing sent (nothing lost) or messages sent and the
task not advanced (the next sweep re-sends: duplicates the executor drops). A task is
never advanced past a fire whose message did not go out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sundial import clients, store
from sundial.core.clock import SYSTEM_CLOCK, Clock, from_ms, to_ms, utc_now
from sundial.core.planning import Plan, Timing, plan_fires
from sundial.core.vocabulary import FireKind, TaskState
from sundial.observability import logger
from sundial.settings import Settings, get_settings
from sundial.store import ScheduleItem, TaskItem
from sundial.store.exclusions import CalendarCache
from sundial.workqueue.config import work_queue_url
from sundial.workqueue.send import OutgoingMessage, message_for, send_messages
from sundial.workqueue.send_timing import SendTiming


@dataclass(frozen=True)
class Reach:
    """How far ahead one plan goes (`core.planning.plan_fires`).

    Every fire inside `horizon` is sent; past it, up to `max_fires` fires per task in
    all, as long as they start within `lookahead`, so that one commit covers many fires
    of a frequent task. A lookahead sends fires of the current schedule early; the
    executor drops those an update, pause or delete has made stale.
    """

    horizon: timedelta
    lookahead: timedelta = timedelta(0)
    max_fires: int = 0

    @classmethod
    def of(cls, settings: Settings) -> Reach:
        return cls(
            horizon=timedelta(seconds=settings.horizon_seconds),
            lookahead=timedelta(seconds=settings.lookahead_seconds),
            max_fires=settings.max_fires_per_commit,
        )


@dataclass
class SweepReport:
    """What one sweep (or one dispatch-on-write) did; the handler turns it into metrics."""

    fires_emitted: int = 0
    tasks_committed: int = 0
    tasks_completed: int = 0
    # Another sweep or an API write advanced the task first; its fires we sent are duplicates.
    commit_conflicts: int = 0
    duplicates_sent: int = 0
    # Tasks left for the next sweep because a message (or the commit) did not go through.
    tasks_deferred: int = 0
    items_read: int = 0
    shards_swept: int = 0
    # Another sweep held the sweep lease, so this one left every shard to it.
    lease_busy: int = 0
    # Shards whose query failed past the SDK's retries; swept again next tick.
    shard_errors: int = 0
    # Shards with due work left when the time budget ran out.
    backlog_shards: int = 0
    # How far behind its fire time each late message was sent.
    lag_ms: list[int] = field(default_factory=list)

    def add(self, other: SweepReport) -> None:
        for name, value in vars(other).items():
            if isinstance(value, list):
                getattr(self, name).extend(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    def summary(self) -> dict[str, Any]:
        result = {k: v for k, v in vars(self).items() if not isinstance(v, list)}
        result["max_lag_ms"] = max(self.lag_ms, default=0)
        return result


def send_then_commit(
    items: list[ScheduleItem],
    now: datetime,
    report: SweepReport,
    *,
    sqs: Any,
    queue_url: str,
    reach: Reach,
    clock: Clock = SYSTEM_CLOCK,
    timing: SendTiming | None = None,
    calendars: CalendarCache | None = None,
    definitions: Mapping[str, TaskItem] | None = None,
) -> None:
    """Plan, enqueue, then commit these due tasks (one page of a sweep, or one task).

    With `timing` (a sweep's), messages go out at the phase that shows them its lead
    before their fire times; without (dispatch-on-write: an API request does not wait),
    at once. `calendars` caches the calendars read for tasks that exclude days (a
    sweep shares one across its pages). `definitions`: definitions at hand (the API's,
    just written), by task id, which saves reading them to carry them.
    """
    calendars = calendars if calendars is not None else CalendarCache()
    plans: list[tuple[ScheduleItem, Plan]] = []
    for item in items:
        plan = _plan(item, now, reach, calendars)
        if plan is None:
            report.tasks_deferred += 1
            continue
        plans.append((item, plan))
    carried = carried_definitions([item for item, plan in plans if plan.fires], definitions)
    planned = [
        (item, plan, _messages(item, plan, carried.get(item.task_id))) for item, plan in plans
    ]

    outgoing = [m for _, _, messages in planned for m in messages]
    sent = send_messages(sqs, queue_url, outgoing, clock=clock, timing=timing)
    sent_at = to_ms(clock.utc_now())
    report.fires_emitted += len(sent)
    fire_times = {f.execution_id: to_ms(f.fire_at) for _, plan, _ in planned for f in plan.fires}
    report.lag_ms.extend(sent_at - fire_times[key] for key in sent if sent_at > fire_times[key])

    for item, plan, messages in planned:
        if any(m.key not in sent for m in messages):
            # Sending failed for this task: do not advance it; the next sweep retries.
            report.tasks_deferred += 1
            continue
        _commit(item, plan, report, len(messages))


def dispatch_now(
    task: ScheduleItem, now: datetime | None = None, *, definition: TaskItem | None = None
) -> int:
    """Enqueue and commit the task's fires due within the horizon (and as far ahead as
    a sweep would plan them); returns fires sent.

    `task` is the schedule state the API just wrote, `definition` the definition it
    wrote with it (carried in the fires' messages when it may be, without a read).

    Called by the API after create, update, resume and backfill, so a task created at
    10:00:30 to fire at 10:00:40 fires at 10:00:40, not at the next tick. Nothing is due
    (0) when the task has no pending fire inside the horizon. Losing the commit to a
    concurrent sweep is fine: that sweep sent the same fires (the executor drops the
    duplicates).
    """
    if task.due_at is None:
        return 0
    settings = get_settings()
    queue_url = work_queue_url(settings)
    reach = Reach.of(settings)
    now = now or utc_now()
    if int(task.due_at) > to_ms(now + reach.horizon):
        return 0
    report = SweepReport()
    send_then_commit(
        [task],
        now,
        report,
        sqs=clients.client("sqs"),
        queue_url=queue_url,
        reach=reach,
        definitions={task.task_id: definition} if definition is not None else None,
    )
    return report.fires_emitted


def carried_definitions(
    items: list[ScheduleItem], known: Mapping[str, TaskItem] | None = None
) -> dict[str, dict[str, Any]]:
    """The definitions the fires of these tasks carry (`store.carried`), by task id:
    only tasks flagged as carrying theirs are read (one eventually consistent
    BatchGetItem per 100; once per commit, which covers every fire it plans). A failed
    read costs nothing but the saving: the fires go out without, and the executor reads
    the definition."""
    known = known or {}
    carried: dict[str, dict[str, Any]] = {}
    wanted = []
    for item in items:
        if not store.is_flagged(item):
            continue
        definition = known.get(item.task_id)
        if definition is None:
            wanted.append(item.task_id)
            continue
        copy = store.carried_of(definition)
        if copy is not None:
            carried[item.task_id] = copy
    if wanted:
        try:
            carried.update(store.read_carried(wanted))
        except Exception:
            logger.exception("could not read the definitions to carry; fires go without")
    return carried


def planning_timing(item: ScheduleItem, calendars: CalendarCache) -> Timing:
    """What the planner needs of a due task. The schedule state (as the due index
    projects it) holds it all, except for a task that excludes days: its definition's
    `exclude` is read (one GetItem, eventually consistent) and the calendars named
    there (once per sweep), so a calendar changed since the last plan applies to every
    fire planned from now on."""
    if not store.has_exclusions(item):
        return store.timing_of(item)
    # The index entry carries schedule_version, not version: an `exclude` change bumps it.
    definition = store.get_timing_definition(item.task_id, int(item.schedule_version))
    exclude = definition.exclude if definition is not None else None
    return store.timing_of(item, calendars.excluded_days(item.tenant, exclude))


def _plan(item: ScheduleItem, now: datetime, reach: Reach, calendars: CalendarCache) -> Plan | None:
    try:
        return plan_fires(
            planning_timing(item, calendars),
            from_ms(int(item.due_at)),
            now,
            reach.horizon,
            lookahead=reach.lookahead,
            max_fires=reach.max_fires,
        )
    except Exception:
        # A task that cannot be planned (stored before a parser change?) must not
        # stop the others; it stays due and is reported every sweep until fixed.
        logger.exception("cannot plan task", extra={"task_id": item.task_id})
        return None


def _messages(
    item: ScheduleItem, plan: Plan, definition: dict[str, Any] | None
) -> list[OutgoingMessage]:
    return [
        message_for(
            item,
            fire.execution_id,
            to_ms(fire.fire_at),
            FireKind.SCHEDULED,
            coalesced=fire.coalesced,
            deliver_at_fire_time=True,
            definition=definition,
        )
        for fire in plan.fires
    ]


def _commit(item: ScheduleItem, plan: Plan, report: SweepReport, sent: int) -> None:
    finished = plan.next_due_at is None
    # The plan never exceeds the runs left (core.planning), and a plan that uses them up
    # finishes the task in this same commit.
    limit = store.timing_of(item).runs_left
    runs_left = None if limit is None else limit - len(plan.fires)
    try:
        won = store.commit_dispatch(
            item.task_id,
            int(item.due_at),
            int(item.schedule_version),
            to_ms(plan.next_due_at) if plan.next_due_at is not None else None,
            max((to_ms(f.scheduled_at) for f in plan.fires), default=None),
            fires=sent,
            state=TaskState.COMPLETED if finished else None,
            runs_left=runs_left,
        )
    except Exception:
        # Throttled past the SDK's retries, or the network failed: the messages went
        # out, the task stays due, the next sweep re-sends (duplicates, never a loss).
        logger.exception("commit failed", extra={"task_id": item.task_id})
        report.tasks_deferred += 1
        return
    if won:
        report.tasks_committed += 1
        report.tasks_completed += int(finished)
    else:
        report.commit_conflicts += 1
        report.duplicates_sent += sent
