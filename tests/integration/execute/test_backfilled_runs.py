"""Backfilled runs: a past slot's time is their fire time, and they run at once."""

from __future__ import annotations

from execute_helpers import FIRE_AT, failures, fire, run_of

from sundial.core.clock import utc_rfc3339


def test_backfilled_slot_runs_at_once_with_its_scheduled_time(
    probe, probe_task, work, deliver, clock
):
    task = probe_task(misfire={"policy": "skip", "grace_seconds": 60})
    slot = FIRE_AT - 3 * 86_400_000  # three days before now, far past the misfire grace
    message = fire(task, at=slot, kind="backfill")
    work.send(message)

    assert failures(deliver(*work.receive())) == []

    (call,) = probe.calls
    assert (call.fire_at_ms, call.scheduled_time, call.attempt) == (slot, utc_rfc3339(slot), 1)
    assert clock.slept == []  # no wait for a time long past, and no refusal as too early
    run = run_of(message)
    assert (run.status, run.fire_at, run.started_at) == ("succeeded", slot, FIRE_AT)
