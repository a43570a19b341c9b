"""EventBridge targets: one event on the task's bus, `source` and `detail-type` from the
target, the envelope as `detail` (rules can match on `detail.task_id`, consumers dedupe
on `detail.execution_id`)."""

from __future__ import annotations

from typing import Any

from sundial.core.task import EventBridgeTarget
from sundial.targets.aws import arn_region, envelope_json, read_timeout
from sundial.targets.base import Invocation, TargetEnvironment
from sundial.targets.failures import PermanentFailure, RetryableFailure

# PutEvents reports failures per entry in a successful response; these codes are
# transient, every other one (size, malformed detail, access) is not.
RETRYABLE_ENTRY_ERRORS = frozenset({"ThrottlingException", "InternalFailure", "InternalException"})


def invoke(
    target: EventBridgeTarget, invocation: Invocation, env: TargetEnvironment
) -> dict[str, Any]:
    client = env.aws("events", arn_region(target.bus), read_timeout(invocation))
    entry = {
        "Source": target.source,
        "DetailType": target.detail_type,
        "Detail": envelope_json(invocation),
        "EventBusName": target.bus,
    }
    return {"event_id": put_one(client, entry)}


def put_one(client: Any, entry: dict[str, Any]) -> str:
    """Put one event; its id, or the failure PutEvents reported for the entry (in a
    successful response), retryable or not."""
    response = client.put_events(Entries=[entry])
    result = response["Entries"][0]
    if response.get("FailedEntryCount", 0) or "ErrorCode" in result:
        code = result.get("ErrorCode", "Unknown")
        bus = entry["EventBusName"]
        message = f"PutEvents to {bus} failed: {code}: {result.get('ErrorMessage', '')}"
        if code in RETRYABLE_ENTRY_ERRORS:
            raise RetryableFailure(message)
        raise PermanentFailure(message)
    return str(result["EventId"])
