"""Concurrency, cost per fire and read amplification of the sweep, counted, never timed."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest

from sundial import store
from sundial.core.clock import from_ms
from sundial.core.planning import execution_id
from sundial.store.models import SWEEP_LEASE_KEY, SweepLeaseItem


def run_concurrent_sweeps(tasks, make_dispatcher, local_sqs, monkeypatch, use_leases):
    """Four sweeps started together; returns their reports and commit wins per task."""
    wins: Counter[str] = Counter()
    real_commit = store.commit_dispatch

    def counting_commit(task_id, *args, **kwargs):
        won = real_commit(task_id, *args, **kwargs)
        if won:
            wins[task_id] += 1
        return won

    monkeypatch.setattr(store, "commit_dispatch", counting_commit)
    sweepers = [
        make_dispatcher(owner=f"sweep-{n}", use_leases=use_leases, sqs=local_sqs) for n in range(4)
    ]
    reports: list = [None] * 4
    start = threading.Barrier(4)

    def run(n):
        start.wait()
        reports[n] = sweepers[n].sweep()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return reports, wins


def assert_each_fire_emitted_and_committed_once(tasks, reports, wins, local_sqs):
    expected = {execution_id(t.task_id, from_ms(t.due_at)) for t in tasks}
    sent = local_sqs.execution_ids()
    assert expected <= set(sent)  # every fire emitted at least once
    assert all(wins[t.task_id] == 1 for t in tasks)  # committed exactly once
    duplicates = sum(r.duplicates_sent for r in reports)
    assert len(sent) - len(set(sent)) == duplicates  # and every duplicate is reported
    assert sum(r.tasks_committed for r in reports) == len(tasks)


def test_four_concurrent_sweeps_emit_every_fire_and_commit_each_task_once(
    seed_many, make_dispatcher, local_sqs, clock, monkeypatch
):
    tasks = seed_many(2000, "0 * * * * *", due_at=clock.utc_now() + timedelta(seconds=60))
    reports, wins = run_concurrent_sweeps(
        tasks, make_dispatcher, local_sqs, monkeypatch, use_leases=True
    )
    assert_each_fire_emitted_and_committed_once(tasks, reports, wins, local_sqs)


def test_racing_sweeps_without_leases_still_commit_each_task_once(
    seed_many, make_dispatcher, local_sqs, clock, monkeypatch
):
    # Leases expired or lost (a stalled sweep): every sweep races every other on every
    # shard; only the conditional commit keeps each fire committed once.
    tasks = seed_many(300, "0 * * * * *", due_at=clock.utc_now() + timedelta(seconds=60))
    reports, wins = run_concurrent_sweeps(
        tasks, make_dispatcher, local_sqs, monkeypatch, use_leases=False
    )
    assert_each_fire_emitted_and_committed_once(tasks, reports, wins, local_sqs)


def test_the_sweep_lease_keeps_an_overlapping_sweep_off_every_shard(
    seed_many, make_dispatcher, sqs, clock
):
    seed_many(40, "0 * * * * *", due_at=clock.utc_now() + timedelta(seconds=60))
    first, second = make_dispatcher(owner="first"), make_dispatcher(owner="second")
    assert store.acquire_sweep_lease("first", 0, 10**15)
    report = second.sweep()
    assert report.lease_busy == 1 and report.shards_swept == 0 and report.fires_emitted == 0
    store.release_sweep_lease("first")
    report = first.sweep()
    assert report.fires_emitted == 40 and report.duplicates_sent == 0


def test_a_sweep_starting_while_another_works_leaves_it_every_shard(
    seed_many, make_dispatcher, sqs, clock, monkeypatch
):
    # A late tick overlapping a continuation: the second sweep starts while the first is
    # between two queries, finds the lease held and sends nothing.
    tasks = seed_many(40, "0 * * * * *", due_at=clock.utc_now() + timedelta(seconds=60))
    first, second = make_dispatcher(owner="first"), make_dispatcher(owner="second")
    overlapping: list = []
    real_query = store.query_due

    def query_then_overlap(*args, **kwargs):
        if not overlapping:
            overlapping.append(second.sweep())
        return real_query(*args, **kwargs)

    monkeypatch.setattr(store, "query_due", query_then_overlap)
    report = first.sweep()
    assert overlapping[0].lease_busy == 1 and overlapping[0].fires_emitted == 0
    assert report.fires_emitted == len(tasks) and report.shards_swept == 4
    assert sorted(sqs.execution_ids()) == sorted(set(sqs.execution_ids()))


def test_expired_lease_of_a_crashed_sweep_is_taken_over(make_dispatcher, clock):
    from sundial.core.clock import to_ms

    assert store.acquire_sweep_lease("crashed", to_ms(clock.utc_now()), 60_000)
    assert make_dispatcher(owner="next").sweep().lease_busy == 1
    clock.advance(seconds=61)
    assert make_dispatcher(owner="next").sweep(shards=[0]).shards_swept == 1


@pytest.mark.parametrize("shard_count", [1, 4, 16])
def test_a_sweep_makes_two_lease_writes_whatever_the_shard_count(
    seed_many, make_dispatcher, local_sqs, clock, shard_count
):
    seed_many(40, "0 * * * * *", due_at=clock.utc_now() + timedelta(seconds=60))
    lease_writes: Counter[str] = Counter()

    def count_lease_writes(params, model, **_):
        key = params.get("Key") or params.get("Item") or {}
        if key.get("task_id", {}).get("S") == SWEEP_LEASE_KEY:
            lease_writes[model.name] += 1

    client = SweepLeaseItem._get_connection().connection.client
    client.meta.events.register("provide-client-params.dynamodb", count_lease_writes)
    try:
        report = make_dispatcher(shard_count=shard_count, sqs=local_sqs).sweep()
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb", count_lease_writes)
    assert report.shards_swept == shard_count
    assert lease_writes == {"PutItem": 1, "UpdateItem": 1}


def test_every_second_task_costs_one_commit_per_sweep(seed, make_dispatcher, dynamo_calls, clock):
    seed("* * * * * *")
    dispatcher = make_dispatcher(use_leases=False)
    first = dispatcher.sweep()
    assert first.fires_emitted == 90 and dynamo_calls.calls["UpdateItem"] == 1
    clock.advance(seconds=60)
    second = dispatcher.sweep()
    assert second.fires_emitted == 60 and dynamo_calls.calls["UpdateItem"] == 2


def test_sweep_reads_only_due_tasks(seed_many, make_dispatcher, dynamo_calls, local_sqs, clock):
    # 10,000 stored tasks, 100 of them due: idle ones are beyond the horizon, paused and
    # completed ones carry no index keys at all.
    due_soon = clock.utc_now() + timedelta(seconds=60)
    seed_many(100, "0 * * * * *", due_at=due_soon)
    seed_many(9000, "0 0 1 1 *", due_at=clock.utc_now() + timedelta(days=200))
    seed_many(450, "0 * * * * *", due_at=None, state="paused")
    seed_many(450, "0 * * * * *", due_at=None, state="completed")

    report = make_dispatcher(use_leases=False, sqs=local_sqs).sweep()
    assert report.fires_emitted == 100
    assert dynamo_calls.items_read <= 1.1 * report.fires_emitted
