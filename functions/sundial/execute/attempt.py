"""What the protocol's steps hand each other: a claimed run, and what became of a delivery."""

from __future__ import annotations

from dataclasses import dataclass

import pydantic

from sundial.core.task import Retry
from sundial.core.vocabulary import FireKind, Outcome
from sundial.observability import logger
from sundial.store.keys import RunKey
from sundial.store.models import RunItem, TaskItem
from sundial.workqueue.delivery import Delivery
from sundial.workqueue.messages import FireMessage


@dataclass(frozen=True)
class Processed:
    """What became of one delivery: its `outcome`, and whether to acknowledge it.

    `acknowledge` False means: report a batch item failure, SQS delivers the message
    again when it is visible.
    """

    outcome: Outcome
    acknowledge: bool
    attempt: int | None = None  # set when the target ran
    lateness_ms: int | None = None  # set for the first attempt of an on-time kind
    # How long the claimed run waited for its fire time (0 when it came on time or late):
    # set once the run got that far. Paid Lambda time, so timed sends keep it short.
    fire_time_wait_ms: int | None = None
    dead_lettered: bool = False


@dataclass
class Attempt:
    """A claimed run being executed: everything the steps after the claim need."""

    delivery: Delivery
    message: FireMessage
    key: RunKey
    task: TaskItem
    run: RunItem
    policy: Retry

    @property
    def number(self) -> int:
        """This attempt's number, counted over the run's whole life (1-based)."""
        return int(self.run.attempt)

    @property
    def claim_token(self) -> str | None:
        """The claim's token, by which its outcome writes know their own lost responses."""
        return self.run.claim_token

    @property
    def attempts_used(self) -> int:
        """Attempts of this round: since the last redrive, which grants a fresh budget."""
        return self.number - int(self.run.attempt_base or 0)

    @property
    def age_origin_ms(self) -> int:
        # Event age counts from the fire time of a scheduled fire, and from enqueueing for
        # manual triggers, backfills and redrives (whose fire time may be long past).
        if self.message.kind == FireKind.SCHEDULED:
            return self.message.fire_at
        return self.delivery.enqueued_at_ms


def retry_policy(task: TaskItem) -> Retry:
    """The task's retry policy as stored, or the defaults when it no longer validates."""
    try:
        return Retry.model_validate(dict(task.retry or {}))
    except pydantic.ValidationError:
        # Validated when stored; a stricter later release may disagree. Defaults beat
        # refusing to run.
        logger.warning(
            "stored retry policy is invalid, using defaults", extra={"task_id": task.task_id}
        )
        return Retry()
