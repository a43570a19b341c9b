"""Step 6 of the execution protocol, and every other write of how a claimed run ended.

Each write is conditioned on the attempt still holding its claim (`store.runs.held_by`): an
attempt whose lease ran out and was taken over is `superseded`, and its outcome is
dropped rather than written over the newer attempt's record.

An outcome write that fails for a passing reason (throttled or timed out to the end of
the SDK's retries) is tried again, a few times: the target has run, and an outcome left
unwritten has the next attempt run it again once the lease ends. Trying again is safe,
because each write knows its own earlier application (store/writes.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from sundial import store
from sundial.core.clock import Clock
from sundial.core.notification_events import outcome_marks
from sundial.core.vocabulary import FireKind, Outcome, RunStatus
from sundial.execute import failure_streaks
from sundial.execute.attempt import Attempt, Processed
from sundial.execute.retry import plan_retry
from sundial.observability import logger
from sundial.store import deadletters as dead_letter_records
from sundial.targets.failures import TargetFailure
from sundial.workqueue.deadletters import run_letter_message
from sundial.workqueue.delivery import WorkQueue

T = TypeVar("T")

# Tries of one outcome write, and the wait before the second (doubling after).
OUTCOME_WRITE_TRIES = 3
OUTCOME_RETRY_WAIT_SECONDS = 0.2

# Kinds whose lateness (start - fire time) measures the scheduler: backfills and
# redrives start late by design.
ON_TIME_KINDS = frozenset({FireKind.SCHEDULED, FireKind.MANUAL})


class OutcomeRecorder:
    """Writes what became of claimed runs; thread-safe, like the Executor that owns it."""

    def __init__(self, queue: WorkQueue, clock: Clock, random_source: Callable[[], float]):
        self.queue = queue
        self.clock = clock
        self.random = random_source

    def record_outcome(
        self, attempt: Attempt, result: Any, failure: TargetFailure | None, started_ms: int
    ) -> Processed:
        """The target's result: succeeded; or retrying (backoff, message hidden until
        then); or failed and dead-lettered."""
        now = self.clock.now_ms()
        number = attempt.number
        # The first attempt's lateness is the run's; later attempts are late by design.
        lateness = max(0, started_ms - attempt.message.fire_at) if number == 1 else None
        reported = lateness if attempt.message.kind in ON_TIME_KINDS else None
        if failure is None:
            try:
                self._record_success(attempt, result, now, lateness)
            except store.StaleAttempt:
                return self.superseded(attempt)
            failure_streaks.run_succeeded(attempt)
            return Processed(
                Outcome.SUCCEEDED, acknowledge=True, attempt=number, lateness_ms=reported
            )
        plan = plan_retry(
            failure,
            attempts_used=attempt.attempts_used,
            policy=attempt.policy,
            age_origin_ms=attempt.age_origin_ms,
            now_ms=now,
            random=self.random,
        )
        if plan.delay_seconds is None:
            failed = self.dead_letter(attempt, failure.message, str(plan.reason), now, lateness)
            return Processed(
                failed.outcome,
                failed.acknowledge,
                attempt=number,
                lateness_ms=reported,
                dead_lettered=failed.dead_lettered,
            )
        try:
            self.persist(
                store.record_retry,
                attempt.key.task_id,
                attempt.key.fire_key,
                number,
                claim_token=attempt.claim_token,
                next_attempt_at_ms=now + plan.delay_seconds * 1000,
                error=failure.message,
                now_ms=now,
                lateness_ms=lateness,
                **_marked(attempt, RunStatus.RETRYING),
            )
        except store.StaleAttempt:
            return self.superseded(attempt)
        acknowledged = self.queue.return_later(attempt.delivery, plan.delay_seconds)
        return Processed(Outcome.RETRYING, acknowledged, attempt=number, lateness_ms=reported)

    def _record_success(
        self, attempt: Attempt, result: Any, now: int, lateness: int | None
    ) -> None:
        if attempt.run.dead_lettered_at is None:
            self.persist(
                store.record_success,
                attempt.key.task_id,
                attempt.key.fire_key,
                attempt.number,
                claim_token=attempt.claim_token,
                finished_at_ms=now,
                result=result,
                lateness_ms=lateness,
                **_marked(attempt, RunStatus.SUCCEEDED),
            )
            return
        # A redriven run: its dead letter leaves with this success.
        self.persist(
            dead_letter_records.record_redriven_success,
            attempt.key.task_id,
            attempt.key.fire_key,
            attempt.number,
            claim_token=attempt.claim_token,
            tenant=attempt.message.tenant,
            execution_id=attempt.message.execution_id,
            dead_lettered_at=int(attempt.run.dead_lettered_at),
            finished_at_ms=now,
            result=result,
            lateness_ms=lateness,
            **_marked(attempt, RunStatus.SUCCEEDED),
        )

    def record_skipped(self, attempt: Attempt, reason: str) -> Processed:
        """The run is not run (the overlap policy said so): `skipped` with `reason`."""
        now = self.clock.now_ms()
        try:
            self.persist(
                store.record_skipped,
                attempt.key.task_id,
                attempt.key.fire_key,
                attempt.number,
                claim_token=attempt.claim_token,
                reason=reason,
                finished_at_ms=now,
            )
        except store.StaleAttempt:
            return self.superseded(attempt)
        return Processed(Outcome.SKIPPED, acknowledge=True)

    def dead_letter(
        self, attempt: Attempt, error: str, reason: str, now: int, lateness_ms: int | None
    ) -> Processed:
        """Fail the run for good: the dead-letter queue message first, then the run's
        `failed` status with its dead-letter record in one transaction.

        In this order a crash in between sends the message twice (the redelivery fails
        the run again) rather than not at all.
        """
        letter = dead_letter_records.DeadLetter(
            tenant=attempt.message.tenant,
            task_id=attempt.key.task_id,
            fire_key=attempt.key.fire_key,
            execution_id=attempt.message.execution_id,
            fire_at_ms=attempt.message.fire_at,
            kind=attempt.message.kind,
            attempt=attempt.number,
            error=error,
            reason=reason,
            dead_lettered_at_ms=now,
        )
        self.queue.send_dead_letter(run_letter_message(letter))
        previous = attempt.run.dead_lettered_at
        try:
            self.persist(
                dead_letter_records.record_dead_letter,
                letter,
                claim_token=attempt.claim_token,
                previous_dead_lettered_at=int(previous) if previous is not None else None,
                lateness_ms=lateness_ms,
                **_marked(attempt, RunStatus.FAILED),
            )
        except store.StaleAttempt:
            return self.superseded(attempt)
        logger.warning(
            "run dead-lettered",
            extra={"execution_id": letter.execution_id, "reason": reason, "error": error},
        )
        failure_streaks.run_failed(attempt, now)
        return Processed(Outcome.FAILED, acknowledge=True, dead_lettered=True)

    def persist(self, write: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`write(*args, **kwargs)`, tried again while it fails for a passing reason
        (StaleAttempt and every other error are raised at once)."""
        tried = 1
        while True:
            try:
                return write(*args, **kwargs)
            except (ClientError, BotoCoreError, store.TransactionConflict) as exc:
                if tried == OUTCOME_WRITE_TRIES or not _passing(exc):
                    raise
            logger.warning("outcome write failed; trying again", exc_info=True)
            self.clock.sleep(OUTCOME_RETRY_WAIT_SECONDS * 2 ** (tried - 1))
            tried += 1

    def superseded(self, attempt: Attempt) -> Processed:
        """The attempt lost its claim before recording its outcome: drop the outcome."""
        # Its lease ran out and a newer attempt took the run over: the newer one owns the
        # record (and its own message).
        logger.warning(
            "attempt lost its claim before recording its outcome",
            extra={"execution_id": attempt.message.execution_id, "attempt": attempt.number},
        )
        return Processed(Outcome.SUPERSEDED, acknowledge=True)


def _marked(attempt: Attempt, status: RunStatus) -> dict[str, Any]:
    """The `notify` argument of an outcome write setting `status`: the events it reports
    that the task's notifications ask for; no argument at all when none is asked for, so
    the write is exactly what it was before notifications existed."""
    marks = outcome_marks(attempt.task.notifications, status)
    return {"notify": marks} if marks else {}


# DynamoDB's answers that say "not now" rather than "never": the same write may pass later.
PASSING_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


def _passing(exc: Exception) -> bool:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") in PASSING_ERROR_CODES
    return True  # no answer (timeout, connection), or transactions kept conflicting
