"""The notification functions' Lambda entry points: `notifier` (the runs and tasks
tables' streams) and `deliverer` (the notifications queue); both report partial batch
failures."""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from sundial import clients
from sundial.notify.deliverer import Deliverer
from sundial.notify.notifier import Notifier
from sundial.notify.settings import deliverer_settings, notifier_settings
from sundial.observability import logger, metrics
from sundial.targets import NetworkPolicy, TargetEnvironment
from sundial.targets.aws import aws_client


@functools.cache
def default_notifier() -> Notifier:
    return Notifier(clients.client("sqs"), notifier_settings().notifications_queue_url)


@functools.cache
def default_deliverer() -> Deliverer:
    settings = deliverer_settings()
    return Deliverer(
        clients.client("sqs"),
        settings.notifications_queue_url,
        settings.notifications_dead_letter_queue_url,
        TargetEnvironment(
            aws=aws_client,
            network=NetworkPolicy(
                allow_loopback=settings.allow_loopback_targets,
                allow_private=settings.allow_private_targets,
            ),
        ),
        max_attempts=settings.max_delivery_attempts,
        backoff_base_seconds=settings.delivery_backoff_seconds,
    )


def reset_notification_functions() -> None:
    """Forget both (tests and the local stack change settings and endpoints)."""
    default_notifier.cache_clear()
    default_deliverer.cache_clear()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def notifier(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return default_notifier().process(event.get("Records", []))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def deliverer(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return default_deliverer().process(event.get("Records", []))
