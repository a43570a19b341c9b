"""The notification functions' settings (template.yaml NotifierFunction, DelivererFunction)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sundial.settings import Flag, Settings, load_settings

# Deliveries of one event to one destination before it is dead-lettered: with the
# backoff below, about 45 minutes of trying.
DEFAULT_MAX_DELIVERY_ATTEMPTS = 8
# The wait before the second delivery, doubling after each failure up to SQS's limit.
DEFAULT_DELIVERY_BACKOFF_SECONDS = 30


class NotifierSettings(Settings):
    """The notifier reads task definitions and sends to the notifications queue."""

    tasks_table: str
    notifications_queue_url: str


class DelivererSettings(Settings):
    """The deliverer calls destinations, hides failed messages for their backoff and
    dead-letters exhausted ones."""

    notifications_queue_url: str
    notifications_dead_letter_queue_url: str
    max_delivery_attempts: Annotated[int, Field(ge=1, le=50)] = DEFAULT_MAX_DELIVERY_ATTEMPTS
    delivery_backoff_seconds: Annotated[int, Field(ge=0, le=900)] = DEFAULT_DELIVERY_BACKOFF_SECONDS
    # The same network rules as HTTP targets (a destination is a target).
    allow_loopback_targets: Flag = False
    allow_private_targets: Flag = False


def notifier_settings() -> NotifierSettings:
    return load_settings(NotifierSettings)


def deliverer_settings() -> DelivererSettings:
    return load_settings(DelivererSettings)
