"""The streak of consecutive failed runs of a task with `pause_after_failures`.

It lives on the task's schedule state (1 WRU a write, no index entry), and only tasks
with the setting ever write it: a failure adds one, a success ending a streak resets it,
a resume clears it. Each failure is counted once per fire, whatever the deliveries: the
write records the fire key it counted and is conditioned on a different one.
"""

from __future__ import annotations

from sundial.store import writes
from sundial.store.models import ScheduleItem, schedule_key


def count_failure(task_id: str, fire_key: str) -> int:
    """Add the failed run of `fire_key` to the task's streak; the streak after it.

    Two failures finishing at once count two (ADD); a duplicate delivery of the fire
    last counted counts nothing and reads the streak as it is, so a pause its first
    delivery did not complete is still made. 0 when the task is gone.
    """
    condition = ScheduleItem.key.exists() & (
        ScheduleItem.last_failed_fire.does_not_exist() | (ScheduleItem.last_failed_fire != fire_key)
    )
    actions = [ScheduleItem.failure_streak.add(1), ScheduleItem.last_failed_fire.set(fire_key)]

    def mine(old: writes.RawItem | None) -> bool:
        return old is not None and ScheduleItem.from_raw_data(old).last_failed_fire == fire_key

    key = schedule_key(task_id)
    raw: writes.RawItem | None
    try:
        raw = writes.update(ScheduleItem, key, None, actions, condition, mine=mine)
    except writes.ConditionFailed as exc:
        raw = exc.old_item
    if raw is None:
        return 0
    return int(ScheduleItem.from_raw_data(raw).failure_streak or 0)


def end_failure_streak(task_id: str) -> None:
    """A run succeeded: the streak starts again from zero (nothing written without one)."""
    condition = ScheduleItem.failure_streak > 0
    try:
        writes.update(
            ScheduleItem,
            schedule_key(task_id),
            None,
            [ScheduleItem.failure_streak.set(0)],
            condition,
        )
    except writes.ConditionFailed:
        return  # no streak (or the task is gone)
