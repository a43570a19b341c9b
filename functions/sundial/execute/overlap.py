"""Overlap policies: may a run start while another run of the task runs?

* `allow` (default): yes; nothing is written, overlapping runs are independent.
* `skip`: a run that finds another execution of the task running is not run; it is
  recorded `skipped` with reason `overlap`.
* `buffer_one`: at most one run waits while one runs. A run that finds the task
  running, with nobody waiting, waits: its claim is given back unused and its message
  hidden until the running one's lease ends, and the running one, when it finishes,
  makes the waiting message visible at once. A run that finds the task running *and*
  another run waiting is skipped (reason `overlap`). The waiting run goes next: a
  run arriving after it cannot take the slot before it (it is skipped instead).

Only `skip` and `buffer_one` tasks are written to (the marker in `store.overlap`). A
crashed run frees the slot when its lease ends; a waiter that never comes back frees
its place WAITING_GRACE_MS after it was due.
"""

from __future__ import annotations

from dataclasses import dataclass

from sundial.store import overlap as slots
from sundial.store.errors import TaskNotFound

SKIP = "skip"
BUFFER_ONE = "buffer_one"
# How long past its due time a waiter keeps its place: enough for SQS to deliver the
# message and the event source mapping to invoke the executor, even when throttled.
WAITING_GRACE_MS = 60_000
# Rounds of "running slot taken, try the waiting slot" before giving up (each round
# loses only to a concurrent change of the marker, so a few suffice).
MAX_ROUNDS = 4


@dataclass(frozen=True)
class Gate:
    """What the policy decided: run (holding the slot or not), skip, or wait until a time."""

    run: bool
    holds_slot: bool = False
    wait_until_ms: int | None = None

    @property
    def skip(self) -> bool:
        return not self.run and self.wait_until_ms is None


RUN_FREELY = Gate(run=True)
RUN_HOLDING_SLOT = Gate(run=True, holds_slot=True)
SKIPPED = Gate(run=False)


def enter(
    policy: str,
    *,
    task_id: str,
    execution_id: str,
    lease_until_ms: int,
    receipt_handle: str,
    now_ms: int,
) -> Gate:
    """Apply the task's overlap policy to a claimed run about to start."""
    if policy not in (SKIP, BUFFER_ONE):
        return RUN_FREELY
    buffered = policy == BUFFER_ONE
    for _ in range(MAX_ROUNDS):
        try:
            slots.take_running_slot(
                task_id,
                execution_id,
                until_ms=lease_until_ms,
                now_ms=now_ms,
                honour_waiting=buffered,
            )
            return RUN_HOLDING_SLOT
        except TaskNotFound:
            return RUN_FREELY  # deleted under us: no later run can overlap this one
        except slots.SlotTaken as taken:
            seen = taken.slots
        if not buffered:
            return SKIPPED
        if seen.waiting_held(now_ms, by_other_than=execution_id):
            return SKIPPED  # one runs, one waits: the buffer is full
        if not seen.running_held(now_ms, by_other_than=execution_id):
            continue  # freed in the meantime: try to run again
        running_until = int(seen.running_until or now_ms)
        try:
            slots.take_waiting_slot(
                task_id,
                execution_id,
                behind=str(seen.running_execution),
                until_ms=running_until + WAITING_GRACE_MS,
                receipt_handle=receipt_handle,
                now_ms=now_ms,
            )
            return Gate(run=False, wait_until_ms=running_until)
        except TaskNotFound:
            return RUN_FREELY
        except slots.SlotTaken:
            continue  # the running run finished, or another run started waiting
    return SKIPPED


def leave(task_id: str, execution_id: str, *, now_ms: int) -> str | None:
    """Free the running slot after the run; the receipt handle of a waiter to wake."""
    return slots.leave_running_slot(task_id, execution_id, now_ms=now_ms)
