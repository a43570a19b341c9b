"""AWS targets against moto: the message arrives with the payload and the execution id.

moto cannot run Lambda code without Docker, so the Invoke request is caught by a botocore
`before-call` hook on the executor's own Lambda client, which answers as Lambda would.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from execute_helpers import REGION, failures, fire, run_of

from sundial import store
from sundial.targets.aws import aws_client

PAYLOAD = {"report": "daily", "rows": [1, 2, 3]}
ACCOUNT = "123456789012"


def _task(make_task, target: dict[str, Any]) -> Any:
    return store.create_task(make_task(target=target, payload=PAYLOAD))


def _envelope(task: Any) -> dict[str, Any]:
    message = fire(task)
    return {
        "execution_id": message.execution_id,
        "task_id": task.task_id,
        "scheduled_time": "2026-05-28T20:26:40Z",
        "attempt": 1,
        "coalesced": 1,
        "payload": PAYLOAD,
    }


@pytest.fixture
def target_queue(execute_env: dict[str, str]) -> tuple[Any, str, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="downstream")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return sqs, url, arn


def _received(sqs: Any, url: str) -> list[dict[str, Any]]:
    response = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return response.get("Messages", [])


def test_sqs_target_sends_the_payload_with_the_execution_id(
    make_task, tables, target_queue, work, deliver
):
    sqs, url, _ = target_queue
    task = _task(make_task, {"type": "sqs", "queue_url": url})
    work.send(fire(task))

    assert failures(deliver(*work.receive())) == []

    (message,) = _received(sqs, url)
    assert json.loads(message["Body"]) == _envelope(task)
    attributes = message["MessageAttributes"]
    assert attributes["sundial-execution-id"]["StringValue"] == fire(task).execution_id
    assert attributes["sundial-task-id"]["StringValue"] == task.task_id
    assert run_of(fire(task)).result == {"message_id": message["MessageId"]}


def test_sqs_target_deduplicates_on_fifo_queues(make_task, tables, execute_env, work, deliver):
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="downstream.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    task = _task(make_task, {"type": "sqs", "queue_url": url})
    work.send(fire(task))

    deliver(*work.receive())

    (message,) = sqs.receive_message(
        QueueUrl=url, AttributeNames=["MessageGroupId", "MessageDeduplicationId"]
    )["Messages"]
    assert message["Attributes"]["MessageGroupId"] == task.task_id
    assert message["Attributes"]["MessageDeduplicationId"] == fire(task).execution_id


def test_sns_target_publishes_the_payload_with_the_execution_id(
    make_task, tables, target_queue, work, deliver
):
    sqs, url, queue_arn = target_queue
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="reports")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    task = _task(make_task, {"type": "sns", "topic_arn": topic})
    work.send(fire(task))

    assert failures(deliver(*work.receive())) == []

    (message,) = _received(sqs, url)
    notification = json.loads(message["Body"])
    assert notification["TopicArn"] == topic
    assert json.loads(notification["Message"]) == _envelope(task)
    attributes = notification["MessageAttributes"]
    assert attributes["sundial-execution-id"]["Value"] == fire(task).execution_id


def test_eventbridge_target_puts_an_event_with_the_execution_id(
    make_task, tables, target_queue, work, deliver
):
    sqs, url, queue_arn = target_queue
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name="reports", EventPattern=json.dumps({"source": ["acme.reports"]}))
    events.put_targets(Rule="reports", Targets=[{"Id": "queue", "Arn": queue_arn}])
    target = {
        "type": "eventbridge",
        "source": "acme.reports",
        "detail_type": "Report due",
    }
    task = _task(make_task, target)
    work.send(fire(task))

    assert failures(deliver(*work.receive())) == []

    (message,) = _received(sqs, url)
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"]) == ("acme.reports", "Report due")
    assert event["detail"] == _envelope(task)
    assert run_of(fire(task)).result == {"event_id": event["id"]}


class LambdaStub:
    """Answers Invoke on the executor's Lambda clients as Lambda would, recording requests."""

    def __init__(self, answer: bytes = b"null", function_error: str | None = None):
        self.requests: list[dict[str, Any]] = []
        self.answer = answer
        self.function_error = function_error

    def __call__(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        self.requests.append(params)
        synchronous = params["headers"].get("X-Amz-Invocation-Type") == "RequestResponse"
        body = self.answer if synchronous else b""
        parsed: dict[str, Any] = {
            "StatusCode": 200 if synchronous else 202,
            "Payload": StreamingBody(_Raw(body), len(body)),
        }
        if self.function_error:
            parsed["FunctionError"] = self.function_error
        return _Http(parsed["StatusCode"]), parsed

    def clients(self, service: str, region: str | None, read_timeout: int) -> Any:
        client = aws_client(service, region, read_timeout)
        if service == "lambda":
            client.meta.events.register("before-call.lambda.Invoke", self, unique_id="stub")
        return client


class _Raw:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, amount: int | None = None) -> bytes:
        chunk, self.data = (
            (self.data, b"")
            if amount is None
            else (
                self.data[:amount],
                self.data[amount:],
            )
        )
        return chunk


class _Http:
    def __init__(self, status: int):
        self.status_code = status
        self.headers: dict[str, str] = {}


FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:build-report"


def test_lambda_target_invokes_asynchronously_with_the_payload_and_execution_id(
    make_task, tables, work, deliver, make_executor
):
    stub = LambdaStub()
    task = _task(make_task, {"type": "lambda", "arn": FUNCTION})
    work.send(fire(task))

    assert failures(deliver(*work.receive(), using=make_executor(aws=stub.clients))) == []

    (request,) = stub.requests
    assert request["url_path"].startswith("/2015-03-31/functions/")
    assert "build-report" in request["url_path"]
    assert request["headers"]["X-Amz-Invocation-Type"] == "Event"
    assert json.loads(request["body"]) == _envelope(task)
    assert run_of(fire(task)).result == {"status_code": 202}


def test_lambda_target_awaits_a_request_response_invocation(
    make_task, tables, work, deliver, make_executor
):
    stub = LambdaStub(answer=b'{"rows": 3}')
    task = _task(make_task, {"type": "lambda", "arn": FUNCTION, "invocation": "request_response"})
    work.send(fire(task))

    deliver(*work.receive(), using=make_executor(aws=stub.clients))

    assert stub.requests[0]["headers"]["X-Amz-Invocation-Type"] == "RequestResponse"
    assert run_of(fire(task)).result == {"status_code": 200, "payload": {"rows": 3}}


def test_lambda_function_error_is_retried(make_task, tables, work, deliver, make_executor):
    stub = LambdaStub(answer=b'{"errorMessage": "boom"}', function_error="Unhandled")
    task = _task(make_task, {"type": "lambda", "arn": FUNCTION, "invocation": "request_response"})
    work.send(fire(task))

    deliver(*work.receive(), using=make_executor(aws=stub.clients))

    run = run_of(fire(task))
    assert run.status == "retrying"
    assert "boom" in run.error


def test_aws_error_a_retry_cannot_fix_fails_at_once(make_task, tables, work, deliver):
    missing = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/no-such-queue"
    task = _task(make_task, {"type": "sqs", "queue_url": missing})
    work.send(fire(task))

    deliver(*work.receive())

    run = run_of(fire(task))
    assert (run.status, run.attempt) == ("failed", 1)
    assert "NonExistentQueue" in run.error or "QueueDoesNotExist" in run.error
