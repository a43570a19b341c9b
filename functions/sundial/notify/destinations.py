"""Delivering one event document to one destination, through the targets' own code.

A destination is a target: an HTTP destination goes out through the HTTP target's SSRF
guard, pinned connection, response reading and HMAC signature (`targets.http`),
and the AWS ones through the targets' SDK clients (`targets.aws`). What differs
is the request: the event document as the body, and the event's own headers and
attributes. Raises a TargetFailure saying whether another delivery can help.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import pydantic

from sundial.core import clock
from sundial.core.task.notifications import (
    Destination,
    EventBusDestination,
    HttpDestination,
)
from sundial.core.task.targets import SnsTarget, SqsTarget
from sundial.targets.aws import PUT_READ_TIMEOUT_SECONDS, arn_region, queue_url_region
from sundial.targets.base import TargetEnvironment
from sundial.targets.eventbridge import put_one
from sundial.targets.failures import PermanentFailure, classify
from sundial.targets.http import (
    SIGNATURE_HEADER,
    USER_AGENT,
    exchange,
    interpret,
    signature,
)
from sundial.targets.ssrf import check_url

EVENT_HEADER = "X-Sundial-Event"
EVENT_ID_HEADER = "X-Sundial-Event-Id"
EVENT_SOURCE = "sundial"
# One delivery's whole HTTP exchange: a receiver that takes longer is retried later.
HTTP_DELIVERY_SECONDS = 10.0

_DESTINATION: pydantic.TypeAdapter[Destination] = pydantic.TypeAdapter(Destination)


def parse_destination(stored: Mapping[str, Any]) -> Destination:
    """The destination model of a message's stored destination."""
    try:
        return _DESTINATION.validate_python(dict(stored))
    except pydantic.ValidationError as exc:
        raise PermanentFailure(f"destination is not valid: {exc.errors()[0]['msg']}") from None


def deliver(destination: Destination, document: Mapping[str, Any], env: TargetEnvironment) -> None:
    """Deliver `document` to `destination`, or raise a TargetFailure."""
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    try:
        if isinstance(destination, HttpDestination):
            post(destination, document, body.encode(), env)
        elif isinstance(destination, SnsTarget):
            client = env.aws("sns", arn_region(destination.topic_arn), PUT_READ_TIMEOUT_SECONDS)
            client.publish(
                TopicArn=destination.topic_arn,
                Message=body,
                MessageAttributes=_attributes(document),
            )
        elif isinstance(destination, SqsTarget):
            url = destination.queue_url
            client = env.aws("sqs", queue_url_region(url), PUT_READ_TIMEOUT_SECONDS)
            request: dict[str, Any] = {
                "QueueUrl": url,
                "MessageBody": body,
                "MessageAttributes": _attributes(document),
            }
            if url.endswith(".fifo"):
                request["MessageGroupId"] = document["task"]["id"]
                request["MessageDeduplicationId"] = document["id"]
            client.send_message(**request)
        elif isinstance(destination, EventBusDestination):
            put_event(destination, document, body, env)
    except Exception as exc:
        raise classify(exc) from None


def post(
    destination: HttpDestination, document: Mapping[str, Any], body: bytes, env: TargetEnvironment
) -> None:
    """A POST of the document, signed as targets' requests are, to a checked address."""
    headers = event_headers(destination, document, body, unix_seconds=clock.now_ms() // 1000)
    address = check_url(destination.url, env.network, env.resolver)
    response = exchange(address, "POST", headers, body, time.monotonic() + HTTP_DELIVERY_SECONDS)
    interpret(response, destination.url)  # raises for anything but 2xx


def event_headers(
    destination: HttpDestination, document: Mapping[str, Any], body: bytes, *, unix_seconds: int
) -> dict[str, str]:
    """The destination's own headers, then the event's (which no destination overrides)."""
    own = {name.lower() for name in destination.headers}
    headers = {"User-Agent": USER_AGENT} if "user-agent" not in own else {}
    headers.update(destination.headers)
    headers.update(
        {
            "Content-Type": "application/json",
            EVENT_HEADER: str(document["type"]),
            EVENT_ID_HEADER: str(document["id"]),
        }
    )
    if destination.signing_secret:
        headers[SIGNATURE_HEADER] = signature(destination.signing_secret, unix_seconds, body)
    return headers


def put_event(
    destination: EventBusDestination, document: Mapping[str, Any], body: str, env: TargetEnvironment
) -> None:
    client = env.aws("events", arn_region(destination.bus), PUT_READ_TIMEOUT_SECONDS)
    entry = {
        "Source": EVENT_SOURCE,
        "DetailType": str(document["type"]),
        "Detail": body,
        "EventBusName": destination.bus,
    }
    put_one(client, entry)


def _attributes(document: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The event's type and id as message attributes: consumers filter and dedupe on them."""
    return {
        "sundial-event-type": {"DataType": "String", "StringValue": str(document["type"])},
        "sundial-event-id": {"DataType": "String", "StringValue": str(document["id"])},
    }
