"""The dispatcher: finds due fires, enqueues them on their second, advances each task."""

from sundial.dispatch.service import run_tick

__all__ = ["run_tick"]
