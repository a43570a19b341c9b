"""Refusing, when a task is written, a target that is known to fail at every fire.

What can be known without the network is checked on create and update (PATCH of the
target): an HTTP URL whose host is an IP literal the executor's network policy refuses
(instance metadata always; loopback and private ranges unless allowed), and a handler
name that no handler is registered under. The same URL rule applies to the HTTP
destinations of notifications, which are sent under the same policy. Otherwise such a
task would be stored, then dead-lettered at its first fire. What depends on resolution
(a host name that resolves to a private address) stays a fire-time check: DNS answers
change between now and then.
"""

from __future__ import annotations

from collections.abc import Collection

from sundial.core.errors import InvalidTarget, ValidationError
from sundial.core.network import NetworkPolicy, literal_host_refusal
from sundial.core.task.notifications import HttpDestination, Notification
from sundial.core.task.targets import HandlerTarget, HttpTarget, Target


def check_target_feasible(
    target: Target, *, network: NetworkPolicy, handler_names: Collection[str]
) -> None:
    """Raise InvalidTarget (naming the field) when `target` can never succeed.

    `handler_names` are the handlers the executor has (built-ins and HANDLER_MODULES').
    """
    if isinstance(target, HandlerTarget) and target.name not in handler_names:
        raise InvalidTarget(
            f"target.name {target.name!r} is not a registered handler (registered: "
            f"{', '.join(sorted(handler_names))}); register it with @task and list its "
            "module in HANDLER_MODULES",
            field="target.name",
        )
    if isinstance(target, HttpTarget):
        reason = literal_host_refusal(target.url, network)
        if reason is not None:
            raise InvalidTarget(
                f"target.url is refused: {reason}",
                field="target.url",
            )


def check_destinations_feasible(
    notifications: list[Notification], *, network: NetworkPolicy
) -> None:
    """Raise ValidationError (naming the field) for the first HTTP destination whose URL
    can never be requested under `network`, as `check_target_feasible` does for a target
    (a destination is not the target: its errors are `validation_error`)."""
    for index, notification in enumerate(notifications):
        destination = notification.destination
        if isinstance(destination, HttpDestination):
            reason = literal_host_refusal(destination.url, network)
            if reason is not None:
                field = f"notifications.{index}.destination.url"
                raise ValidationError(f"{field} is refused: {reason}", field=field)
