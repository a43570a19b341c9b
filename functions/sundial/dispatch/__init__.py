"""The dispatcher: finds due fires, enqueues them on their second, advances each task."""

from sundial.dispatch.service import (
    EnqueueFailed,
    dispatch_now,
    enqueue_backfill,
    enqueue_manual,
    run_tick,
)

__all__ = ["EnqueueFailed", "dispatch_now", "enqueue_backfill", "enqueue_manual", "run_tick"]
