"""Dead-letter records: runs that failed for good, listed per tenant and redriven on request.

A dead letter is written in the same transaction that marks its run `failed`, so a run
is never failed without its record (nor the reverse). It leaves when the run, redriven,
succeeds, again in one transaction with that outcome. Records live in the runs table
(see `DeadLetterItem`) and expire with their run.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from sundial.core.vocabulary import FireKind, RunStatus
from sundial.store import writes
from sundial.store.errors import StaleAttempt
from sundial.store.keys import FIRE_KEY_DIGITS
from sundial.store.models import DEAD_LETTER_PREFIX, DeadLetterItem, RunItem
from sundial.store.pagination import collect_page, decode_token, encode_token
from sundial.store.runs import (
    bounded_error,
    failure_actions,
    notify_actions,
    outcome_request,
    own_outcome,
    retention_expiry,
    success_actions,
)

_KEYS = ("task_id", "fire_key")
# Dead letters read per query page while walking a tenant's records for a redrive.
REDRIVE_PAGE_SIZE = 100


def dead_letter_partition(tenant: str) -> str:
    """The runs-table partition holding `tenant`'s dead letters.

    The tenant is percent-encoded so no tenant name can spell another's partition.
    """
    return f"{DEAD_LETTER_PREFIX}{quote(tenant, safe='')}"


def dead_letter_sort_key(dead_lettered_at_ms: int, execution_id: str) -> str:
    """Newest-first order under a descending query; the execution id makes it unique."""
    return f"{dead_lettered_at_ms:0{FIRE_KEY_DIGITS}d}#{execution_id}"


@dataclass(frozen=True)
class DeadLetter:
    """What a dead letter records about a run that failed for good."""

    tenant: str
    task_id: str
    fire_key: str
    execution_id: str
    fire_at_ms: int
    kind: FireKind
    attempt: int
    error: str
    reason: str  # permanent | attempts_exhausted | event_too_old
    dead_lettered_at_ms: int


def record_dead_letter(
    letter: DeadLetter,
    *,
    claim_token: str | None,
    previous_dead_lettered_at: int | None = None,
    lateness_ms: int | None = None,
    notify: frozenset[str] = frozenset(),
) -> DeadLetterItem:
    """Mark the claimed attempt `letter.attempt` failed and file its dead letter, atomically.

    `claim_token` is the claim's (see `store.runs`). `previous_dead_lettered_at` is the
    run's earlier dead letter (it was redriven and failed again): that record is
    replaced. `notify`: the events the failure reports that the task asks for
    (`store.runs.notify_actions`). Raises StaleAttempt when the attempt no longer holds
    the run; then nothing is written.
    """
    now = letter.dead_lettered_at_ms
    item = DeadLetterItem(
        dead_letter_partition(letter.tenant),
        dead_letter_sort_key(now, letter.execution_id),
        tenant=letter.tenant,
        execution_id=letter.execution_id,
        run_task_id=letter.task_id,
        run_fire_key=letter.fire_key,
        fire_at=letter.fire_at_ms,
        kind=letter.kind,
        attempt=letter.attempt,
        error=bounded_error(letter.error),
        reason=letter.reason,
        dead_lettered_at=now,
        expires_at=retention_expiry(now),
    )
    actions = [
        *failure_actions(now, letter.error),
        RunItem.dead_lettered_at.set(now),
        *notify_actions(notify),
    ]
    requests = [
        outcome_request(
            letter.task_id,
            letter.fire_key,
            letter.attempt,
            claim_token=claim_token,
            now_ms=now,
            actions=actions,
            lateness_ms=lateness_ms,
        ),
        # The key holds the execution id: an existing item there can only be this run's
        # earlier letter from the same millisecond, which this one replaces.
        writes.op_put(
            item,
            DeadLetterItem.task_id.does_not_exist()
            | (DeadLetterItem.execution_id == letter.execution_id),
        ),
    ]
    if previous_dead_lettered_at is not None and previous_dead_lettered_at != now:
        old_key = dead_letter_sort_key(previous_dead_lettered_at, letter.execution_id)
        requests.append(writes.op_delete(DeadLetterItem, item.task_id, old_key, None))
    mine = _applied(letter.attempt, claim_token, RunStatus.FAILED, now)
    try:
        writes.transact(DeadLetterItem, requests, mine=(0, mine))
    except writes.ConditionFailed as exc:
        if 0 not in exc.failed:
            raise
        raise StaleAttempt(letter.task_id, letter.fire_key, letter.attempt) from None
    return item


def _applied(
    attempt: int, claim_token: str | None, status: RunStatus, dead_lettered_at: int | None
) -> writes.Mine:
    # A transaction re-sent after DynamoDB applied it succeeds again (the SDK's
    # ClientRequestToken makes TransactWriteItems idempotent for 10 minutes); an emulator,
    # or a retry after that, fails it on its own write instead, and a retry that runs out
    # leaves its outcome unknown. Applied, it left the run as this claim's outcome with
    # `dead_lettered_at` as the transaction set it.
    def mine(old: writes.RawItem | None) -> bool:
        run = own_outcome(old, attempt, claim_token, status)
        return run is not None and _int(run.dead_lettered_at) == dead_lettered_at

    return mine


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def record_redriven_success(
    task_id: str,
    fire_key: str,
    attempt: int,
    *,
    claim_token: str | None,
    tenant: str,
    execution_id: str,
    dead_lettered_at: int,
    finished_at_ms: int,
    result: object = None,
    lateness_ms: int | None = None,
    notify: frozenset[str] = frozenset(),
) -> None:
    """`record_success` for a run that has a dead letter, removing the dead letter with it.

    Raises StaleAttempt when the attempt no longer holds the run.
    """
    actions = [
        *success_actions(finished_at_ms, result),
        RunItem.dead_lettered_at.remove(),
        RunItem.attempt_base.remove(),
        *notify_actions(notify),
    ]
    requests = [
        outcome_request(
            task_id,
            fire_key,
            attempt,
            claim_token=claim_token,
            now_ms=finished_at_ms,
            actions=actions,
            lateness_ms=lateness_ms,
        ),
        writes.op_delete(
            DeadLetterItem,
            dead_letter_partition(tenant),
            dead_letter_sort_key(dead_lettered_at, execution_id),
            None,
        ),
    ]
    mine = _applied(attempt, claim_token, RunStatus.SUCCEEDED, None)
    try:
        writes.transact(DeadLetterItem, requests, mine=(0, mine))
    except writes.ConditionFailed:
        # The dead letter's delete is unconditional: only the run's request can fail.
        raise StaleAttempt(task_id, fire_key, attempt) from None


def list_dead_letters(
    tenant: str, limit: int = 50, next_token: str | None = None
) -> tuple[list[DeadLetterItem], str | None]:
    """One page of the tenant's dead letters, newest first, and the next page's token.

    Raises InvalidPageToken for a token this listing did not issue.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    scope = f"deadletters:{tenant}"
    start = decode_token(next_token, scope) if next_token else None
    query = DeadLetterItem.query(
        dead_letter_partition(tenant),
        scan_index_forward=False,
        page_size=limit + 1,
        last_evaluated_key=start,
    )
    raw_items, last_key = collect_page(query.page_iter, limit, _KEYS)
    token = encode_token(last_key, scope) if last_key is not None else None
    return [DeadLetterItem.from_raw_data(raw) for raw in raw_items], token


def iter_dead_letters(tenant: str) -> Iterator[DeadLetterItem]:
    """Every dead letter of the tenant, newest first (for a redrive)."""
    yield from DeadLetterItem.query(
        dead_letter_partition(tenant), scan_index_forward=False, page_size=REDRIVE_PAGE_SIZE
    )


class Reopened(enum.Enum):
    """What `reopen_for_redrive` found."""

    REOPENED = "reopened"  # the run is `retrying` again: send it a redrive message
    STALE = "stale"  # the run is gone or succeeded: the dead letter is obsolete
    BUSY = "busy"  # the run is already running again (redriven before): leave it


def reopen_for_redrive(letter: DeadLetterItem, *, now_ms: int) -> tuple[Reopened, RunItem | None]:
    """Return a dead-lettered run to `retrying`, due now, with its attempt count kept.

    The retry budget restarts: `attempt_base` records the attempts spent so far, and
    the executor grants `retry.max_attempts` attempts after it. Redriving a run that
    was redriven but has not started yet reopens it again (its redrive message may
    have been lost), so a redrive can always be repeated.
    """
    same_letter = RunItem.dead_lettered_at == letter.dead_lettered_at
    not_started = (RunItem.status == RunStatus.RETRYING) & (RunItem.attempt_base == RunItem.attempt)
    actions = [
        RunItem.status.set(RunStatus.RETRYING),
        RunItem.next_attempt_at.set(now_ms),
        RunItem.attempt_base.set(RunItem.attempt),
        RunItem.finished_at.remove(),
        RunItem.expires_at.set(retention_expiry(now_ms)),
    ]
    condition = same_letter & ((RunItem.status == RunStatus.FAILED) | not_started)
    try:
        raw = writes.update(RunItem, letter.run_task_id, letter.run_fire_key, actions, condition)
    except writes.ConditionFailed as exc:
        old = exc.old_item
        if old is None:
            return Reopened.STALE, None
        run = RunItem.from_raw_data(old)
        if run.status == RunStatus.SUCCEEDED or run.dead_lettered_at != letter.dead_lettered_at:
            return Reopened.STALE, run
        return Reopened.BUSY, run
    return Reopened.REOPENED, RunItem.from_raw_data(raw)


def delete_dead_letter(letter: DeadLetterItem) -> None:
    """Remove an obsolete dead letter (its run is gone, or succeeded); gone already is fine."""
    with contextlib.suppress(writes.ConditionFailed):
        writes.delete(
            DeadLetterItem, letter.task_id, letter.fire_key, DeadLetterItem.task_id.exists()
        )
