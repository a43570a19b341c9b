"""The local stack's emulations of AWS plumbing: the SQS event source mapping, the
EventBridge tick with its continuations, and the embedded emulator (the state file's
durability: tests/integration/local/test_local_durable.py)."""

from __future__ import annotations

import json
import os
import threading

import boto3
import pytest
from sundial_local.poller import QueuePoller, failed_ids, sqs_record
from sundial_local.runtime import LocalFunction
from sundial_local.tick import TickLoop

REGION = "us-east-1"


def counts(sqs, url):
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


@pytest.fixture
def sqs(queues):
    return boto3.client("sqs", region_name=REGION)


def poller_for(sqs, queues, handler):
    return QueuePoller(
        sqs, queues["WorkQueue"], LocalFunction("executor", handler, 30), threading.Event()
    )


def test_mapping_deletes_succeeded_records_and_keeps_reported_failures(sqs, queues):
    for n in range(3):
        sqs.send_message(QueueUrl=queues["WorkQueue"], MessageBody=json.dumps({"n": n}))
    seen = []

    def handler(event, context):
        seen.extend(event["Records"])
        failed = [r for r in event["Records"] if json.loads(r["body"])["n"] == 1]
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in failed]}

    assert poller_for(sqs, queues, handler).poll_once() == 3
    assert counts(sqs, queues["WorkQueue"]) == (0, 1)  # the failure waits out its visibility
    record = seen[0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(":WorkQueue")
    assert int(record["attributes"]["ApproximateReceiveCount"]) == 1


def test_mapping_keeps_the_whole_batch_when_the_function_raises(sqs, queues):
    sqs.send_message(QueueUrl=queues["WorkQueue"], MessageBody="{}")

    def handler(event, context):
        raise RuntimeError("boom")

    poller_for(sqs, queues, handler).poll_once()
    assert counts(sqs, queues["WorkQueue"]) == (0, 1)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "a"}]}, {"a"}),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
        ({"batchItemFailures": "nope"}, {"a", "b"}),
        ("nonsense", {"a", "b"}),
    ],
)
def test_partial_batch_response_is_read_as_lambda_reads_it(response, expected):
    records = [{"messageId": "a"}, {"messageId": "b"}]
    assert failed_ids(response, records) == expected


def test_sqs_record_carries_what_the_executor_reads():
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "r1",
        "Body": "{}",
        "MD5OfBody": "x",
        "Attributes": {"ApproximateReceiveCount": "3", "SentTimestamp": "1700000000000"},
    }
    record = sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:q")
    assert record["attributes"]["ApproximateReceiveCount"] == "3"
    assert record["attributes"]["SentTimestamp"] == "1700000000000"
    assert record["receiptHandle"] == "r1" and record["awsRegion"] == REGION


def test_tick_runs_continuations_at_once_like_a_self_invocation():
    events = []

    def dispatcher(event, context):
        events.append(event)
        n = event.get("continuation", 0)
        return {"continuation_event": {"continuation": n + 1} if n < 2 else None}

    loop = TickLoop(LocalFunction("dispatcher", dispatcher, 60), 10, threading.Event())
    loop.tick()
    assert events[0]["detail-type"] == "Scheduled Event"
    assert [e.get("continuation") for e in events[1:]] == [1, 2]


def test_long_poll_wakes_when_a_delayed_message_becomes_visible(sqs, queues):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends
    from sundial_local.motoserver import _long_poll_until_visible

    sqs.send_message(QueueUrl=queues["WorkQueue"], MessageBody="{}", DelaySeconds=2)
    queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues["WorkQueue"]
    waits: list[float] = []
    condition_wait = queue._messages_lock.wait

    def recording_wait(timeout: float | None = None) -> bool:
        waits.append(timeout)
        return condition_wait(timeout)

    queue._messages_lock.wait = recording_wait

    _long_poll_until_visible(queue, timeout=20)

    # The poll slept until the delay ended, not for its whole timeout, and then saw it;
    # moto's own wait sleeps on a condition that only a new message would notify.
    assert waits and 1 < waits[0] <= 2.001
    assert len(queue.messages) == 1


def test_queue_counts_read_once_agree_with_motos_own(sqs, queues):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import Queue, sqs_backends
    from sundial_local.motoserver import _delayed_count, _not_visible_count, _visible_messages

    url = queues["WorkQueue"]
    for delay in (0, 0, 0, 60, 120):
        sqs.send_message(QueueUrl=url, MessageBody="{}", DelaySeconds=delay)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)
    queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues["WorkQueue"]

    # Two visible, one in flight, two delayed.
    assert len(_visible_messages(queue)) == len(Queue.messages.fget(queue)) == 2
    assert _delayed_count(queue) == Queue.approximate_number_of_messages_delayed.fget(queue) == 2
    not_visible = Queue.approximate_number_of_messages_not_visible.fget(queue)
    assert _not_visible_count(queue) == not_visible == 1


def test_emulator_serves_the_template_resources_over_http(monkeypatch):
    from sundial_local.emulator import Emulator

    saved = dict(os.environ)
    emulator = Emulator(overrides={"HORIZON_SECONDS": "15"})
    try:
        emulator.start()
        assert os.environ["AWS_ENDPOINT_URL"] == emulator.endpoint
        assert emulator.endpoint.startswith("http://127.0.0.1:")
        names = boto3.client("dynamodb").list_tables()["TableNames"]
        assert {"TasksTable", "RunsTable"} <= set(names)
        assert os.environ["TASKS_TABLE"] == "TasksTable"
        assert os.environ["HORIZON_SECONDS"] == "15"
        dispatcher = emulator.function("DispatcherFunction")
        assert dispatcher.handler.__module__ == "sundial.dispatch.handler"
    finally:
        emulator.stop()
        os.environ.clear()
        os.environ.update(saved)
        from sundial import clients
        from sundial.settings import reset_settings

        reset_settings()
        clients.reset_clients()


def test_retention_check_keeps_what_moto_keeps(sqs, queues):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends
    from sundial_local.motoserver import _retained

    backend = sqs_backends[DEFAULT_ACCOUNT_ID][REGION]
    sqs.send_message(QueueUrl=queues["WorkQueue"], MessageBody="{}")
    (message,) = backend.queues["WorkQueue"]._messages
    assert _retained(backend, "WorkQueue", message)
    retention_ms = int(backend.queues["WorkQueue"].message_retention_period) * 1000
    message.sent_timestamp -= retention_ms + 1000
    assert not _retained(backend, "WorkQueue", message)
    assert not backend.is_message_valid_based_on_retention_period("WorkQueue", message)


@pytest.mark.parametrize(
    "body, tables",
    [
        (b'{"TableName": "RunsTable", "Key": {}}', {"RunsTable"}),
        (b'{"RequestItems": {"A": {}, "B": {}}}', {"A", "B"}),
        (
            b'{"TransactItems": [{"Put": {"TableName": "A"}}, {"Update": {"TableName": "B"}}]}',
            {"A", "B"},
        ),
        (b"{}", {"*"}),  # ListTables and the like: every table
        (b"not json", {"*"}),
    ],
)
def test_dynamodb_requests_lock_the_tables_they_touch(body, tables):
    from sundial_local.motoserver import tables_of

    assert tables_of(body) == tables


def test_emulator_server_ends_when_the_process_that_started_it_dies(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    # A stand-in for a stack killed without a chance to stop its emulator.
    starter = (
        "import os, subprocess, sys, time\n"
        "server = subprocess.Popen([sys.executable, '-m', 'sundial_local.motoserver',"
        " '--parent-pid', str(os.getpid())], stdout=subprocess.PIPE, text=True)\n"
        "server.stdout.readline()\n"
        "print(server.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    server_pid = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _alive(server_pid):
        time.sleep(0.2)
    assert not _alive(server_pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_the_emulator_reads_motos_package_directory_once_not_per_request(monkeypatch):
    from moto import backends
    from sundial_local.motoserver import _list_moto_modules_once

    # Put back after the test: the patch replaces a module attribute.
    monkeypatch.setattr(backends, "list_of_moto_modules", backends.list_of_moto_modules)
    listed = tuple(backends.list_of_moto_modules())
    _list_moto_modules_once()
    reads: list[str] = []
    listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path: reads.append(path) or listdir(path))

    assert [backends.list_of_moto_modules() for _ in range(3)] == [listed] * 3
    assert len(reads) <= 1
    assert "dynamodb" in listed and "sqs" in listed
