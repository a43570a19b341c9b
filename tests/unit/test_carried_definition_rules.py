"""Which definitions a scheduled fire's message may carry (the allowlist), the size bound
that keeps a batch of ten in one SQS billing chunk, and the message's round trip."""

import json

import pytest

from sundial.core.aws_limits import SQS_BILLING_CHUNK_BYTES, SQS_MAX_BATCH_ENTRIES
from sundial.core.task.carried import (
    CARRIED_DEFINITION_MAX_BYTES,
    FIRE_MESSAGE_ENVELOPE_MAX_BYTES,
    carried_definition,
    carried_size,
)
from sundial.core.vocabulary import FireKind
from sundial.workqueue.messages import FireMessage, parse_message

HTTP = {"type": "http", "url": "https://example.com/hook", "method": "POST", "headers": {}}


def definition(**overrides):
    return {
        "target": HTTP,
        "payload": {"hello": "world"},
        "retry": {"max_attempts": 3, "backoff_seconds": 2},
        "timeout_seconds": 30,
        "overlap": "allow",
        "pause_after_failures": None,
        "version": 4,
        **overrides,
    }


def carry(notifications=None, exclude=None, **overrides):
    return carried_definition(definition(**overrides), notifications=notifications, exclude=exclude)


def test_a_small_definition_without_secrets_is_carried_with_its_version():
    assert carry() == {
        "target": HTTP,
        "payload": {"hello": "world"},
        "retry": {"max_attempts": 3, "backoff_seconds": 2},
        "timeout_seconds": 30,
        "overlap": "allow",
        "version": 4,
    }
    assert carry(pause_after_failures=3)["pause_after_failures"] == 3
    assert carry(exclude=["2026-12-25", "weekends"]) is not None  # dates and rules only


@pytest.mark.parametrize(
    "target",
    [
        {**HTTP, "signing_secret": "s3cret"},
        {**HTTP, "headers": {"Authorization": "Bearer x"}},
        {**HTTP, "headers": {"X-Api-Key": "x"}},
        {**HTTP, "headers": {"X-Session-Token": "x"}},
        {**HTTP, "url": "https://user:pass@example.com/hook"},
        {**HTTP, "url": "https://example.com/hook?api_key=x"},
        {**HTTP, "url": "https://example.com/hook?access_token=x"},
        {**HTTP, "proxy": "unknown field"},  # a field the allowlist does not know
        {"type": "smtp", "to": "ops@example.com"},  # a target type it does not know
        "not a target",
    ],
)
def test_a_definition_with_a_secret_or_an_unknown_target_field_is_never_carried(target):
    assert carry(target=target) is None


def test_a_definition_with_notifications_or_a_calendar_is_never_carried():
    notification = {"on": ["run.failed"], "destination": {"type": "sns", "topic_arn": "arn"}}
    assert carry(notifications=[notification]) is None
    assert carry(exclude=["calendar:holidays"]) is None


def test_every_target_type_without_secrets_is_carried():
    for target in (
        {**HTTP, "headers": {"Content-Type": "text/plain"}},
        {"type": "lambda", "arn": "arn:aws:lambda:us-east-1:1:function:f", "invocation": "event"},
        {"type": "sqs", "queue_url": "https://sqs.us-east-1.amazonaws.com/1/q"},
        {"type": "sns", "topic_arn": "arn:aws:sns:us-east-1:1:t"},
        {"type": "eventbridge", "bus": "default", "source": "s", "detail_type": "d"},
        {"type": "handler", "name": "echo"},
    ):
        assert carry(target=target) is not None, target


def test_a_definition_over_the_size_bound_is_not_carried():
    base = carried_size(carry(payload=""))
    fits = "x" * (CARRIED_DEFINITION_MAX_BYTES - base)
    assert carried_size(carry(payload=fits)) == CARRIED_DEFINITION_MAX_BYTES
    assert carry(payload=fits + "x") is None


def test_ten_messages_carrying_the_largest_definition_fit_one_sqs_billing_chunk():
    # The largest envelope: a manual-sized execution id, a long tenant, large numbers.
    task_id = "0" * 26
    envelope = FireMessage(
        execution_id=f"{task_id}:manual:{'0' * 26}",
        task_id=task_id,
        tenant="t" * 64,
        fire_at=10**15,
        schedule_version=10**9,
        kind=FireKind.SCHEDULED,
        coalesced=10**6,
        definition={},
    ).to_json()
    assert len(envelope.encode()) - len(b"{}") <= FIRE_MESSAGE_ENVELOPE_MAX_BYTES
    largest = SQS_MAX_BATCH_ENTRIES * (
        FIRE_MESSAGE_ENVELOPE_MAX_BYTES + CARRIED_DEFINITION_MAX_BYTES
    )
    assert largest <= SQS_BILLING_CHUNK_BYTES


def test_a_message_round_trips_its_carried_definition_and_omits_none():
    message = FireMessage("T1:1000", "T1", "acme", 1000, 2, definition=carry())
    assert parse_message(message.to_json()) == message
    plain = FireMessage("T1:1000", "T1", "acme", 1000, 2)
    assert "definition" not in json.loads(plain.to_json())


def test_an_unusable_carried_definition_is_ignored_not_a_malformed_message():
    body = json.loads(FireMessage("T1:1000", "T1", "acme", 1000, 2).to_json())
    for junk in ("a string", [1, 2], 7):
        assert parse_message(json.dumps({**body, "definition": junk})).definition is None
