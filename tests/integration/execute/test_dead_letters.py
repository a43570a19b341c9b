"""Dead letters the API lists, and redrive (`/dead-letters`): back to work, kept
attempt count, a fresh retry budget, gone once the run succeeds."""

from __future__ import annotations

import json

import pytest
from execute_helpers import FIRE_AT, failures, fire, run_of

from sundial import store
from sundial.execute import PermanentFailure
from sundial.workqueue import list_dead_letters, redrive


def _dead_letter(probe, work, deliver, clock, message, error="bad request"):
    clock.now = max(clock.now, message.fire_at)
    probe.script.append(PermanentFailure(error))
    work.send(message)
    deliver(*work.receive())
    clock.advance(1_000)


def test_a_failed_run_is_listed_as_the_tenants_dead_letter(probe, probe_task, work, deliver, clock):
    task = probe_task()
    message = fire(task)
    _dead_letter(probe, work, deliver, clock, message, "HTTP 400 from the hook")

    letters, token = list_dead_letters("acme")

    assert token is None
    assert letters == [
        {
            "execution_id": message.execution_id,
            "task_id": task.task_id,
            "fire_at": "2026-05-28T20:26:40Z",
            "attempt": 1,
            "error": "HTTP 400 from the hook",
            "reason": "permanent",
            "dead_lettered_at": "2026-05-28T20:26:40Z",
        }
    ]
    assert list_dead_letters("globex") == ([], None)  # another tenant sees none


def test_dead_letters_list_newest_first_in_pages(probe, probe_task, work, deliver, clock):
    task = probe_task()
    messages = [fire(task, at=FIRE_AT + i * 5_000) for i in range(3)]
    for message in messages:
        _dead_letter(probe, work, deliver, clock, message)

    first, token = list_dead_letters("acme", limit=2)
    rest, end = list_dead_letters("acme", limit=2, next_token=token)

    listed = [letter["execution_id"] for letter in first + rest]
    assert listed == [m.execution_id for m in reversed(messages)]
    assert end is None
    with pytest.raises(store.InvalidPageToken):
        list_dead_letters("globex", next_token=token)  # a token is only good for its tenant


def test_redrive_runs_the_dead_letter_again_and_removes_it_on_success(
    probe, probe_task, work, deliver, clock
):
    task = probe_task()
    message = fire(task)
    _dead_letter(probe, work, deliver, clock, message)

    # The redrive happens "now" on the simulated clock, as the executor sees time.
    assert redrive("acme", now_ms=clock.now) == 1

    run = run_of(message)
    assert (run.status, run.attempt) == ("retrying", 1)  # attempt count kept
    (record,) = work.receive()
    assert json.loads(record["body"])["kind"] == "redrive"
    assert failures(deliver(record)) == []
    run = run_of(message)
    assert (run.status, run.attempt) == ("succeeded", 2)
    assert [call.attempt for call in probe.calls] == [1, 2]
    assert list_dead_letters("acme") == ([], None)


def test_redriven_run_gets_a_fresh_retry_budget(probe, probe_task, work, deliver, clock, sqs):
    task = probe_task(retry={"max_attempts": 2, "backoff_seconds": 0})
    message = fire(task)
    probe.script.extend([RuntimeError("down")] * 4)
    work.send(message)
    (record,) = work.receive()
    deliver(record)
    deliver(record)  # attempt 2: budget of 2 used up, dead-lettered
    assert run_of(message).status == "failed"

    redrive("acme", now_ms=clock.now)
    (again,) = work.receive()
    deliver(again)  # attempt 3 = first of the new budget: retried
    assert run_of(message).status == "retrying"
    deliver(again)  # attempt 4: the new budget is used up

    run = run_of(message)
    assert (run.status, run.attempt) == ("failed", 4)
    (letter,), _ = list_dead_letters("acme")  # replaced, not doubled
    assert letter["attempt"] == 4


def test_redrive_chooses_by_execution_id_within_the_tenant(probe, probe_task, work, deliver, clock):
    task = probe_task()
    chosen, other = fire(task), fire(task, at=FIRE_AT + 5_000)
    for message in (chosen, other):
        _dead_letter(probe, work, deliver, clock, message)

    assert redrive("globex", [chosen.execution_id], now_ms=clock.now) == 0  # not that tenant's
    assert redrive("acme", [chosen.execution_id, "unknown:1"], now_ms=clock.now) == 1

    (record,) = work.receive()
    assert json.loads(record["body"])["execution_id"] == chosen.execution_id
    assert run_of(other).status == "failed"


def test_repeating_a_redrive_before_the_run_starts_is_harmless(
    probe, probe_task, work, deliver, clock
):
    task = probe_task()
    message = fire(task)
    _dead_letter(probe, work, deliver, clock, message)

    assert redrive("acme", now_ms=clock.now) == 1
    assert redrive("acme", now_ms=clock.now) == 1  # not started yet: sent again
    records = work.receive(expected=2)
    responses = [deliver(record) for record in records]

    assert all(failures(response) == [] for response in responses)
    assert len(probe.calls) == 2  # the original attempt and one redriven run
    assert redrive("acme", now_ms=clock.now) == 0  # succeeded: nothing left to redrive


def test_redrive_skips_runs_of_deleted_tasks(probe, probe_task, work, deliver, clock):
    task = probe_task()
    _dead_letter(probe, work, deliver, clock, fire(task))
    store.delete_task("acme", task.task_id)

    assert redrive("acme", now_ms=clock.now) == 0
    assert work.receive() == []
