"""Fires sent up to the lookahead ahead: one commit per many fires, and updates, pauses,
resumes and deletes stay exact because the executor drops what they made stale.

Sweeps (every simulated minute), API writes and executor runs share one simulated clock.
Each message is delivered when its fire time comes; the target counts its calls. DynamoDB
requests are counted through botocore event hooks, never timed.
"""

from __future__ import annotations

from datetime import timedelta

from sim_world import LOOKAHEAD, TICK, assert_ran_exactly, ids, minutes

from sundial import store
from sundial.api import service
from sundial.core.clock import to_ms
from sundial.core.planning import execution_id
from sundial.core.task.update import TaskUpdate
from sundial.core.vocabulary import TaskState
from sundial.settings import DEFAULT_LOOKAHEAD_SECONDS, DEFAULT_MAX_FIRES_PER_COMMIT

# --- the count ------------------------------------------------------------------------


def test_a_per_minute_task_costs_three_commits_over_thirty_minutes_of_sweeps(
    per_minute, make_dispatcher, local_sqs, dynamo_calls, clock
):
    task = per_minute()
    dispatcher = make_dispatcher(
        sqs=local_sqs,
        use_leases=False,
        lookahead=LOOKAHEAD,
        max_fires_per_commit=DEFAULT_MAX_FIRES_PER_COMMIT,
    )
    start = clock.utc_now()
    for _ in range(30):
        dispatcher.sweep()
        clock.advance(minutes=1)
    # 12:00 plans 12:01-12:14, 12:14 plans 12:15-12:28, 12:28 plans 12:29-12:42.
    assert dynamo_calls.calls["UpdateItem"] == 3
    assert local_sqs.execution_ids() == [
        execution_id(task.task_id, at) for at in minutes(start, *range(1, 43))
    ]
    assert all(m["delay"] <= DEFAULT_LOOKAHEAD_SECONDS for m in local_sqs.sent)


def test_every_delay_stays_within_the_sqs_limit_with_jitter(
    seed, make_dispatcher, local_sqs, clock
):
    seed("0 * * * * *", jitter_seconds=600)
    seed("*/7 * * * * *", jitter_seconds=30)
    dispatcher = make_dispatcher(
        sqs=local_sqs,
        use_leases=False,
        lookahead=LOOKAHEAD,
        max_fires_per_commit=DEFAULT_MAX_FIRES_PER_COMMIT,
    )
    for _ in range(20):
        dispatcher.sweep()
        clock.advance(minutes=1)
    beyond_the_horizon = [m for m in local_sqs.sent if m["delay"] > 90]
    assert beyond_the_horizon  # sent ahead, and still
    assert max(m["delay"] for m in local_sqs.sent) <= DEFAULT_LOOKAHEAD_SECONDS


# --- exactness: what the executor drops -----------------------------------------------


def test_a_schedule_change_drops_fires_sent_ahead_under_the_old_one(world, per_minute, clock):
    task = per_minute()
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=2, seconds=10))
    old_ahead = execution_id(task.task_id, start + timedelta(minutes=5))
    assert world.sent(old_ahead) == 1  # sent ahead under the old schedule

    service.update_task(
        "acme", task.task_id, TaskUpdate(schedule="30 * * * * *"), now=clock.utc_now()
    )
    world.run_until(start + timedelta(minutes=20))

    wanted = ids(task, minutes(start, 1, 2)) | ids(
        task, minutes(start + timedelta(seconds=30), *range(2, 20))
    )
    assert_ran_exactly(world, wanted)
    assert old_ahead not in world.ran


def test_pause_then_resume_within_the_lookahead_runs_each_wanted_fire_once(
    world, per_minute, clock
):
    task = per_minute()
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=1, seconds=30))
    service.pause_task("acme", task.task_id)
    world.run_until(start + timedelta(minutes=5, seconds=30))
    service.resume_task("acme", task.task_id, now=clock.utc_now())
    world.run_until(start + timedelta(minutes=20))

    # Fires due while paused do not run; every fire after the resume runs once, although
    # the resume sent again what the first sweep had sent ahead.
    assert_ran_exactly(world, ids(task, minutes(start, 1, *range(6, 21))))
    assert world.sent(execution_id(task.task_id, start + timedelta(minutes=8))) == 2


def test_a_fire_due_while_paused_does_not_run_when_delivered_after_the_resume(
    world, per_minute, clock
):
    # An executor backlog (or a redelivery) can hand over a fire sent ahead only after
    # the task was resumed: the resume made it stale, so it still does not run.
    task = per_minute()
    start = clock.utc_now()
    world.dispatcher.sweep()
    world.next_tick += TICK
    service.pause_task("acme", task.task_id)
    clock.advance(minutes=3, seconds=30)
    service.resume_task("acme", task.task_id, now=clock.utc_now())
    late = [n for n, m in enumerate(world.sqs.sent) if m["fire_at"] <= clock.now_ms()]
    assert len(late) == 3  # 12:01, 12:02, 12:03, sent ahead, delivered only now
    for n in late:
        world.deliver(n)
    world.run_until(start + timedelta(minutes=10))
    assert_ran_exactly(world, ids(task, minutes(start, *range(4, 11))))


def test_a_backfill_asked_for_while_paused_still_runs_after_the_resume(world, per_minute, clock):
    # The resume outdates the scheduled fires sent ahead before the pause, not a backfill:
    # that was asked for explicitly, paused or not.
    task = per_minute()
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=2, seconds=30))
    service.pause_task("acme", task.task_id)
    clock.advance(minutes=1)
    earlier = start - timedelta(hours=1)
    assert (
        service.backfill_task(
            "acme", task.task_id, earlier, earlier + timedelta(minutes=2), now=clock.utc_now()
        )
        == 3
    )
    backfills = [n for n, m in enumerate(world.sqs.sent) if m["kind"] == "backfill"]
    service.resume_task("acme", task.task_id, now=clock.utc_now())
    for n in backfills:  # delivered after the resume
        world.deliver(n)

    assert all(world.ran[id_] == 1 for id_ in ids(task, minutes(earlier, 0, 1, 2)))


def test_deleting_a_task_drops_its_fires_sent_ahead(world, per_minute, clock):
    task = per_minute()
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=2, seconds=30))
    service.delete_task("acme", task.task_id)
    world.run_until(start + timedelta(minutes=16))
    assert_ran_exactly(world, ids(task, minutes(start, 1, 2)))
    assert len(world.sqs.sent) == 14  # twelve of them were dropped


def test_moving_end_at_earlier_drops_the_fires_sent_ahead_past_it(world, per_minute, clock):
    task = per_minute()
    start = clock.utc_now()
    world.run_until(start + timedelta(minutes=2, seconds=30))
    service.update_task(
        "acme",
        task.task_id,
        TaskUpdate(end_at=start + timedelta(minutes=6, seconds=30)),
        now=clock.utc_now(),
    )
    world.run_until(start + timedelta(minutes=20))
    assert_ran_exactly(world, ids(task, minutes(start, *range(1, 7))))


def test_a_completed_tasks_fires_sent_ahead_before_end_at_still_run(world, per_minute, clock):
    start = clock.utc_now()
    task = per_minute(end_at=to_ms(start + timedelta(minutes=10, seconds=30)))
    world.dispatcher.sweep()
    world.next_tick += TICK
    # One commit planned every remaining fire: the task is completed before they run.
    assert store.get_task("acme", task.task_id).state == TaskState.COMPLETED
    world.run_until(start + timedelta(minutes=15))
    assert_ran_exactly(world, ids(task, minutes(start, *range(1, 11))))
