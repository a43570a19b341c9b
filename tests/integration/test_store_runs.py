"""Run claims and outcomes: effectively-once execution."""

from __future__ import annotations

import threading

import pytest

from sundial import store
from sundial.settings import get_settings
from sundial.store import Duplicate, LeaseHeld, NotYetDue, RunItem, StaleAttempt
from sundial.store.deadletters import DeadLetter, record_dead_letter
from sundial.store.runs import MAX_ERROR_CHARS, MAX_RESULT_CHARS

TASK = "01JD0000000000000000000000"
FIRE_AT = 1_763_866_200_000
LEASE = 30_000
KEY = store.run_key(TASK, FIRE_AT)


def _claim(now_ms: int, key: store.RunKey = KEY, lease_ms: int = LEASE) -> store.RunItem:
    return store.claim_run(
        key.task_id,
        key.fire_key,
        execution_id=key.execution_id,
        fire_at_ms=FIRE_AT,
        now_ms=now_ms,
        lease_ms=lease_ms,
        tenant="acme",
    )


def _run() -> RunItem:
    return RunItem.get(TASK, KEY.fire_key, consistent_read=True)


def _fail_for_good(attempt: int, error: str, at_ms: int, token: str | None = None) -> None:
    """Record the attempt failed for good, as the executor does: with its dead letter."""
    record_dead_letter(
        DeadLetter(
            tenant="acme",
            task_id=TASK,
            fire_key=KEY.fire_key,
            execution_id=KEY.execution_id,
            fire_at_ms=FIRE_AT,
            kind="scheduled",
            attempt=attempt,
            error=error,
            reason="permanent",
            dead_lettered_at_ms=at_ms,
        ),
        claim_token=token,
    )


def test_run_keys_sort_by_fire_time_and_name_the_execution():
    scheduled = store.run_key(TASK, 5)
    manual = store.run_key(TASK, 5, manual_id="01JDMANUAL0000000000000000")
    assert scheduled.execution_id == f"{TASK}:5"
    assert manual.execution_id == f"{TASK}:manual:01JDMANUAL0000000000000000"
    assert store.run_key(TASK, 10**13).fire_key > store.run_key(TASK, 9 * 10**12).fire_key
    assert scheduled.fire_key < manual.fire_key < store.run_key(TASK, 6).fire_key


def test_first_claim_creates_the_run_as_attempt_one(tables):
    run = _claim(now_ms=FIRE_AT + 12)

    assert (run.status, run.attempt, run.execution_id) == ("running", 1, KEY.execution_id)
    assert (run.lease_until, run.started_at, run.lateness_ms) == (
        FIRE_AT + 12 + LEASE,
        FIRE_AT + 12,
        12,
    )
    assert (run.tenant, run.fire_at) == ("acme", FIRE_AT)


def test_claim_before_the_fire_time_starts_the_run_and_its_lease_on_the_fire_time(tables):
    run = _claim(now_ms=FIRE_AT - 400)  # delivered early: SQS delays are whole seconds

    assert (run.started_at, run.lateness_ms) == (FIRE_AT, 0)
    assert run.lease_until == FIRE_AT + LEASE
    with pytest.raises(LeaseHeld):
        _claim(now_ms=FIRE_AT - 400 + LEASE + 1)  # the lease counts from the start


def test_every_run_gets_expires_at_from_retention(tables):
    run = _claim(now_ms=FIRE_AT)
    retention_s = get_settings().run_retention_days * 86_400
    assert run.expires_at == FIRE_AT // 1000 + retention_s

    done = store.record_success(
        TASK, KEY.fire_key, 1, claim_token=None, finished_at_ms=FIRE_AT + 60_000
    )
    assert done.expires_at == (FIRE_AT + 60_000) // 1000 + retention_s


def test_claim_against_live_lease_reports_lease_held(tables):
    _claim(now_ms=FIRE_AT)

    with pytest.raises(LeaseHeld) as raised:
        _claim(now_ms=FIRE_AT + LEASE)  # lease_until is not < now: still held

    assert raised.value.lease_until == FIRE_AT + LEASE
    assert _run().attempt == 1


def test_claim_takes_over_expired_lease_with_next_attempt(tables):
    _claim(now_ms=FIRE_AT)

    run = _claim(now_ms=FIRE_AT + LEASE + 1)

    assert (run.status, run.attempt, run.lease_until) == ("running", 2, FIRE_AT + 2 * LEASE + 1)
    assert run.lateness_ms == 0  # the first attempt's lateness is kept


def test_retrying_run_cannot_be_claimed_before_next_attempt_at(tables):
    _claim(now_ms=FIRE_AT)
    store.record_retry(
        TASK,
        KEY.fire_key,
        1,
        claim_token=None,
        next_attempt_at_ms=FIRE_AT + 5_000,
        error="503",
        now_ms=FIRE_AT + 1,
    )

    with pytest.raises(NotYetDue) as raised:
        _claim(now_ms=FIRE_AT + 4_999)
    run = _claim(now_ms=FIRE_AT + 5_000)

    assert raised.value.next_attempt_at == FIRE_AT + 5_000
    assert (run.status, run.attempt, run.next_attempt_at) == ("running", 2, None)
    assert run.error == "503"  # the last error stays visible while retrying


@pytest.mark.parametrize("finish", ["success", "failure", "skipped"])
def test_finished_run_claim_reports_duplicate(tables, finish):
    _claim(now_ms=FIRE_AT)
    if finish == "success":
        store.record_success(TASK, KEY.fire_key, 1, claim_token=None, finished_at_ms=FIRE_AT + 1)
    elif finish == "failure":
        _fail_for_good(1, error="400", at_ms=FIRE_AT + 1)
    else:
        store.record_skipped(
            TASK, KEY.fire_key, 1, claim_token=None, reason="overlap", finished_at_ms=FIRE_AT + 1
        )

    with pytest.raises(Duplicate) as raised:
        _claim(now_ms=FIRE_AT + 10 * LEASE)

    assert raised.value.status in {"succeeded", "failed", "skipped"}


def test_two_concurrent_claims_on_one_run_only_one_wins(tables):
    contenders = 8
    barrier = threading.Barrier(contenders)
    outcomes: list[object] = []

    def contend() -> None:
        barrier.wait()
        try:
            outcomes.append(_claim(now_ms=FIRE_AT))
        except LeaseHeld as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=contend) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [o for o in outcomes if isinstance(o, store.RunItem)]
    assert len(outcomes) == contenders
    assert len(winners) == 1 and winners[0].attempt == 1


def test_stale_worker_cannot_overwrite_newer_attempt(tables):
    stale = _claim(now_ms=FIRE_AT).claim_token  # attempt 1 ... whose lease then expires
    _claim(now_ms=FIRE_AT + LEASE + 1)  # attempt 2 takes over

    with pytest.raises(StaleAttempt):
        store.record_success(
            TASK, KEY.fire_key, 1, claim_token=stale, finished_at_ms=FIRE_AT + LEASE + 2
        )
    with pytest.raises(StaleAttempt):
        _fail_for_good(1, error="x", at_ms=FIRE_AT + LEASE + 2, token=stale)

    run = _run()
    assert (run.status, run.attempt) == ("running", 2)
    newer = store.record_success(
        TASK, KEY.fire_key, 2, claim_token=None, finished_at_ms=FIRE_AT + LEASE + 3
    )
    assert newer.status == "succeeded"


def test_outcome_cannot_be_recorded_twice(tables):
    token = _claim(now_ms=FIRE_AT).claim_token
    store.record_success(TASK, KEY.fire_key, 1, claim_token=token, finished_at_ms=FIRE_AT + 1)
    with pytest.raises(StaleAttempt):
        _fail_for_good(1, error="late", at_ms=FIRE_AT + 2, token=token)
    assert _run().status == "succeeded"


def test_outcome_without_a_claim_is_stale(tables):
    with pytest.raises(StaleAttempt):
        store.record_skipped(
            TASK, KEY.fire_key, 1, claim_token=None, reason="overlap", finished_at_ms=FIRE_AT
        )
    with pytest.raises(RunItem.DoesNotExist):  # and created nothing
        _run()


def test_success_keeps_a_bounded_result_and_clears_the_lease(tables):
    _claim(now_ms=FIRE_AT)
    run = store.record_success(
        TASK,
        KEY.fire_key,
        1,
        claim_token=None,
        finished_at_ms=FIRE_AT + 5,
        result={"status_code": 200},
    )
    assert (run.status, run.result, run.finished_at, run.lease_until) == (
        "succeeded", {"status_code": 200}, FIRE_AT + 5, None,
    )  # fmt: skip

    other = store.run_key(TASK, FIRE_AT + 1)
    _claim(now_ms=FIRE_AT, key=other)
    big = store.record_success(
        TASK,
        other.fire_key,
        1,
        claim_token=None,
        finished_at_ms=FIRE_AT,
        result={"body": "x" * MAX_RESULT_CHARS},
    )
    assert big.result["truncated"] is True


def test_failure_keeps_a_bounded_error(tables):
    _claim(now_ms=FIRE_AT)
    _fail_for_good(1, error="e" * (MAX_ERROR_CHARS * 2), at_ms=FIRE_AT + 1)
    run = _run()
    assert run.status == "failed" and len(run.error) == MAX_ERROR_CHARS


def test_skipped_run_records_its_reason(tables):
    _claim(now_ms=FIRE_AT)
    run = store.record_skipped(
        TASK, KEY.fire_key, 1, claim_token=None, reason="overlap", finished_at_ms=FIRE_AT
    )
    assert (run.status, run.reason) == ("skipped", "overlap")


def test_runs_listed_newest_first_across_pages(tables):
    fires = [FIRE_AT + i * 1_000 for i in range(5)]
    for fire in fires:
        _claim(now_ms=fire, key=store.run_key(TASK, fire))
    manual = store.run_key(TASK, fires[2] + 1, manual_id=store.new_ulid())
    _claim(now_ms=fires[2] + 1, key=manual)
    _claim(now_ms=FIRE_AT, key=store.run_key("01JDOTHERTASK0000000000000", FIRE_AT))

    seen, token = [], None
    while True:
        page, token = store.list_runs(TASK, limit=2, next_token=token)
        seen.append([r.fire_key for r in page])
        if token is None:
            break

    keys = [store.run_key(TASK, f).fire_key for f in fires] + [manual.fire_key]
    newest_first = sorted(keys, reverse=True)
    assert seen == [newest_first[0:2], newest_first[2:4], newest_first[4:6]]


def test_run_page_token_is_bound_to_its_task(tables):
    for fire in (FIRE_AT, FIRE_AT + 1):
        _claim(now_ms=fire, key=store.run_key(TASK, fire))
    _, token = store.list_runs(TASK, limit=1)
    with pytest.raises(store.InvalidPageToken):
        store.list_runs("01JDOTHERTASK0000000000000", limit=1, next_token=token)
