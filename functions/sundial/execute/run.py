"""The execution protocol: one delivered message, run effectively once.

`Executor.process` takes a delivery through the steps, each a function of its own:

1. `parse`: a malformed message is dead-lettered and acknowledged, never retried.
2. `admission.load_current_task`: a message for a task that is gone, paused (scheduled
   fires), or rescheduled since (older `schedule_version`) is dropped without a run
   record. A message more than a second early (jitter beyond SQS's 15-minute delay)
   goes back to the queue until due, unclaimed. A batch reads its records' tasks
   together, before they start (`Executor.admit`).
3. `claim`: one conditional write; a finished run is a duplicate (acknowledged), a
   live lease a concurrent duplicate (back to the queue until the lease ends). A
   message up to a second early is claimed at once; its run starts on the fire time.
4. `wait_for_fire_time`, then `enter_overlap`: the task's overlap policy (`overlap.py`).
5. `run_target` inside the task's timeout, bounded by the Lambda's remaining time.
6. `recording.OutcomeRecorder.record_outcome`: succeeded; or retrying (backoff, message
   hidden until then); or failed and dead-lettered.

Every path returns a `Processed` saying whether to acknowledge the message (Lambda
deletes it) or report it as a batch item failure (it comes back when SQS shows it).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sundial import store
from sundial.core.clock import SYSTEM_CLOCK, Clock
from sundial.core.planning import EARLY_CLAIM_MS
from sundial.core.vocabulary import Outcome
from sundial.execute import overlap
from sundial.execute.admission import load_current_task, load_current_tasks, run_key_of
from sundial.execute.attempt import Attempt, Processed, retry_policy
from sundial.execute.recording import OutcomeRecorder
from sundial.execute.retry import ATTEMPTS_EXHAUSTED, EVENT_TOO_OLD, event_too_old
from sundial.observability import logger
from sundial.store.keys import RunKey
from sundial.store.models import RunItem, TaskItem
from sundial.store.runs import release_claim
from sundial.targets import Invocation, TargetEnvironment, run_target
from sundial.targets.failures import TargetFailure, classify
from sundial.workqueue.deadletters import malformed_letter_message
from sundial.workqueue.delivery import Delivery, WorkQueue
from sundial.workqueue.messages import FireMessage, MalformedMessage, parse_message

# A message up to EARLY_CLAIM_MS before its fire time is claimed and the run waits the
# rest out in process. Anything earlier (jitter beyond SQS's 900 s delay limit) goes back
# to the queue until due.
EARLY_TOLERANCE_MS = EARLY_CLAIM_MS
# Time kept after a target's deadline to record its outcome (a few DynamoDB writes and
# an SQS call, with their SDK retries) before the Lambda invocation ends.
OUTCOME_RESERVE_MS = 10_000
# A run with less time than this left in the invocation goes back to the queue for an
# invocation that has the time, rather than start doomed to time out.
MIN_RUN_BUDGET_MS = 1000
# The run lease covers the target's budget, the sub-second wait and the outcome writes;
# a run still holding it past then has died, and the next delivery takes over.
LEASE_MARGIN_MS = EARLY_TOLERANCE_MS + OUTCOME_RESERVE_MS


class Executor:
    """Runs deliveries; thread-safe (the batch handler runs a batch's records in parallel)."""

    def __init__(
        self,
        queue: WorkQueue,
        targets: TargetEnvironment,
        *,
        clock: Clock | None = None,
        random_source: Callable[[], float] = random.random,
    ):
        self.queue = queue
        self.targets = targets
        self.clock = clock or SYSTEM_CLOCK
        self.outcomes = OutcomeRecorder(queue, self.clock, random_source)

    def admit(self, deliveries: Sequence[Delivery]) -> dict[str, TaskItem | None]:
        """Step 2 for a whole batch before its records start: the current task of each
        well-formed message, by execution id (None: stale), in two requests
        (`admission.load_current_tasks`). Each record is then given it (`process`'s
        `current`). A message left out, or a batch whose read fails (the records then
        read their own), goes through step 2 on its own."""
        messages = []
        for delivery in deliveries:
            try:
                messages.append(parse_message(delivery.body))
            except MalformedMessage:
                continue  # its record's own parse dead-letters it
        try:
            return load_current_tasks(messages)
        except Exception:
            logger.exception("batch read of tasks failed; each record reads its own")
            return {}

    def process(
        self,
        delivery: Delivery,
        deadline: float,
        current: Mapping[str, TaskItem | None] | None = None,
        batch_began_ms: int | None = None,
    ) -> Processed:
        """Take one delivery through the protocol; `deadline` is the invocation's end
        (time.monotonic()), `current` what `admit` read for its batch, `batch_began_ms`
        when its batch began (logged with the wait for the fire time). Never raises: an
        unexpected error returns the message to the queue with a short backoff."""
        try:
            return self._process(delivery, deadline, current or {}, batch_began_ms)
        except Exception:
            logger.exception("run failed unexpectedly", extra={"message_id": delivery.message_id})
            self.queue.back_off_after_error(delivery)
            return Processed(Outcome.ERROR, acknowledge=False)

    def _process(
        self,
        delivery: Delivery,
        deadline: float,
        current: Mapping[str, TaskItem | None],
        batch_began_ms: int | None,
    ) -> Processed:
        parsed = self.parse(delivery)
        if parsed is None:
            return Processed(Outcome.MALFORMED, acknowledge=True, dead_lettered=True)
        message, key = parsed
        if message.execution_id in current:
            task = current[message.execution_id]
        else:
            task = load_current_task(message)
        if task is None:
            return Processed(Outcome.STALE, acknowledge=True)
        now = self.clock.now_ms()
        early_ms = message.fire_at - now
        if early_ms > EARLY_TOLERANCE_MS:
            # Whole seconds, rounded down: back up to a second early, never late.
            return self.come_back(delivery, early_ms // 1000, Outcome.EARLY)
        budget_ms = self.run_budget_ms(task, deadline)
        if budget_ms < MIN_RUN_BUDGET_MS:
            return self.come_back(delivery, 0, Outcome.NO_TIME)
        # Claimed before the sub-second wait (the run starts on its fire time: see
        # store.claim_run), so that the fires of one second do not queue behind each
        # other's claims when that second comes.
        claimed = self.claim(delivery, message, key, now, budget_ms + LEASE_MARGIN_MS)
        if isinstance(claimed, Processed):
            return claimed
        attempt = Attempt(delivery, message, key, task, claimed, retry_policy(task))
        exhausted = self.check_budget(attempt, now)
        if exhausted is not None:
            return exhausted
        waited_ms = self.wait_for_fire_time(message, batch_began_ms)
        return replace(self.run_on_time(attempt, deadline), fire_time_wait_ms=waited_ms)

    def run_on_time(self, attempt: Attempt, deadline: float) -> Processed:
        """Steps 4-6 for a claimed run whose fire time has come."""
        now = self.clock.now_ms()
        gate = self.enter_overlap(attempt, now)
        if gate.skip:
            return self.outcomes.record_skipped(attempt, "overlap")
        if gate.wait_until_ms is not None:
            return self.wait_for_running_run(attempt, gate.wait_until_ms)
        try:
            started = self.clock.now_ms()
            result, failure = self.run_target(attempt, deadline)
        finally:
            if gate.holds_slot:
                self.leave_overlap(attempt)
        return self.outcomes.record_outcome(attempt, result, failure, started)

    # --- 1. parse ----------------------------------------------------------------------

    def parse(self, delivery: Delivery) -> tuple[FireMessage, RunKey] | None:
        """The message and its run's keys; None when malformed (dead-lettered)."""
        try:
            message = parse_message(delivery.body)
            return message, run_key_of(message)
        except MalformedMessage as exc:
            logger.error(
                "malformed message dead-lettered",
                extra={"message_id": delivery.message_id, "reason": exc.message},
            )
            letter = malformed_letter_message(delivery, exc.message, self.clock.now_ms())
            self.queue.send_dead_letter(letter)
            return None

    # --- 2. the task, as it is now (admission.py) --------------------------------------

    def run_budget_ms(self, task: TaskItem, deadline: float) -> int:
        """The task's timeout, or less when the invocation ends sooner."""
        left_ms = int((deadline - time.monotonic()) * 1000) - OUTCOME_RESERVE_MS
        return min(int(task.timeout_seconds) * 1000, left_ms)

    # --- 3. claim ----------------------------------------------------------------------

    def claim(
        self, delivery: Delivery, message: FireMessage, key: RunKey, now: int, lease_ms: int
    ) -> RunItem | Processed:
        """The claimed run, or what became of a message that must not run now."""
        try:
            return store.claim_run(
                key.task_id,
                key.fire_key,
                execution_id=message.execution_id,
                fire_at_ms=message.fire_at,
                now_ms=now,
                lease_ms=lease_ms,
                tenant=message.tenant,
            )
        except store.Duplicate as duplicate:
            logger.info(
                "duplicate dropped",
                extra={"execution_id": message.execution_id, "status": duplicate.status},
            )
            return Processed(Outcome.DUPLICATE, acknowledge=True)
        except store.LeaseHeld as held:
            # Another worker runs it now; look again once its lease has ended (+1 s, as
            # the claim needs lease_until < now).
            seconds = (held.lease_until - now) / 1000 + 1
            return self.come_back(delivery, seconds, Outcome.LEASE_HELD)
        except store.NotYetDue as pending:
            seconds = (pending.next_attempt_at - now) / 1000
            return self.come_back(delivery, seconds, Outcome.NOT_YET_DUE)

    def check_budget(self, attempt: Attempt, now: int) -> Processed | None:
        """A takeover (the previous attempt died) beyond the retry budget fails at once."""
        if attempt.attempts_used > attempt.policy.max_attempts:
            return self.outcomes.dead_letter(
                attempt,
                _died(attempt, f"all {attempt.policy.max_attempts} attempts are used"),
                ATTEMPTS_EXHAUSTED,
                now,
                lateness_ms=None,
            )
        if attempt.attempts_used > 1 and event_too_old(
            policy=attempt.policy, age_origin_ms=attempt.age_origin_ms, now_ms=now
        ):
            last = f"; last error: {attempt.run.error}" if attempt.run.error else ""
            error = (
                f"attempt {attempt.number} would start after "
                f"retry.max_event_age_seconds ({attempt.policy.max_event_age_seconds}s){last}"
            )
            return self.outcomes.dead_letter(attempt, error, EVENT_TOO_OLD, now, lateness_ms=None)
        return None

    # --- 4. overlap --------------------------------------------------------------------

    def enter_overlap(self, attempt: Attempt, now: int) -> overlap.Gate:
        return overlap.enter(
            attempt.task.overlap,
            task_id=attempt.message.task_id,
            execution_id=attempt.message.execution_id,
            lease_until_ms=int(attempt.run.lease_until or now),
            receipt_handle=attempt.delivery.receipt_handle,
            now_ms=now,
        )

    def leave_overlap(self, attempt: Attempt) -> None:
        """Free the task's run slot and wake a buffered run waiting for it.

        A failure here must not cost the outcome: the slot frees itself when the lease
        ends, and the waiter comes back when its message's visibility ends.
        """
        try:
            waiter = overlap.leave(
                attempt.message.task_id, attempt.message.execution_id, now_ms=self.clock.now_ms()
            )
        except Exception:
            logger.exception("could not free the overlap slot")
            return
        if waiter is not None:
            self.queue.wake(waiter)

    def wait_for_running_run(self, attempt: Attempt, until_ms: int) -> Processed:
        """buffer_one: give the claim back unused and come back when the running run ends."""
        now = self.clock.now_ms()
        try:
            release_claim(
                attempt.key.task_id,
                attempt.key.fire_key,
                attempt.number,
                claim_token=attempt.claim_token,
                now_ms=now,
            )
        except store.StaleAttempt:
            return self.outcomes.superseded(attempt)
        # Back when the running run's lease ends (+1 s, as slots are free once `until` has
        # passed); the running run wakes this message sooner when it finishes first.
        return self.come_back(attempt.delivery, (until_ms - now) / 1000 + 1, Outcome.WAITING)

    # --- 5. run ------------------------------------------------------------------------

    def wait_for_fire_time(self, message: FireMessage, batch_began_ms: int | None = None) -> int:
        """Start on the fire time, not before it (delays are whole seconds); the
        milliseconds waited, which the dispatcher's timed sends keep near their lead.

        Logged with how long before the fire time the batch began (negative: after it):
        the batch's work up to its claims runs inside that lead, so the invocation is
        billed for the longer of the two, not their sum (the cost model prices it so)."""
        early_ms = max(0, message.fire_at - self.clock.now_ms())
        if early_ms:
            self.clock.sleep(early_ms / 1000)
        lead = {} if batch_began_ms is None else {"batch_lead_ms": message.fire_at - batch_began_ms}
        logger.debug(
            "waited for the fire time",
            extra={"execution_id": message.execution_id, "fire_time_wait_ms": early_ms, **lead},
        )
        return early_ms

    def run_target(
        self, attempt: Attempt, invocation_deadline: float
    ) -> tuple[Any, TargetFailure | None]:
        """Run the target within the task's timeout: (result, None) or (None, failure)."""
        deadline = min(
            time.monotonic() + int(attempt.task.timeout_seconds),
            invocation_deadline - OUTCOME_RESERVE_MS / 1000,
        )
        invocation = Invocation(
            task_id=attempt.message.task_id,
            tenant=attempt.message.tenant,
            execution_id=attempt.message.execution_id,
            fire_at_ms=attempt.message.fire_at,
            attempt=attempt.number,
            payload=attempt.task.payload,
            deadline=deadline,
            coalesced=attempt.message.coalesced,
        )
        try:
            return _jsonable(run_target(attempt.task.target, invocation, self.targets)), None
        except Exception as exc:
            failure = classify(exc)
            logger.warning(
                "target failed",
                extra={
                    "execution_id": attempt.message.execution_id,
                    "attempt": attempt.number,
                    "retryable": failure.retryable,
                    "error": failure.message,
                },
            )
            return None, failure

    # --- 6. outcome: recording.py; helpers ----------------------------------------------

    def come_back(self, delivery: Delivery, seconds: float, outcome: Outcome) -> Processed:
        """Return the message to the queue for `seconds`, unrun."""
        acknowledged = self.queue.return_later(delivery, max(0.0, seconds))
        return Processed(outcome, acknowledge=acknowledged)


def _died(attempt: Attempt, why: str) -> str:
    last = f"; last error: {attempt.run.error}" if attempt.run.error else ""
    previous = attempt.number - 1
    return f"attempt {previous} did not finish (the executor stopped) and {why}{last}"


def _jsonable(result: Any) -> Any:
    """The result as plain JSON (a handler may return dates, tuples, ...)."""
    return None if result is None else json.loads(json.dumps(result, default=str))
