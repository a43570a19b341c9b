"""Conditional writes whose response is lost after DynamoDB applied them.

The SDK re-sends such a write, and the retry's condition fails on the write itself. Each
write must recognize its own applied write (by the run's claim token, or by a condition
the retry passes again) rather than take it for another worker's.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ReadTimeoutError

from sundial import store
from sundial.store import RunItem, StaleAttempt
from sundial.store import overlap as slots
from sundial.store.deadletters import (
    DeadLetter,
    list_dead_letters,
    record_dead_letter,
    record_redriven_success,
    reopen_for_redrive,
)
from sundial.store.runs import release_claim

TASK = "01JD0000000000000000000000"
FIRE_AT = 1_763_866_200_000
LEASE = 30_000
KEY = store.run_key(TASK, FIRE_AT)


def _claim(now_ms: int = FIRE_AT) -> RunItem:
    return store.claim_run(
        KEY.task_id,
        KEY.fire_key,
        execution_id=KEY.execution_id,
        fire_at_ms=FIRE_AT,
        now_ms=now_ms,
        lease_ms=LEASE,
        tenant="acme",
    )


def _run() -> RunItem:
    return RunItem.get(TASK, KEY.fire_key, consistent_read=True)


def test_claim_applied_with_lost_response_is_our_claim(tables, lost_responses):
    lost_responses.lose_next("UpdateItem")

    run = _claim()

    assert lost_responses.lost == ["UpdateItem"]
    assert (run.status, run.attempt, run.lease_until) == ("running", 1, FIRE_AT + LEASE)
    assert _run().attempt == 1


@pytest.mark.parametrize("outcome", ["succeeded", "retrying", "skipped"])
def test_outcome_applied_with_lost_response_is_our_outcome(tables, lost_responses, outcome):
    claimed = _claim()
    lost_responses.lose_next("UpdateItem")
    at = FIRE_AT + 5
    if outcome == "succeeded":
        run = store.record_success(
            TASK, KEY.fire_key, 1, claim_token=claimed.claim_token, finished_at_ms=at
        )
    elif outcome == "retrying":
        run = store.record_retry(
            TASK,
            KEY.fire_key,
            1,
            claim_token=claimed.claim_token,
            next_attempt_at_ms=at + 2_000,
            error="HTTP 503",
            now_ms=at,
        )
    else:
        run = store.record_skipped(
            TASK,
            KEY.fire_key,
            1,
            claim_token=claimed.claim_token,
            reason="overlap",
            finished_at_ms=at,
        )

    assert lost_responses.lost == ["UpdateItem"]
    assert (run.status, run.attempt) == (outcome, 1)


def test_dead_letter_applied_with_lost_response_is_our_outcome(tables, lost_responses):
    claimed = _claim()
    lost_responses.lose_next("TransactWriteItems")

    record_dead_letter(_letter(at_ms=FIRE_AT + 5), claim_token=claimed.claim_token)

    assert lost_responses.lost == ["TransactWriteItems"]
    assert (_run().status, _run().dead_lettered_at) == ("failed", FIRE_AT + 5)
    letters, _ = list_dead_letters("acme")
    assert [letter.execution_id for letter in letters] == [KEY.execution_id]


def test_redriven_success_applied_with_lost_response_is_our_outcome(tables, lost_responses):
    first = _claim()
    record_dead_letter(_letter(at_ms=FIRE_AT + 5), claim_token=first.claim_token)
    (letter,), _ = list_dead_letters("acme")
    reopen_for_redrive(letter, now_ms=FIRE_AT + 10)
    second = _claim(now_ms=FIRE_AT + 10)
    lost_responses.lose_next("TransactWriteItems")

    record_redriven_success(
        TASK,
        KEY.fire_key,
        2,
        claim_token=second.claim_token,
        tenant="acme",
        execution_id=KEY.execution_id,
        dead_lettered_at=FIRE_AT + 5,
        finished_at_ms=FIRE_AT + 11,
    )

    assert lost_responses.lost == ["TransactWriteItems"]
    assert (_run().status, list_dead_letters("acme")[0]) == ("succeeded", [])


def test_released_first_claim_with_lost_response_is_released(tables, lost_responses):
    claimed = _claim()
    lost_responses.lose_next("DeleteItem")

    release_claim(TASK, KEY.fire_key, 1, claim_token=claimed.claim_token, now_ms=FIRE_AT + 1)

    assert lost_responses.lost == ["DeleteItem"]
    with pytest.raises(RunItem.DoesNotExist):
        _run()


def test_released_later_claim_with_lost_response_is_released(tables, lost_responses):
    _claim()
    taken_over = _claim(now_ms=FIRE_AT + LEASE + 1)  # attempt 2
    lost_responses.lose_next("UpdateItem")

    release_claim(
        TASK, KEY.fire_key, 2, claim_token=taken_over.claim_token, now_ms=FIRE_AT + LEASE + 2
    )

    assert lost_responses.lost == ["UpdateItem"]
    assert (_run().status, _run().attempt) == ("retrying", 1)


def test_outcome_of_a_taken_over_claim_is_still_refused(tables):
    stale = _claim()
    _claim(now_ms=FIRE_AT + LEASE + 1)  # attempt 2, a new token

    with pytest.raises(StaleAttempt):
        store.record_success(
            TASK, KEY.fire_key, 1, claim_token=stale.claim_token, finished_at_ms=FIRE_AT + LEASE
        )
    with pytest.raises(StaleAttempt):
        release_claim(TASK, KEY.fire_key, 1, claim_token=stale.claim_token, now_ms=FIRE_AT)


def test_dispatch_commit_applied_with_lost_response_is_won(tables, make_task, lost_responses):
    task = store.create_task(make_task(), due_at=1_000)
    lost_responses.lose_next("UpdateItem")

    won = store.commit_dispatch(task.task_id, 1_000, 1, 2_000, last_fire_at=1_000, fires=3)

    assert lost_responses.lost == ["UpdateItem"]
    stored = store.get_task("acme", task.task_id)
    assert won and (stored.due_at, stored.fires_dispatched) == (2_000, 3)  # added once


def test_completing_commit_applied_with_lost_response_is_won(tables, make_task, lost_responses):
    task = store.create_task(make_task(schedule="at(2026-01-01T00:00:00)"), due_at=1_000)
    lost_responses.lose_next("TransactWriteItems")

    won = store.commit_dispatch(task.task_id, 1_000, 1, None, 1_000, state="completed")

    assert lost_responses.lost == ["TransactWriteItems"]
    stored = store.get_task("acme", task.task_id)
    assert won and (stored.state, stored.version) == ("completed", 2)  # bumped once


def test_dispatch_commit_after_another_commit_still_loses(tables, make_task):
    task = store.create_task(make_task(), due_at=1_000)
    assert store.commit_dispatch(task.task_id, 1_000, 1, next_due_at=2_000, last_fire_at=1_000)

    assert not store.commit_dispatch(task.task_id, 1_000, 1, 2_000, last_fire_at=1_000)


def test_sweep_lease_taken_with_lost_response_is_ours(tables, lost_responses):
    lost_responses.lose_next("PutItem")

    assert store.acquire_sweep_lease("sweep-a", now_ms=1_000, duration_ms=60_000)

    assert lost_responses.lost == ["PutItem"]
    assert not store.acquire_sweep_lease("sweep-b", now_ms=2_000, duration_ms=60_000)


def test_sweep_lease_given_back_with_lost_response_is_given_back(tables, lost_responses):
    store.acquire_sweep_lease("sweep-a", now_ms=1_000, duration_ms=60_000)
    lost_responses.lose_next("UpdateItem")

    assert store.release_sweep_lease("sweep-a")

    assert lost_responses.lost == ["UpdateItem"]
    assert store.acquire_sweep_lease("sweep-b", now_ms=2_000, duration_ms=60_000)


def test_overlap_slots_taken_with_lost_responses_are_ours(tables, make_task, lost_responses):
    task = store.create_task(make_task(overlap="buffer_one"), due_at=None)
    lost_responses.lose_next("UpdateItem")
    lost_responses.lose_next("UpdateItem", after=1)

    slots.take_running_slot(
        task.task_id, "run-a", until_ms=5_000, now_ms=1_000, honour_waiting=True
    )
    slots.take_waiting_slot(
        task.task_id, "run-b", behind="run-a", until_ms=9_000, receipt_handle="rb", now_ms=1_000
    )

    assert lost_responses.lost == ["UpdateItem", "UpdateItem"]
    with pytest.raises(slots.SlotTaken):
        slots.take_running_slot(
            task.task_id, "run-c", until_ms=5_000, now_ms=1_000, honour_waiting=True
        )


def test_overlap_slot_left_with_lost_response_still_wakes_the_waiter(
    tables, make_task, lost_responses
):
    task = store.create_task(make_task(overlap="buffer_one"), due_at=None)
    slots.take_running_slot(
        task.task_id, "run-a", until_ms=5_000, now_ms=1_000, honour_waiting=True
    )
    slots.take_waiting_slot(
        task.task_id, "run-b", behind="run-a", until_ms=9_000, receipt_handle="rb", now_ms=1_000
    )
    lost_responses.lose_next("UpdateItem")

    waiter = slots.leave_running_slot(task.task_id, "run-a", now_ms=2_000)

    assert lost_responses.lost == ["UpdateItem"]
    assert waiter == "rb"


def test_overlap_slot_taken_over_is_not_left_by_its_old_holder(tables, make_task):
    task = store.create_task(make_task(overlap="skip"), due_at=None)
    slots.take_running_slot(
        task.task_id, "run-a", until_ms=5_000, now_ms=1_000, honour_waiting=False
    )
    slots.take_running_slot(  # run-a's lease ran out: run-b takes the slot over
        task.task_id, "run-b", until_ms=20_000, now_ms=6_000, honour_waiting=False
    )

    assert slots.leave_running_slot(task.task_id, "run-a", now_ms=7_000) is None
    with pytest.raises(slots.SlotTaken):
        slots.take_running_slot(
            task.task_id, "run-c", until_ms=30_000, now_ms=8_000, honour_waiting=False
        )


def _letter(at_ms: int) -> DeadLetter:
    return DeadLetter(
        tenant="acme",
        task_id=TASK,
        fire_key=KEY.fire_key,
        execution_id=KEY.execution_id,
        fire_at_ms=FIRE_AT,
        kind="scheduled",
        attempt=1,
        error="HTTP 404",
        reason="permanent",
        dead_lettered_at_ms=at_ms,
    )


# --- unknown outcomes: no send of the write gets an answer, the SDK gives up ---------------


def test_claim_applied_whose_retries_all_go_unanswered_is_our_claim(tables, lost_responses):
    lost_responses.unanswered_next("UpdateItem", applied=True)

    run = _claim()

    assert lost_responses.lost == ["UpdateItem"]
    assert (run.status, run.attempt, run.claim_token) == ("running", 1, _run().claim_token)


def test_claim_never_applied_whose_retries_go_unanswered_raises_and_claims_nothing(
    tables, lost_responses
):
    lost_responses.unanswered_next("UpdateItem", applied=False)

    with pytest.raises(ReadTimeoutError):
        _claim()

    with pytest.raises(RunItem.DoesNotExist):
        _run()
    assert _claim().attempt == 1  # the next delivery claims it as the first attempt


def test_success_applied_whose_retries_all_go_unanswered_is_our_success(tables, lost_responses):
    claimed = _claim()
    lost_responses.unanswered_next("UpdateItem", applied=True)

    run = store.record_success(
        TASK, KEY.fire_key, 1, claim_token=claimed.claim_token, finished_at_ms=FIRE_AT + 5
    )

    assert (run.status, _run().status) == ("succeeded", "succeeded")


def test_success_never_applied_whose_retries_go_unanswered_raises(tables, lost_responses):
    claimed = _claim()
    lost_responses.unanswered_next("UpdateItem", applied=False)

    with pytest.raises(ReadTimeoutError):
        store.record_success(
            TASK, KEY.fire_key, 1, claim_token=claimed.claim_token, finished_at_ms=FIRE_AT + 5
        )

    assert _run().status == "running"  # the lease runs out and the next attempt takes over


def test_dead_letter_applied_whose_retries_all_go_unanswered_is_our_outcome(tables, lost_responses):
    claimed = _claim()
    lost_responses.unanswered_next("TransactWriteItems", applied=True)

    record_dead_letter(_letter(at_ms=FIRE_AT + 5), claim_token=claimed.claim_token)

    assert (_run().status, _run().dead_lettered_at) == ("failed", FIRE_AT + 5)


def test_release_applied_whose_retries_all_go_unanswered_is_released(tables, lost_responses):
    claimed = _claim()
    lost_responses.unanswered_next("DeleteItem", applied=True)

    release_claim(TASK, KEY.fire_key, 1, claim_token=claimed.claim_token, now_ms=FIRE_AT + 1)

    with pytest.raises(RunItem.DoesNotExist):
        _run()


def test_dispatch_commit_applied_whose_retries_all_go_unanswered_is_won(
    tables, make_task, lost_responses
):
    task = store.create_task(make_task(), due_at=1_000)
    lost_responses.unanswered_next("UpdateItem", applied=True)

    assert store.commit_dispatch(task.task_id, 1_000, 1, 2_000, last_fire_at=1_000, fires=3)
    assert store.get_task("acme", task.task_id).fires_dispatched == 3


def test_dispatch_commit_never_applied_whose_retries_go_unanswered_raises(
    tables, make_task, lost_responses
):
    task = store.create_task(make_task(), due_at=1_000)
    lost_responses.unanswered_next("UpdateItem", applied=False)

    with pytest.raises(ReadTimeoutError):
        store.commit_dispatch(task.task_id, 1_000, 1, 2_000, last_fire_at=1_000, fires=3)
    assert store.get_task("acme", task.task_id).due_at == 1_000  # the next sweep sends it


def test_sweep_lease_taken_whose_retries_all_go_unanswered_is_ours(tables, lost_responses):
    lost_responses.unanswered_next("PutItem", applied=True)

    assert store.acquire_sweep_lease("sweep-a", now_ms=1_000, duration_ms=60_000)
    assert not store.acquire_sweep_lease("sweep-b", now_ms=2_000, duration_ms=60_000)


# --- late retries: a write re-sent after the run moved on acts on nothing newer ----------


def test_late_release_of_a_first_claim_leaves_the_next_claim_alone(tables):
    first = _claim()
    release_claim(TASK, KEY.fire_key, 1, claim_token=first.claim_token, now_ms=FIRE_AT + 1)
    second = _claim(now_ms=FIRE_AT + 2)  # another delivery claims it: attempt 1 again

    with pytest.raises(StaleAttempt):  # the first release, sent again late
        release_claim(TASK, KEY.fire_key, 1, claim_token=first.claim_token, now_ms=FIRE_AT + 3)

    assert (_run().status, _run().claim_token) == ("running", second.claim_token)


def test_late_release_of_a_later_claim_leaves_the_next_claim_alone(tables):
    _claim()
    taken_over = _claim(now_ms=FIRE_AT + LEASE + 1)  # attempt 2
    release_claim(
        TASK, KEY.fire_key, 2, claim_token=taken_over.claim_token, now_ms=FIRE_AT + LEASE + 2
    )
    again = _claim(now_ms=FIRE_AT + LEASE + 3)  # attempt 2 again, a new token

    with pytest.raises(StaleAttempt):
        release_claim(
            TASK, KEY.fire_key, 2, claim_token=taken_over.claim_token, now_ms=FIRE_AT + LEASE + 4
        )
    with pytest.raises(StaleAttempt):
        store.record_success(
            TASK, KEY.fire_key, 2, claim_token=taken_over.claim_token, finished_at_ms=FIRE_AT
        )

    assert (_run().status, _run().attempt, _run().claim_token) == ("running", 2, again.claim_token)
