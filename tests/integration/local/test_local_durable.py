"""`--state-file`: the emulator's state survives its process killed at any instant.

Each test starts the real emulator (a moto server process) on a state file, changes its
state over HTTP, kills the server with SIGKILL (no chance to save anything) and starts a
new one on the same file."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator

import pytest
from sundial_local.durable import JOURNAL_SUFFIX
from sundial_local.emulator import Emulator

from sundial import clients
from sundial.settings import reset_settings


@pytest.fixture
def restart(tmp_path) -> Iterator:
    """`restart()` kills the running emulator (if any) and starts one on the same file."""
    saved = dict(os.environ)
    state_file = str(tmp_path / "state.json")
    running: list[Emulator] = []

    def start() -> Emulator:
        if running:
            server = running[-1]._server
            assert server is not None
            server.send_signal(signal.SIGKILL)
            server.wait()
            running[-1]._server = None
        emulator = Emulator(state_file=state_file)
        emulator.start()
        running.append(emulator)
        return emulator

    yield start
    for emulator in running:
        emulator.stop()
    os.environ.clear()
    os.environ.update(saved)
    reset_settings()
    clients.reset_clients()


def test_every_acknowledged_table_write_survives_kill_9(restart):
    first = restart()
    dynamodb = first.client("dynamodb")
    table = first.tables["TasksTable"]
    for n in range(3):
        dynamodb.put_item(TableName=table, Item={"task_id": {"S": f"t{n}"}, "n": {"N": str(n)}})
    dynamodb.update_item(
        TableName=table,
        Key={"task_id": {"S": "t1"}},
        UpdateExpression="SET n = n + :one",
        ExpressionAttributeValues={":one": {"N": "10"}},
    )
    dynamodb.delete_item(TableName=table, Key={"task_id": {"S": "t2"}})

    second = restart()
    items = second.client("dynamodb").scan(TableName=table)["Items"]
    assert sorted((i["task_id"]["S"], i["n"]["N"]) for i in items) == [("t0", "0"), ("t1", "11")]
    # Restored and folded into the snapshot: a third start sees the same.
    third = restart()
    assert len(third.client("dynamodb").scan(TableName=table)["Items"]) == 2


def test_queued_messages_survive_kill_9_with_their_delays_and_in_flight_ones_come_back(
    restart,
):
    first = restart()
    sqs, url = first.client("sqs"), first.queues["WorkQueue"]
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=600)
    sqs.send_message(QueueUrl=url, MessageBody="received")
    sqs.send_message(QueueUrl=url, MessageBody="hidden on purpose")
    sqs.send_message(QueueUrl=url, MessageBody="done")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    by_body = {m["Body"]: m for m in received}
    assert set(by_body) == {"received", "hidden on purpose", "done"}
    sqs.change_message_visibility(
        QueueUrl=url,
        ReceiptHandle=by_body["hidden on purpose"]["ReceiptHandle"],
        VisibilityTimeout=600,
    )
    sqs.delete_message(QueueUrl=url, ReceiptHandle=by_body["done"]["ReceiptHandle"])

    second = restart()
    sqs, url = second.client("sqs"), second.queues["WorkQueue"]
    # The receiver of "received" died with the old process: it is visible at once. The
    # executor's own delay ("hidden on purpose") and the send's delay are kept.
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    assert [m["Body"] for m in again["Messages"]] == ["received"]
    assert again["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "2"  # hidden + received


def test_a_torn_last_journal_line_is_dropped(restart, tmp_path):
    first = restart()
    dynamodb, table = first.client("dynamodb"), first.tables["TasksTable"]
    dynamodb.put_item(TableName=table, Item={"task_id": {"S": "kept"}})
    journal = tmp_path / f"state.json{JOURNAL_SUFFIX}"
    # The process killed mid-write: half a record, never acknowledged.
    record = {"dynamodb": "DynamoDB_20120810.PutItem", "auth": "", "body": "{}"}
    with open(journal, "ab") as file:
        file.write(json.dumps(record).encode()[:20])

    second = restart()
    items = second.client("dynamodb").scan(TableName=table)["Items"]
    assert [i["task_id"]["S"] for i in items] == ["kept"]


def test_the_journal_is_folded_into_the_state_file_at_start(restart, tmp_path):
    first = restart()
    first.client("dynamodb").put_item(
        TableName=first.tables["TasksTable"], Item={"task_id": {"S": "x"}}
    )
    journal = tmp_path / f"state.json{JOURNAL_SUFFIX}"
    grown = journal.stat().st_size
    restart()
    assert journal.stat().st_size < grown  # only the header of a new generation


def test_a_state_file_of_another_version_is_refused_with_its_reason(restart, tmp_path):
    (tmp_path / "state.json").write_text('{"version": 1, "tables": {}}')
    with pytest.raises(RuntimeError, match="another version of the local stack"):
        restart()
