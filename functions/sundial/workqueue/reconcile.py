"""The reconciler: a safety net that sends a message for each stuck run.

A run stays `running` or `retrying` until a message of it reaches the executor. Should
that message be lost (a queue purged, an emulator's state restored without it, an
operator's mistake), nothing else would ever finish the run. Each dispatcher tick reads
one page of the runs table (store/stuck.py) and sends the stuck runs it finds back to
the work queue.

Never a double run: the message goes through the executor's claim like any other. A
`running` run is taken over only because its lease has ended (the attempt holding it is
gone: a live attempt's lease would still run), a `retrying` one only because its retry
is due, and if the run's own message turns up after all, one of the two claims wins and
the other is dropped as a duplicate. The message is a scheduled fire stamped with the
task's current schedule version: a run of a task paused or deleted since is dropped as
any of its fires would be, and a schedule change does not cancel a run already started.
"""

from __future__ import annotations

from typing import Any

from sundial.core import clock
from sundial.core.vocabulary import FireKind
from sundial.observability import logger
from sundial.store import stuck
from sundial.store.errors import TaskNotFound
from sundial.store.tasks import get_task_any_tenant
from sundial.workqueue.send import OutgoingMessage, message_for, send_now


def reconcile(
    *, after_ms: int, page_size: int, now_ms: int | None = None, sqs: Any | None = None
) -> int:
    """Re-drive the stuck runs of the next page of the runs table; how many were sent."""
    now = clock.now_ms() if now_ms is None else now_ms
    page = stuck.find_stuck_runs(
        now_ms=now, after_ms=after_ms, page_size=page_size, start=stuck.load_reconcile_cursor()
    )
    outgoing: list[OutgoingMessage] = []
    for run in page.runs:
        try:
            task = get_task_any_tenant(str(run.task_id))
        except TaskNotFound:
            continue  # deleted: nothing to run; the run expires with its history
        outgoing.append(
            message_for(
                task.schedule_state or task,
                str(run.execution_id),
                int(run.fire_at),
                FireKind.SCHEDULED,
            )
        )
    sent = send_now(outgoing, sqs=sqs) if outgoing else set()
    if outgoing:
        logger.warning(
            "stuck runs sent back to work",
            extra={"stuck": len(outgoing), "sent": len(sent), "after_ms": after_ms},
        )
    # Saved after the sends: a tick that dies before this scans the page again.
    stuck.save_reconcile_cursor(page.next_start)
    return len(sent)
