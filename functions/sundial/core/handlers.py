"""The registry of `handler` targets: Python functions registered by name with `@task`.

It is pure (no executor code) so that both functions that need it can hold it: the
executor looks a handler up when it runs, and the API refuses a task naming a handler
that is not registered when the task is written, rather than dead-lettering it at its
first fire. Both import the deployment's HANDLER_MODULES to fill it.

The executor's built-ins (`sundial.targets.handler`) register themselves when
the executor is imported; the API never imports the executor, so their names are also
declared here, in BUILTIN_HANDLERS (a test keeps the two lists equal).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sundial.core.task import HANDLER_NAME_PATTERN

# A handler is called with the payload and the executor's `Invocation`.
Handler = Callable[[Any, Any], Any]
HandlerT = TypeVar("HandlerT", bound=Handler)

BUILTIN_HANDLERS = frozenset({"echo", "log", "sleep"})

_registry: dict[str, Handler] = {}
_registry_lock = threading.Lock()
_imported: set[str] = set()


def task(name: str) -> Callable[[HandlerT], HandlerT]:
    """Register the decorated function as the handler called `name`."""
    if not HANDLER_NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"handler name {name!r} must be 1-128 letters, digits or _ . : -, "
            "starting with a letter or _"
        )

    def register(function: HandlerT) -> HandlerT:
        with _registry_lock:
            existing = _registry.get(name)
            # The same function registering again is a module imported twice; another
            # function under a taken name is a mistake that would run the wrong code.
            if existing is not None and _qualname(existing) != _qualname(function):
                raise ValueError(f"handler {name!r} is already registered by {_qualname(existing)}")
            _registry[name] = function
        return function

    return register


def unregister(name: str) -> None:
    """Forget a handler (tests)."""
    with _registry_lock:
        _registry.pop(name, None)


def registered_handler(name: str) -> Handler | None:
    """The function registered as `name` in this process, or None."""
    with _registry_lock:
        return _registry.get(name)


def registered_names() -> list[str]:
    """Every handler name a task may target: the built-ins and those registered here."""
    with _registry_lock:
        return sorted(BUILTIN_HANDLERS | _registry.keys())


def import_handler_modules(modules: Iterable[str]) -> None:
    """Import each module (once per process), so that its @task handlers register.

    An ImportError propagates: a module that cannot be imported is a deployment error.
    """
    for module in modules:
        if module not in _imported:
            importlib.import_module(module)
            _imported.add(module)


def _qualname(function: Handler) -> str:
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', '?')}"
