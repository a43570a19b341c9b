"""`--notify EVENTS=DESTINATION`: a task's notification from one flag, and how one reads.

EVENTS is a comma-separated list of event types (`run.failed,run.dead_lettered`);
DESTINATION is told apart by its form:

* `arn:aws:sns:...` an SNS topic;
* an SQS queue URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`) a queue;
* `eventbridge:BUS` (a bus name or ARN; `eventbridge` alone: the default bus) a bus;
* any other http(s) URL a webhook, signed with `--notify-secret` when given;
* a JSON object, the destination as the API takes it (anything else).

The API validates the result (event types, URLs, ARNs), so its messages live in one place.
"""

from __future__ import annotations

import json
from typing import Any

import click

from sundial.core.task.limits import SQS_QUEUE_URL_PATTERN

EVENT_BUS_PREFIX = "eventbridge"


class NotifyParam(click.ParamType):
    """`EVENTS=DESTINATION` as a notification (`{"on": [...], "destination": {...}}`)."""

    name = "EVENTS=DESTINATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dict):
            return value
        events, sep, destination = str(value).partition("=")
        on = [event.strip() for event in events.split(",") if event.strip()]
        if not sep or not on or not destination.strip():
            self.fail(
                f"{value!r} is not EVENTS=DESTINATION, e.g. run.failed=https://hooks.example.com/x",
                param,
                ctx,
            )
        try:
            return {"on": on, "destination": destination_of(destination.strip())}
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def destination_of(text: str) -> dict[str, Any]:
    """The destination `text` names (see the module's docstring); ValueError when its
    JSON is malformed."""
    if text.startswith("{"):
        try:
            destination = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not valid JSON ({exc})") from None
        if not isinstance(destination, dict):
            raise ValueError(f"{text!r} must be a JSON object")
        return destination
    if text.startswith("arn:") and ":sns:" in text:
        return {"type": "sns", "topic_arn": text}
    if SQS_QUEUE_URL_PATTERN.fullmatch(text):
        return {"type": "sqs", "queue_url": text}
    if text == EVENT_BUS_PREFIX:
        return {"type": "eventbridge"}
    if text.startswith(f"{EVENT_BUS_PREFIX}:"):
        return {"type": "eventbridge", "bus": text.removeprefix(f"{EVENT_BUS_PREFIX}:")}
    return {"type": "http", "url": text}


def signed(notifications: list[dict[str, Any]], secret: str) -> list[dict[str, Any]]:
    """`notifications` with `secret` as the signing secret of each HTTP destination;
    click.UsageError when there is none to sign."""
    webhooks = [n["destination"] for n in notifications if n["destination"].get("type") == "http"]
    if not webhooks:
        raise click.UsageError("--notify-secret signs webhooks: give --notify EVENTS=https://...")
    for destination in webhooks:
        destination["signing_secret"] = secret
    return notifications
