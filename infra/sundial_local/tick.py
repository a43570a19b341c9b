"""The EventBridge rule, emulated: invoke the dispatcher every `period` seconds.

A sweep that leaves a backlog returns its continuation event (CONTINUATION_MODE=return),
which is invoked at once, as the deployed function's asynchronous self-invocation is.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from sundial_local.runtime import LocalFunction
from sundial_local.template import DEFAULT_ACCOUNT_ID, DEFAULT_REGION

log = logging.getLogger(__name__)


def scheduled_event(now: datetime, rule: str = "sundial-local-tick") -> dict[str, Any]:
    """The event an EventBridge schedule rule delivers to its target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": DEFAULT_ACCOUNT_ID,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": DEFAULT_REGION,
        "resources": [f"arn:aws:events:{DEFAULT_REGION}:{DEFAULT_ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
    }


class TickLoop(threading.Thread):
    def __init__(self, dispatcher: LocalFunction, period: float, stop: threading.Event):
        super().__init__(name="sundial-tick", daemon=True)
        self.dispatcher = dispatcher
        self.period = period
        self.stop_event = stop
        self.ticks = 0

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.tick()
            self.stop_event.wait(self.period)

    def tick(self) -> None:
        event: dict[str, Any] | None = scheduled_event(datetime.now(UTC))
        while event is not None and not self.stop_event.is_set():
            try:
                result = self.dispatcher.invoke(event)
            except Exception:
                # As with a failed Lambda invocation: logged, and the next tick tries again.
                log.exception("dispatcher invocation failed")
                return
            event = result.get("continuation_event") if isinstance(result, dict) else None
        self.ticks += 1
