"""The newest run of each task of a list page, read by key: a page of tasks costs one
BatchGetItem per 100 candidate keys, not one query per task.

DynamoDB has no read that returns the newest item of many partitions, and the per-fire
path writes nothing but the run item itself, so no item points at a task's newest run.
What the task item records instead bounds the keys its runs can have:

- A scheduled or backfilled run is keyed by an occurrence of the timing it was enqueued
  under, and exists at most `EARLY_CLAIM_MS` before that time: no key is later than
  now + `EARLY_CLAIM_MS`.
- A fire enqueued under an earlier timing runs only if it was claimed before the change
  (afterwards the executor drops it as stale, leaving no run): its key is at most
  `timing_since` + `EARLY_CLAIM_MS`.
- A manual run's key is at most `last_manual_key`, recorded before it was enqueued.

So the candidates of a task are its current timing's occurrences up to now +
`EARLY_CLAIM_MS`, the last few of them with none left out in between (`core.occurrences`):
if a run exists at one, the latest such is newer than every scheduled and backfilled run
not among them, and the newest run of all is the later of it and the run at
`last_manual_key`. This is the head of `GET /tasks/{id}/runs` exactly, as of the task
item read: a list page reads items from the `by_tenant` index, which trails writes by
moments, so a trigger made just before the listing may show a moment later, like every
other field of the row.

Where that reasoning does not reach, the task's newest run is read with its own query, as
`GET /tasks/{id}` does: no run at any candidate (a paused task; one skipping fires), a
recorded manual trigger whose run is not stored yet, a timing changed so recently that an
earlier timing's run may be the newest, a task stored before these records were kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sundial.core.clock import from_ms, to_ms
from sundial.core.errors import SundialError
from sundial.core.occurrences import latest_occurrences
from sundial.core.planning import EARLY_CLAIM_MS
from sundial.core.threads import in_callers_context
from sundial.store.keys import run_key
from sundial.store.models import RunItem, TaskItem
from sundial.store.runs import get_runs, list_runs
from sundial.store.task_mapping import timing_of

# Occurrences read per task: the newest one or two may still be on their way to the
# executor (a per-second task's), the ones before them have run.
CANDIDATES_PER_TASK = 4

# The tasks left to a query are read side by side.
QUERY_READERS = 8

RunKeyPair = tuple[str, str]


class _Ask:
    """The keys read do not prove which run is the newest: query the task's runs."""


ASK = _Ask()


@dataclass(frozen=True)
class _Candidates:
    scheduled: list[RunKeyPair]  # oldest first
    nominal_ms: list[int]  # the occurrence each of them stands for
    # No scheduled or backfilled run can exist outside the candidates.
    exhaustive: bool


def newest_runs(items: Sequence[TaskItem], now_ms: int) -> list[RunItem | None]:
    """The newest run of each task (None: it has none), in the order of `items`."""
    candidates = [_candidates(item, now_ms) for item in items]
    wanted: list[RunKeyPair] = []
    for item, found in zip(items, candidates, strict=True):
        if found is not None:
            wanted.extend(found.scheduled)
        if item.last_manual_key is not None:
            wanted.append((item.task_id, item.last_manual_key))
    stored = get_runs(wanted)
    answers = [_newest(item, found, stored) for item, found in zip(items, candidates, strict=True)]
    unproven = [item.task_id for item, answer in zip(items, answers, strict=True) if answer is ASK]
    queried: dict[str, RunItem | None] = {}
    if unproven:
        with ThreadPoolExecutor(max_workers=min(QUERY_READERS, len(unproven))) as pool:
            queried = dict(
                zip(unproven, pool.map(in_callers_context(newest_run), unproven), strict=True)
            )
    return [
        queried[item.task_id] if isinstance(answer, _Ask) else answer
        for item, answer in zip(items, answers, strict=True)
    ]


def newest_run(task_id: str) -> RunItem | None:
    """The run with the greatest fire key, read with a query: exact for any task."""
    runs, _ = list_runs(task_id, limit=1)
    return runs[0] if runs else None


def _candidates(item: TaskItem, now_ms: int) -> _Candidates | None:
    if item.timing_since is None:
        return None  # stored before these records were kept
    try:
        timing = timing_of(item)
        # A one-time `at()` may enter the due index up to its misfire grace in the past.
        after = from_ms(int(item.timing_since)) - timedelta(seconds=timing.grace_seconds + 1)
        recent = latest_occurrences(
            timing, after, from_ms(now_ms + EARLY_CLAIM_MS), CANDIDATES_PER_TASK
        )
    except (SundialError, ValueError, OverflowError):
        # A schedule at the edge of the calendar, or a task stored before validation
        # refused its timing: the query still answers.
        return None
    nominal_ms = [to_ms(at) for at in recent.times]
    scheduled = [(item.task_id, run_key(item.task_id, ms).fire_key) for ms in nominal_ms]
    # Backfilled times may lie before the candidates (before the task was created).
    exhaustive = recent.complete and not _timing_changed(item) and item.last_backfill_at is None
    return _Candidates(scheduled, nominal_ms, exhaustive)


def _newest(
    item: TaskItem,
    found: _Candidates | None,
    stored: dict[RunKeyPair, RunItem],
) -> RunItem | _Ask | None:
    """The newest run as proven from the keys read, or ASK when only a query can tell."""
    if found is None:
        return ASK
    manual = None
    if item.last_manual_key is not None:
        manual = stored.get((item.task_id, item.last_manual_key))
        if manual is None:
            # Enqueued but not claimed yet, or never enqueued: an older manual run may
            # be the newest, and nothing names it.
            return ASK
    hits = [
        (stored[key], at)
        for key, at in zip(found.scheduled, found.nominal_ms, strict=True)
        if key in stored
    ]
    if not hits and not found.exhaustive:
        return ASK
    scheduled = None
    if hits:
        scheduled, at = hits[-1]
        if _timing_changed(item) and at <= int(item.timing_since) + EARLY_CLAIM_MS:
            return ASK  # an earlier timing's run may be newer
    runs = [run for run in (scheduled, manual) if run is not None]
    return max(runs, key=lambda run: run.fire_key, default=None)


def _timing_changed(item: TaskItem) -> bool:
    return int(item.timing_since) != int(item.created_at)
