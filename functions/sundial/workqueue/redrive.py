"""Redrive (`POST /dead-letters/redrive`): dead-lettered runs go back to work.

Each chosen run returns to `retrying` with its attempt count kept and gets a `redrive`
message; it runs again like any retry and its dead letter is removed when it succeeds.
A redriven run gets a fresh retry budget: `retry.max_attempts` further attempts (the
attempt numbers continue, e.g. 4, 5, 6 after a run that failed on attempt 3), and its
event age counts from the redrive. If it fails again, it is dead-lettered again (its
new dead letter replaces the old one).
"""

from __future__ import annotations

from collections.abc import Iterable

from sundial.core import clock
from sundial.core.vocabulary import FireKind
from sundial.observability import logger
from sundial.store import deadletters as records
from sundial.store.errors import TaskNotFound
from sundial.store.models import TaskItem
from sundial.store.tasks import get_task
from sundial.workqueue.send import OutgoingMessage, message_for, send_now

# One call redrives at most this many runs (two writes and a share of a send each), so
# it fits an API request's time; the caller repeats the call for more.
MAX_REDRIVE_PER_CALL = 1000


def redrive(
    tenant: str,
    execution_ids: Iterable[str] | None = None,
    *,
    limit: int = MAX_REDRIVE_PER_CALL,
    now_ms: int | None = None,
    sqs: object | None = None,
) -> int:
    """Redrive the tenant's dead letters (all of them, or those of `execution_ids`);
    the number of runs sent back to work.

    Execution ids the tenant has no dead letter for are ignored (another tenant's look
    exactly like unknown ones). Repeating a redrive is safe: a run already running again
    is left alone, and one redriven but not started yet is sent again (duplicates are
    dropped by the executor's claim).
    """
    wanted = None if execution_ids is None else set(execution_ids)
    if wanted is not None and not wanted:
        return 0
    now = clock.now_ms() if now_ms is None else now_ms
    tasks: dict[str, TaskItem | None] = {}
    outgoing: list[OutgoingMessage] = []
    for letter in records.iter_dead_letters(tenant):
        if len(outgoing) >= limit:
            break
        if wanted is not None and letter.execution_id not in wanted:
            continue
        task = _task(tenant, letter.run_task_id, tasks)
        if task is None:
            continue  # deleted: nothing to run; the letter expires with its run
        state, run = records.reopen_for_redrive(letter, now_ms=now)
        if state is records.Reopened.STALE:
            records.delete_dead_letter(letter)
            continue
        if state is records.Reopened.BUSY or run is None:
            continue
        outgoing.append(message_for(task, letter.execution_id, int(run.fire_at), FireKind.REDRIVE))
    if not outgoing:
        return 0
    sent = send_now(outgoing, sqs=sqs)
    if len(sent) < len(outgoing):
        # Those runs stay `retrying` with their dead letter: a repeated redrive sends them.
        logger.warning(
            "some redrive messages were not sent", extra={"unsent": len(outgoing) - len(sent)}
        )
    return len(sent)


def _task(tenant: str, task_id: str, cache: dict[str, TaskItem | None]) -> TaskItem | None:
    if task_id not in cache:
        try:
            cache[task_id] = get_task(tenant, task_id)
        except TaskNotFound:
            cache[task_id] = None
    return cache[task_id]
