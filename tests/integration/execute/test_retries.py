"""Retries: retryable failures come back after a backoff; the rest are failed
and dead-lettered, with the queue's maxReceiveCount never the thing that stops them."""

from __future__ import annotations

import json

from execute_helpers import FIRE_AT, failures, fire, manual, run_of

from sundial.execute import PermanentFailure
from sundial.workqueue.delivery import ENQUEUED_AT_ATTRIBUTE


def test_retryable_failure_is_retried_after_its_backoff(
    probe, probe_task, work, deliver, clock, sqs
):
    task = probe_task(retry={"max_attempts": 3, "backoff_seconds": 10, "max_backoff_seconds": 60})
    probe.script.append(RuntimeError("downstream flaked"))
    message = fire(task)
    work.send(message)
    (record,) = work.receive()

    first = deliver(record)

    # Full jitter over [0, 10 s] with the tests' random() = 0.5: five seconds.
    assert failures(first) == [record["messageId"]]
    assert sqs.visibility_of(record) == [5]
    run = run_of(message)
    assert (run.status, run.attempt, run.next_attempt_at) == ("retrying", 1, FIRE_AT + 5_000)
    assert "downstream flaked" in run.error

    clock.advance(5_000)  # SQS shows the message again when its visibility ends
    second = deliver(record)

    assert failures(second) == []
    assert [call.attempt for call in probe.calls] == [1, 2]
    run = run_of(message)
    assert (run.status, run.attempt, run.error) == ("succeeded", 2, None)
    assert run.lateness_ms == 0  # the first attempt's, not the retry's


def test_backoff_grows_exponentially_up_to_the_cap(probe, probe_task, work, deliver, clock, sqs):
    task = probe_task(retry={"max_attempts": 6, "backoff_seconds": 4, "max_backoff_seconds": 20})
    probe.script.extend([RuntimeError("down")] * 5)
    work.send(fire(task))
    (record,) = work.receive()

    for _ in range(5):
        deliver(record)
        clock.advance(sqs.visibility_of(record)[-1] * 1000)

    # Ceilings 4, 8, 16, 20, 20 seconds; half of each with random() = 0.5.
    assert sqs.visibility_of(record) == [2, 4, 8, 10, 10]
    assert run_of(fire(task)).attempt == 5


def test_duplicate_arriving_during_backoff_waits_for_the_retry(
    probe, probe_task, work, deliver, clock, sqs
):
    task = probe_task(retry={"max_attempts": 3, "backoff_seconds": 10})
    probe.script.append(RuntimeError("down"))
    work.send(fire(task))
    work.send(fire(task))
    first, duplicate = work.receive(expected=2)
    deliver(first)
    clock.advance(1_000)

    response = deliver(duplicate)

    assert failures(response) == [duplicate["messageId"]]
    assert sqs.visibility_of(duplicate) == [4]  # until next_attempt_at, 4 s from now
    assert len(probe.calls) == 1


def test_exhausted_retries_fail_the_run_and_dead_letter_it(
    probe, probe_task, work, deliver, clock, sqs
):
    task = probe_task(retry={"max_attempts": 2, "backoff_seconds": 2})
    probe.script.extend([RuntimeError("first"), RuntimeError("second")])
    message = fire(task)
    work.send(message)
    (record,) = work.receive()

    deliver(record)
    clock.advance(1_000)
    final = deliver(record)

    assert failures(final) == []  # acknowledged: the dead letter has it now
    run = run_of(message)
    assert (run.status, run.attempt) == ("failed", 2)
    assert "second" in run.error
    (letter,) = work.dead_letters()
    assert letter == {
        "type": "failed_run",
        "tenant": "acme",
        "task_id": task.task_id,
        "execution_id": message.execution_id,
        "fire_at": "2026-05-28T20:26:40Z",
        "kind": "scheduled",
        "attempts": 2,
        "error": run.error,
        "reason": "attempts_exhausted",
        "dead_lettered_at": "2026-05-28T20:26:41Z",
    }


def test_permanent_failure_fails_at_once(probe, probe_task, work, deliver):
    task = probe_task(retry={"max_attempts": 5})
    probe.script.append(PermanentFailure("payload.day is required"))
    work.send(fire(task))

    assert failures(deliver(*work.receive())) == []

    run = run_of(fire(task))
    assert (run.status, run.attempt) == ("failed", 1)
    assert [letter["reason"] for letter in work.dead_letters()] == ["permanent"]


def test_event_age_counts_from_the_fire_time_for_scheduled_fires(
    probe, probe_task, work, deliver, clock
):
    task = probe_task(retry={"max_attempts": 5, "backoff_seconds": 2, "max_event_age_seconds": 60})
    probe.script.append(RuntimeError("down"))
    message = fire(task)
    work.send(message)
    clock.advance(60_000)  # delivered (late) a minute after its fire time

    assert failures(deliver(*work.receive())) == []

    assert run_of(message).status == "failed"
    assert [letter["reason"] for letter in work.dead_letters()] == ["event_too_old"]


def test_event_age_counts_from_enqueueing_for_manual_triggers_and_backfills(
    probe, probe_task, work, deliver, clock
):
    task = probe_task(retry={"max_attempts": 5, "backoff_seconds": 2, "max_event_age_seconds": 60})
    probe.script.extend([RuntimeError("down"), RuntimeError("down")])
    old = FIRE_AT - 86_400_000  # a day ago, long past max_event_age
    backfill = fire(task, at=old, kind="backfill")
    trigger = manual(task, "01JDMANUAL0000000000000002", at=old)
    # Enqueued "now" on the simulated clock (SentTimestamp is the emulator's real time).
    for message in (backfill, trigger):
        work.send(
            message,
            MessageAttributes={
                ENQUEUED_AT_ATTRIBUTE: {"DataType": "Number", "StringValue": str(FIRE_AT)}
            },
        )

    response = deliver(*work.receive(expected=2))

    assert len(failures(response)) == 2  # both retried
    assert {run_of(backfill).status, run_of(trigger).status} == {"retrying"}


def test_often_returned_message_is_replaced_by_a_fresh_copy(probe, probe_task, work, deliver, sqs):
    task = probe_task(retry={"max_attempts": 50, "backoff_seconds": 2})
    probe.script.append(RuntimeError("down"))
    message = fire(task)
    work.send(message)
    (record,) = work.receive()
    record["attributes"]["ApproximateReceiveCount"] = "5"  # received five times already

    response = deliver(record)

    # Acknowledged (deleted) rather than returned: a sixth receive would bring it
    # closer to the work queue's maxReceiveCount, which only poison should reach.
    assert failures(response) == []
    assert sqs.visibility_of(record) == []
    (copy,) = [m for m in sqs.sent if m.get("QueueUrl") == work.url]
    assert json.loads(copy["MessageBody"]) == json.loads(message.to_json())
    assert copy["DelaySeconds"] == 1
    enqueued = copy["MessageAttributes"][ENQUEUED_AT_ATTRIBUTE]["StringValue"]
    assert enqueued == record["attributes"]["SentTimestamp"]
