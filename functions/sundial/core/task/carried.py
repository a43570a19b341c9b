"""Which task definitions a scheduled fire's message may carry, so the executor need not
read them: an allowlist of what is both safe to copy into a queue message and enough
for the executor, under a size bound.

A carried definition is a copy: the executor uses it only when its version is the one
the task's schedule state (read consistently) names, and reads the definition otherwise.
What keeps a definition out of messages:

* a secret: an HTTP target with a `signing_secret`, a credential header (the headers
  responses hide), or credentials in its URL (user info, or a query parameter named
  like a credential). Secrets stay in the table, and in no other copy.
* `notifications`: their destinations (with their secrets) are read at outcome time
  from the definition.
* an `exclude` naming a calendar: the executor checks the calendar against the
  definition it reads, as a calendar can change after the fire was sent.
* size: a batch of ten messages must stay within one SQS billing chunk (64 KB), so a
  definition carried costs no extra SQS request.
* anything the allowlist does not know (a target type or target field added later
  stays out until it is listed here).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sundial.core.aws_limits import SQS_BILLING_CHUNK_BYTES, SQS_MAX_BATCH_ENTRIES
from sundial.core.exclusions import calendar_names
from sundial.core.task.targets import carries_credentials

# The most a fire message needs besides its carried definition: the ids, tenant, times
# and counts (tests/unit check the largest envelope against it).
FIRE_MESSAGE_ENVELOPE_MAX_BYTES = 553
# A batch of ten messages with definitions this size fits one 64 KB SQS billing chunk.
CARRIED_DEFINITION_MAX_BYTES = (
    SQS_BILLING_CHUNK_BYTES // SQS_MAX_BATCH_ENTRIES - FIRE_MESSAGE_ENVELOPE_MAX_BYTES
)

# Target types and the fields of each that may be copied: none of them is a secret.
CARRIABLE_TARGET_FIELDS: Mapping[str, frozenset[str]] = {
    "http": frozenset({"type", "url", "method", "headers"}),
    "lambda": frozenset({"type", "arn", "invocation"}),
    "sqs": frozenset({"type", "queue_url"}),
    "sns": frozenset({"type", "topic_arn"}),
    "eventbridge": frozenset({"type", "bus", "source", "detail_type"}),
    "handler": frozenset({"type", "name"}),
}

# The definition fields the executor reads, all carried; with the version they are of.
CARRIED_FIELDS = (
    "target",
    "payload",
    "retry",
    "timeout_seconds",
    "overlap",
    "pause_after_failures",
)
VERSION_KEY = "version"


def carried_definition(
    definition: Mapping[str, Any],
    *,
    notifications: Any,
    exclude: list[str] | None,
) -> dict[str, Any] | None:
    """What a fire message carries of a definition (`CARRIED_FIELDS` plus `version`,
    as stored), or None when it may not carry it (see the module's docstring).

    `definition` holds the stored values of `CARRIED_FIELDS` and `version`.
    """
    if notifications or calendar_names(exclude or []):
        return None
    if not _carriable_target(definition.get("target")):
        return None
    carried = {name: definition.get(name) for name in CARRIED_FIELDS}
    carried = {name: value for name, value in carried.items() if value is not None}
    carried[VERSION_KEY] = definition.get(VERSION_KEY)
    if not isinstance(carried[VERSION_KEY], int) or isinstance(carried[VERSION_KEY], bool):
        return None
    if carried_size(carried) > CARRIED_DEFINITION_MAX_BYTES:
        return None
    return carried


def carried_size(carried: Mapping[str, Any]) -> int:
    """The bytes a carried definition adds to a fire message's body (as serialized)."""
    return len(json.dumps(carried, separators=(",", ":")).encode())


def _carriable_target(target: Any) -> bool:
    if not isinstance(target, Mapping):
        return False
    allowed = CARRIABLE_TARGET_FIELDS.get(str(target.get("type")))
    if allowed is None or not set(target) <= allowed:
        return False
    if target["type"] != "http":
        return True
    headers = target.get("headers") or {}
    if not isinstance(headers, Mapping) or any(carries_credentials(str(h)) for h in headers):
        return False
    return not _url_carries_credentials(str(target.get("url", "")))


def _url_carries_credentials(url: str) -> bool:
    try:
        parts = urlsplit(url)
        has_user_info = parts.username is not None or parts.password is not None
        names = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    except ValueError:
        return True  # not understood: kept out
    return has_user_info or any(carries_credentials(name) for name in names)
