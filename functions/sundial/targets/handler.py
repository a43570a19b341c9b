"""`handler` targets: Python functions in the executor, registered by name.

Register one with the `task` decorator in any module the executor imports::

    from sundial.execute import task, PermanentFailure

    @task("reports.nightly")
    def nightly(payload, invocation):
        if "day" not in payload:
            raise PermanentFailure("payload.day is required")   # no retries
        build_report(payload["day"], dedupe_key=invocation.execution_id)
        return {"rows": 42}                                       # kept as the run's result

and list the module in the executor's HANDLER_MODULES setting (comma-separated module
names), so it is imported before a handler target runs. A task then targets it with
`{"type": "handler", "name": "reports.nightly"}`.

A handler gets the payload and the `Invocation` (execution id, task id, scheduled
time, attempt, `remaining_seconds()`); it returns a JSON-able result or raises. Any
exception is retried per the task's retry policy, except `PermanentFailure`. A
handler runs in a thread and must finish within the task's timeout: one that
overruns is reported as timed out (and retried), but Python cannot stop it, so
long-running handlers should watch `invocation.remaining_seconds()`.

Built-ins: `echo` (returns the payload), `sleep` (`{"seconds": n}`, honours the
deadline) and `log` (logs the payload).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from sundial.core.handlers import (
    Handler,
    import_handler_modules,
    registered_handler,
    registered_names,
    task,
    unregister,
)
from sundial.core.task import HandlerTarget
from sundial.core.threads import in_callers_context
from sundial.observability import logger
from sundial.targets.base import Invocation, TargetEnvironment
from sundial.targets.failures import PermanentFailure, TargetTimeout

# The registry is `sundial.core.handlers` (the API reads it too); these are its names
# as handler modules and tests have always imported them from here.
__all__ = ["invoke", "lookup", "registered_names", "task", "unregister"]


def lookup(name: str, modules: Iterable[str] = ()) -> Handler:
    """The handler called `name`, after importing `modules`; PermanentFailure if none.

    An ImportError of a module fails the run loudly.
    """
    import_handler_modules(modules)
    function = registered_handler(name)
    if function is None:
        raise PermanentFailure(
            f"no handler named {name!r} is registered in the executor "
            f"(registered: {', '.join(registered_names())}); "
            "register it with @task and list its module in HANDLER_MODULES"
        )
    return function


def invoke(target: HandlerTarget, invocation: Invocation, env: TargetEnvironment) -> Any:
    """Call the handler in a thread, waiting at most until the invocation's deadline."""
    function = lookup(target.name, env.handler_modules)
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            outcome["result"] = function(invocation.payload, invocation)
        except BaseException as exc:  # re-raised in the run's thread below
            outcome["error"] = exc

    worker = threading.Thread(
        target=in_callers_context(call), name=f"sundial-handler-{target.name}", daemon=True
    )
    worker.start()
    worker.join(invocation.remaining_seconds())
    if worker.is_alive():
        raise TargetTimeout(f"handler {target.name!r} did not finish within the run's timeout")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


# --- built-ins ---------------------------------------------------------------------------


@task("echo")
def echo(payload: Any, invocation: Invocation) -> Any:
    """Return the payload: the run's result shows what the task sent."""
    return payload


@task("sleep")
def sleep(payload: Any, invocation: Invocation) -> dict[str, float]:
    """Sleep `payload.seconds` (default 1); a sleep longer than the timeout times out."""
    seconds = payload.get("seconds", 1) if isinstance(payload, dict) else payload
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise PermanentFailure("payload.seconds must be a non-negative number")
    remaining = invocation.remaining_seconds()
    if seconds > remaining:
        time.sleep(remaining)
        raise TargetTimeout(f"sleep of {seconds}s outlasted the run's timeout")
    time.sleep(seconds)
    return {"slept": seconds}


@task("log")
def log(payload: Any, invocation: Invocation) -> None:
    """Write the payload to the executor's log."""
    logger.info(
        "handler log",
        extra={"payload": payload, "execution_id": invocation.execution_id},
    )
