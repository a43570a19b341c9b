"""The work queue: the one channel between whoever decides a run is due and the executor.

Named for the SQS work queue it owns rather than for one of its users: the dispatcher's
sweep, the API (trigger, backfill, dispatch-on-write) and redrive all produce fire
messages, and the executor consumes them. Everything that knows the message format,
the queues' settings or the order of a send lives here once, above `store` and below
`dispatch`, `execute` and `api`, which never import each other:

* `messages` — the fire message format: build, serialise, parse and validate;
* `send` — the one builder of a task's message, and batched sends with their delays;
* `send_timing` — a sweep's timed sends: waiting for each page's send instants, bounded;
* `scheduled` — plan, send, then commit: the sweep's per-page step and the API's
  dispatch-on-write;
* `ondemand` — manual triggers and backfills;
* `redrive` and `deadletters` — dead letters: what the dead-letter queue carries, how
  the API lists them, and sending them back to work;
* `delivery` — a received message and the ways the executor gives it back;
* `config` — the queue settings, checked once.
"""

from sundial.workqueue.deadletters import list_dead_letters
from sundial.workqueue.delivery import Delivery, WorkQueue
from sundial.workqueue.messages import FireMessage, MalformedMessage, parse_message
from sundial.workqueue.ondemand import (
    MAX_BACKFILL_FIRES,
    EnqueueFailed,
    enqueue_backfill,
    enqueue_manual,
)
from sundial.workqueue.redrive import redrive
from sundial.workqueue.scheduled import Reach, SweepReport, dispatch_now, send_then_commit

__all__ = [
    "MAX_BACKFILL_FIRES",
    "Delivery",
    "EnqueueFailed",
    "FireMessage",
    "MalformedMessage",
    "Reach",
    "SweepReport",
    "WorkQueue",
    "dispatch_now",
    "enqueue_backfill",
    "enqueue_manual",
    "list_dead_letters",
    "parse_message",
    "redrive",
    "send_then_commit",
]
