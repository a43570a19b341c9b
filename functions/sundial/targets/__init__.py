"""Targets: one module per target type behind one interface (`base.Target`).

`run_target` validates a stored target definition and calls the module for its type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic

from sundial.core.task import Target as TargetModel
from sundial.targets import eventbridge, handler, http, lambda_, sns, sqs
from sundial.targets.base import (
    Invocation,
    NetworkPolicy,
    Target,
    TargetEnvironment,
    system_resolver,
)
from sundial.targets.failures import PermanentFailure

TARGETS: dict[str, Target] = {
    "http": http.invoke,
    "lambda": lambda_.invoke,
    "sqs": sqs.invoke,
    "sns": sns.invoke,
    "eventbridge": eventbridge.invoke,
    "handler": handler.invoke,
}

_TARGET_ADAPTER: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(TargetModel)


def parse_target(definition: Mapping[str, Any]) -> Any:
    """The target model of a stored definition; PermanentFailure when it is not valid
    (it was valid when stored; a later, stricter release may disagree)."""
    try:
        return _TARGET_ADAPTER.validate_python(dict(definition))
    except pydantic.ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PermanentFailure(f"invalid target ({where}: {first['msg']})") from None


def run_target(
    definition: Mapping[str, Any], invocation: Invocation, env: TargetEnvironment
) -> Any:
    """Run the task's target for this invocation: its result, or an exception."""
    target = parse_target(definition)
    return TARGETS[target.type](target, invocation, env)


__all__ = [
    "TARGETS",
    "Invocation",
    "NetworkPolicy",
    "Target",
    "TargetEnvironment",
    "parse_target",
    "run_target",
    "system_resolver",
]
