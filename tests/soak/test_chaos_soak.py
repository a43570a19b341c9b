"""The chaos soak at a size `make test` can afford (`make soak` runs 10,000+ fires).

Dispatchers (one of them without shard leases) and executors run in threads over
emulated DynamoDB on a simulated clock, while every protocol step may crash, SQS
delivers duplicates, DynamoDB throttles or loses the response to a write it applied, and
targets time out. See chaos.py for what
each figure means and why SQS is a stand-in.
"""

from __future__ import annotations

import pytest
from chaos import CRASH_POINTS, LOST_RESPONSE_WRITES, _buffer_was_full, run_soak

from sundial.store.overlap import Slots


@pytest.fixture(scope="module")
def soak():
    return run_soak(300, seed=7)


def test_no_fire_is_lost_under_crashes_duplicates_throttling_and_timeouts(soak):
    assert soak.fires >= 300
    assert soak.lost == 0, soak.lost_executions
    # buffer_one may skip a fire chaos delayed past the next two (OVERLAP_MARKER_EVERY):
    # the exception, never the rule.
    assert soak.skipped_by_overlap <= soak.fires // 100


def test_only_a_skip_that_found_the_buffer_full_is_the_policys():
    me, now = "task:240000", 1_000
    full = Slots("task:260000", now + 5, "task:280000", now + 60)
    assert _buffer_was_full(me, {me: (now, full)})
    for slots in (
        Slots("task:260000", now + 5, None, None),  # nobody waited: it should have waited
        Slots("task:260000", now + 5, "task:280000", now - 1),  # the waiter's place ended
        Slots("task:260000", now - 1, "task:280000", now + 60),  # the run's lease ended
        Slots("task:260000", now + 5, me, now + 60),  # it was the waiter itself
    ):
        assert not _buffer_was_full(me, {me: (now, slots)})
    assert not _buffer_was_full(me, {me: None})  # skipped without a slot write failing
    assert not _buffer_was_full(me, {})


def test_every_execution_records_exactly_one_successful_run(soak):
    assert soak.doubled_run_records == 0
    assert soak.unexpected_runs == 0


def test_target_reruns_happen_only_after_a_crash_or_timeout_past_the_target(soak):
    # At-least-once delivery, effectively-once runs: a target sees an execution twice
    # only when an attempt died or timed out after calling it.
    assert soak.reruns_without_cause == 0
    assert soak.target_calls > soak.fires  # reruns did happen, and were all explained


def test_first_target_call_is_attempt_one_unless_an_earlier_attempt_happened(soak):
    # A write applied whose response was lost is the writer's own: a claim re-sent by
    # the SDK is not taken for another worker's, which would number the first call 2.
    assert soak.misnumbered_attempts == 0


def test_soak_injected_every_fault_it_claims_to(soak):
    assert set(soak.crashes_by_point) == set(CRASH_POINTS)
    assert soak.duplicate_deliveries_injected > 0
    assert soak.throttles_injected > 0
    assert set(soak.lost_responses_by_write) == set(LOST_RESPONSE_WRITES)
    assert soak.timeouts_injected > 0 or soak.rerun_after_crash_or_timeout > 0
    assert soak.redriven_to_dlq == 0  # no fire left the protocol through the redrive net


def test_every_success_of_a_notifying_task_has_one_event_in_the_stream_under_chaos(soak):
    # Crashes after the outcome, duplicate deliveries and lost write responses neither
    # lose an outcome's mark nor make a second event id for one execution.
    assert soak.notifying_successes > soak.fires // 3
    assert soak.notifications_missing == 0
    assert soak.notification_ids_doubled == 0
    assert soak.notifications_unasked == 0
