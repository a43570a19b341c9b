"""Lambda targets: the envelope as the event, invoked asynchronously (`event`, the
default: Lambda queues it and answers 202) or awaited (`request_response`: the
function's answer is the run's result, a function error is a retryable failure).

Qualified ARNs (`...:function:name:alias`) invoke that version or alias.
"""

from __future__ import annotations

import json
from typing import Any

from sundial.core.task import LambdaTarget
from sundial.targets.aws import (
    PUT_READ_TIMEOUT_SECONDS,
    READ_TIMEOUT_STEPS,
    arn_region,
    envelope_json,
    read_timeout,
)
from sundial.targets.base import Invocation, TargetEnvironment
from sundial.targets.failures import RetryableFailure

INVOCATION_TYPES = {"event": "Event", "request_response": "RequestResponse"}
# Of a synchronous function's answer, the run record keeps this much.
RESULT_PREVIEW_BYTES = 4096


def invoke(target: LambdaTarget, invocation: Invocation, env: TargetEnvironment) -> dict[str, Any]:
    synchronous = target.invocation == "request_response"
    # A synchronous call waits for the function, up to the run's remaining time.
    ceiling = READ_TIMEOUT_STEPS[-1] if synchronous else PUT_READ_TIMEOUT_SECONDS
    client = env.aws("lambda", arn_region(target.arn), read_timeout(invocation, ceiling))
    response = client.invoke(
        FunctionName=target.arn,
        InvocationType=INVOCATION_TYPES[target.invocation],
        Payload=envelope_json(invocation).encode(),
    )
    result: dict[str, Any] = {"status_code": response["StatusCode"]}
    if not synchronous:
        return result
    body = response["Payload"].read(RESULT_PREVIEW_BYTES + 1)
    text = body[:RESULT_PREVIEW_BYTES].decode("utf-8", errors="replace")
    if response.get("FunctionError"):
        raise RetryableFailure(f"{target.arn} failed ({response['FunctionError']}): {text[:500]}")
    try:
        result["payload"] = json.loads(body) if len(body) <= RESULT_PREVIEW_BYTES else text
    except ValueError:
        result["payload"] = text
    return result
