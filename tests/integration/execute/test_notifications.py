"""Notifications from the executor's outcomes to the notifications queue, under moto.

The executor marks an outcome write with the events it reports that the task asks for
(`notify`), in that very request; the runs table's stream, through the mapping's
filter, brings the write to the notifier, which enqueues one message per (event,
destination). These tests read the emulated table's real stream records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from execute_helpers import FIRE_AT, REGION, fire, run_of
from stream_helpers import Streams

from sundial import store
from sundial.core.notification_events import run_event_id, task_event_id
from sundial.core.vocabulary import PauseReason
from sundial.execute import PermanentFailure
from sundial.notify.notifier import Notifier
from sundial.store.deadletters import DeadLetterItem
from sundial.workqueue.pausing import pause_task

HOOK = "https://hooks.example.com/sundial"


def notifying(*events: str, url: str = HOOK) -> list[dict[str, Any]]:
    return [
        {
            "on": list(events),
            "destination": {"type": "http", "url": url, "signing_secret": "whsec"},
        }
    ]


@pytest.fixture
def streams(tables: dict[str, str]) -> Streams:
    return Streams(tables)


@pytest.fixture
def notifications_queue(execute_env: dict[str, str]) -> str:
    return execute_env["NotificationsQueue"]


@pytest.fixture
def notifier(notifications_queue: str) -> Notifier:
    return Notifier(boto3.client("sqs", region_name=REGION), notifications_queue)


def enqueued(queue_url: str) -> list[dict[str, Any]]:
    """Every message on the notifications queue (received, so hidden afterwards)."""
    sqs = boto3.client("sqs", region_name=REGION)
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600
        ).get("Messages", [])
        if not messages:
            return found
        found += [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def run_writes(tables: dict[str, str]) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every runs-table write request the test makes: (operation, its parameters)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(event_name: str, params: dict[str, Any], **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        text = json.dumps(params, default=str)
        if tables["RunsTable"] in text:
            calls.append((operation, params))

    clients = {
        id(c): c
        for c in (
            model._get_connection().connection.client for model in (store.RunItem, DeadLetterItem)
        )
    }
    operations = ("UpdateItem", "PutItem", "DeleteItem", "TransactWriteItems")
    for client in clients.values():
        for op in operations:
            client.meta.events.register(f"provide-client-params.dynamodb.{op}", record)
    yield calls
    for client in clients.values():
        for op in operations:
            client.meta.events.unregister(f"provide-client-params.dynamodb.{op}", record)


def normalized(calls: list[tuple[str, dict[str, Any]]], task_id: str) -> list[str]:
    """The requests with what differs between two tasks' runs (ids, tokens) blanked."""
    texts = []
    for operation, params in calls:
        text = json.dumps(params, sort_keys=True, default=str).replace(task_id, "<task>")
        texts.append(f"{operation} {_blank_tokens(text)}")
    return texts


def _blank_tokens(text: str) -> str:
    # Claim tokens (16 url-safe characters) and transactions' request tokens are random.
    text = re.sub(r'"S": "[A-Za-z0-9_-]{16}"', '"S": "<token>"', text)
    return re.sub(r'"ClientRequestToken": "[0-9a-f-]{36}"', '"ClientRequestToken": "<t>"', text)


def run_once(probe, work, deliver, task, outcome: BaseException | None = None) -> None:
    if outcome is not None:
        probe.script.append(outcome)
    work.send(fire(task))
    deliver(*work.receive())


# --- the executor's marks --------------------------------------------------------------------


@pytest.mark.parametrize(
    "outcome",
    [None, RuntimeError("flaky"), PermanentFailure("refused")],
    ids=["succeeded", "retrying", "failed"],
)
def test_a_task_without_notifications_sends_todays_exact_outcome_requests(
    probe, probe_task, work, deliver, run_writes, outcome
):
    # Today's requests: those of a task whose notifications ask for no run event (the
    # outcome writes cannot tell the two apart), and none of them names `notify`.
    plain = probe_task()
    run_once(probe, work, deliver, plain, outcome)
    plain_requests = normalized(run_writes, plain.task_id)
    run_writes.clear()
    other = probe_task(notifications=notifying("task.paused"))
    run_once(probe, work, deliver, other, outcome)

    assert plain_requests == normalized(run_writes, other.task_id)
    assert plain_requests and not any("notify" in text for text in plain_requests)


@pytest.mark.parametrize(
    ("outcome", "asked", "marked"),
    [
        (None, ["run.succeeded", "run.failed"], {"run.succeeded"}),
        (RuntimeError("flaky"), ["run.retrying"], {"run.retrying"}),
        (
            PermanentFailure("refused"),
            ["run.failed", "run.dead_lettered", "run.succeeded"],
            {"run.failed", "run.dead_lettered"},
        ),
    ],
    ids=["succeeded", "retrying", "failed"],
)
def test_the_outcome_write_itself_carries_the_events_the_task_asks_for(
    probe, probe_task, work, deliver, run_writes, outcome, asked, marked
):
    plain = probe_task()
    run_once(probe, work, deliver, plain, outcome)
    requests_without = [operation for operation, _ in run_writes]
    run_writes.clear()
    task = probe_task(notifications=notifying(*asked))
    run_once(probe, work, deliver, task, outcome)

    # No request added: the mark rides on the outcome's own write.
    assert [operation for operation, _ in run_writes] == requests_without
    assert run_of(fire(task)).notify == marked


# --- the notifier ----------------------------------------------------------------------------


def test_a_marked_outcome_becomes_one_message_per_destination_with_the_event_document(
    probe, probe_task, work, deliver, streams, notifier, notifications_queue, clock
):
    second = "https://other.example.com/hook"
    task = probe_task(
        name="nightly",
        notifications=[*notifying("run.failed"), *notifying("run.failed", url=second)],
    )
    streams.skip()
    run_once(probe, work, deliver, task, PermanentFailure("refused"))

    assert notifier.process(streams.new("RunsTable")) == {"batchItemFailures": []}

    messages = enqueued(notifications_queue)
    assert [m["destination"]["url"] for m in messages] == [HOOK, second]
    # The stored destination, its signing secret kept for the deliverer.
    assert messages[0]["destination"]["signing_secret"] == "whsec"
    document = messages[0]["event"]
    assert document == messages[1]["event"]
    run = run_of(fire(task))
    assert document["id"] == run_event_id(run.execution_id, 1, "run.failed")
    assert document["type"] == "run.failed"
    assert document["time"] == datetime.fromtimestamp(clock.now / 1000, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert document["tenant"] == task.tenant
    assert document["task"] == {"id": task.task_id, "name": "nightly"}
    assert document["run"]["execution_id"] == run.execution_id
    assert document["run"]["status"] == "failed"
    assert document["run"]["error"].endswith("refused")


def test_a_duplicate_stream_delivery_sends_the_same_event_id_again(
    probe, probe_task, work, deliver, streams, notifier, notifications_queue
):
    task = probe_task(notifications=notifying("run.succeeded"))
    streams.skip()
    run_once(probe, work, deliver, task)
    records = streams.new("RunsTable")

    notifier.process(records)
    notifier.process(records)  # the mapping delivers the batch again

    ids = [m["event"]["id"] for m in enqueued(notifications_queue)]
    assert len(ids) == 2 and len(set(ids)) == 1


def test_a_duplicate_delivery_of_the_fire_sends_no_second_notification(
    probe, probe_task, work, deliver, streams, notifier, notifications_queue
):
    task = probe_task(notifications=notifying("run.succeeded"))
    streams.skip()
    work.send(fire(task))
    work.send(fire(task))  # SQS delivers the fire twice
    for record in work.receive(2):
        deliver(record)

    assert len(probe.calls) == 1
    notifier.process(streams.new("RunsTable"))
    (message,) = enqueued(notifications_queue)
    assert message["event"]["id"] == run_event_id(f"{task.task_id}:{FIRE_AT}", 1, "run.succeeded")


class BrokenSqs:
    """The notifications queue, unreachable: the notifier crashes on its send."""

    def send_message_batch(self, **_: Any) -> Any:
        raise ConnectionError("notifications queue unreachable")


def test_a_crash_between_the_outcome_and_its_notification_loses_no_notification(
    probe, probe_task, work, deliver, streams, notifications_queue
):
    task = probe_task(notifications=notifying("run.succeeded"))
    streams.skip()
    run_once(probe, work, deliver, task)
    records = streams.new("RunsTable")
    (marked,) = records

    crashed = Notifier(BrokenSqs(), notifications_queue).process(records)

    # The stream keeps the record and the mapping retries from it: nothing was lost.
    assert crashed == {
        "batchItemFailures": [{"itemIdentifier": marked["dynamodb"]["SequenceNumber"]}]
    }
    assert enqueued(notifications_queue) == []
    retried = Notifier(boto3.client("sqs", region_name=REGION), notifications_queue)
    assert retried.process(records) == {"batchItemFailures": []}
    (message,) = enqueued(notifications_queue)
    assert message["event"]["type"] == "run.succeeded"
    assert run_of(fire(task)).status == "succeeded"


def test_a_failing_record_is_retried_from_itself_and_the_ones_before_it_are_not_lost(
    probe, probe_task, work, deliver, streams, notifier, notifications_queue, monkeypatch
):
    tasks = [probe_task(notifications=notifying("run.succeeded")) for _ in range(3)]
    streams.skip()
    for task in tasks:
        run_once(probe, work, deliver, task)
    records = streams.new("RunsTable")
    assert len(records) == 3
    real = notifier.send
    sent: list[int] = []

    def second_fails(messages: list[dict[str, Any]]) -> None:
        sent.append(len(messages))
        if len(sent) == 2:
            raise ConnectionError("flaked")
        real(messages)

    monkeypatch.setattr(notifier, "send", second_fails)
    response = notifier.process(records)

    assert response == {
        "batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]
    }
    assert len(enqueued(notifications_queue)) == 1


def test_a_mark_left_by_an_earlier_outcome_is_never_read_again(
    probe, probe_task, work, deliver, streams, notifier, notifications_queue, clock
):
    # Attempt 1 is retried (marked run.retrying); attempt 2 succeeds, which the task does
    # not ask to hear of: its write carries no mark, and the retrying one it still shows
    # is not an event of this write.
    task = probe_task(notifications=notifying("run.retrying"))
    streams.skip()
    probe.script.append(RuntimeError("flaky"))
    work.send(fire(task))
    (record,) = work.receive()
    deliver(record)
    clock.advance(60_000)
    deliver(record)  # SQS shows the message again when its backoff ends
    assert run_of(fire(task)).status == "succeeded"

    notifier.process(streams.new("RunsTable"))

    assert [m["event"]["type"] for m in enqueued(notifications_queue)] == ["run.retrying"]


def test_run_writes_that_are_no_events_are_filtered_out_before_the_notifier(
    probe, probe_task, work, deliver, streams
):
    plain = probe_task()
    asking = probe_task(notifications=notifying("run.succeeded"))
    streams.skip()
    run_once(probe, work, deliver, plain)
    run_once(probe, work, deliver, asking)

    records = streams.all("RunsTable")[-4:]  # two claims, two outcomes
    passing = [r for r in records if streams.passes("RunsTable", r)]
    assert [r["dynamodb"]["Keys"]["task_id"]["S"] for r in passing] == [asking.task_id]


# --- task events -----------------------------------------------------------------------------


def test_a_pause_by_failures_emits_task_paused_and_a_pause_by_its_user_does_not(
    probe_task, streams, notifier, notifications_queue
):
    by_failures = probe_task(notifications=notifying("task.paused"))
    by_user = probe_task(notifications=notifying("task.paused"))
    streams.skip()
    now = datetime.now(UTC)
    pause_task(by_failures.tenant, by_failures.task_id, PauseReason.FAILURES, now)
    pause_task(by_user.tenant, by_user.task_id, PauseReason.USER, now)

    notifier.process(streams.new("TasksTable"))

    (message,) = enqueued(notifications_queue)
    document = message["event"]
    paused = store.get_task_any_tenant(by_failures.task_id)
    assert document["type"] == "task.paused" and document["run"] is None
    assert document["task"]["id"] == by_failures.task_id
    assert document["id"] == task_event_id(by_failures.task_id, int(paused.version), "task.paused")


def test_a_task_event_nobody_asked_for_sends_nothing(
    probe_task, streams, notifier, notifications_queue
):
    task = probe_task(notifications=notifying("run.failed"))
    streams.skip()
    pause_task(task.tenant, task.task_id, PauseReason.FAILURES, datetime.now(UTC))

    records = streams.new("TasksTable")
    assert records  # the transition passes the filter: only the definition says who asked

    assert notifier.process(records) == {"batchItemFailures": []}
    assert enqueued(notifications_queue) == []


def test_a_stored_notification_no_longer_valid_is_left_out_and_the_others_still_sent(
    probe, probe_task, work, deliver, streams, notifier, notifications_queue
):
    broken = {"on": ["run.succeeded"], "destination": {"type": "carrier-pigeon"}}
    task = probe_task(notifications=[broken, *notifying("run.succeeded")])
    streams.skip()
    run_once(probe, work, deliver, task)

    assert notifier.process(streams.new("RunsTable")) == {"batchItemFailures": []}

    (message,) = enqueued(notifications_queue)
    assert message["destination"]["url"] == HOOK
