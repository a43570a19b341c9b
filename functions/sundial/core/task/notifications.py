"""A task's notifications: which run and task events go to which destination.

A destination has the shape of a target of type `http`, `sns`, `sqs` or `eventbridge`,
less what the event itself decides: an HTTP destination is always a POST of the event
document, and an EventBridge one always has `source: "sundial"` and the event type as
`detail-type`.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from sundial.core.task.fields import StrictModel, invalid
from sundial.core.task.targets import EventBus, HttpTarget, HttpTargetView, SnsTarget, SqsTarget
from sundial.core.vocabulary import EventType

MAX_NOTIFICATIONS = 5


def _post_only(value: object) -> object:
    # Any case, as a target's method; anything but POST is a mistake worth naming.
    if isinstance(value, str) and value.upper() == "POST":
        return "POST"
    raise invalid("must be POST (an event is always sent as a POST)")


PostOnly: TypeAlias = Annotated[Literal["POST"], BeforeValidator(_post_only)]


class HttpDestinationView(HttpTargetView):
    """What responses show of an HTTP destination: everything but the signing secret."""

    method: PostOnly = "POST"


class HttpDestination(HttpTarget):
    """A webhook that receives each event as a POST, signed when `signing_secret` is set
    (write-only, as a target's)."""

    method: PostOnly = "POST"


class EventBusDestination(StrictModel):
    """An event bus, by name or ARN; the event's source is `sundial`, its detail-type the
    event type."""

    type: Literal["eventbridge"]
    bus: EventBus = "default"


Destination: TypeAlias = Annotated[
    HttpDestination | SnsTarget | SqsTarget | EventBusDestination,
    Field(discriminator="type"),
]
# The destination types by their `type` tag, in the order messages list them.
DESTINATION_MODELS: dict[str, type[BaseModel]] = {
    "http": HttpDestination,
    "sns": SnsTarget,
    "sqs": SqsTarget,
    "eventbridge": EventBusDestination,
}
DestinationView: TypeAlias = Annotated[
    HttpDestinationView | SnsTarget | SqsTarget | EventBusDestination,
    Field(discriminator="type"),
]


def _distinct(events: list[EventType]) -> list[EventType]:
    if len(set(events)) != len(events):
        raise invalid("lists an event type twice")
    return events


EventTypes: TypeAlias = Annotated[
    list[EventType],
    Field(min_length=1, max_length=len(EventType), json_schema_extra={"uniqueItems": True}),
    AfterValidator(_distinct),
]


class NotificationView(StrictModel):
    """A notification as responses show it."""

    on: EventTypes
    destination: DestinationView


class Notification(NotificationView):
    """Send the events listed in `on` to `destination`."""

    destination: Destination  # type: ignore[assignment]  # the stored form keeps the secret


Notifications: TypeAlias = Annotated[
    list[Notification],
    Field(
        max_length=MAX_NOTIFICATIONS,
        description=(
            "Where to send the task's run and task events (at most 5 entries): each "
            "`on` lists distinct event types, `destination` is an http (always a POST; "
            "optional write-only `signing_secret`), sns, sqs or eventbridge destination. "
            "An http destination's URL is checked as a target's. In a PATCH the list is "
            "replaced whole, but an http destination sent without `signing_secret` keeps "
            "the secret of the stored http destination with the same URL (the one at the "
            "same position first), and credential header values sent back as *** keep "
            "their stored values"
        ),
    ),
]


def wanted_events(notifications: list[Notification]) -> frozenset[EventType]:
    """Every event type some destination of the task asks for."""
    return frozenset(event for notification in notifications for event in notification.on)


def destinations_for(notifications: list[Notification], event: EventType) -> list[Destination]:
    """The destinations that receive `event`, in the task's order."""
    return [n.destination for n in notifications if event in n.on]
