"""The dispatcher's entry points: the Lambda handler on a tick, dispatch-on-write for the
API, manual triggers and backfills."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sundial import clients, store
from sundial.core.clock import to_ms
from sundial.core.planning import execution_id
from sundial.dispatch.handler import handler
from sundial.workqueue import dispatch_now, enqueue_backfill, enqueue_manual
from sundial.workqueue.messages import parse_message

EVENTS = Path(__file__).resolve().parents[3] / "infra" / "events"


@pytest.fixture
def sent(dispatch_env) -> list[dict]:
    """Every message the shared SQS client sends, with its delay (a botocore hook)."""
    messages: list[dict] = []

    def record(params, **_):
        if params.get("QueueUrl") == dispatch_env["WorkQueue"]:
            sent_at_ms = time.time() * 1000
            messages.extend(
                {**json.loads(e["MessageBody"]), "delay": e["DelaySeconds"], "sent_at": sent_at_ms}
                for e in params["Entries"]
            )

    clients.client("sqs").meta.events.register("provide-client-params.sqs.SendMessageBatch", record)
    return messages


def test_task_created_to_fire_in_ten_seconds_is_enqueued_at_once(sent, make_task):
    now = datetime.now(UTC).replace(microsecond=0)
    task = make_task(schedule=f"at({(now + timedelta(seconds=10)).strftime('%Y-%m-%dT%H:%M:%S')})")
    store.create_task(task, due_at=to_ms(now + timedelta(seconds=10)))
    assert dispatch_now(task.schedule_state, now=now) == 1
    (message,) = sent
    assert message["execution_id"] == f"{task.task_id}:{task.due_at}"
    # Visible within the second before its fire time (the delay counts from the send;
    # `sent_at` is read a moment after the delay was computed, hence the small slack).
    assert -100 < task.due_at - (message["sent_at"] + message["delay"] * 1000) < 1000
    stored = store.get_task_any_tenant(task.task_id)
    assert stored.due_at is None and stored.state == "completed"


def test_dispatch_now_leaves_fires_beyond_the_horizon_to_the_sweep(sent, make_task):
    now = datetime.now(UTC)
    task = make_task(schedule="0 0 1 1 *")
    store.create_task(task, due_at=to_ms(now + timedelta(days=30)))
    assert dispatch_now(task.schedule_state, now=now) == 0
    assert sent == []
    assert store.get_task_any_tenant(task.task_id).due_at == task.due_at


def test_manual_trigger_runs_now_with_its_own_execution_id(sent, make_task):
    task = store.create_task(make_task(state="paused"))
    first, second = enqueue_manual(task), enqueue_manual(task)
    assert first != second and first.startswith(f"{task.task_id}:manual:")
    messages = sent
    assert {m["execution_id"] for m in messages} == {first, second}
    assert all(m["kind"] == "manual" and m["delay"] == 0 for m in messages)


def test_backfill_reuses_scheduled_execution_ids(sent, make_task):
    task = store.create_task(make_task(schedule="0 * * * *"))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert enqueue_backfill(task, start, start + timedelta(hours=4)) == 5
    ids = sorted(m["execution_id"] for m in sent)
    assert ids == sorted(execution_id(task.task_id, start + timedelta(hours=h)) for h in range(5))
    assert all(
        parse_message(json.dumps({k: v for k, v in m.items() if k != "delay"})).kind == "backfill"
        for m in sent
    )


def test_backfilled_runs_carry_their_slots_time(sent, make_task):
    task = store.create_task(make_task(schedule="0 * * * *"))
    start = datetime(2026, 1, 1, tzinfo=UTC)

    enqueue_backfill(task, start, start + timedelta(hours=2))

    slots = [to_ms(start + timedelta(hours=h)) for h in range(3)]
    assert sorted((m["fire_at"], m["execution_id"]) for m in sent) == [
        (at, f"{task.task_id}:{at}") for at in slots
    ]
    assert all(m["delay"] == 0 for m in sent)  # run now, for past slots


@dataclass
class FakeContext:
    function_name: str = "sundial-dispatcher"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:sundial-dispatcher"
    aws_request_id: str = "tick-1"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def test_handler_sweeps_on_a_tick_and_reports(sent, make_task, capsys):
    now = datetime.now(UTC)
    task = make_task(schedule="* * * * * *")
    store.create_task(task, due_at=to_ms(now + timedelta(seconds=5)))
    event = json.loads((EVENTS / "dispatcher-tick.json").read_text())
    result = handler(event, FakeContext())
    assert result["fires_emitted"] >= 80 and result["tasks_committed"] == 1
    assert result["continued"] is False
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    # EMF documents carry each metric's values as a list.
    assert any(doc.get("FiresEmitted") == [result["fires_emitted"]] for doc in emf)
    assert len(sent) == result["fires_emitted"]
