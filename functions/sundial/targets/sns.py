"""SNS targets: the envelope as the message, the ids also as message attributes (so
subscription filter policies and consumers can use them); FIFO topics get the task as
message group and the execution id as deduplication id."""

from __future__ import annotations

from typing import Any

from sundial.core.task import SnsTarget
from sundial.targets.aws import arn_region, envelope_json, message_attributes, read_timeout
from sundial.targets.base import Invocation, TargetEnvironment


def invoke(target: SnsTarget, invocation: Invocation, env: TargetEnvironment) -> dict[str, Any]:
    client = env.aws("sns", arn_region(target.topic_arn), read_timeout(invocation))
    request: dict[str, Any] = {
        "TopicArn": target.topic_arn,
        "Message": envelope_json(invocation),
        "MessageAttributes": message_attributes(invocation),
    }
    if target.topic_arn.endswith(".fifo"):
        request["MessageGroupId"] = invocation.task_id
        request["MessageDeduplicationId"] = invocation.execution_id
    response = client.publish(**request)
    return {"message_id": response["MessageId"]}
