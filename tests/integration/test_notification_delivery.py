"""The deliverer: one notifications-queue message, delivered to its destination, under
moto (the queues) and a webhook receiver on loopback.

A webhook POST is signed as targets' requests are and goes through the same SSRF guard;
a failed delivery comes back after a doubling backoff, and one whose attempts ran out
(or that a retry cannot help) goes to the notifications dead-letter queue.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from sundial.core.notification_events import event_document, run_event_id
from sundial.notify import deliverer as deliverer_module
from sundial.notify.deliverer import Deliverer, backoff_seconds
from sundial.targets import NetworkPolicy, TargetEnvironment

REGION = "us-east-1"
SECRET = "whsec_test"
# How often the receiver checks for shutdown (the standard library's default, 0.5 s, is a
# teardown's wait when the test is done).
POLL_SECONDS = 0.05
DOCUMENT = event_document(
    event_id=run_event_id("01TASK:1780000000000", 1, "run.failed"),
    event="run.failed",
    time_ms=1_780_000_000_000,
    tenant="acme",
    task_id="01TASK",
    task_name="nightly",
    run={"execution_id": "01TASK:1780000000000", "status": "failed"},
)


class Receiver:
    """A webhook on loopback that answers `status` and records what it got."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append((dict(self.headers), body))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve = threading.Thread(target=self.server.serve_forever, args=(POLL_SECONDS,))
        serve.daemon = True
        serve.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


class RecordingSqs:
    def __init__(self, real: Any):
        self.real = real
        self.visibility: list[int] = []

    def change_message_visibility(self, **kwargs: Any) -> Any:
        self.visibility.append(kwargs["VisibilityTimeout"])
        return self.real.change_message_visibility(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def sqs(queues: dict[str, str]) -> RecordingSqs:
    return RecordingSqs(boto3.client("sqs", region_name=REGION))


@pytest.fixture
def failed_metrics(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    added: list[str] = []
    monkeypatch.setattr(
        deliverer_module.metrics, "add_metric", lambda name, **_: added.append(name)
    )
    return added


def make_deliverer(
    sqs: Any, queues: dict[str, str], *, network: NetworkPolicy | None = None, aws: Any = None
) -> Deliverer:
    return Deliverer(
        sqs,
        queues["NotificationsQueue"],
        queues["NotificationsDeadLetterQueue"],
        TargetEnvironment(
            aws=aws or (lambda *a: None), network=network or NetworkPolicy(allow_loopback=True)
        ),
        max_attempts=4,
        backoff_base_seconds=30,
    )


def queued(sqs: Any, queues: dict[str, str], destination: dict[str, Any]) -> dict[str, Any]:
    """A message on the notifications queue, received as a Lambda SQS record."""
    url = queues["NotificationsQueue"]
    body = json.dumps({"event": DOCUMENT, "destination": destination})
    sqs.send_message(QueueUrl=url, MessageBody=body)
    (message,) = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": "1"},
    }


def on_receive(record: dict[str, Any], count: int) -> dict[str, Any]:
    return {**record, "attributes": {"ApproximateReceiveCount": str(count)}}


def dead_letters(sqs: Any, queues: dict[str, str]) -> list[dict[str, Any]]:
    return sqs.receive_message(
        QueueUrl=queues["NotificationsDeadLetterQueue"],
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
    ).get("Messages", [])


def test_a_webhook_delivery_is_signed_and_its_signature_verifies(sqs, queues, receiver):
    destination = {
        "type": "http",
        "url": receiver.url,
        "headers": {"Authorization": "Bearer hook-token"},
        "signing_secret": SECRET,
    }
    record = queued(sqs, queues, destination)

    assert make_deliverer(sqs, queues).process([record]) == {"batchItemFailures": []}

    ((headers, body),) = receiver.requests
    assert json.loads(body) == DOCUMENT
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Sundial-Event"] == "run.failed"
    assert headers["X-Sundial-Event-Id"] == DOCUMENT["id"]
    assert headers["Authorization"] == "Bearer hook-token"
    # What a receiver does: recompute the HMAC over "<t>.<body>" with its secret.
    fields = dict(part.split("=", 1) for part in headers["X-Sundial-Signature"].split(","))
    expected = hmac.new(
        SECRET.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)


def test_an_unsigned_destination_gets_no_signature_header(sqs, queues, receiver):
    record = queued(sqs, queues, {"type": "http", "url": receiver.url})

    make_deliverer(sqs, queues).process([record])

    ((headers, _),) = receiver.requests
    assert "X-Sundial-Signature" not in headers


def test_a_url_the_ssrf_guard_refuses_is_never_called_and_is_dead_lettered_at_once(
    sqs, queues, receiver, failed_metrics
):
    record = queued(sqs, queues, {"type": "http", "url": receiver.url})
    deployed = NetworkPolicy()  # loopback refused, as deployed

    response = make_deliverer(sqs, queues, network=deployed).process([record])

    assert response == {"batchItemFailures": []}  # settled: parked, not retried
    assert receiver.requests == []
    (letter,) = dead_letters(sqs, queues)
    assert json.loads(letter["Body"])["event"]["id"] == DOCUMENT["id"]
    assert "127.0.0.1" in letter["MessageAttributes"]["sundial-error"]["StringValue"]
    assert failed_metrics == ["NotificationsFailed"]


def test_a_failing_destination_is_retried_with_backoff_then_dead_lettered(
    sqs, queues, receiver, failed_metrics
):
    receiver.status = 503
    record = queued(sqs, queues, {"type": "http", "url": receiver.url})
    deliverer = make_deliverer(sqs, queues)

    for attempt in (1, 2, 3):
        response = deliverer.process([on_receive(record, attempt)])
        assert response == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
    assert sqs.visibility == [30, 60, 120]
    assert dead_letters(sqs, queues) == [] and failed_metrics == []

    final = deliverer.process([on_receive(record, 4)])

    assert final == {"batchItemFailures": []}
    assert len(receiver.requests) == 4
    (letter,) = dead_letters(sqs, queues)
    assert letter["MessageAttributes"]["sundial-attempts"]["StringValue"] == "4"
    assert "503" in letter["MessageAttributes"]["sundial-error"]["StringValue"]
    assert failed_metrics == ["NotificationsFailed"]


def test_the_backoff_doubles_up_to_fifteen_minutes():
    assert [backoff_seconds(n, 30) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]


def test_a_refusing_webhook_is_dead_lettered_without_retries(sqs, queues, receiver):
    receiver.status = 410  # gone: another delivery cannot help
    record = queued(sqs, queues, {"type": "http", "url": receiver.url})

    assert make_deliverer(sqs, queues).process([record]) == {"batchItemFailures": []}
    assert len(receiver.requests) == 1 and len(dead_letters(sqs, queues)) == 1


def test_an_sqs_destination_gets_the_document_with_the_event_id_attribute(sqs, queues):
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    record = queued(sqs, queues, {"type": "sqs", "queue_url": inbox})
    deployed = make_deliverer(
        sqs, queues, aws=lambda service, region, timeout: boto3.client(service, region_name=REGION)
    )

    assert deployed.process([record]) == {"batchItemFailures": []}

    (message,) = sqs.receive_message(QueueUrl=inbox, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(message["Body"]) == DOCUMENT
    attributes = message["MessageAttributes"]
    assert attributes["sundial-event-id"]["StringValue"] == DOCUMENT["id"]
    assert attributes["sundial-event-type"]["StringValue"] == "run.failed"


class CapturingAws:
    """SNS and EventBridge clients that record their requests."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, service: str, region: str | None, timeout: int) -> Any:
        outer = self

        class Client:
            def publish(self, **kwargs: Any) -> Any:
                outer.calls.append(("publish", kwargs))
                return {"MessageId": "m"}

            def put_events(self, **kwargs: Any) -> Any:
                outer.calls.append(("put_events", kwargs))
                return {"FailedEntryCount": 0, "Entries": [{"EventId": "e"}]}

        return Client()


def test_an_event_bus_destination_gets_source_sundial_and_the_type_as_detail_type(sqs, queues):
    aws = CapturingAws()
    record = queued(sqs, queues, {"type": "eventbridge", "bus": "ops"})

    make_deliverer(sqs, queues, aws=aws).process([record])

    ((operation, request),) = aws.calls
    assert operation == "put_events"
    (entry,) = request["Entries"]
    assert entry["Source"] == "sundial" and entry["DetailType"] == "run.failed"
    assert entry["EventBusName"] == "ops" and json.loads(entry["Detail"]) == DOCUMENT


def test_an_sns_destination_gets_the_document(sqs, queues):
    aws = CapturingAws()
    topic = "arn:aws:sns:us-east-1:123456789012:alerts"
    record = queued(sqs, queues, {"type": "sns", "topic_arn": topic})

    make_deliverer(sqs, queues, aws=aws).process([record])

    ((operation, request),) = aws.calls
    assert operation == "publish" and request["TopicArn"] == topic
    assert json.loads(request["Message"]) == DOCUMENT
