"""The overlap marker on a task's schedule-state item: who runs, and who waits.

Two slots, each one conditional write to take or leave:

* the *running* slot (`running_execution`, `running_until`): the execution currently
  running the task, until its run lease ends (so a crashed run frees it by itself);
* the *waiting* slot (`waiting_execution`, `waiting_until`, `waiting_receipt`), used by
  `buffer_one` only: the one execution waiting for the running one, and the SQS receipt
  handle of its message, with which the finishing run makes it visible at once.

A slot is free when its attribute is absent or its time has passed; an execution may
always retake a slot it holds (a redelivery of the same execution). Only tasks whose
overlap policy is `skip` or `buffer_one` are ever written here.

Each write's condition holds again for the write itself, so when DynamoDB applied one
whose response was lost, the SDK's retry passes and re-writes the same values instead
of reporting the slot taken by another execution: taking a slot accepts a slot held by
the same execution, and leaving it accepts a slot already free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from sundial.store import writes
from sundial.store.errors import StoreError, TaskNotFound
from sundial.store.models import ScheduleItem, schedule_key


@dataclass(frozen=True)
class Slots:
    """The marker as a failed write found it."""

    running_execution: str | None = None
    running_until: int | None = None
    waiting_execution: str | None = None
    waiting_until: int | None = None

    def running_held(self, now_ms: int, by_other_than: str) -> bool:
        return _held(self.running_execution, self.running_until, now_ms, by_other_than)

    def waiting_held(self, now_ms: int, by_other_than: str) -> bool:
        return _held(self.waiting_execution, self.waiting_until, now_ms, by_other_than)


def _held(execution: str | None, until: int | None, now_ms: int, other_than: str) -> bool:
    return execution is not None and execution != other_than and int(until or 0) >= now_ms


class SlotTaken(StoreError):
    """Another execution holds the slot; `slots` shows the marker as it was."""

    def __init__(self, task_id: str, slots: Slots):
        super().__init__(f"overlap slot of task {task_id} is taken: {slots}")
        self.task_id = task_id
        self.slots = slots


def take_running_slot(
    task_id: str, execution_id: str, *, until_ms: int, now_ms: int, honour_waiting: bool
) -> None:
    """Become the task's running execution until `until_ms`.

    With `honour_waiting` (buffer_one) the slot is only taken when no *other* execution
    waits for it (the waiter goes first), and taking it ends this execution's own wait.
    Raises SlotTaken, or TaskNotFound when the task is gone.
    """
    condition = ScheduleItem.key.exists() & _free(
        ScheduleItem.running_execution, ScheduleItem.running_until, execution_id, now_ms
    )
    actions = [
        ScheduleItem.running_execution.set(execution_id),
        ScheduleItem.running_until.set(until_ms),
    ]
    if honour_waiting:
        condition &= _free(
            ScheduleItem.waiting_execution, ScheduleItem.waiting_until, execution_id, now_ms
        )
        # The condition leaves the waiting slot free or ours: clearing it is always right.
        actions += [
            ScheduleItem.waiting_execution.remove(),
            ScheduleItem.waiting_until.remove(),
            ScheduleItem.waiting_receipt.remove(),
        ]
    _write(task_id, actions, condition)


def take_waiting_slot(
    task_id: str,
    execution_id: str,
    *,
    behind: str,
    until_ms: int,
    receipt_handle: str,
    now_ms: int,
) -> None:
    """Become the one execution waiting behind `behind`, until `until_ms`.

    Only while `behind` still runs: if it finished in the meantime, waiting would wait
    for nobody (and nobody would wake us). Raises SlotTaken, or TaskNotFound.
    """
    condition = (
        ScheduleItem.key.exists()
        & _free(ScheduleItem.waiting_execution, ScheduleItem.waiting_until, execution_id, now_ms)
        & (ScheduleItem.running_execution == behind)
        & (ScheduleItem.running_until >= now_ms)
    )
    actions = [
        ScheduleItem.waiting_execution.set(execution_id),
        ScheduleItem.waiting_until.set(until_ms),
        ScheduleItem.waiting_receipt.set(receipt_handle),
    ]
    _write(task_id, actions, condition)


def leave_running_slot(task_id: str, execution_id: str, *, now_ms: int) -> str | None:
    """Give the running slot up; the receipt handle of a live waiter to wake, if any.

    A slot this execution no longer holds (it expired and was taken over) is left alone.
    A slot found free is left as it is (our own leave applied with its response lost, or
    the slot expired and its taker left it too), and a live waiter is woken all the
    same: at worst its message is made visible twice, and its claim sorts that out.
    """
    actions = [ScheduleItem.running_execution.remove(), ScheduleItem.running_until.remove()]
    condition = ScheduleItem.key.exists() & (
        (ScheduleItem.running_execution == execution_id)
        | ScheduleItem.running_execution.does_not_exist()
    )
    try:
        raw = writes.update(ScheduleItem, schedule_key(task_id), None, actions, condition)
    except writes.ConditionFailed:
        return None
    task = ScheduleItem.from_raw_data(raw)
    if task.waiting_execution is None or int(task.waiting_until or 0) < now_ms:
        return None
    return task.waiting_receipt


def _free(execution: Attribute[Any], until: Attribute[Any], me: str, now_ms: int) -> Condition:
    return execution.does_not_exist() | (until < now_ms) | (execution == me)


def _write(task_id: str, actions: Sequence[Action], condition: Condition) -> None:
    try:
        writes.update(ScheduleItem, schedule_key(task_id), None, actions, condition)
    except writes.ConditionFailed as exc:
        old = exc.old_item
        if old is None:
            raise TaskNotFound(task_id) from None
        task = ScheduleItem.from_raw_data(old)
        raise SlotTaken(
            task_id,
            Slots(
                running_execution=task.running_execution,
                running_until=_int(task.running_until),
                waiting_execution=task.waiting_execution,
                waiting_until=_int(task.waiting_until),
            ),
        ) from None


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
