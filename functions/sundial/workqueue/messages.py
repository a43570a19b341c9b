"""The fire message: what every producer sends on the work queue and the executor parses.

Body, a small versioned JSON document (version 1):

    {
      "v": 1,                         # format version; parsers reject versions they do not know
      "execution_id": "01J...:1763866200000",
      "task_id": "01J...",
      "tenant": "acme",
      "fire_at": 1763866200000,       # epoch ms when the run is due (jitter included; a
                                      # backfill's is its slot's time, long past)
      "schedule_version": 3,          # the task's timing version when this fire was planned
      "kind": "scheduled",            # a FireKind: scheduled | manual | backfill | redrive
      "coalesced": 1,                 # scheduled fires this run stands for (misfire policy)
      "definition": {...}             # optional: a copy of the task's definition
    }

A scheduled fire may carry a copy of its task's definition (`core.task.carried`: what
the executor reads of it, with its `version`), so the executor need not read it; the
copy is used only when its version is the one the task's schedule state names when the
fire runs (an edit since makes the executor read the definition, so an edit to the
payload still reaches runs that are already queued). A copy is small (a batch of ten
messages fits one 64 KB SQS billing chunk), and an unusable one is ignored, never a
reason to drop the fire. Other messages carry no definition: the executor reads it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from sundial.core.errors import SundialError
from sundial.core.vocabulary import ErrorCode, FireKind

MESSAGE_VERSION = 1


class MalformedMessage(SundialError):
    """A queue message that can never be processed: dead-letter it, never retry it."""

    code = ErrorCode.MALFORMED_MESSAGE


@dataclass(frozen=True)
class FireMessage:
    execution_id: str
    task_id: str
    tenant: str
    fire_at: int
    schedule_version: int
    kind: FireKind = FireKind.SCHEDULED
    coalesced: int = 1
    # A copy of the task's definition (`core.task.carried`), or None: read it.
    definition: dict[str, Any] | None = field(default=None, hash=False)

    def to_json(self) -> str:
        body = asdict(self)
        if self.definition is None:
            del body["definition"]
        return json.dumps({"v": MESSAGE_VERSION, **body}, separators=(",", ":"))


_FIELDS: dict[str, type] = {
    "execution_id": str,
    "task_id": str,
    "tenant": str,
    "fire_at": int,
    "schedule_version": int,
    "kind": str,
    "coalesced": int,
}


def parse_message(body: str) -> FireMessage:
    """Parse and validate a message body, or raise MalformedMessage saying what is wrong."""
    try:
        data: Any = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise MalformedMessage(f"message body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedMessage("message body is not a JSON object")
    if data.get("v") != MESSAGE_VERSION:
        raise MalformedMessage(f"unsupported message version {data.get('v')!r}", field="v")
    values: dict[str, Any] = {}
    for name, kind in _FIELDS.items():
        value = data.get(name)
        # bool is an int subclass; a true/false fire time is still malformed.
        if not isinstance(value, kind) or isinstance(value, bool):
            raise MalformedMessage(
                f"message field '{name}' is missing or not a {kind.__name__}", field=name
            )
        values[name] = value
    try:
        values["kind"] = FireKind(values["kind"])
    except ValueError:
        kinds = ", ".join(FireKind)
        raise MalformedMessage(
            f"message kind '{values['kind']}' is not one of {kinds}", field="kind"
        ) from None
    carried = data.get("definition")
    # Not a reason to refuse the message: without a usable copy the executor reads it.
    values["definition"] = carried if isinstance(carried, dict) else None
    message = FireMessage(**values)
    if not message.execution_id.startswith(message.task_id + ":"):
        raise MalformedMessage("execution_id does not belong to task_id", field="execution_id")
    if message.coalesced < 1 or message.fire_at < 0 or message.schedule_version < 0:
        raise MalformedMessage("message counts and times must not be negative")
    return message
