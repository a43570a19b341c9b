"""Run records: the claim that makes execution effectively once, and guarded outcomes.

The execution protocol (docs/execution.md "How execution works"): a worker claims a run with one
conditional write; every outcome it records afterwards is conditioned on still holding
that claim (`status = running AND attempt = <its attempt>`), so a worker whose lease
expired and was taken over cannot overwrite the newer attempt's record.

A write whose response is lost (a timeout, a reset connection) after DynamoDB applied
it is sent again by the SDK, and the retry's condition then fails on the write itself;
or the retries run out and the writer gets an error for a write that was applied. So
each claim stores a fresh random `claim_token`, which only that claim's own writes leave
in place: a run found exactly as this claim's write would leave it, token included (in
the failed condition's item, or read back after the error), is this claim's write
applied, not another worker's. And every later write of the claim names the token in
its condition, so a late retry of it can never act on a newer claim of the same run.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from sundial.core.vocabulary import FINISHED_RUN_STATUSES, RunStatus
from sundial.settings import get_settings
from sundial.store import writes
from sundial.store.errors import Duplicate, LeaseHeld, NotYetDue, StaleAttempt
from sundial.store.models import RunItem
from sundial.store.pagination import collect_page, decode_token, encode_token

# A run keeps a bounded result: run items stay small (DynamoDB bills reads per 4 KB
# and caps items at 400 KB) and a run history page stays fast to read.
MAX_RESULT_CHARS = 4096
# Of an oversized result, this much is kept as a preview.
RESULT_PREVIEW_CHARS = 1024
# Error messages are for humans reading run history; a stack trace beyond this is noise.
MAX_ERROR_CHARS = 2048
SECONDS_PER_DAY = 86_400
_RUN_KEYS = ("task_id", "fire_key")


# --- claim -------------------------------------------------------------------------------------


def claim_run(
    task_id: str,
    fire_key: str,
    *,
    execution_id: str,
    fire_at_ms: int,
    now_ms: int,
    lease_ms: int,
    tenant: str | None = None,
) -> RunItem:
    """Claim an execution with one conditional write; the run as claimed.

    Wins when the run is new (attempt 1), when it is `retrying` and `next_attempt_at
    <= now`, or when it is `running` with an expired lease (`lease_until < now`: the
    previous attempt died); a takeover counts as a new attempt. The run starts at
    `max(now, fire_at)`: a message delivered up to a second early is claimed at once and
    its target runs on the fire time, so the claim's write is not on that second's path.
    The winner holds a lease until that start plus `lease_ms`, and a fresh `claim_token`:
    a retry of this very request that finds its own token returns the run as claimed.

    Raises Duplicate (already finished), LeaseHeld (another worker's lease is live;
    carries `lease_until`) or NotYetDue (retry backoff pending; carries `next_attempt_at`).
    """
    if lease_ms <= 0:
        raise ValueError(f"lease_ms must be positive, got {lease_ms}")
    # Made once per claim, so the SDK's retries of this request carry the same token.
    token = secrets.token_urlsafe(12)
    claimable = (
        RunItem.task_id.does_not_exist()
        | ((RunItem.status == RunStatus.RETRYING) & (RunItem.next_attempt_at <= now_ms))
        | ((RunItem.status == RunStatus.RUNNING) & (RunItem.lease_until < now_ms))
    )
    starts_at = max(now_ms, fire_at_ms)
    actions: list[Action] = [
        RunItem.execution_id.set(execution_id),
        RunItem.fire_at.set(fire_at_ms),
        RunItem.status.set(RunStatus.RUNNING),
        RunItem.attempt.set((RunItem.attempt | 0) + 1),
        RunItem.claim_token.set(token),
        RunItem.lease_until.set(starts_at + lease_ms),
        RunItem.started_at.set(starts_at),
        # Lateness is that of the first attempt: retries are late by design.
        RunItem.lateness_ms.set(RunItem.lateness_ms | (starts_at - fire_at_ms)),
        RunItem.next_attempt_at.remove(),
        RunItem.finished_at.remove(),
        RunItem.expires_at.set(_expires_at(now_ms)),
    ]
    if tenant is not None:
        actions.append(RunItem.tenant.set(tenant))

    def mine(old: writes.RawItem | None) -> bool:
        # This claim, applied with its response lost: a takeover would write its own token.
        return old is not None and RunItem.from_raw_data(old).claim_token == token

    try:
        raw = writes.update(RunItem, task_id, fire_key, actions, claimable, mine=mine)
    except writes.ConditionFailed as exc:
        old = exc.old_item
        if old is None:  # an absent item satisfies the condition; DynamoDB cannot get here
            raise RuntimeError(f"claim of {execution_id} failed without an existing run") from None
        raise _refusal(execution_id, RunItem.from_raw_data(old)) from None
    return RunItem.from_raw_data(raw)


def _refusal(execution_id: str, run: RunItem) -> Exception:
    if run.status in FINISHED_RUN_STATUSES:
        return Duplicate(execution_id, run.status)
    if run.status == RunStatus.RUNNING:
        return LeaseHeld(execution_id, int(run.lease_until or 0))
    return NotYetDue(execution_id, int(run.next_attempt_at or 0))


# --- outcomes ----------------------------------------------------------------------------------


def record_success(
    task_id: str,
    fire_key: str,
    attempt: int,
    *,
    claim_token: str | None,
    finished_at_ms: int,
    result: Any = None,
    lateness_ms: int | None = None,
    notify: frozenset[str] = frozenset(),
) -> RunItem:
    """Mark the claimed attempt succeeded, keeping a bounded copy of `result` (any JSON).

    `claim_token` is the claim's (`RunItem.claim_token`, None for a run claimed before
    tokens existed); `notify` the events this outcome reports that the task asks for
    (`notify_actions`). Raises StaleAttempt when this attempt no longer holds the run.
    """
    actions = [*success_actions(finished_at_ms, result), *notify_actions(notify)]
    closing = _closing(actions, finished_at_ms, lateness_ms)
    return _record(task_id, fire_key, attempt, claim_token, RunStatus.SUCCEEDED, closing)


def success_actions(finished_at_ms: int, result: Any = None) -> list[Action]:
    """What `record_success` writes, for callers that add to it in a transaction."""
    return [
        RunItem.status.set(RunStatus.SUCCEEDED),
        RunItem.finished_at.set(finished_at_ms),
        (
            RunItem.result.set(writes.serialized(RunItem.result, bounded_result(result)))
            if result is not None
            else RunItem.result.remove()
        ),
        RunItem.error.remove(),
    ]


def record_retry(
    task_id: str,
    fire_key: str,
    attempt: int,
    *,
    claim_token: str | None,
    next_attempt_at_ms: int,
    error: str,
    now_ms: int,
    lateness_ms: int | None = None,
    notify: frozenset[str] = frozenset(),
) -> RunItem:
    """Mark the claimed attempt as failed but retryable: the next attempt may claim the run
    from `next_attempt_at_ms` on (`notify`: as for `record_success`).

    Raises StaleAttempt when this attempt no longer holds the run.
    """
    actions = [
        RunItem.status.set(RunStatus.RETRYING),
        RunItem.next_attempt_at.set(next_attempt_at_ms),
        RunItem.error.set(bounded_error(error)),
        *notify_actions(notify),
    ]
    closing = _closing(actions, now_ms, lateness_ms)
    return _record(task_id, fire_key, attempt, claim_token, RunStatus.RETRYING, closing)


def notify_actions(notify: frozenset[str]) -> list[Action]:
    """What marks an outcome write with the notification events it reports (`notify`).

    Nothing when the task asks for none of them: the write is then the very request it
    was before notifications existed, and its stream record is filtered out before it
    invokes anything. The mark rides on the outcome's own write, so the event is as
    durable as the outcome: no request is added to the executor's path.
    """
    return [RunItem.notify.set(set(notify))] if notify else []


def failure_actions(finished_at_ms: int, error: str) -> list[Action]:
    """What marks a run failed for good, for the transaction that also files its dead letter."""
    return [
        RunItem.status.set(RunStatus.FAILED),
        RunItem.finished_at.set(finished_at_ms),
        RunItem.error.set(bounded_error(error)),
    ]


def record_skipped(
    task_id: str,
    fire_key: str,
    attempt: int,
    *,
    claim_token: str | None,
    reason: str,
    finished_at_ms: int,
) -> RunItem:
    """Mark the claimed attempt skipped (e.g. reason `overlap`). Raises StaleAttempt."""
    actions = [
        RunItem.status.set(RunStatus.SKIPPED),
        RunItem.finished_at.set(finished_at_ms),
        RunItem.reason.set(reason),
    ]
    closing = _closing(actions, finished_at_ms, None)
    return _record(task_id, fire_key, attempt, claim_token, RunStatus.SKIPPED, closing)


def _record(
    task_id: str,
    fire_key: str,
    attempt: int,
    claim_token: str | None,
    status: RunStatus,
    actions: list[Action],
) -> RunItem:
    """Write an outcome (`actions`, setting `status`) guarded by the claim of `attempt`."""
    try:
        raw = writes.update(
            RunItem,
            task_id,
            fire_key,
            actions,
            held_by(attempt, claim_token),
            mine=outcome_of(attempt, claim_token, status),
        )
    except writes.ConditionFailed:
        raise StaleAttempt(task_id, fire_key, attempt) from None
    return RunItem.from_raw_data(raw)


def own_outcome(
    old: writes.RawItem | None, attempt: int, claim_token: str | None, status: RunStatus
) -> RunItem | None:
    """The run, when an outcome write of `attempt` whose condition failed finds it as that
    very write left it (None otherwise: another worker holds or finished the run).

    That is the write applied with its response lost, the SDK's retry failing on it: the
    run carries this claim's token (a takeover writes a new one), this attempt's number,
    and the status the write sets.
    """
    if old is None or claim_token is None:
        return None
    run = RunItem.from_raw_data(old)
    mine = run.claim_token == claim_token and int(run.attempt) == attempt
    return run if mine and run.status == status else None


def outcome_of(attempt: int, claim_token: str | None, status: RunStatus) -> writes.Mine:
    """`own_outcome` as the test by which `writes` settles an outcome write's fate."""
    return lambda old: own_outcome(old, attempt, claim_token, status) is not None


def outcome_request(
    task_id: str,
    fire_key: str,
    attempt: int,
    *,
    claim_token: str | None,
    now_ms: int,
    actions: Sequence[Action],
    lateness_ms: int | None = None,
) -> writes.TransactItem:
    """An outcome write (`actions`, e.g. `failure_actions(...)`, plus what every outcome
    writes) guarded by the claim of `attempt`, as a request for `writes.transact`.

    The transaction fails with ConditionFailed at this request's index when the attempt
    no longer holds the run; callers raise StaleAttempt for it.
    """
    closing = _closing(actions, now_ms, lateness_ms)
    return writes.op_update(RunItem, task_id, fire_key, closing, held_by(attempt, claim_token))


def _closing(actions: Sequence[Action], now_ms: int, lateness_ms: int | None) -> list[Action]:
    closing = [*actions, RunItem.lease_until.remove(), RunItem.expires_at.set(_expires_at(now_ms))]
    if lateness_ms is not None:
        closing.append(RunItem.lateness_ms.set(lateness_ms))
    return closing


def held_by(attempt: int, claim_token: str | None) -> Condition:
    """The run is still claimed by `attempt`, with `claim_token`: its outcome may be written.

    The token makes it this very claim: a claim released (its attempt given back) and
    taken again carries the same attempt number, and a late retry of a write conditioned
    on the number alone would act on the newer claim. None: a run claimed before tokens
    existed, known by its attempt alone.
    """
    held = (RunItem.status == RunStatus.RUNNING) & (RunItem.attempt == attempt)
    return held if claim_token is None else held & (RunItem.claim_token == claim_token)


def release_claim(
    task_id: str, fire_key: str, attempt: int, *, claim_token: str | None, now_ms: int
) -> None:
    """Give back a claim that did not start the target (it must wait for another run).

    The run becomes claimable at once, and the attempt is not counted: a first attempt
    leaves no record (as if never claimed); a later one returns to `retrying` with its
    previous attempt count, due now. Raises StaleAttempt when `attempt` no longer holds it.
    """
    if attempt == 1:
        try:
            # No run at all afterwards: our delete was applied (only the claim's holder
            # deletes a first attempt's run). A run there is another delivery's new claim.
            writes.delete(
                RunItem,
                task_id,
                fire_key,
                held_by(attempt, claim_token),
                mine=lambda old: old is None,
            )
        except writes.ConditionFailed:
            raise StaleAttempt(task_id, fire_key, attempt) from None
        return
    actions = [
        RunItem.status.set(RunStatus.RETRYING),
        RunItem.attempt.set(attempt - 1),
        RunItem.next_attempt_at.set(now_ms),
        RunItem.lease_until.remove(),
        RunItem.expires_at.set(_expires_at(now_ms)),
    ]
    try:
        # Released already: the run is back at the previous attempt with our token still
        # on it (a new claim would have replaced the token).
        writes.update(
            RunItem,
            task_id,
            fire_key,
            actions,
            held_by(attempt, claim_token),
            mine=outcome_of(attempt - 1, claim_token, RunStatus.RETRYING),
        )
    except writes.ConditionFailed:
        raise StaleAttempt(task_id, fire_key, attempt) from None


# --- reads -------------------------------------------------------------------------------------


def list_runs(
    task_id: str, limit: int = 50, next_token: str | None = None
) -> tuple[list[RunItem], str | None]:
    """One page of a task's runs, newest fire first, and the token of the next (None: done).

    Callers check the task's tenant first. Raises InvalidPageToken for a token this
    listing did not issue.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    scope = f"runs:{task_id}"
    start = decode_token(next_token, scope) if next_token else None
    query = RunItem.query(
        task_id, scan_index_forward=False, page_size=limit + 1, last_evaluated_key=start
    )
    raw_items, last_key = collect_page(query.page_iter, limit, _RUN_KEYS)
    token = encode_token(last_key, scope) if last_key is not None else None
    return [RunItem.from_raw_data(raw) for raw in raw_items], token


def get_runs(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], RunItem]:
    """The runs stored under the given (task_id, fire_key) keys, by key; missing keys are
    left out. BatchGetItem, 100 keys a call, unprocessed keys retried (PynamoDB)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    return {(run.task_id, run.fire_key): run for run in RunItem.batch_get(wanted)}


# --- values ------------------------------------------------------------------------------------


def bounded_result(result: Any) -> Any:
    """`result` itself when its JSON is small, else a marked preview of it."""
    text = json.dumps(result, separators=(",", ":"), default=str)
    if len(text) <= MAX_RESULT_CHARS:
        return result
    return {"truncated": True, "preview": text[:RESULT_PREVIEW_CHARS]}


def bounded_error(error: str) -> str:
    """An error message cut to MAX_ERROR_CHARS."""
    return error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 1] + "…"


def retention_expiry(now_ms: int) -> int:
    """The TTL (`expires_at`, epoch seconds) of a run item, or its dead letter, written now."""
    return _expires_at(now_ms)


def _expires_at(now_ms: int) -> int:
    # Epoch seconds: the unit DynamoDB TTL reads. Renewed on every write, so the
    # retention counts from a run's last activity.
    return now_ms // 1000 + get_settings().run_retention_days * SECONDS_PER_DAY
