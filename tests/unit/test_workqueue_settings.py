"""The work queue's settings are checked in one place: a deployment without a queue's
URL fails the first call that needs it with an error naming the variable, whichever
producer makes that call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sundial.settings import reset_settings
from sundial.store import ScheduleItem
from sundial.store.models import schedule_key
from sundial.workqueue import dispatch_now, enqueue_manual
from sundial.workqueue.config import dead_letter_queue_url
from sundial.workqueue.send import OutgoingMessage, send_now

QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/sundial-work"


@pytest.fixture
def no_queue_urls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("WORK_QUEUE_URL", raising=False)
    monkeypatch.delenv("DEAD_LETTER_QUEUE_URL", raising=False)
    reset_settings()
    yield
    reset_settings()


def _task() -> ScheduleItem:
    return ScheduleItem(
        schedule_key("01JD0000000000000000000000"),
        task_tenant="acme",
        schedule_version=1,
        due_at=0,
    )


@pytest.mark.usefixtures("no_queue_urls")
def test_a_send_without_a_work_queue_url_fails_naming_the_variable() -> None:
    with pytest.raises(RuntimeError, match="WORK_QUEUE_URL is not set"):
        send_now([OutgoingMessage("k", "{}")], sqs=object())


@pytest.mark.usefixtures("no_queue_urls")
def test_dispatch_on_write_and_triggers_fail_the_same_way_without_a_work_queue_url() -> None:
    with pytest.raises(RuntimeError, match="WORK_QUEUE_URL is not set"):
        dispatch_now(_task())
    with pytest.raises(RuntimeError, match="WORK_QUEUE_URL is not set"):
        enqueue_manual(_task())


@pytest.mark.usefixtures("no_queue_urls")
def test_the_dead_letter_queue_url_is_named_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORK_QUEUE_URL", QUEUE)
    reset_settings()
    with pytest.raises(RuntimeError, match="DEAD_LETTER_QUEUE_URL is not set"):
        dead_letter_queue_url()
