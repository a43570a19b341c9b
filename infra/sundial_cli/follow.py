"""`sundial tasks runs --follow`: a live tail of a task's runs, printed as they finish.

The API has no stream: the newest page of runs is read again every few seconds, and a
run is printed when it shows a state it had not shown before (a new run, or a running
one that finished). Only the previous page's states are remembered, which is enough
because a run's state never goes back, and keeps a long tail's memory bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sundial.core.vocabulary import RunStatus

# Often enough to feel live, rarely enough that a tail costs the API nothing.
INTERVAL_SECONDS = 2.0
# Runs a poll reads: more than finish between two polls of any task but the busiest.
PAGE_SIZE = 100
# A run still going is not finished: it is printed once it is.
UNFINISHED = frozenset({RunStatus.RUNNING.value})

Run = dict[str, Any]


@dataclass
class Poller:
    """How the tail waits between polls, and when it stops (never, but in tests)."""

    sleep: Callable[[float], None] = time.sleep
    max_polls: int | None = None


POLLER = Poller()


def state_of(run: Run) -> tuple[str, str, Any]:
    return (str(run.get("execution_id")), str(run.get("status")), run.get("attempt"))


def follow(
    newest: Callable[[], list[Run]],
    show: Callable[[Run], None],
    *,
    seen: list[Run],
    keep: Callable[[Run], bool] = lambda run: True,
    poller: Poller = POLLER,
) -> None:
    """Poll `newest` (the latest runs, newest first) and `show` each run, oldest first,
    that finished since the previous poll and that `keep` accepts; `seen` are the runs
    already on screen. Returns after `poller.max_polls` polls (if set)."""
    known = {state_of(run) for run in seen}
    polls = 0
    while poller.max_polls is None or polls < poller.max_polls:
        poller.sleep(INTERVAL_SECONDS)
        polls += 1
        runs = newest()
        for run in reversed(runs):
            if state_of(run) not in known and run.get("status") not in UNFINISHED and keep(run):
                show(run)
        known = {state_of(run) for run in runs}
