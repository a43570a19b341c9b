"""The queue settings the work queue reads, each checked here and nowhere else.

A deployment that did not set a queue's URL fails the first call that needs it with an
error naming the variable (template.yaml sets both on every function).
"""

from __future__ import annotations

from sundial.settings import Settings, get_settings


def work_queue_url(settings: Settings | None = None) -> str:
    """The work queue's URL (WORK_QUEUE_URL)."""
    return _required((settings or get_settings()).work_queue_url, "WORK_QUEUE_URL")


def dead_letter_queue_url(settings: Settings | None = None) -> str:
    """The dead-letter queue's URL (DEAD_LETTER_QUEUE_URL)."""
    return _required((settings or get_settings()).dead_letter_queue_url, "DEAD_LETTER_QUEUE_URL")


def _required(url: str | None, variable: str) -> str:
    if not url:
        raise RuntimeError(f"{variable} is not set")
    return url
