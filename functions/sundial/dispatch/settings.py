"""The dispatcher's settings (template.yaml DispatcherFunction), checked at cold start."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from sundial.settings import Settings, load_settings, one_of
from sundial.workqueue.send_timing import DEFAULT_SEND_LEAD_MS, DEFAULT_SEND_WAIT_BUDGET_MS

DEFAULT_DISPATCH_THREADS = 16
# Items per due-index page: one page is planned, sent and committed before the next.
DEFAULT_DISPATCH_PAGE_SIZE = 100
# Time a sweep keeps in hand when it stops taking new pages: enough to send and commit
# the page it is on.
DEFAULT_DISPATCH_RESERVE_MS = 10_000
# Chained self-invocations after an outage; bounds the damage of a bug that never drains.
DEFAULT_MAX_CONTINUATIONS = 10
CONTINUATION_MODES = ("invoke", "return")
# The reconciler (workqueue/reconcile.py): a run is stuck this long after its lease
# ended or its retry fell due. Longer than SQS's longest delay, so a retry's message is
# never overtaken; a shorter wait would only send messages the claim drops.
DEFAULT_RECONCILE_AFTER_SECONDS = 900
# Runs-table items each tick reads looking for stuck runs (one Scan page).
DEFAULT_RECONCILE_PAGE_SIZE = 100


class DispatcherSettings(Settings):
    """A sweep reads the due index of the tasks table and enqueues on the work queue."""

    tasks_table: str
    work_queue_url: str
    dispatch_threads: Annotated[int, Field(ge=1, le=256)] = DEFAULT_DISPATCH_THREADS
    dispatch_page_size: Annotated[int, Field(ge=1, le=1000)] = DEFAULT_DISPATCH_PAGE_SIZE
    dispatch_reserve_ms: Annotated[int, Field(ge=0)] = DEFAULT_DISPATCH_RESERVE_MS
    max_continuations: Annotated[int, Field(ge=0, le=1000)] = DEFAULT_MAX_CONTINUATIONS
    # Timed sends: a message shows this long before its fire time (0 turns them off:
    # messages show up to a second early and the executor waits out the rest).
    send_lead_ms: Annotated[int, Field(ge=0, le=900)] = DEFAULT_SEND_LEAD_MS
    # The most a sweep spends waiting for the phases of its sends.
    send_wait_budget_ms: Annotated[int, Field(ge=0)] = DEFAULT_SEND_WAIT_BUDGET_MS
    # "invoke": a backlog is continued by an asynchronous self-invocation (deployed);
    # "return": the handler returns the continuation event for its caller to run (the
    # local stack's tick loop and `sam local`, which have no Lambda service to invoke).
    reconcile_after_seconds: Annotated[int, Field(ge=0)] = DEFAULT_RECONCILE_AFTER_SECONDS
    # 0 turns the reconciler off.
    reconcile_page_size: Annotated[int, Field(ge=0, le=1000)] = DEFAULT_RECONCILE_PAGE_SIZE
    continuation_mode: Annotated[
        Literal["invoke", "return"], BeforeValidator(one_of(*CONTINUATION_MODES))
    ] = "invoke"


def dispatcher_settings() -> DispatcherSettings:
    return load_settings(DispatcherSettings)
