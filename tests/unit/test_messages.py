"""The work-queue message format: round trip and every way a body can be malformed."""

import json

import pytest

from sundial.workqueue.messages import FireMessage, MalformedMessage, parse_message

GOOD = FireMessage(
    execution_id="T1:1000",
    task_id="T1",
    tenant="acme",
    fire_at=1000,
    schedule_version=2,
    coalesced=3,
)


def test_message_round_trips():
    assert parse_message(GOOD.to_json()) == GOOD
    assert json.loads(GOOD.to_json())["v"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", None),
        ("[]", None),
        (json.dumps({**json.loads(GOOD.to_json()), "v": 2}), "v"),
        (json.dumps({**json.loads(GOOD.to_json()), "fire_at": "soon"}), "fire_at"),
        (json.dumps({**json.loads(GOOD.to_json()), "fire_at": True}), "fire_at"),
        (
            json.dumps({k: v for k, v in json.loads(GOOD.to_json()).items() if k != "tenant"}),
            "tenant",
        ),
        (json.dumps({**json.loads(GOOD.to_json()), "kind": "sometimes"}), "kind"),
        (json.dumps({**json.loads(GOOD.to_json()), "execution_id": "OTHER:1000"}), "execution_id"),
    ],
)
def test_malformed_messages_are_rejected_with_the_field(body, field):
    with pytest.raises(MalformedMessage) as info:
        parse_message(body)
    assert info.value.field == field
