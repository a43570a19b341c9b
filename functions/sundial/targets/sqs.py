"""SQS targets: the envelope (payload, execution id, task id, scheduled time, attempt) as
the message body, the ids also as message attributes.

FIFO queues get the task as message group (a task's runs stay in order) and the
execution id as deduplication id, so a retried send inside SQS's five-minute
deduplication window never delivers twice.
"""

from __future__ import annotations

from typing import Any

from sundial.core.task import SqsTarget
from sundial.targets.aws import (
    envelope_json,
    message_attributes,
    queue_url_region,
    read_timeout,
)
from sundial.targets.base import Invocation, TargetEnvironment


def invoke(target: SqsTarget, invocation: Invocation, env: TargetEnvironment) -> dict[str, Any]:
    client = env.aws("sqs", queue_url_region(target.queue_url), read_timeout(invocation))
    request: dict[str, Any] = {
        "QueueUrl": target.queue_url,
        "MessageBody": envelope_json(invocation),
        "MessageAttributes": message_attributes(invocation),
    }
    if target.queue_url.endswith(".fifo"):
        request["MessageGroupId"] = invocation.task_id
        request["MessageDeduplicationId"] = invocation.execution_id
    response = client.send_message(**request)
    return {"message_id": response["MessageId"]}
