"""The executor when DynamoDB applied its write and the response was lost: the SDK's
retry fails its condition on the write itself, which must count as the executor's own."""

from __future__ import annotations

import time

from execute_helpers import failures, fire, run_of

from sundial.core.vocabulary import Outcome
from sundial.workqueue.delivery import Delivery


def test_fire_whose_claim_response_is_lost_runs_once_as_attempt_one(
    probe, probe_task, work, deliver, lost_responses
):
    task = probe_task(retry={"max_attempts": 1})
    message = fire(task)
    work.send(message)
    (record,) = work.receive()
    lost_responses.lose_next("UpdateItem")  # the claim: the first write of a delivery

    response = deliver(record)

    assert lost_responses.lost == ["UpdateItem"]
    assert [call.attempt for call in probe.calls] == [1]
    assert failures(response) == []
    assert (run_of(message).status, run_of(message).attempt) == ("succeeded", 1)
    assert work.dead_letters() == []


def test_retry_recorded_with_lost_response_keeps_the_message_for_the_next_attempt(
    probe, probe_task, work, deliver, sqs, lost_responses
):
    task = probe_task(retry={"max_attempts": 3, "backoff_seconds": 10})
    probe.script.append(RuntimeError("downstream flaked"))
    message = fire(task)
    work.send(message)
    (record,) = work.receive()
    lost_responses.lose_next("UpdateItem", after=1)  # the outcome, after the claim

    response = deliver(record)

    assert lost_responses.lost == ["UpdateItem"]
    # Not acknowledged: the message comes back for attempt 2 after the backoff.
    assert failures(response) == [record["messageId"]]
    assert sqs.visibility_of(record) == [5]
    assert (run_of(message).status, run_of(message).attempt) == ("retrying", 1)


def test_success_recorded_with_lost_response_is_reported_as_success(
    probe, probe_task, work, executor, lost_responses
):
    task = probe_task()
    message = fire(task)
    work.send(message)
    (record,) = work.receive()
    lost_responses.lose_next("UpdateItem", after=1)

    processed = executor.process(Delivery.from_record(record), time.monotonic() + 300)

    assert lost_responses.lost == ["UpdateItem"]
    assert (processed.outcome, processed.acknowledge, processed.attempt) == (
        Outcome.SUCCEEDED,
        True,
        1,
    )
    assert run_of(message).status == "succeeded"


def test_success_write_unanswered_to_the_last_sdk_retry_is_tried_again_and_recorded(
    probe, probe_task, work, executor, lost_responses
):
    task = probe_task()
    message = fire(task)
    work.send(message)
    (record,) = work.receive()
    # The outcome, after the claim: DynamoDB never sees it, and the SDK gives up.
    lost_responses.unanswered_next("UpdateItem", applied=False, after=1)

    processed = executor.process(Delivery.from_record(record), time.monotonic() + 300)

    assert lost_responses.lost == ["UpdateItem"]
    assert (processed.outcome, processed.acknowledge) == (Outcome.SUCCEEDED, True)
    assert [call.attempt for call in probe.calls] == [1]  # the target is not run again
    assert run_of(message).status == "succeeded"


def test_success_write_applied_but_unanswered_to_the_last_sdk_retry_is_our_success(
    probe, probe_task, work, executor, lost_responses
):
    task = probe_task()
    message = fire(task)
    work.send(message)
    (record,) = work.receive()
    lost_responses.unanswered_next("UpdateItem", applied=True, after=1)

    processed = executor.process(Delivery.from_record(record), time.monotonic() + 300)

    assert (processed.outcome, processed.acknowledge, processed.attempt) == (
        Outcome.SUCCEEDED,
        True,
        1,
    )
    assert (run_of(message).status, run_of(message).attempt) == ("succeeded", 1)
