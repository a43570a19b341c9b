"""The run limit (`max_runs`) on writes to a task: what is left of it after a write.

The dispatcher counts a task's scheduled runs as it commits them (`fires_dispatched`,
and `runs_left` on the schedule state, which it plans from). Fires are committed ahead
of their time (the lookahead), so a write that keeps fires already sent from running
withdraws them from the count: a pause (executors drop scheduled fires of a paused
task), and a write that bumps schedule_version (a timing change, a new run limit:
executors drop fires stamped with the old one). The fires wanted from then on are
planned, and counted, again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sundial import store
from sundial.core.clock import from_ms, to_ms
from sundial.core.planning import EARLY_CLAIM_MS, backfill_times
from sundial.store import TaskItem

# More fires than one task can have sent ahead (the lookahead is at most 840 s): the
# count of withdrawn fires is never cut short.
_MAX_WITHDRAWN = 1_000_000


def count_changes(
    current: TaskItem, max_runs: int | None, now: datetime, *, withdraw: bool
) -> dict[str, Any]:
    """The schedule-state changes that keep the count of a task with a run limit (now or
    after the write) exact: `runs_left` under `max_runs`, and, with `withdraw`, the
    fires sent ahead taken out of `fires_dispatched`.

    The store conditions the write on the count read here, so a dispatch commit landing
    in between makes the write re-read and recount.
    """
    state = current.schedule_state
    if state is None:
        return {}
    dispatched = int(state.fires_dispatched)
    changes: dict[str, Any] = {}
    if withdraw:
        withdrawn, kept_until = withdrawn_fires(current, now)
        if withdrawn:
            dispatched -= withdrawn
            changes.update(fires_dispatched=dispatched, last_fire_at=kept_until)
    changes["runs_left"] = None if max_runs is None else max(0, max_runs - dispatched)
    return changes


def withdrawn_fires(current: TaskItem, now: datetime) -> tuple[int, int]:
    """How many committed scheduled fires a write at `now` keeps from running, and the
    newest nominal time (epoch ms) still counted.

    Those are the fires sent ahead with a nominal time more than EARLY_CLAIM_MS after
    now: no executor can have claimed one yet. A nearer one may already be running and
    stays counted, so the count never falls below the runs that happen.
    """
    state = current.schedule_state
    if state is None or state.last_fire_at is None:
        return 0, 0
    last = from_ms(int(state.last_fire_at))
    kept_until = now + timedelta(milliseconds=EARLY_CLAIM_MS)
    if last <= kept_until:
        return 0, int(state.last_fire_at)
    ahead = backfill_times(
        store.timing_of(state), kept_until + timedelta(milliseconds=1), last, _MAX_WITHDRAWN
    )
    return len(ahead), to_ms(kept_until)


def remaining_runs(item: TaskItem) -> int | None:
    """The task's `remaining_runs`: max_runs minus the scheduled runs dispatched."""
    if item.max_runs is None or item.schedule_state is None:
        return None
    return max(0, int(item.max_runs) - int(item.schedule_state.fires_dispatched))
