"""The executor's settings (template.yaml ExecutorFunction), checked at cold start."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sundial.settings import DottedNames, Flag, Settings, load_settings

# The executor returns a message to the queue (backoff, a lease, a buffered overlap) by
# hiding it; every return is one more receive, and the work queue's redrive policy moves
# a message to the dead-letter queue after maxReceiveCount (10) receives. From this
# receive on, the executor sends a fresh copy instead, so only poison messages that
# crash the executor ever reach that count.
DEFAULT_REQUEUE_AFTER_RECEIVES = 5


class ExecutorSettings(Settings):
    """A run reads its task, records itself in the runs table, and returns, re-sends or
    dead-letters its message."""

    tasks_table: str
    runs_table: str
    work_queue_url: str
    dead_letter_queue_url: str
    # HTTP targets on loopback (the local stack) / private networks are refused unless
    # allowed; instance metadata and link-local addresses are refused always.
    allow_loopback_targets: Flag = False
    allow_private_targets: Flag = False
    # Modules imported before a `handler` target runs, so their @task handlers register.
    handler_modules: DottedNames = ()
    # Below the work queue's maxReceiveCount (10), so the fresh copy is sent in time.
    requeue_after_receives: Annotated[int, Field(ge=1, le=9)] = DEFAULT_REQUEUE_AFTER_RECEIVES


def executor_settings() -> ExecutorSettings:
    return load_settings(ExecutorSettings)
