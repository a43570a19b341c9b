"""The reconciler: a run left `running` or `retrying` whose message is gone is found and
run, once; a run whose attempt is still going is left alone."""

from __future__ import annotations

from execute_helpers import FIRE_AT, fire, run_of

from sundial import store
from sundial.execute.admission import run_key_of
from sundial.workqueue.reconcile import reconcile

LEASE_MS = 5_000
AFTER_MS = 60_000


def claimed_and_lost(message, now_ms: int) -> None:
    """An executor claimed the run and died; its message is gone (never sent here)."""
    key = run_key_of(message)
    store.claim_run(
        key.task_id,
        key.fire_key,
        execution_id=message.execution_id,
        fire_at_ms=message.fire_at,
        now_ms=now_ms,
        lease_ms=LEASE_MS,
        tenant=message.tenant,
    )


def test_a_run_stuck_running_without_a_message_is_found_and_run_once(
    probe, probe_task, work, deliver, clock
):
    task = probe_task()
    message = fire(task)
    clock.now = FIRE_AT
    claimed_and_lost(message, FIRE_AT)
    clock.advance(LEASE_MS + AFTER_MS + 1_000)

    sent = reconcile(after_ms=AFTER_MS, page_size=100, now_ms=clock.now)
    records = work.receive(expected=2)
    for record in records:
        deliver(record)

    assert sent == 1 and len(records) == 1
    assert probe.executions == [f"{task.task_id}:{FIRE_AT}"]
    assert run_of(message).status == "succeeded"
    # Finished: the next pass finds nothing to send.
    assert reconcile(after_ms=AFTER_MS, page_size=100, now_ms=clock.now) == 0


def test_a_run_whose_lease_is_live_or_recent_is_not_sent_again(probe, probe_task, work, clock):
    task = probe_task()
    clock.now = FIRE_AT
    claimed_and_lost(fire(task), FIRE_AT)
    clock.advance(LEASE_MS + AFTER_MS - 1_000)  # its message may still come back

    assert reconcile(after_ms=AFTER_MS, page_size=100, now_ms=clock.now) == 0
    assert work.receive(expected=1) == []


def test_a_message_the_reconciler_sends_for_a_live_run_never_runs_it_twice(
    probe, probe_task, work, deliver, clock
):
    # A reconciler with too short a wait: the claim protocol still holds.
    task = probe_task()
    message = fire(task)
    clock.now = FIRE_AT
    claimed_and_lost(message, FIRE_AT)

    assert reconcile(after_ms=-LEASE_MS * 10, page_size=100, now_ms=clock.now) == 1
    for record in work.receive(expected=1):
        deliver(record)

    assert probe.executions == []  # the lease is live: the claim is refused
    assert run_of(message).status == "running"


def test_each_pass_reads_one_page_and_the_next_resumes_after_it(probe, probe_task, work, clock):
    task = probe_task()
    clock.now = FIRE_AT
    for n in range(3):
        claimed_and_lost(fire(task, at=FIRE_AT + n * 1_000), FIRE_AT)
    clock.advance(LEASE_MS + AFTER_MS + 10_000)

    passes = [reconcile(after_ms=AFTER_MS, page_size=1, now_ms=clock.now) for _ in range(3)]

    assert passes == [1, 1, 1]
    sent = {r["body"] for r in work.receive(expected=4)}
    assert len(sent) == 3  # each stuck run once
