"""Work handed to another thread keeps the caller's context variables.

A thread starts with an empty `contextvars` context, and a pool's `map` or `submit`
does not carry the caller's: log keys an invocation set for itself (Powertools'
thread-safe keys, or the local stack's per-invocation ones, where four functions share a
process) would be missing from its worker threads' lines.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import copy_context
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def in_callers_context(function: Callable[P, T]) -> Callable[P, T]:
    """`function`, running in a copy of the context it is wrapped in, wherever called.

    A copy per call: one context cannot be entered by two threads at once.
    """
    context = copy_context()

    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return context.copy().run(function, *args, **kwargs)

    return run
