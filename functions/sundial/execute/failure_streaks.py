"""`pause_after_failures`: a task whose runs keep failing pauses itself.

After a run's outcome is recorded: a final failure (the run is `failed`, dead-lettered)
adds to the task's streak (`store.count_failure`, once per fire), and the failure that
makes it reach the setting pauses the task through the same path as a user pause; a
success ends a streak. A task without the setting writes nothing here, and a success
writes only when a streak is open, so neither costs a request on the per-fire path.

Neither may change the run's own outcome, which is already recorded: a write that fails
here is logged and counted, not raised.
"""

from __future__ import annotations

from sundial import store
from sundial.core.clock import from_ms
from sundial.core.vocabulary import PauseReason, TaskState
from sundial.execute.attempt import Attempt
from sundial.observability import logger, metrics
from sundial.store import TaskItem
from sundial.workqueue.pausing import pause_task


def run_succeeded(attempt: Attempt) -> None:
    """End the task's failure streak, if it has the setting and a streak is open."""
    task = attempt.task
    state = task.schedule_state
    if task.pause_after_failures is None or state is None or not state.failure_streak:
        return
    try:
        store.end_failure_streak(task.task_id)
    except Exception:
        logger.exception("could not end the failure streak", extra={"task_id": task.task_id})


def run_failed(attempt: Attempt, now_ms: int) -> None:
    """Count the run's final failure; pause the task when its streak reaches the setting."""
    task = attempt.task
    if task.pause_after_failures is None:
        return
    limit = int(task.pause_after_failures)
    try:
        streak = store.count_failure(task.task_id, attempt.key.fire_key)
        if streak < limit:
            return

        def streak_ended(current: TaskItem) -> bool:
            # A success, a resume or a change of the setting since: no pause.
            state = current.schedule_state
            setting = current.pause_after_failures
            return (
                current.state != TaskState.ACTIVE
                or setting is None
                or state is None
                or int(state.failure_streak or 0) < int(setting)
            )

        paused = pause_task(
            attempt.message.tenant,
            task.task_id,
            PauseReason.FAILURES,
            from_ms(now_ms),
            unless=streak_ended,
        )
    except store.TaskNotFound:
        return  # deleted meanwhile
    except Exception:
        logger.exception("could not pause the failing task", extra={"task_id": task.task_id})
        metrics.add_metric(name="FailurePauseErrors", unit="Count", value=1)
        return
    if paused.state == TaskState.PAUSED and paused.pause_reason == PauseReason.FAILURES:
        # The seam where `task.paused` is to be emitted: the pause is committed.
        logger.info(
            "task paused after failures", extra={"task_id": task.task_id, "failures": streak}
        )
