"""Effectively-once execution: each fire runs once, whatever SQS and the dispatcher deliver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from execute_helpers import FIRE_AT, event, failures, fire, has_run, manual, run_of

from sundial import store
from sundial.core.clock import SYSTEM_CLOCK
from sundial.core.vocabulary import Outcome
from sundial.execute import batch, metrics
from sundial.execute import run as run_module
from sundial.execute.attempt import Processed
from sundial.execute.run import LEASE_MARGIN_MS


def test_same_message_delivered_twice_sequentially_runs_the_target_once(
    probe, probe_task, work, deliver
):
    task = probe_task()
    work.send(fire(task))
    (record,) = work.receive()

    first = deliver(record)
    second = deliver(record)  # SQS redelivers the very same message

    assert probe.executions == [f"{task.task_id}:{FIRE_AT}"]
    assert failures(first) == failures(second) == []
    assert run_of(fire(task)).status == "succeeded"


def test_dispatcher_duplicate_message_is_acknowledged_without_running(
    probe, probe_task, work, deliver
):
    task = probe_task()
    work.send(fire(task))
    work.send(fire(task))  # a re-sent duplicate: another SQS message, same execution
    first, second = work.receive(expected=2)

    assert failures(deliver(first)) == []
    assert failures(deliver(second)) == []
    assert len(probe.calls) == 1


def test_duplicates_in_one_batch_run_the_target_once(probe, probe_task, work, deliver):
    task = probe_task()
    for _ in range(4):
        work.send(fire(task))
    records = work.receive(expected=4)

    response = deliver(*records)

    assert len(probe.calls) == 1
    # The others met the live lease (back to the queue) or the finished run (acknowledged).
    assert len(failures(response)) <= 3
    assert run_of(fire(task)).status == "succeeded"


def test_concurrent_deliveries_run_once_and_the_loser_waits_for_the_lease(
    probe, probe_task, work, deliver, sqs
):
    task = probe_task(timeout_seconds=30)
    work.send(fire(task))
    work.send(fire(task))
    first, second = work.receive(expected=2)
    probe.gate = threading.Event()
    results: dict[str, Any] = {}
    running = threading.Thread(target=lambda: results.update(first=deliver(first)))
    running.start()
    assert probe.entered.wait(10)

    concurrent = deliver(second)  # while the first still runs the target
    probe.gate.set()
    running.join(10)

    assert len(probe.calls) == 1
    assert failures(concurrent) == [second["messageId"]]
    # Hidden until the lease can have ended: the run's budget plus the margin, and 1 s.
    (hidden,) = sqs.visibility_of(second)
    assert 1 < hidden <= 30 + LEASE_MARGIN_MS // 1000 + 1
    assert failures(results["first"]) == []


def test_many_concurrent_invocations_of_one_fire_run_it_once(
    probe, probe_task, work, context, executor
):
    task = probe_task()
    for _ in range(8):
        work.send(fire(task))
    records = work.receive(expected=8)
    executor_batches = [records[i : i + 2] for i in range(0, 8, 2)]
    start = threading.Barrier(len(executor_batches))
    responses: list[dict[str, Any]] = []
    lock = threading.Lock()

    def invoke(batch_records: list[dict[str, Any]]) -> None:
        start.wait(10)
        response = batch.process_batch(event(*batch_records), context, executor)
        with lock:
            responses.append(dict(response))

    threads = [threading.Thread(target=invoke, args=(chunk,)) for chunk in executor_batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert len(probe.calls) == 1
    assert len(responses) == 4


def test_crashed_run_is_taken_over_after_its_lease_with_the_next_attempt(
    probe, probe_task, work, deliver, clock, sqs
):
    task = probe_task()
    message = fire(task)
    # A worker claimed the run and died without recording anything.
    key = store.run_key(task.task_id, FIRE_AT)
    store.claim_run(
        key.task_id,
        key.fire_key,
        execution_id=message.execution_id,
        fire_at_ms=FIRE_AT,
        now_ms=FIRE_AT,
        lease_ms=5_000,
        tenant="acme",
    )
    work.send(message)
    (record,) = work.receive()

    clock.advance(1_000)
    during_lease = deliver(record)
    clock.advance(5_000)  # the lease has ended
    after_lease = deliver(record)

    assert failures(during_lease) == [record["messageId"]]
    assert sqs.visibility_of(record)[0] == 5  # 4 s left on the lease, plus 1
    assert failures(after_lease) == []
    assert [call.attempt for call in probe.calls] == [2]
    run = run_of(message)
    assert (run.status, run.attempt) == ("succeeded", 2)


def test_takeover_beyond_max_attempts_fails_without_running(
    probe, probe_task, work, deliver, clock
):
    task = probe_task(retry={"max_attempts": 1, "backoff_seconds": 0})
    message = fire(task)
    key = store.run_key(task.task_id, FIRE_AT)
    store.claim_run(
        key.task_id,
        key.fire_key,
        execution_id=message.execution_id,
        fire_at_ms=FIRE_AT,
        now_ms=FIRE_AT,
        lease_ms=1_000,
        tenant="acme",
    )
    work.send(message)
    (record,) = work.receive()
    clock.advance(2_000)

    assert failures(deliver(record)) == []

    assert probe.calls == []
    run = run_of(message)
    assert (run.status, run.attempt) == ("failed", 2)
    assert "did not finish" in run.error
    (letter,) = work.dead_letters()
    assert letter["execution_id"] == message.execution_id
    assert letter["reason"] == "attempts_exhausted"


def test_stale_messages_are_dropped_without_a_run_record(probe, probe_task, work, deliver):
    gone = probe_task()
    store.delete_task("acme", gone.task_id)
    paused = probe_task()
    store.update_task("acme", paused.task_id, {"state": "paused"})
    rescheduled = probe_task()
    store.update_task("acme", rescheduled.task_id, {"schedule": "*/7 * * * * *"})
    stale = [
        fire(gone),
        fire(paused),
        fire(rescheduled, schedule_version=1),
        fire(rescheduled, schedule_version=1, kind="backfill"),
    ]
    for message in stale:
        work.send(message)

    response = deliver(*work.receive(expected=len(stale)))

    assert failures(response) == []
    assert probe.calls == []
    assert not any(has_run(message) for message in stale)


def test_explicit_requests_run_while_paused_and_after_rescheduling(
    probe, probe_task, work, deliver
):
    paused = probe_task()
    store.update_task("acme", paused.task_id, {"state": "paused", "schedule": "*/7 * * * * *"})
    requests = [
        manual(paused, "01JDMANUAL0000000000000001"),
        fire(paused, at=FIRE_AT - 7_000, kind="redrive", schedule_version=1),
    ]
    for message in requests:
        work.send(message)

    assert failures(deliver(*work.receive(expected=2))) == []

    assert sorted(probe.executions) == sorted(m.execution_id for m in requests)


def test_message_more_than_a_second_early_returns_to_the_queue_unclaimed(
    probe, probe_task, work, deliver, sqs
):
    task = probe_task(jitter_seconds=3600)
    message = fire(task, at=FIRE_AT + 2_500_000)  # jitter beyond SQS's 900 s delay
    work.send(message)
    (record,) = work.receive()

    response = deliver(record)

    assert failures(response) == [record["messageId"]]
    assert sqs.visibility_of(record) == [2_500]  # floored: back up to a second early
    assert probe.calls == [] and not has_run(message)


def test_sub_second_early_arrival_waits_for_the_fire_time(probe, probe_task, work, deliver, clock):
    task = probe_task()
    message = fire(task, at=FIRE_AT + 400)
    work.send(message)
    (record,) = work.receive()

    assert failures(deliver(record)) == []

    assert clock.slept == [0.4]
    run = run_of(message)
    assert run.lateness_ms == 0
    assert run.started_at >= message.fire_at  # the run starts on its fire time, not before


def test_early_delivery_is_claimed_before_the_wait_so_the_fire_time_is_not_spent_claiming(
    probe, probe_task, work, deliver, clock
):
    task = probe_task()
    message = fire(task, at=FIRE_AT + 400)
    work.send(message)
    (record,) = work.receive()
    seen_while_waiting: list[str | None] = []
    sleep = clock.sleep

    def sleep_and_look(seconds: float) -> None:
        seen_while_waiting.append(run_of(message).status if has_run(message) else None)
        sleep(seconds)

    clock.sleep = sleep_and_look

    assert failures(deliver(record)) == []

    assert seen_while_waiting == ["running"]
    assert probe.calls and run_of(message).status == "succeeded"


def test_lateness_is_start_minus_fire_time(probe, probe_task, work, deliver, clock):
    task = probe_task()
    message = fire(task)
    work.send(message)
    (record,) = work.receive()
    clock.advance(1_234)

    deliver(record)

    assert run_of(message).lateness_ms == 1_234


def test_a_batch_creates_its_dynamodb_clients_before_its_records_fan_out(
    probe, probe_task, work, deliver, cold_start
):
    for n in range(4):
        work.send(fire(probe_task(), at=FIRE_AT + n))
    records = work.receive(4)
    created_on = cold_start()

    assert failures(deliver(*records)) == []

    assert len(probe.calls) == 4
    # Created once each, on the invoking thread: the records' threads found them made.
    assert created_on and set(created_on) == {threading.current_thread().name}


@pytest.fixture
def task_reads() -> Iterator[list[str]]:
    """The operation of every read of the tasks table made inside the test."""
    calls: list[str] = []

    def record(event_name: str, **_: Any) -> None:
        calls.append(event_name.rsplit(".", 1)[-1])

    hooks = [
        (model._get_connection().connection.client, f"provide-client-params.dynamodb.{op}")
        for model in (store.TaskItem, store.ScheduleItem)
        for op in ("GetItem", "BatchGetItem")
    ]
    for client, event_name in hooks:
        client.meta.events.register(event_name, record)
    yield calls
    for client, event_name in hooks:
        client.meta.events.unregister(event_name, record)


def test_a_batch_reads_its_records_tasks_together_before_they_start(
    probe, probe_task, work, deliver, task_reads
):
    for n in range(6):
        work.send(fire(probe_task(), at=FIRE_AT + n))
    records = work.receive(6)
    task_reads.clear()

    assert failures(deliver(*records)) == []

    assert len(probe.calls) == 6
    # The schedule states, then the definitions: two reads for the batch, none a record.
    assert task_reads == ["BatchGetItem", "BatchGetItem"]


def test_a_batch_whose_task_read_fails_runs_each_record_on_its_own_read(
    probe, probe_task, work, deliver, monkeypatch
):
    for n in range(3):
        work.send(fire(probe_task(), at=FIRE_AT + n))
    records = work.receive(3)

    def throttled(task_ids: Any) -> Any:
        raise store.TaskItem.DoesNotExist("throttled past the SDK's retries")

    monkeypatch.setattr(store, "get_schedule_states", throttled)

    assert failures(deliver(*records)) == []
    assert len(probe.calls) == 3


def test_concurrent_batches_in_one_process_do_not_wait_for_each_others_threads(
    probe_task, work, context
):
    # The local stack invokes several batches at once in one process; each record may
    # hold its thread until its fire time, so batches sharing one pool would queue.
    for n in range(20):
        work.send(fire(probe_task(), at=FIRE_AT + n))
    records = work.receive(20)
    all_started = threading.Barrier(20, timeout=10)

    class Waiting:
        clock = SYSTEM_CLOCK

        def admit(self, deliveries: Any) -> dict[str, Any]:
            return {}

        def process(
            self, delivery: Any, deadline: float, current: Any, batch_began_ms: int
        ) -> Processed:
            all_started.wait()  # every record of both batches running at once
            return Processed(Outcome.SUCCEEDED, acknowledge=True)

    responses: list[dict[str, Any]] = []

    def invoke(batch_records: list[dict[str, Any]]) -> None:
        responses.append(dict(batch.process_batch(event(*batch_records), context, Waiting())))

    batches = [threading.Thread(target=invoke, args=(records[i::2],)) for i in range(2)]
    for thread in batches:
        thread.start()
    for thread in batches:
        thread.join(30)

    assert not all_started.broken
    assert [failures(r) for r in responses] == [[], []]


def test_one_bad_record_never_fails_the_batch(
    probe, probe_task, work, deliver, monkeypatch: Any, sqs
):
    good, flaky, broken = probe_task(), probe_task(), probe_task()
    work.send(fire(good))
    work.send("not json at all")
    work.send(fire(flaky, at=FIRE_AT + 60_000))  # early: back to the queue
    work.send(fire(broken))
    records = work.receive(expected=4)
    by_body = {record["body"]: record for record in records}
    real_claim = store.claim_run

    def claim(task_id: str, *args: Any, **kwargs: Any) -> Any:
        if task_id == broken.task_id:
            raise RuntimeError("DynamoDB is having a bad day")
        return real_claim(task_id, *args, **kwargs)

    monkeypatch.setattr(store, "claim_run", claim)

    response = deliver(*records)

    expected = {
        by_body[fire(flaky, at=FIRE_AT + 60_000).to_json()]["messageId"],
        by_body[fire(broken).to_json()]["messageId"],
    }
    assert set(failures(response)) == expected
    assert probe.executions == [fire(good).execution_id]
    # The crashed record comes back after a short backoff, not the queue's 90 minutes.
    assert sqs.visibility_of(by_body[fire(broken).to_json()]) == [5]


def test_malformed_messages_are_dead_lettered_never_retried(work, deliver, execute_env):
    bodies = [
        "not json",
        '{"v": 2, "execution_id": "x"}',
        fire_body_with_foreign_execution_id(),
    ]
    for body in bodies:
        work.send(body)
    records = work.receive(expected=3)

    response = deliver(*records)

    assert failures(response) == []  # acknowledged: SQS will not deliver them again
    letters = work.dead_letters()
    assert sorted(letter["body"] for letter in letters) == sorted(bodies)
    assert all(letter["type"] == "malformed_message" and letter["reason"] for letter in letters)


def fire_body_with_foreign_execution_id() -> str:
    return (
        '{"v":1,"execution_id":"OTHER:1","task_id":"01JD0000000000000000000000",'
        '"tenant":"acme","fire_at":1,"schedule_version":1,"kind":"scheduled","coalesced":1}'
    )


def test_run_records_expire_after_the_retention(probe, probe_task, work, deliver, clock):
    task = probe_task()
    work.send(fire(task))
    clock.advance(2_000)

    deliver(*work.receive())

    run = run_of(fire(task))
    assert run.expires_at == (FIRE_AT + 2_000) // 1000 + 30 * 86_400


def test_each_run_reports_how_long_it_waited_for_its_fire_time(
    probe, probe_task, work, deliver, clock, monkeypatch
):
    # The wait is paid Lambda time: the executor publishes it (FireTimeWaitMs) per run.
    published: list[tuple[str, float]] = []
    monkeypatch.setattr(
        metrics.metrics,
        "add_metric",
        lambda name, unit, value: published.append((name, value)),
    )
    task = probe_task()
    early, late = fire(task, at=FIRE_AT + 400), fire(task, at=FIRE_AT - 2_000)
    work.send(early)
    work.send(late)
    records = work.receive(2)

    assert failures(deliver(*records)) == []

    waits = sorted(value for name, value in published if name == "FireTimeWaitMs")
    assert waits == [0, 400]


def test_each_run_logs_how_long_before_its_fire_time_its_batch_began(
    probe, probe_task, work, deliver, clock, monkeypatch
):
    # The batch's work up to its claims runs inside this lead: the cost model bills the
    # longer of the two, from these lines (the lateness benchmark reads them).
    logged: list[dict] = []
    monkeypatch.setattr(
        run_module.logger, "debug", lambda message, extra=None: logged.append(extra or {})
    )
    task = probe_task()
    early, late = fire(task, at=FIRE_AT + 400), fire(task, at=FIRE_AT - 2_000)
    work.send(early)
    work.send(late)

    assert failures(deliver(*work.receive(2))) == []

    leads = sorted(line["batch_lead_ms"] for line in logged if "batch_lead_ms" in line)
    assert leads == [-2_000, 400]
